package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"time"

	"vaultdrill/reports"
	"vaultdrill/scenarios"
)

type benchOptions struct {
	ref        string
	seed       uint64
	overrides  setFlags
	cpuprofile string
}

const benchStory = `
Runs a drill once (default ledger-chaos at its full length: a simulated hour,
5 replicas, 100 clients, 10 client operations per simulated second, faults
on) and prints side by side: time compression (simulated seconds per wall
second), client operations per wall second, nanoseconds per simulated event,
and where the wall time went (simulation against checking). The goal for
ledger-chaos is a compression of at least 1000x. --cpuprofile writes a pprof
profile for 'go tool pprof -top'.`

func benchCmd(args []string, stdout, stderr io.Writer) int {
	var o benchOptions
	fs := newFlagSet("bench", "[drill|file.yaml] [flags]", benchStory, stderr)
	fs.Uint64Var(&o.seed, "seed", 1, "root seed")
	fs.Var(&o.overrides, "set", "override a scenario key, key=value (repeatable)")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile here")
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	switch len(pos) {
	case 0:
		o.ref = "ledger-chaos"
	case 1:
		o.ref = pos[0]
	default:
		fmt.Fprintln(stderr, "vaultdrill bench: at most one drill")
		return reports.ExitUsage
	}
	s, err := scenarios.Load(o.ref, o.overrides)
	if err != nil {
		return exitForErr(stderr, err)
	}
	if o.cpuprofile != "" {
		f, err := os.Create(o.cpuprofile)
		if err != nil {
			return exitForErr(stderr, err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return exitForErr(stderr, err)
		}
		defer pprof.StopCPUProfile()
	}
	start := time.Now()
	outc, err := scenarios.Run(s, scenarios.Options{Seed: o.seed, Commit: commitID()})
	if err != nil {
		return exitForErr(stderr, err)
	}
	wall := time.Since(start)
	r := outc.Report
	sim := time.Duration(r.SimDuration)
	ops := 0
	for _, e := range outc.History {
		if e.Kind != "invoke" && e.Kind != "fault" {
			ops++
		}
	}
	fmt.Fprintf(stdout, "bench %s seed %d: %s, verdict %s\n", s.Name, o.seed, r.Workload, r.Verdict)
	fmt.Fprintf(stdout, "  %-34s %v\n", "simulated time", sim)
	fmt.Fprintf(stdout, "  %-34s %.2fs (simulate %.2fs, check %.2fs)\n", "wall time", wall.Seconds(), outc.SimWall.Seconds(), outc.CheckWall.Seconds())
	goal := ""
	if s.Name == "ledger-chaos" {
		goal = " (goal >= 1000x)"
	}
	fmt.Fprintf(stdout, "  %-34s %.0fx%s\n", "time compression (sim s / wall s)", sim.Seconds()/wall.Seconds(), goal)
	fmt.Fprintf(stdout, "  %-34s %.0fx\n", "  simulation alone", sim.Seconds()/outc.SimWall.Seconds())
	fmt.Fprintf(stdout, "  %-34s %d (%.0f per wall second)\n", "client operations completed", ops, float64(ops)/wall.Seconds())
	fmt.Fprintf(stdout, "  %-34s %d (%.0f ns each, simulation only)\n", "simulated events", r.World.Events, float64(outc.SimWall.Nanoseconds())/float64(r.World.Events))
	fmt.Fprintf(stdout, "  %-34s %d sent, %d delivered, %d dropped\n", "messages", r.World.MsgSent, r.World.MsgDelivered, r.World.MsgDropped)
	fmt.Fprintf(stdout, "  %-34s %d\n", "observations", r.World.Observations)
	for _, g := range r.Signing {
		fmt.Fprintf(stdout, "  %-34s %d with the %s engine (%.1f per wall second; median %v simulated from request to signature)\n",
			"signatures, key "+g.Key, g.Signed, g.Engine, float64(g.Signed)/wall.Seconds(), time.Duration(g.TimeMedian))
	}
	return reports.ExitValid
}
