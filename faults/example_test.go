package faults_test

import (
	"fmt"
	"math/rand/v2"
	"time"

	"vaultdrill/faults"
	"vaultdrill/system/topology"
)

func ExampleParsePlan() {
	p, err := faults.ParsePlan(`
# a hand-written drill: lossy links, then lose the primary region
+0s   links loss=10 dup=5 reorder=20 delay=50ms
+2m   region-down primary
+1m   partition ledger-1,ledger-2 | ledger-3,ledger-4,ledger-5   # written out of order: sorted
+1m30s heal
+4m   region-up primary
+5m   skew ledger-4 -1m30s
+9m   heal-all
`)
	if err != nil {
		fmt.Println(err)
		return
	}
	if err := p.Validate(topology.Default()); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Print(p)
	// Output:
	// +0s links loss=10 dup=5 reorder=20 delay=50ms
	// +1m0s partition ledger-1,ledger-2 | ledger-3,ledger-4,ledger-5
	// +1m30s heal
	// +2m0s region-down primary
	// +4m0s region-up primary
	// +5m0s skew ledger-4 -1m30s
	// +9m0s heal-all
}

func ExampleParsePlan_error() {
	_, err := faults.ParsePlan("+1m crash ledger-1\n\n+2m crush ledger-1\n")
	fmt.Println(err)
	// Output:
	// line 3: unknown kind "crush" (known: audit-outage, audit-restore, chain-fee-spike, chain-reorg, clock-jump, crash, disk-torn, heal, heal-all, hsm, links, mpc-clear, mpc-replay, mpc-spoof, mpc-tamper, mpc-withhold, partition, partition-oneway, pause, region-down, region-up, restart, resume, skew)
}

func ExampleGenerate() {
	spec := faults.GenSpec{
		Duration: 10 * time.Minute, Quiet: 2 * time.Minute, MeanGap: time.Minute,
		WindowMin: 10 * time.Second, WindowMax: time.Minute,
		Kinds: []faults.Kind{faults.Crash, faults.Partition},
	}
	a, _ := faults.Generate(rand.New(rand.NewPCG(7, 0)), topology.Default(), spec)
	b, _ := faults.Generate(rand.New(rand.NewPCG(7, 0)), topology.Default(), spec)
	fmt.Println(a.String() == b.String())
	last := a.Actions[len(a.Actions)-1]
	fmt.Println(last)
	// Output:
	// true
	// +8m0s heal-all
}
