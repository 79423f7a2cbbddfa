package scenarios

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"vaultdrill/checkers"
)

// ciCustody is withdrawal-chaos cut to CI length: two simulated hours,
// courier hops of a minute, half-hour sweep windows, users who retry at
// another wallet node after ten minutes.
var ciCustody = []string{
	"duration=2h", "workload.params.courier_hop=1m", "workload.params.sweep_window=30m", "workload.params.sweep_settle=5m",
	"workload.params.quiet=30m", "workload.params.attempt_timeout=10m", "faults.generate.quiet=30m", "faults.generate.mean_gap=5m",
	"expect.10.params.bound=25m",
}

func runCustody(t *testing.T, seed uint64, sets ...string) *Outcome {
	t.Helper()
	return runDrill(t, "withdrawal-chaos", seed, append(append([]string{"mpc.engine=ideal"}, ciCustody...), sets...)...)
}

func verdictOf(out *Outcome, checker string) checkers.Verdict {
	for _, e := range out.Report.Expectations {
		if e.Result.Checker == checker {
			return e.Result.Verdict
		}
	}
	return ""
}

// A clean CI-length day: everything valid, and the day had what the drill
// is about: withdrawals settled, deposits credited, a sweep and a refill
// through the courier.
func TestWithdrawalChaosClean(t *testing.T) {
	out := runCustody(t, 3)
	if out.Report.Verdict != checkers.Valid {
		t.Fatalf("verdict %s: %+v", out.Report.Verdict, out.Report.Expectations)
	}
	c := out.Report.Custody
	kinds := map[string]int{}
	for _, x := range c.Sweeps {
		if x.State == "settled" {
			kinds[x.Kind]++
		}
	}
	if c.Withdrawals["settled"] < 10 || c.Deposits < 20 || kinds["refill"] == 0 || c.CourierHops == 0 || len(c.Holdings) < 3 {
		t.Fatalf("a thin day: withdrawals %v, deposits %d, transfers %v, courier hops %d, samples %d", c.Withdrawals, c.Deposits, kinds, c.CourierHops, len(c.Holdings))
	}
}

// Each planted pipeline bug is caught by its checker. Faults are switched
// off where the bug needs a particular fault instead (a lost broadcast
// answer) or where random faults would only blur the picture.
func TestCustodyCheckersCatchPlantedBugs(t *testing.T) {
	noFaults := "faults.generate.mean_gap=100h"
	cases := []struct {
		name    string
		sets    []string
		checker string
	}{
		{"a signer that skips the approval check", []string{"mpc.bug=skip-approval-check", "workload.params.attack=tamper-destination"}, checkers.CheckWYSIWYS},
		{"an approval counted for the initiator", []string{"workload.params.bug=count-initiator", "workload.params.staff_every=2"}, checkers.CheckQuorum},
		{"a sweep that leaves cold below 90%", []string{"workload.params.bug=sweep-shortfall", "workload.params.deposit_every=10m", "workload.params.deposit_max=5000000000", noFaults}, checkers.CheckCold},
		{"a retry after a broadcast timeout that pays twice", []string{"workload.params.bug=retry-new-nonce", noFaults,
			"faults.plan=+40m partition-oneway chain-secp256k1 -> wallet-1,wallet-2,wallet-3\n+42m heal"}, checkers.CheckOnce},
		{"a deposit credited at zero confirmations", []string{"workload.params.bug=zero-conf"}, checkers.CheckDeposit},
		{"a cold signer that receives a network message", []string{"workload.params.bug=airgap-bypass"}, checkers.CheckAirgap},
	}
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			found := uint64(0)
			for seed := uint64(1); seed <= 3 && found == 0; seed++ {
				if verdictOf(runCustody(t, seed, tc.sets...), tc.checker) == checkers.Invalid {
					found = seed
				}
			}
			if found == 0 {
				t.Fatalf("%s: %s never invalid in 3 seeds", tc.name, tc.checker)
			}
			// the control: the same run without the bug (the first
			// setting) passes that checker, so the bug is what it caught
			if v := verdictOf(runCustody(t, found, tc.sets[1:]...), tc.checker); v != checkers.Valid {
				t.Fatalf("%s: without the bug, seed %d: %s is %s", tc.name, found, tc.checker, v)
			}
		})
	}
}

// An insider wallet node that swaps the destination after approval gets no
// signature: every signer re-derives the intent from the raw transaction
// and refuses; the users' retries at honest wallet nodes pay what was
// approved, and the run stays valid.
func TestTamperedDestinationRefused(t *testing.T) {
	out := runCustody(t, 1, "workload.params.attack=tamper-destination")
	if out.Report.Verdict != checkers.Valid {
		t.Fatalf("verdict %s: %+v", out.Report.Verdict, out.Report.Expectations)
	}
	if out.Report.Custody.Refused == 0 {
		t.Fatal("no signer refused the tampered transactions")
	}
}

// The same seed gives the same custody report, byte for byte.
func TestCustodyReportDeterministic(t *testing.T) {
	a, b := runCustody(t, 5), runCustody(t, 5)
	if string(a.Report.JSON()) != string(b.Report.JSON()) {
		t.Fatal("same seed, different report")
	}
}

