package checkers

import (
	"testing"
	"time"

	"vaultdrill/checkers/history"
)

// INV-SANCTIONS catches a payment to a listed address in any formatting
// variant, and a credited deposit from one; a list update applies from its
// time on.
func TestSanctionsCatchesPlantedViolations(t *testing.T) {
	m := time.Minute
	const evil = "k1eeee000000000000000000000000000000000000"
	variant := "  K1-0xEEEE0000:" + "00000000000000000000000000000000" + " "
	l1 := ob(0, "", "world.sanctions", "version", "v1", "addresses", evil)
	empty := ob(0, "", "world.sanctions", "version", "v0", "addresses", "")
	update := ob(10*m, "", "world.sanctions", "version", "v2", "addresses", evil)
	run := func(name string, want Verdict, extra ...history.Observation) {
		t.Helper()
		if got := Sanctions(Input{Observations: cuWorld(extra...)}); got.Verdict != want {
			t.Errorf("%s: %s (%s), want %s", name, got.Verdict, got.Summary, want)
		}
	}
	run("clean", Valid, l1, cuPay(2*m, "t1", "w1", cuUser, 50, 1))
	run("a screening that fails open pays a sanctioned address", Invalid, l1, cuPay(2*m, "t1", "w1", evil, 50, 1))
	run("the address listed in another format", Invalid, ob(0, "", "world.sanctions", "version", "v1", "addresses", variant), cuPay(2*m, "t1", "w1", evil, 50, 1))
	run("paid before the list named it", Valid, empty, update, cuPay(2*m, "t1", "w1", evil, 50, 1))
	run("paid after the update named it", Invalid, empty, update, cuPay(12*m, "t1", "w1", evil, 50, 1))
	run("a deposit from a sanctioned address credited", Invalid, l1, cuTx(2*m, "d1", evil, cuHot, 40, 1, "dep:u1", 13),
		cuApply(3*m, "ledger-1", "deposit", "u1", 40, "dep:d1", "ok", 40))
	run("a deposit from it held", Valid, l1, cuTx(2*m, "d1", evil, cuHot, 40, 1, "dep:u1", 13))
	if got := Sanctions(Input{Observations: cuWorld()}); got.Verdict != Unknown {
		t.Errorf("no list: %s, want unknown", got.Verdict)
	}
}
