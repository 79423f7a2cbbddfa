package scenarios

import (
	"strings"
	"testing"

	"vaultdrill/checkers"
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