// A region lost with a withdrawal in flight at its wallet node: a dry run
// of the same seed finds a moment wallet-2 is mid-withdrawal (the schedule
// is identical up to the fault), the region goes down then, the user asks
// again at another region's wallet node, every step returns what it
// returned before (the same nonce, the same transaction), and nothing is
// paid twice or lost.
func TestWithdrawalsSurviveRegionLoss(t *testing.T) {
	const seed = 2
	quiet := "faults.generate.mean_gap=100h"
	dry := runCustody(t, seed, quiet)
	var at int64
	var id string
	for _, o := range dry.Observations {
		if o.Kind == "wallet.state" && o.Node == "wallet-2" && o.Fields["state"] == "approving" && o.Time > int64(20*time.Minute) {
			at, id = o.Time, o.Fields["withdrawal"]
			break
		}
	}
	if id == "" {
		t.Fatal("wallet-2 never worked on a withdrawal in the dry run")
	}
	down := time.Duration(at) + time.Second
	plan := fmt.Sprintf("faults.plan=+%v region-down secondary\n+%v region-up secondary", down, down+20*time.Minute)
	out := runCustody(t, seed, quiet, plan)
	if out.Report.Verdict != checkers.Valid {
		t.Fatalf("verdict %s: %+v", out.Report.Verdict, out.Report.Expectations)
	}
	for _, e := range out.History {
		if e.Op == "withdraw" && e.Key == id && e.Kind != "invoke" {
			if e.Kind != "ok" || e.Node == "wallet-2" {
				t.Fatalf("withdrawal %s, in flight at wallet-2 when secondary went down at %v: %s at %s", id, down, e.Kind, e.Node)
			}
			return
		}
	}
	t.Fatalf("withdrawal %s never completed", id)
}

// A fee spike strands transactions under the chain's new minimum fee: the
// wallet bumps them (same nonce, higher fee, re-signed under the same
// approvals), pays each withdrawal once, and charges the house the fee of
// the transaction the chain kept (INV-CONSERVE would catch any other).
func TestFeeBumpsPayOnce(t *testing.T) {
	out := runCustody(t, 6, "faults.generate.mean_gap=100h", "faults.plan=+35m chain-fee-spike 50\n+55m chain-fee-spike 1")
	if out.Report.Verdict != checkers.Valid {
		t.Fatalf("verdict %s: %+v", out.Report.Verdict, out.Report.Expectations)
	}
	bumped := 0
	for _, o := range out.Observations {
		if o.Kind == "chain.tx" && strings.HasPrefix(o.Fields["memo"], "wd:") && o.Fields["fee"] != "10" {
			bumped++
		}
	}
	if bumped == 0 {
		t.Fatal("no withdrawal was paid with a bumped fee during the spike")
	}
}

// The sweeper follows the ledger's leadership: with the primary region
// down, a wallet node of the region the leader moved to sweeps and refills,
// and one refill at a time holds across sweepers.
func TestSweeperFollowsLeader(t *testing.T) {
	out := runCustody(t, 3, "faults.generate.mean_gap=100h", "faults.plan=+20m region-down primary\n+1h20m region-up primary")
	if out.Report.Verdict != checkers.Valid {
		t.Fatalf("verdict %s: %+v", out.Report.Verdict, out.Report.Expectations)
	}
	others, refills := 0, map[string]bool{}
	for _, o := range out.Observations {
		if o.Kind == "wallet.sweep_tick" && o.Node != "wallet-1" && o.Time > int64(20*time.Minute) && o.Time < int64(80*time.Minute) {
			others++
		}
		if o.Kind != "wallet.sweep" || o.Fields["state"] != "requested" {
			continue
		}
		if o.Fields["kind"] == "refill" {
			refills[o.Fields["id"]] = true
		}
	}
	if others == 0 {
		t.Fatal("no other region's wallet node ran a sweep window while primary was down")
	}
	if len(refills) > 1 {
		t.Fatalf("refills %v: more than one in flight", refills)
	}
}

// All audit sinks blocked (attack 9, INV-AUDIT): no custody step is taken
// while no decision can be recorded, the halt is reported, and once the
// sinks are back the pipeline resumes and every withdrawal completes.
func TestAuditOutageHaltsCustody(t *testing.T) {
	const from, until = 40 * time.Minute, 55 * time.Minute
	plan := fmt.Sprintf("faults.plan=+%v audit-outage wallet-1,wallet-2,wallet-3\n+%v audit-restore wallet-1,wallet-2,wallet-3", from, until)
	out := runCustody(t, 4, "faults.generate.mean_gap=100h", plan)
	if out.Report.Verdict != checkers.Valid {
		t.Fatalf("verdict %s: %+v", out.Report.Verdict, out.Report.Expectations)
	}
	// Allow a step that was already under way (a ledger answer in flight)
	// a moment to land.
	inside := func(at int64) bool { return at > int64(from+time.Second) && at < int64(until) }
	var halts, stepsInside, sinkFacts, after int
	for _, o := range out.Observations {
		switch {
		case o.Kind == "audit.halt":
			halts++
		case o.Kind == "world.audit_sinks":
			sinkFacts++
		case (o.Kind == "wallet.state" || o.Kind == "wallet.sweep") && inside(o.Time) && o.Fields["state"] != "signed":
			// (a signature arriving from a committee asked before the
			// outage is no decision of the wallet's; broadcasting it is)
			stepsInside++
			t.Errorf("custody step during the audit outage: %s %v at %v", o.Kind, o.Fields, time.Duration(o.Time))
		case o.Kind == "wallet.state" && o.Fields["state"] == "settled" && o.Time > int64(until):
			after++
		}
	}
	if halts == 0 || sinkFacts != 2 {
		t.Fatalf("halts reported %d, world.audit_sinks facts %d (want down and up)", halts, sinkFacts)
	}
	if after == 0 {
		t.Fatal("no withdrawal settled after the sinks came back")
	}
	t.Logf("halts %d, settled after restore %d", halts, after)
}
