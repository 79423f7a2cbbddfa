package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"vaultdrill/reports"
	"vaultdrill/scenarios"
)

type runOptions struct {
	ref       string
	seed      uint64
	overrides setFlags
	out       string
	trace     string
	quiet     bool
}

const runStory = `
Runs one drill (a built-in name, or a path to a scenario YAML file) for one
seed on the in-process deployment, checks every expectation, and writes an
evidence bundle: report.json (byte-identical for the same commit, scenario,
overrides and seed), summary.md, junit.xml, history.jsonl,
observations.jsonl, fault-plan.txt, scenario.yaml, run-meta.json (wall-clock
facts) and manifest.json (SHA-256 of every file).

Overrides (--set key=value, repeatable) change the scenario for this run and
are part of its hash and of the replay command: --set duration=3m,
--set workload.params.clients=20, --set ledger.bug=stale-reads.

Ctrl-C stops the simulation, judges what was recorded so far, writes the
bundle marked interrupted, and exits 130.`

func runCmd(args []string, stdout, stderr io.Writer) int {
	var o runOptions
	fs := newFlagSet("run", "<drill|file.yaml> [flags]", runStory, stderr)
	fs.Uint64Var(&o.seed, "seed", 1, "root seed: every random choice of the run derives from it")
	fs.Var(&o.overrides, "set", "override a scenario key, key=value (repeatable)")
	fs.StringVar(&o.out, "out", "", "bundle directory (default out/<drill>-seed<N>)")
	fs.StringVar(&o.trace, "trace", "", "also write the world's event trace to this file")
	fs.BoolVar(&o.quiet, "quiet", false, "no progress line")
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "vaultdrill run: name one drill or scenario file (see 'vaultdrill list')")
		return reports.ExitUsage
	}
	o.ref = pos[0]
	return runRun(o, stdout, stderr)
}

func runRun(o runOptions, stdout, stderr io.Writer) int {
	s, err := scenarios.Load(o.ref, o.overrides)
	if err != nil {
		return exitForErr(stderr, err)
	}
	if o.out == "" {
		o.out = filepath.Join("out", fmt.Sprintf("%s-seed%d", s.Name, o.seed))
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	var traceFile *os.File
	opt := scenarios.Options{Seed: o.seed, Commit: commitID(), Interrupted: func() bool { return ctx.Err() != nil }}
	if o.trace != "" {
		traceFile, err = os.Create(o.trace)
		if err != nil {
			return exitForErr(stderr, err)
		}
		defer traceFile.Close()
		opt.Trace = traceFile
	}
	start := time.Now()
	if !o.quiet {
		opt.Progress = progressPrinter(stderr, s.Name, start)
	}
	outc, err := scenarios.Run(s, opt)
	if !o.quiet {
		fmt.Fprintln(stderr)
	}
	if err != nil {
		return exitForErr(stderr, err)
	}
	wall := time.Since(start)
	files := outc.Evidence(s)
	files["run-meta.json"] = metaJSON(start, wall, outc.Report)
	if err := reports.WriteBundle(o.out, files); err != nil {
		return exitForErr(stderr, fmt.Errorf("write bundle: %w", err))
	}
	r := outc.Report
	printVerdict(stdout, r, o.out, wall)
	return r.ExitCode
}

func printVerdict(w io.Writer, r *reports.Report, dir string, wall time.Duration) {
	fmt.Fprintf(w, "%s seed %d: %s (exit %d) in %.1fs wall for %v simulated\n",
		r.Scenario.Name, r.Seed, strings.ToUpper(string(r.Verdict)), r.ExitCode, wall.Seconds(), time.Duration(r.SimDuration))
	for _, e := range r.Expectations {
		mark := "ok  "
		if !e.Pass {
			mark = "FAIL"
		}
		fmt.Fprintf(w, "  %s %-16s %s\n", mark, e.Result.Checker, e.Result.Summary)
		if !e.Pass {
			for i, op := range e.Result.First {
				if i == 3 {
					fmt.Fprintf(w, "         ... %d more in the report\n", len(e.Result.First)-3)
					break
				}
				fmt.Fprintf(w, "         history line %d: %s\n", op.Index+1, op.Desc)
			}
		}
	}
	if r.RTO != nil && r.RTO.Measured >= 0 {
		fmt.Fprintf(w, "  RTO %v (target %v)\n", time.Duration(r.RTO.Measured), time.Duration(r.RTO.Target))
	}
	if r.Interrupted {
		fmt.Fprintln(w, "  interrupted: the report covers what ran until Ctrl-C")
	}
	fmt.Fprintf(w, "report: %s/summary.md\n", dir)
	if r.ExitCode != reports.ExitValid {
		fmt.Fprintf(w, "replay: %s\n", r.Replay)
	}
}

func progressPrinter(w io.Writer, name string, start time.Time) func(done, total time.Duration) {
	last := time.Time{}
	reached := false // the end of the scenario was shown once
	return func(done, total time.Duration) {
		now := time.Now()
		if now.Sub(last) < 200*time.Millisecond && (done < total || reached) {
			return // the drain and final reads after the end tick in small steps
		}
		reached = reached || done >= total
		last = now
		pct := 0.0
		if total > 0 {
			pct = 100 * float64(done) / float64(total)
		}
		fmt.Fprintf(w, "\r%s: %v / %v simulated (%.0f%%), %.1fs wall   ", name, done.Truncate(time.Second), total, pct, now.Sub(start).Seconds())
	}
}

func metaJSON(start time.Time, wall time.Duration, r *reports.Report) []byte {
	host, _ := os.Hostname()
	m := reports.Meta{
		Started: start.UTC().Format(time.RFC3339Nano), Finished: start.Add(wall).UTC().Format(time.RFC3339Nano),
		WallSeconds: wall.Seconds(), Host: host, GoVersion: runtime.Version(), GOOS: runtime.GOOS,
		GOARCH: runtime.GOARCH, CPUs: runtime.NumCPU(), Command: strings.Join(os.Args, " "),
	}
	if wall > 0 {
		m.Compression = time.Duration(r.SimDuration).Seconds() / wall.Seconds()
	}
	return metaBytes(m)
}

func metaBytes(m reports.Meta) []byte { return m.JSON() }
