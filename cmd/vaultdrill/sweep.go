package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"vaultdrill/reports"
	"vaultdrill/scenarios"
)

type sweepOptions struct {
	ref       string
	start     uint64
	count     int
	workers   int
	shard     string
	overrides setFlags
	out       string
	keepGoing bool
	quiet     bool
}

const sweepStory = `
Runs a drill for many seeds. Seeds fan out to --workers worker processes
(the simulator routes crypto/rand process-wide, so one process runs one
simulation at a time). The sweep stops handing out seeds at the first
failure, lets the seeds already running finish, and reports the lowest
failing seed with its replay command; its bundle is written under --out.
--keep-going runs every seed instead.

For a batch engine (a CI matrix, a Kubernetes Indexed Job), --shard i/n runs
only the seeds whose position is i modulo n; each shard writes its own
sweep.json.

Exit code: that of the lowest failing seed (1 violation, 3 liveness,
4 unknown), 0 when every seed passed, 130 when interrupted.`

// seedResult is one line a worker prints per seed.
type seedResult struct {
	Seed     uint64   `json:"seed"`
	Exit     int      `json:"exit"`
	Verdict  string   `json:"verdict"`
	Failing  []string `json:"failing,omitempty"`
	Replay   string   `json:"replay"`
	Bundle   string   `json:"bundle,omitempty"`
	Error    string   `json:"error,omitempty"`
	WallMS   int64    `json:"wall_ms"`
	SimNS    int64    `json:"sim_ns"`
	Compress float64  `json:"compression"`
}

func sweepCmd(args []string, stdout, stderr io.Writer) int {
	var o sweepOptions
	fs := newFlagSet("sweep", "<drill|file.yaml> [flags]", sweepStory, stderr)
	fs.Uint64Var(&o.start, "start", 1, "first seed")
	fs.IntVar(&o.count, "count", 100, "number of seeds")
	fs.IntVar(&o.workers, "workers", 2, "worker processes")
	fs.StringVar(&o.shard, "shard", "", "i/n: run only this shard of the seeds")
	fs.Var(&o.overrides, "set", "override a scenario key, key=value (repeatable)")
	fs.StringVar(&o.out, "out", "", "directory for sweep.json and failing bundles (default out/sweep-<drill>)")
	fs.BoolVar(&o.keepGoing, "keep-going", false, "run every seed even after a failure")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress line")
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "vaultdrill sweep: name one drill or scenario file")
		return reports.ExitUsage
	}
	o.ref = pos[0]
	return runSweep(o, stdout, stderr)
}

func parseShard(s string) (int, int, error) {
	if s == "" {
		return 0, 1, nil
	}
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 0 || i >= n {
		return 0, 0, fmt.Errorf("%w: --shard %q: want i/n with 0 <= i < n", errUsage, s)
	}
	return i, n, nil
}

