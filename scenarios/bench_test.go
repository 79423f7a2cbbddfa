package scenarios

import (
	"testing"
	"time"
)

// BenchmarkLedgerChaos runs ledger-chaos at a bench length and reports
// time compression (simulated seconds per wall second) and the cost of a
// simulated event, side by side with the check phase. `vaultdrill bench`
// runs the full simulated hour.
func BenchmarkLedgerChaos(b *testing.B) {
	s, err := Load("ledger-chaos", []string{"duration=10m"})
	if err != nil {
		b.Fatal(err)
	}
	var sim, simWall, checkWall time.Duration
	var events uint64
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		out, err := Run(s, Options{Seed: uint64(i + 1), Commit: "bench"})
		if err != nil {
			b.Fatal(err)
		}
		sim += time.Duration(out.Report.SimDuration)
		simWall += out.SimWall
		checkWall += out.CheckWall
		events += out.Report.World.Events
	}
	b.ReportMetric(sim.Seconds()/b.Elapsed().Seconds(), "sim-s/wall-s")
	b.ReportMetric(sim.Seconds()/simWall.Seconds(), "sim-s/sim-wall-s")
	b.ReportMetric(float64(simWall.Nanoseconds())/float64(events), "ns/event")
	b.ReportMetric(100*checkWall.Seconds()/b.Elapsed().Seconds(), "%check")
}

// BenchmarkHarnessSign runs mpc-resilience without faults and reports the
// wall cost of one signature through the whole harness (driver, signer
// nodes, HSM unseal, simulated network, chain verification) for each
// engine. Run it beside system/mpc's BenchmarkLibSign* to read the
// harness's overhead over tss-lib:
//
//	go test -run '^$' -bench 'Sign' ./system/mpc/ ./scenarios/
func BenchmarkHarnessSign(b *testing.B) {
	for _, engine := range []string{"tss", "ideal"} {
		b.Run(engine, func(b *testing.B) {
			s, err := Load("mpc-resilience", []string{"mpc.engine=" + engine, "duration=3m",
				"faults.threshold.at=2m", "faults.threshold.hold=30s", "workload.params.interval=5s"})
			if err != nil {
				b.Fatal(err)
			}
			sigs := 0
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				out, err := Run(s, Options{Seed: 5, Commit: "bench"}) // seed 5: all three signers reachable
				if err != nil {
					b.Fatal(err)
				}
				sigs += out.Report.Signing[0].Signed
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(sigs), "ns/signature")
			b.ReportMetric(float64(sigs)/b.Elapsed().Seconds(), "signatures/wall-s")
		})
	}
}
