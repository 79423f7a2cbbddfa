package scenarios

import (
	"strings"
	"testing"

	"vaultdrill/checkers"
)

// mustResult returns the expectation result of a checker id.
func mustResult(t *testing.T, out *Outcome, checker string) checkers.Result {
	t.Helper()
	for _, e := range out.Report.Expectations {
		if e.Result.Checker == checker {
			return e.Result
		}
	}
	t.Fatalf("no expectation %s in the report", checker)
	return checkers.Result{}
}

// countObs counts observations of kind whose fields include every k=v.
func countObs(out *Outcome, kind string, kv ...string) int {
	n := 0
next:
	for _, o := range out.Observations {
		if o.Kind != kind {
			continue
		}
		for _, x := range kv {
			k, v, _ := strings.Cut(x, "=")
			if o.Fields[k] != v {
				continue next
			}
		}
		n++
	}
	return n
}

// The insider drill as shipped is valid, and valid for the right
// reasons: both attacks were tried and answered in time, the insider's
// changes expired, the benign change took effect at every wallet node,
// and the insider's withdrawal failed at the approval deadline.
func TestInsider(t *testing.T) {
	out := runDrill(t, "insider", 1)
	if out.Report.Verdict != checkers.Valid {
		t.Fatalf("verdict %s: %+v", out.Report.Verdict, out.Report.Expectations)
	}
	for _, id := range []string{"insider-policy", "self-approval"} {
		if r := mustResult(t, out, checkers.CheckAttack+":"+id); r.Measured["detected"] != 1 || r.Measured["effects"] != 0 {
			t.Fatalf("attack %s: %+v", id, r.Measured)
		}
	}
	if n := countObs(out, "policy.change", "change="+insiderQuorum, "state=rejected"); n != 1 {
		t.Fatalf("the insider's quorum change was not rejected (%d)", n)
	}
	if n := countObs(out, "policy.change", "change="+insiderWhitelist, "state=approved"); n != 1 {
		t.Fatalf("the rubber-stamped whitelisting did not reach its quorum (%d): the time lock was not what stopped it", n)
	}
	if n := countObs(out, "policy.change", "change="+insiderWhitelist, "state=rejected", "reason=vetoed by h5 inside the time lock"); n != 1 {
		t.Fatalf("the whitelisting was not vetoed inside its time lock (%d)", n)
	}
	if n := countObs(out, "policy.change", "state=effective"); n != 2 {
		t.Fatalf("%d changes effective, want only %s and %s", n, benignChange, benignQuorum)
	}
	if n := countObs(out, "wallet.policy", "change="+benignChange, "result=applied"); n != 3 {
		t.Fatalf("the benign change applied at %d wallet nodes, want 3", n)
	}
	if n := countObs(out, "wallet.policy", "change="+benignQuorum, "result=applied", "version=policy-v1+"+benignQuorum); n != 3 {
		t.Fatalf("the benign quorum change applied at %d wallet nodes, want 3", n)
	}
	// after the quorum change, withdrawals are still paid: the signers
	// derived the new policy from the certified change (else they refuse
	// every approval, signed under the new version)
	var effective int64
	for _, o := range out.Observations {
		if o.Kind == "wallet.policy" && o.Fields["change"] == benignQuorum && effective == 0 {
			effective = o.Time
		}
	}
	invokedAfter := map[string]bool{}
	paidAfter := 0
	for _, e := range out.History {
		switch {
		case e.Op == "withdraw" && e.Kind == "invoke" && e.Time > effective:
			invokedAfter[e.Key] = true
		case e.Op == "withdraw" && e.Kind == "ok" && invokedAfter[e.Key]:
			paidAfter++
		}
	}
	if effective == 0 || paidAfter == 0 {
		t.Fatalf("no withdrawal asked after the quorum change (at %d) was paid", effective)
	}
	if n := countObs(out, "access.alert", "attack=self-approval", "withdrawal="+insiderWithdrawal, "notify=security"); n < 2 {
		t.Fatalf("%d self-approval alerts, want one per insider device", n)
	}
	failed := false
	for _, e := range out.History {
		if e.Op == "withdraw" && e.Key == insiderWithdrawal && e.Kind == "fail" && strings.Contains(e.Error, "approvals expired") {
			failed = true
		}
	}
	if !failed {
		t.Fatal("the insider's withdrawal did not fail at the approval deadline")
	}
}

// insiderCaught runs the drill with a planted weakness and wants the
// named checker invalid, its first offence mentioning want.
func insiderCaught(t *testing.T, bug, checker, want string) {
	t.Helper()
	out := runDrill(t, "insider", 1, "workload.params.bug="+bug)
	if out.Report.Verdict != checkers.Invalid {
		t.Fatalf("%s: verdict %s", bug, out.Report.Verdict)
	}
	r := mustResult(t, out, checker)
	if r.Verdict != checkers.Invalid || len(r.First) == 0 || !strings.Contains(r.First[0].Desc, want) {
		t.Fatalf("%s: %s is %s, first %+v; want an offence naming %q", bug, checker, r.Verdict, r.First, want)
	}
}

func TestInsiderNoTimelockCaught(t *testing.T) {
	insiderCaught(t, "no-timelock", checkers.CheckPolicy, "inside the time lock")
	// and the insider's rubber-stamped whitelisting takes effect before
	// the veto can stop it: the attack's own expectation names it
	insiderCaught(t, "no-timelock", checkers.CheckAttack+":insider-policy", "policy change "+insiderWhitelist)
}

func TestInsiderCountProposerCaught(t *testing.T) {
	insiderCaught(t, "count-proposer", checkers.CheckPolicy, "(not counted: the proposer h2)")
}

func TestInsiderSelfApprovalCaught(t *testing.T) {
	insiderCaught(t, "count-initiator", checkers.CheckAttack+":self-approval", "withdrawal "+insiderWithdrawal+", labeled self-approval, paid on chain")
}

// The same seed gives the same insider report, byte for byte (cut to the
// attacks: both happen in the first hour).
func TestInsiderReportDeterministic(t *testing.T) {
	sets := []string{"duration=75m", "workload.params.quiet=10m", "faults.plan=+40m crash wallet-1\n+42m restart wallet-1", "expect.8.params.bound=60m"}
	a, b := runDrill(t, "insider", 2, sets...), runDrill(t, "insider", 2, sets...)
	if string(a.Report.JSON()) != string(b.Report.JSON()) {
		t.Fatal("same seed, different report")
	}
}

// Governance parameters are checked when the drill loads.
func TestInsiderParamsValidated(t *testing.T) {
	for _, set := range []string{"workload.params.admins=3", "workload.params.admins=9", "workload.params.timelock=0s"} {
		if _, err := Load("insider", []string{set}); err == nil {
			t.Errorf("%s: loaded", set)
		}
	}
	if _, err := Load("withdrawal-chaos", []string{"workload.params.bug=no-timelock"}); err == nil || !strings.Contains(err.Error(), "admins") {
		t.Errorf("a governance weakness without admins: %v", err)
	}
}
