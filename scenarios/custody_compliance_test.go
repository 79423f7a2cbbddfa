package scenarios

import (
	"strings"
	"testing"
	"time"

	"vaultdrill/checkers"
	"vaultdrill/checkers/history"
)

// Withdrawals to sanctioned or mixer addresses (listed in formatting
// variants) are stopped by the screening hook before any funds move; a
// sanctions list update mid-run applies from its time; INV-SANCTIONS holds.
func TestSanctionedWithdrawalsStopped(t *testing.T) {
	out := runCustody(t, 2, "workload.params.sanctioned_every=3", "workload.params.sanctions_update=50m")
	if out.Report.Verdict != checkers.Valid {
		t.Fatalf("verdict %s: %+v", out.Report.Verdict, out.Report.Expectations)
	}
	if verdictOf(out, checkers.CheckSanctions) != checkers.Valid {
		t.Fatal("INV-SANCTIONS was not judged")
	}
	denied := 0
	for _, e := range out.History {
		if e.Op == "withdraw" && e.Kind == "fail" && strings.Contains(e.Error, "compliance:") {
			denied++
		}
	}
	if denied == 0 {
		t.Fatal("no withdrawal to a sanctioned address was attempted and stopped")
	}
}

// A screening service outage fails closed; the planted fail-open screener
// pays sanctioned addresses during it, and INV-SANCTIONS names the payment.
func TestScreeningFailsClosed(t *testing.T) {
	sets := []string{"workload.params.sanctioned_every=2", "workload.params.screening_outage_at=30m", "workload.params.screening_outage_for=40m"}
	good := runCustody(t, 2, sets...)
	if v := verdictOf(good, checkers.CheckSanctions); v != checkers.Valid || good.Report.Verdict != checkers.Valid {
		t.Fatalf("fail-closed screening: %s, run %s", v, good.Report.Verdict)
	}
	held := 0
	for _, e := range good.History {
		if e.Op == "withdraw" && e.Kind == "fail" && strings.Contains(e.Error, "compliance: hold") {
			held++
		}
	}
	if held == 0 {
		t.Fatal("no withdrawal was held during the screening outage")
	}
	bad := runCustody(t, 2, append(sets, "workload.params.bug=fail-open")...)
	if v := verdictOf(bad, checkers.CheckSanctions); v != checkers.Invalid {
		t.Fatalf("fail-open screening: INV-SANCTIONS %s, want invalid", v)
	}
}

// depositScreens returns the wallet.screen facts about deposits.
func depositScreens(out *Outcome) []map[string]string {
	var fs []map[string]string
	for _, o := range out.Observations {
		if o.Kind == "wallet.screen" && o.Fields["deposit"] != "" {
			fs = append(fs, o.Fields)
		}
	}
	return fs
}

// firstCredit returns the account and time of each deposit's first
// applied ledger credit (idem dep:TXID, result ok).
func firstCredits(out *Outcome) map[string]history.Observation {
	m := map[string]history.Observation{}
	for _, o := range out.Observations {
		txid, ok := strings.CutPrefix(o.Fields["idem"], "dep:")
		if o.Kind == "ledger.apply" && ok && o.Fields["result"] == "ok" {
			if _, seen := m[txid]; !seen {
				m[txid] = o
			}
		}
	}
	return m
}

// Deposits paid into users' accounts by sanctioned and mixer parties are
// screened before the credit and go to the house's hold account, with the
// decision and the list version on record; the books still balance.
func TestSanctionedDepositsHeld(t *testing.T) {
	out := runCustody(t, 2, "workload.params.sanctioned_deposit_every=3", "workload.params.sanctions_update=50m")
	if out.Report.Verdict != checkers.Valid {
		t.Fatalf("verdict %s: %+v", out.Report.Verdict, out.Report.Expectations)
	}
	credits := firstCredits(out)
	held, allowed := 0, 0
	for _, f := range depositScreens(out) {
		switch f["decision"] {
		case "deny", "hold":
			if f["list"] == "" || f["account"] != "house-held" {
				t.Errorf("held deposit without its list version or hold account: %v", f)
			}
			if c, ok := credits[f["deposit"]]; !ok || c.Fields["account"] != "house-held" {
				t.Errorf("held deposit %s applied as %v", f["deposit"], c.Fields)
			}
			held++
		case "allow":
			allowed++
		}
	}
	if held == 0 || allowed == 0 {
		t.Fatalf("%d deposits held and %d allowed: want both", held, allowed)
	}
	r := resultOf(out, checkers.CheckSanctions)
	if r.Measured["held"] == 0 {
		t.Errorf("INV-SANCTIONS saw no held deposit: %s", r.Summary)
	}
	t.Logf("%d held, %d allowed; %s", held, allowed, r.Summary)
}

// A screening outage holds every deposit (nothing credited on an error),
// which is credited or held once screening answers again; the planted
// fail-open screener credits a sanctioned party's deposit to the user
// during the outage, and INV-SANCTIONS names it.
func TestDepositScreeningOutage(t *testing.T) {
	const at, span = 30 * time.Minute, 40 * time.Minute
	sets := []string{"workload.params.sanctioned_deposit_every=2", "workload.params.screening_outage_at=30m", "workload.params.screening_outage_for=40m"}
	good := runCustody(t, 2, sets...)
	if v := verdictOf(good, checkers.CheckSanctions); v != checkers.Valid || good.Report.Verdict != checkers.Valid {
		t.Fatalf("fail-closed deposit screening: %s, run %s: %+v", v, good.Report.Verdict, good.Report.Expectations)
	}
	credits := firstCredits(good)
	waited, creditedAfter := 0, 0
	for _, f := range depositScreens(good) {
		if f["error"] != "1" {
			continue
		}
		if f["decision"] != "hold" {
			t.Fatalf("screening error decided %s: %v", f["decision"], f)
		}
		waited++
		c, ok := credits[f["deposit"]]
		if ok && c.Time < int64(at+span) {
			t.Errorf("deposit %s credited at %v, during the outage", f["deposit"], time.Duration(c.Time))
		}
		if ok {
			creditedAfter++
		}
	}
	if waited == 0 || creditedAfter == 0 {
		t.Fatalf("%d deposits waited for screening, %d of them decided after it came back: want both", waited, creditedAfter)
	}
	bad := runCustody(t, 2, append(sets, "workload.params.bug=fail-open")...)
	r := resultOf(bad, checkers.CheckSanctions)
	if r.Verdict != checkers.Invalid {
		t.Fatalf("fail-open deposit screening: INV-SANCTIONS %s (%s), want invalid", r.Verdict, r.Summary)
	}
	named := false
	for _, f := range r.First {
		if f.Op == "credit" && strings.Contains(f.Desc, "deposit "+f.Key) {
			named = true
		}
	}
	if !named {
		t.Fatalf("INV-SANCTIONS did not name a credited deposit: %s %+v", r.Summary, r.First)
	}
	t.Logf("%d deposits waited out the outage; fail-open: %s", waited, r.Summary)
}
