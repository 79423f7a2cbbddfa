package main

import (
	"fmt"
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"time"

	"vaultdrill/reports"
	"vaultdrill/scenarios"
)

type benchOptions struct {
	ref        string
	seed       uint64
	overrides  setFlags
	cpuprofile string
	engines    string
}

const benchStory = `
Runs a drill once (default ledger-chaos at its full length: a simulated hour,
5 replicas, 100 clients, 10 client operations per simulated second, faults
on) and prints side by side: time compression (simulated seconds per wall
second), client operations per wall second, nanoseconds per simulated event,
and where the wall time went (simulation against checking). The goal for
ledger-chaos is a compression of at least 1000x. --cpuprofile writes a pprof
profile for 'go tool pprof -top'.

--engines ideal,tss runs the drill once per MPC engine and prints each
engine's figures and their ratio, e.g.

  vaultdrill bench withdrawal-chaos --engines ideal,tss --set duration=2h`

func benchCmd(args []string, stdout, stderr io.Writer) int {
	var o benchOptions
	fs := newFlagSet("bench", "[drill|file.yaml] [flags]", benchStory, stderr)
	fs.Uint64Var(&o.seed, "seed", 1, "root seed")
	fs.Var(&o.overrides, "set", "override a scenario key, key=value (repeatable)")
	fs.StringVar(&o.cpuprofile, "cpuprofile", "", "write a CPU profile here")
	fs.StringVar(&o.engines, "engines", "", "comma-separated MPC engines to run side by side (ideal, tss)")
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
	engines := []string{""}
	if o.engines != "" {
		engines = strings.Split(o.engines, ",")
		for _, e := range engines {
			if e != "ideal" && e != "tss" {
				fmt.Fprintf(stderr, "vaultdrill bench: --engines: %q is not an engine (ideal, tss)\n", e)
				return reports.ExitUsage
			}
		}
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
	var compressions []float64
	for _, engine := range engines {
		sets := append([]string(nil), o.overrides...)
		if engine != "" {
			sets = append(sets, "mpc.engine="+engine)
		}
		c, code := benchOne(o, sets, stdout, stderr)
		if code != reports.ExitValid {
			return code
		}
		compressions = append(compressions, c)
	}
	if len(engines) > 1 {
		fmt.Fprintf(stdout, "time compression side by side:")
		for i, e := range engines {
			fmt.Fprintf(stdout, " %s %.0fx", e, compressions[i])
		}
		fmt.Fprintf(stdout, " (%s/%s = %.1f)\n", engines[0], engines[1], compressions[0]/compressions[1])
	}
	return reports.ExitValid
}

// benchOne runs the drill once with the given overrides and prints its
// figures; it returns the time compression.
func benchOne(o benchOptions, sets []string, stdout, stderr io.Writer) (float64, int) {
	s, err := scenarios.Load(o.ref, sets)
	if err != nil {
		return 0, exitForErr(stderr, err)
	}
	start := time.Now()
	outc, err := scenarios.Run(s, scenarios.Options{Seed: o.seed, Commit: commitID()})
	if err != nil {
		return 0, exitForErr(stderr, err)
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
	fmt.Fprintf(stdout, "bench %s seed %d (engine %s): %s, verdict %s\n", s.Name, o.seed, s.MPC.Engine, r.Workload, r.Verdict)
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
	// signatures as the coordinators report them (the custody pipeline's
	// requests are not client operations, so count the facts)
	sigs := map[string]int{}
	for _, ob := range outc.Observations {
		if ob.Kind == "signer.signature" {
			sigs[ob.Fields["key"]]++
		}
	}
	for _, g := range r.Signing {
		n := max(g.Signed, sigs[g.Key])
		fmt.Fprintf(stdout, "  %-34s %d with the %s engine (%.1f per wall second)\n", "signatures, key "+g.Key, n, g.Engine, float64(n)/wall.Seconds())
	}
	if c := r.Custody; c != nil {
		fmt.Fprintf(stdout, "  %-34s %d settled, %d deposits credited, %d sweeps and refills, %d courier hops\n", "custody", c.Withdrawals["settled"], c.Deposits, len(c.Sweeps), c.CourierHops)
	}
	return sim.Seconds() / wall.Seconds(), reports.ExitValid
}