func runSweep(o sweepOptions, stdout, stderr io.Writer) int {
	s, err := scenarios.Load(o.ref, o.overrides) // fail fast on a bad scenario, before any worker starts
	if err != nil {
		return exitForErr(stderr, err)
	}
	si, sn, err := parseShard(o.shard)
	if err != nil {
		return exitForErr(stderr, err)
	}
	if o.count < 1 || o.workers < 1 {
		return exitForErr(stderr, fmt.Errorf("%w: --count and --workers must be at least 1", errUsage))
	}
	if o.out == "" {
		o.out = filepath.Join("out", "sweep-"+s.Name)
	}
	var seeds []uint64
	for k := 0; k < o.count; k++ {
		if k%sn == si {
			seeds = append(seeds, o.start+uint64(k))
		}
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return exitForErr(stderr, err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	self, err := os.Executable()
	if err != nil {
		return exitForErr(stderr, err)
	}
	wargs := []string{"sweep-worker", o.ref, "--out", o.out}
	for _, x := range o.overrides {
		wargs = append(wargs, "--set", x)
	}

	var (
		mu       sync.Mutex
		next     int
		stopped  bool
		results  []seedResult
		harness  error
		started  = time.Now()
		lastShow time.Time
	)
	take := func() (uint64, bool) {
		mu.Lock()
		defer mu.Unlock()
		if stopped || next >= len(seeds) || ctx.Err() != nil {
			return 0, false
		}
		sd := seeds[next]
		next++
		return sd, true
	}
	show := func(final bool) {
		if o.quiet {
			return
		}
		if !final && time.Since(lastShow) < 500*time.Millisecond {
			return
		}
		lastShow = time.Now()
		fails := 0
		for _, r := range results {
			if r.Exit != 0 {
				fails++
			}
		}
		rate := float64(len(results)) / time.Since(started).Seconds()
		fmt.Fprintf(stderr, "\r%s: %d/%d seeds, %d failing, %.1f seeds/s, %d workers   ", s.Name, len(results), len(seeds), fails, rate, o.workers)
		if final {
			fmt.Fprintln(stderr)
		}
	}
	workers := o.workers
	if workers > len(seeds) {
		workers = len(seeds)
	}
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := exec.Command(self, wargs...)
			cmd.Stderr = stderr
			in, _ := cmd.StdinPipe()
			outp, _ := cmd.StdoutPipe()
			if err := cmd.Start(); err != nil {
				mu.Lock()
				harness = err
				mu.Unlock()
				return
			}
			sc := bufio.NewScanner(outp)
			sc.Buffer(make([]byte, 1<<16), 1<<22)
			for {
				sd, ok := take()
				if !ok {
					break
				}
				fmt.Fprintf(in, "%d\n", sd)
				if !sc.Scan() {
					mu.Lock()
					if ctx.Err() == nil {
						harness = fmt.Errorf("worker for seed %d died", sd)
					}
					stopped = true
					mu.Unlock()
					break
				}
				var r seedResult
				if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
					mu.Lock()
					harness = fmt.Errorf("worker said %q: %v", sc.Text(), err)
					stopped = true
					mu.Unlock()
					break
				}
				mu.Lock()
				results = append(results, r)
				if r.Exit != 0 && !o.keepGoing {
					stopped = true
				}
				show(false)
				mu.Unlock()
			}
			in.Close()
			_ = cmd.Wait()
		}()
	}
	wg.Wait()
	show(true)
	sort.Slice(results, func(i, j int) bool { return results[i].Seed < results[j].Seed })
	summary := map[string]any{"scenario": s.Name, "scenario_hash": s.Hash, "overrides": s.Overrides, "shard": o.shard,
		"seeds_planned": len(seeds), "seeds_run": len(results), "results": results}
	b, _ := json.MarshalIndent(summary, "", "  ")
	_ = os.WriteFile(filepath.Join(o.out, "sweep.json"), append(b, '\n'), 0o644)

	if harness != nil {
		return exitForErr(stderr, harness)
	}
	var failing []seedResult
	var sim int64
	var wallMS int64
	for _, r := range results {
		sim += r.SimNS
		wallMS += r.WallMS
		if r.Exit != 0 {
			failing = append(failing, r)
		}
	}
	fmt.Fprintf(stdout, "%s: %d of %d seeds run, %d failing; %v simulated in %.1fs wall (%d workers)\n",
		s.Name, len(results), len(seeds), len(failing), time.Duration(sim).Truncate(time.Second), time.Since(started).Seconds(), o.workers)
	if ctx.Err() != nil {
		fmt.Fprintf(stdout, "interrupted: results so far in %s\n", filepath.Join(o.out, "sweep.json"))
		if len(failing) == 0 {
			return reports.ExitInterrupted
		}
	}
	if len(failing) == 0 {
		return reports.ExitValid
	}
	low := failing[0]
	fmt.Fprintf(stdout, "lowest failing seed: %d (exit %d, %s)\n", low.Seed, low.Exit, low.Verdict)
	for _, f := range low.Failing {
		fmt.Fprintf(stdout, "  %s\n", f)
	}
	if low.Bundle != "" {
		fmt.Fprintf(stdout, "report: %s/summary.md\n", low.Bundle)
	}
	fmt.Fprintf(stdout, "replay: %s\n", low.Replay)
	return low.Exit
}

// sweepWorkerCmd reads seeds from stdin, one per line, runs each and prints
// one JSON result per line. Failing seeds get a bundle under --out.
func sweepWorkerCmd(args []string, stdout, stderr io.Writer) int {
	var overrides setFlags
	var out string
	fs := newFlagSet("sweep-worker", "<drill|file.yaml>", "internal: the worker process of sweep", stderr)
	fs.Var(&overrides, "set", "override")
	fs.StringVar(&out, "out", "out", "bundle directory")
	pos, code, ok := parseFlags(fs, args)
	if !ok || len(pos) != 1 {
		if code == 0 {
			code = reports.ExitUsage
		}
		return code
	}
	// The parent owns Ctrl-C: a worker finishes its seed and sees stdin close.
	signal.Ignore(os.Interrupt)
	s, err := scenarios.Load(pos[0], overrides)
	if err != nil {
		return exitForErr(stderr, err)
	}
	cm := commitID()
	sc := bufio.NewScanner(os.Stdin)
	enc := json.NewEncoder(stdout)
	for sc.Scan() {
		seed, err := strconv.ParseUint(strings.TrimSpace(sc.Text()), 10, 64)
		if err != nil {
			return exitForErr(stderr, fmt.Errorf("bad seed line %q", sc.Text()))
		}
		start := time.Now()
		outc, err := scenarios.Run(s, scenarios.Options{Seed: seed, Commit: cm})
		r := seedResult{Seed: seed, Replay: scenarios.ReplayCommand(s, seed)}
		if err != nil {
			r.Exit, r.Verdict, r.Error = reports.ExitHarness, "harness error", err.Error()
		} else {
			rep := outc.Report
			wall := time.Since(start)
			r.Exit, r.Verdict, r.SimNS, r.WallMS = rep.ExitCode, string(rep.Verdict), rep.SimDuration, wall.Milliseconds()
			if wall > 0 {
				r.Compress = time.Duration(rep.SimDuration).Seconds() / wall.Seconds()
			}
			for _, e := range rep.Expectations {
				if !e.Pass {
					r.Failing = append(r.Failing, fmt.Sprintf("%s: %s", e.Result.Checker, e.Result.Summary))
				}
			}
			if rep.ExitCode != 0 {
				dir := filepath.Join(out, fmt.Sprintf("%s-seed%d", s.Name, seed))
				files := outc.Evidence(s)
				files["run-meta.json"] = metaJSON(start, wall, rep)
				if err := reports.WriteBundle(dir, files); err != nil {
					r.Error = err.Error()
				} else {
					r.Bundle = dir
				}
			}
		}
		if err := enc.Encode(r); err != nil {
			return reports.ExitHarness
		}
	}
	return reports.ExitValid
}
