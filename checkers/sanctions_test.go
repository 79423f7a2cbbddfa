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
	run("a deposit from it credited to the hold account", Valid, l1, cuTx(2*m, "d1", evil, cuHot, 40, 1, "dep:u1", 13),
		cuApply(3*m, "ledger-1", "deposit", "house-held", 40, "dep:d1", "ok", 40))
	run("held first, then credited to the user (dup: not applied)", Valid, l1, cuTx(2*m, "d1", evil, cuHot, 40, 1, "dep:u1", 13),
		cuApply(3*m, "ledger-1", "deposit", "house-held", 40, "dep:d1", "ok", 40), cuApply(4*m, "ledger-1", "deposit", "u1", 40, "dep:d1", "dup", 40))
	failOpen := ob(2*m+1, "wallet-1", "wallet.screen", "deposit", "d2", "from", cuUser, "decision", "allow", "list", "", "reason", "screening error: no sanctions list", "error", "1", "account", "u1")
	run("a clean deposit credited on a screening error", Invalid, l1, cuTx(2*m, "d2", cuUser, cuHot, 40, 1, "dep:u1", 13), failOpen,
		cuApply(3*m, "ledger-1", "deposit", "u1", 40, "dep:d2", "ok", 40))
	waited := ob(2*m+1, "wallet-1", "wallet.screen", "deposit", "d2", "from", cuUser, "decision", "hold", "list", "", "reason", "screening error: no sanctions list", "error", "1", "account", "")
	cleared := ob(8*m, "wallet-1", "wallet.screen", "deposit", "d2", "from", cuUser, "decision", "allow", "list", "sanctions-v1", "reason", "", "error", "0", "account", "u1")
	run("a deposit that waited out a screening error, then was screened and credited", Valid, l1, cuTx(2*m, "d2", cuUser, cuHot, 40, 1, "dep:u1", 13), waited,
		cleared, cuApply(9*m, "ledger-1", "deposit", "u1", 40, "dep:d2", "ok", 40))
	run("a deposit held on a screening error, then credited with no screen allowing it", Invalid, l1, cuTx(2*m, "d2", cuUser, cuHot, 40, 1, "dep:u1", 13), waited,
		cuApply(9*m, "ledger-1", "deposit", "u1", 40, "dep:d2", "ok", 40))
	if got := Sanctions(Input{Observations: cuWorld()}); got.Verdict != Unknown {
		t.Errorf("no list: %s, want unknown", got.Verdict)
	}
}
