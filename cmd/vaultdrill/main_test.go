package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"vaultdrill/reports"
)

// The test binary doubles as the vaultdrill command: with VAULTDRILL_AS_CLI
// set it runs main instead of the tests. That gives real separate processes
// (for the determinism and sweep tests) without a separate build step.
func TestMain(m *testing.M) {
	if os.Getenv("VAULTDRILL_AS_CLI") == "1" {
		os.Exit(dispatch(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

type cliResult struct {
	code           int
	stdout, stderr string
}

func cli(t *testing.T, dir string, extraEnv []string, args ...string) cliResult {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(self, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), append([]string{"VAULTDRILL_AS_CLI=1", "VAULTDRILL_COMMIT=test-commit"}, extraEnv...)...)
	var so, se bytes.Buffer
	cmd.Stdout, cmd.Stderr = &so, &se
	err = cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run %v: %v", args, err)
	}
	return cliResult{code, so.String(), se.String()}
}

func readReport(t *testing.T, dir string) *reports.Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := reports.Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Same seed: byte-identical report.json and trace in separate processes,
// with GOMAXPROCS=1 and 2. Another seed: a different trace.
func TestDeterminismAcrossProcesses(t *testing.T) {
	dir := t.TempDir()
	run := func(name string, seed string, procs string) ([]byte, []byte) {
		out := filepath.Join(dir, name)
		trace := filepath.Join(dir, name+".trace")
		r := cli(t, dir, []string{"GOMAXPROCS=" + procs}, "run", "ledger-chaos", "--seed", seed, "--set", "duration=90s",
			"--set", "faults.generate.mean_gap=10s", "--quiet", "--out", out, "--trace", trace)
		if r.code != 0 {
			t.Fatalf("seed %s exit %d\n%s%s", seed, r.code, r.stdout, r.stderr)
		}
		rep, _ := os.ReadFile(filepath.Join(out, "report.json"))
		tr, _ := os.ReadFile(trace)
		return rep, tr
	}
	r1, t1 := run("a", "7", "1")
	r2, t2 := run("b", "7", "2")
	if !bytes.Equal(r1, r2) {
		t.Fatal("seed 7: report.json differs between two processes (GOMAXPROCS 1 and 2)")
	}
	if !bytes.Equal(t1, t2) || len(t1) == 0 {
		t.Fatal("seed 7: traces differ between two processes")
	}
	r3, t3 := run("c", "8", "2")
	if bytes.Equal(t1, t3) || bytes.Equal(r1, r3) {
		t.Fatal("seeds 7 and 8 gave the same run")
	}
}

func TestRegionFailover(t *testing.T) {
	dir := t.TempDir()
	out := filepath.Join(dir, "rf")
	r := cli(t, dir, nil, "run", "region-failover", "--seed", "3", "--quiet", "--out", out)
	if r.code != 0 {
		t.Fatalf("region-failover exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	rep := readReport(t, out)
	if rep.RTO == nil || rep.RTO.Measured <= 0 || rep.RTO.Measured > rep.RTO.Target {
		t.Fatalf("RTO not measured within target: %+v", rep.RTO)
	}
	if rep.RPO == nil || rep.RPO.LostAcked != 0 {
		t.Fatalf("RPO: %+v", rep.RPO)
	}
	if rep.Failover == nil || rep.Failover.FirstAfter == "none" || rep.Failover.Region != "primary" {
		t.Fatalf("failover section: %+v", rep.Failover)
	}
	if rep.FaultCounts["region-down"] != 1 || rep.FaultCounts["region-up"] != 1 {
		t.Fatalf("fault counts: %v", rep.FaultCounts)
	}
	if probs, err := reports.VerifyBundle(out); err != nil || len(probs) > 0 {
		t.Fatalf("fresh bundle does not verify: %v %v", probs, err)
	}
	// Tamper with the history: verify must say so and exit 1.
	h := filepath.Join(out, "history.jsonl")
	b, _ := os.ReadFile(h)
	os.WriteFile(h, bytes.Replace(b, []byte(`"deposit"`), []byte(`"withdraw"`), 1), 0o644)
	v := cli(t, dir, nil, "verify", out)
	if v.code != 1 || !strings.Contains(v.stdout, "history.jsonl") {
		t.Fatalf("verify of a tampered bundle: exit %d\n%s", v.code, v.stdout)
	}
}

func TestBadScenarioNamesLineAndWritesNothing(t *testing.T) {
	dir := t.TempDir()
	src := "schema: 1\nname: bad\nduration: 1m\nworkload:\n  kind: ledger-clients\n  params:\n    clients: 3\n    acounts: 2\nexpect:\n  - kind: linearizable\n"
	path := filepath.Join(dir, "bad.yaml")
	os.WriteFile(path, []byte(src), 0o644)
	out := filepath.Join(dir, "out")
	r := cli(t, dir, nil, "run", path, "--out", out, "--quiet")
	if r.code != reports.ExitUsage {
		t.Fatalf("exit %d, want 2\n%s", r.code, r.stderr)
	}
	if !strings.Contains(r.stderr, "bad.yaml:8") || !strings.Contains(r.stderr, `"acounts"`) {
		t.Fatalf("error does not name file, line and key: %s", r.stderr)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Fatal("a bad scenario still wrote output")
	}
	for _, args := range [][]string{
		{"run", "no-such-drill"},
		{"run", "ledger-chaos", "--set", "nonsense"},
		{"run", "ledger-chaos", "--set", "workload.params.rate=-1"},
		{"run", "ledger-chaos", "--set", "ledger.bug=typo"},
		{"sweep", "ledger-chaos", "--shard", "3/2"},
		{"run", "ledger-chaos", "--set", "duration=100h"}, // too many faults for the generator
		{"frobnicate"},
	} {
		if r := cli(t, dir, nil, args...); r.code != reports.ExitUsage {
			t.Errorf("%v: exit %d, want 2\n%s", args, r.code, r.stderr)
		}
	}
}

func TestHelpForEveryCommand(t *testing.T) {
	for _, c := range commands() {
		if c.hidden {
			continue
		}
		r := cli(t, t.TempDir(), nil, c.name, "--help")
		if r.code != 0 || !strings.Contains(r.stderr, "Usage: vaultdrill "+c.name) {
			t.Errorf("%s --help: exit %d\n%s", c.name, r.code, r.stderr)
		}
	}
	if r := cli(t, t.TempDir(), nil, "--help"); r.code != 0 || !strings.Contains(r.stdout, "Exit codes") {
		t.Errorf("--help: exit %d", r.code)
	}
}

func TestInterruptWritesPartialReport(t *testing.T) {
	dir := t.TempDir()
	self, _ := os.Executable()
	out := filepath.Join(dir, "int")
	cmd := exec.Command(self, "run", "ledger-chaos", "--set", "duration=100h", "--set", "faults.generate.mean_gap=1h", "--quiet", "--out", out)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "VAULTDRILL_AS_CLI=1", "VAULTDRILL_COMMIT=test-commit")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	time.Sleep(1500 * time.Millisecond)
	cmd.Process.Signal(syscall.SIGINT)
	err := cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != reports.ExitInterrupted {
		t.Fatalf("interrupted run: %v, want exit 130", err)
	}
	rep := readReport(t, out)
	if !rep.Interrupted || rep.SimDuration <= 0 {
		t.Fatalf("partial report: interrupted=%v sim=%v", rep.Interrupted, rep.SimDuration)
	}
}

type sweepJSON struct {
	SeedsRun int          `json:"seeds_run"`
	Results  []seedResult `json:"results"`
}

func sweep(t *testing.T, args ...string) (cliResult, sweepJSON, string) {
	dir := t.TempDir()
	out := filepath.Join(dir, "sw")
	r := cli(t, dir, nil, append([]string{"sweep", "ledger-chaos", "--quiet", "--out", out}, args...)...)
	var sj sweepJSON
	b, err := os.ReadFile(filepath.Join(out, "sweep.json"))
	if err == nil {
		json.Unmarshal(b, &sj)
	}
	return r, sj, out
}

// The CI-length sweep of the correct ledger: every seed valid.
func TestSweepCorrectLedger(t *testing.T) {
	if testing.Short() {
		t.Skip("seed sweep: skipped with -short")
	}
	r, sj, _ := sweep(t, "--count", "500", "--workers", "2", "--set", "duration=2m")
	if r.code != 0 || sj.SeedsRun != 500 {
		t.Fatalf("sweep exit %d, %d seeds run\n%s%s", r.code, sj.SeedsRun, r.stdout, r.stderr)
	}
}

// Each planted ledger bug is found within 200 seeds, and the report of the
// lowest failing seed names the offending operations.
func TestSweepFindsPlantedBugs(t *testing.T) {
	if testing.Short() {
		t.Skip("seed sweep: skipped with -short")
	}
	for _, bug := range []string{"stale-reads", "early-ack"} {
		t.Run(bug, func(t *testing.T) {
			r, sj, _ := sweep(t, "--count", "200", "--workers", "2", "--set", "duration=2m", "--set", "ledger.bug="+bug)
			if r.code != reports.ExitInvalid {
				t.Fatalf("planted %s: sweep exit %d, want 1\n%s%s", bug, r.code, r.stdout, r.stderr)
			}
			if !strings.Contains(r.stdout, "lowest failing seed") || !strings.Contains(r.stdout, "replay: vaultdrill run ledger-chaos --seed") {
				t.Fatalf("no lowest failing seed or replay command:\n%s", r.stdout)
			}
			var low *seedResult
			for i := range sj.Results {
				if sj.Results[i].Exit != 0 {
					low = &sj.Results[i]
					break
				}
			}
			if low == nil || low.Bundle == "" {
				t.Fatalf("no failing bundle in sweep.json: %+v", sj)
			}
			rep := readReport(t, low.Bundle)
			named := false
			for _, e := range rep.Expectations {
				if !e.Pass && e.Result.Verdict == "invalid" && len(e.Result.First) > 0 {
					named = true
				}
			}
			if !named {
				t.Fatalf("the failing report names no offending operation: %+v", rep.Expectations)
			}
		})
	}
}

// Shards cover every seed exactly once, and merge reports as one sweep: the
// planted bug's lowest failing seed across shards, with its replay command.
func TestShardsAndMerge(t *testing.T) {
	dir := t.TempDir()
	var files []string
	for i := 0; i < 3; i++ {
		out := filepath.Join(dir, fmt.Sprintf("s%d", i))
		r := cli(t, dir, nil, "sweep", "ledger-chaos", "--quiet", "--keep-going", "--count", "9", "--shard", fmt.Sprintf("%d/3", i),
			"--workers", "1", "--out", out, "--set", "duration=2m", "--set", "ledger.bug=stale-reads")
		if r.code != reports.ExitInvalid && r.code != 0 {
			t.Fatalf("shard %d: exit %d\n%s", i, r.code, r.stderr)
		}
		files = append(files, filepath.Join(out, "sweep.json"))
	}
	m := cli(t, dir, nil, append([]string{"merge"}, files...)...)
	if !strings.Contains(m.stdout, "9 of 9 seeds run") {
		t.Fatalf("merge: %s", m.stdout)
	}
	if m.code != reports.ExitInvalid || !strings.Contains(m.stdout, "replay: vaultdrill run ledger-chaos --seed") {
		t.Fatalf("merge names no replay: %s", m.stdout)
	}
	whole := cli(t, dir, nil, "sweep", "ledger-chaos", "--quiet", "--keep-going", "--count", "9", "--workers", "2",
		"--out", filepath.Join(dir, "whole"), "--set", "duration=2m", "--set", "ledger.bug=stale-reads")
	lowest := func(out string) string {
		i := strings.Index(out, "lowest failing seed: ")
		if i < 0 {
			return ""
		}
		return strings.Fields(out[i+len("lowest failing seed: "):])[0]
	}
	if lowest(m.stdout) == "" || lowest(m.stdout) != lowest(whole.stdout) {
		t.Fatalf("merged shards say lowest failing seed %q, the unsharded sweep %q", lowest(m.stdout), lowest(whole.stdout))
	}
	if dup := cli(t, dir, nil, "merge", files[0], files[0]); dup.code != reports.ExitUsage {
		t.Fatalf("merging a shard with itself: exit %d", dup.code)
	}
}

// mpc-resilience: the ideal engine over 300 seeds (thresholds k-1, k and
// more drawn per seed), a few seeds with the real tss-lib engine, and the
// tss run's report byte-identical across processes.
func TestMPCResilience(t *testing.T) {
	if testing.Short() {
		t.Skip("seed sweep: skipped with -short")
	}
	dir := t.TempDir()
	r := cli(t, dir, nil, "sweep", "mpc-resilience", "--quiet", "--count", "300", "--workers", "2", "--set", "mpc.engine=ideal", "--out", filepath.Join(dir, "ideal"))
	if r.code != 0 {
		t.Fatalf("ideal sweep: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = cli(t, dir, nil, "sweep", "mpc-resilience", "--quiet", "--count", "4", "--start", "2", "--workers", "2", "--out", filepath.Join(dir, "tss"))
	if r.code != 0 {
		t.Fatalf("tss sweep: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var reps [][]byte
	for _, name := range []string{"a", "b"} {
		out := filepath.Join(dir, name)
		if r := cli(t, dir, nil, "run", "mpc-resilience", "--seed", "3", "--quiet", "--out", out); r.code != 0 {
			t.Fatalf("tss run: exit %d\n%s", r.code, r.stdout)
		}
		b, _ := os.ReadFile(filepath.Join(out, "report.json"))
		reps = append(reps, b)
	}
	if !bytes.Equal(reps[0], reps[1]) {
		t.Fatal("mpc-resilience seed 3 (tss): report.json differs between two processes")
	}
	rep := readReport(t, filepath.Join(dir, "a"))
	if len(rep.Signing) != 1 || rep.Signing[0].Signed == 0 || rep.Signing[0].ChainTxs != rep.Signing[0].Signed {
		t.Fatalf("every signature must be verified on chain: %+v", rep.Signing)
	}
}

// custodyCI is withdrawal-chaos at CI length (scenarios/custody_test.go
// uses the same overrides).
var custodyCI = []string{
	"--set", "duration=2h", "--set", "workload.params.courier_hop=1m", "--set", "workload.params.sweep_window=30m",
	"--set", "workload.params.sweep_settle=5m", "--set", "workload.params.quiet=30m", "--set", "workload.params.attempt_timeout=10m",
	"--set", "faults.generate.quiet=30m", "--set", "faults.generate.mean_gap=5m", "--set", "expect.10.params.bound=25m",
}

// withdrawal-chaos: 200 CI-length seeds with the ideal engine, two with
// tss-lib, and a tss report byte-identical across processes.
func TestWithdrawalChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("seed sweep: skipped with -short")
	}
	dir := t.TempDir()
	args := append([]string{"sweep", "withdrawal-chaos", "--quiet", "--count", "200", "--workers", "2", "--set", "mpc.engine=ideal", "--out", filepath.Join(dir, "ideal")}, custodyCI...)
	if r := cli(t, dir, nil, args...); r.code != 0 {
		t.Fatalf("ideal sweep: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	args = append([]string{"sweep", "withdrawal-chaos", "--quiet", "--count", "2", "--workers", "2", "--out", filepath.Join(dir, "tss")}, custodyCI...)
	if r := cli(t, dir, nil, args...); r.code != 0 {
		t.Fatalf("tss sweep: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	var reps [][]byte
	for _, name := range []string{"a", "b"} {
		out := filepath.Join(dir, name)
		args := append([]string{"run", "withdrawal-chaos", "--seed", "4", "--quiet", "--out", out}, custodyCI...)
		if r := cli(t, dir, nil, args...); r.code != 0 {
			t.Fatalf("tss run: exit %d\n%s", r.code, r.stdout)
		}
		b, _ := os.ReadFile(filepath.Join(out, "report.json"))
		reps = append(reps, b)
	}
	if !bytes.Equal(reps[0], reps[1]) {
		t.Fatal("withdrawal-chaos seed 4 (tss): report.json differs between two processes")
	}
}

// The security team's rehearsals over several seeds each: every attack
// stopped, answered in its bound, with no effect, whatever the faults and
// timings a seed brings (the scenario tests run one seed each).
func TestSecurityDrillSweeps(t *testing.T) {
	if testing.Short() {
		t.Skip("seed sweep: skipped with -short")
	}
	for _, c := range []struct {
		drill string
		count string
	}{{"account-takeover", "16"}, {"api-key-abuse", "16"}, {"insider", "16"}, {"penetration", "4"}} {
		dir := t.TempDir()
		r := cli(t, dir, nil, "sweep", c.drill, "--quiet", "--count", c.count, "--workers", "2", "--out", filepath.Join(dir, "sw"))
		if r.code != 0 {
			t.Fatalf("%s sweep: exit %d\n%s%s", c.drill, r.code, r.stdout, r.stderr)
		}
	}
}
