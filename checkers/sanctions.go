package checkers

import (
	"fmt"
	"sort"
	"strings"
)

// CheckSanctions is INV-SANCTIONS (the withdrawal and deposit halves).
const CheckSanctions = "INV-SANCTIONS"

// canonAddr restates the list's address normalization: case, a "0x" after
// the two-letter prefix, and separators (spaces, '-', ':', '_') do not make
// another address.
func canonAddr(a string) string {
	a = strings.ToLower(strings.TrimSpace(a))
	a = strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', ':', '_', '\t':
			return -1
		}
		return r
	}, a)
	if len(a) > 4 && a[2:4] == "0x" {
		a = a[:2] + a[4:]
	}
	return a
}

// Sanctions: no custody outflow pays an address the sanctions list in force
// at that time names (in any formatting variant), and no deposit from such
// an address is credited to a user. The list comes from "world.sanctions"
// facts (version, addresses, comma-separated), each replacing the one
// before from its time on: a list update mid-run applies from then.
//
// A deposit is credited by its first ledger.apply ok under idem dep:TXID;
// one applied to the house's hold account (house-held) is held, not
// credited. And a deposit is not credited on a screening error: a
// wallet.screen fact for the deposit with error=1 and decision allow (a
// screener that failed open) followed by its credit is a violation
// whatever the sender, since fail closed is part of the invariant.
func Sanctions(in Input) Result {
	res := Result{Checker: CheckSanctions, Measured: map[string]int64{}}
	type listAt struct {
		at      int64
		version string
		set     map[string]bool
	}
	var lists []listAt
	for _, o := range in.Observations {
		if o.Kind != "world.sanctions" {
			continue
		}
		l := listAt{at: o.Time, version: o.Fields["version"], set: map[string]bool{}}
		for _, a := range strings.Split(o.Fields["addresses"], ",") {
			if a != "" {
				l.set[canonAddr(a)] = true
			}
		}
		lists = append(lists, l)
	}
	if len(lists) == 0 {
		return unknown(res, "no sanctions list (world.sanctions): nothing to judge")
	}
	listOf := func(t int64) *listAt {
		var cur *listAt
		for i := range lists {
			if lists[i].at <= t {
				cur = &lists[i]
			}
		}
		return cur
	}
	c := readCustody(in)
	if len(c.wallets) == 0 {
		return unknown(res, "no custody addresses (world.custody): nothing to judge")
	}
	var bad []OpRef
	for _, t := range c.custodyOutflows() {
		res.Measured["outflows"]++
		if l := listOf(t.at); l != nil && l.set[canonAddr(t.to)] {
			bad = append(bad, OpRef{Index: -1, Process: -1, Op: "chain.tx", Key: t.memo, Time: t.at,
				Desc: fmt.Sprintf("custody paid %d to %s, sanctioned by list %s (tx %s, %s)", t.amount, t.to, l.version, t.txid, t.memo)})
		}
	}
	// deposits: a ledger credit under dep:TXID whose mined transaction came
	// from a sanctioned address
	from := map[string]minedTx{}
	for _, t := range c.mined {
		from[t.txid] = t
	}
	credited := map[string]bool{}
	failedOpen := map[string]string{} // deposit txid -> the error its screening allowed it on
	cleared := map[string]bool{}      // deposit txid -> a screen allowed it, without error
	screensDeposits := false
	for _, o := range in.Observations {
		if o.Kind == "wallet.screen" && o.Fields["deposit"] != "" {
			screensDeposits = true
			if o.Fields["decision"] == "allow" && o.Fields["error"] != "1" {
				cleared[o.Fields["deposit"]] = true
			}
		}
	}
	for _, o := range in.Observations {
		if o.Kind == "wallet.screen" && o.Fields["deposit"] != "" && o.Fields["error"] == "1" && o.Fields["decision"] == "allow" {
			if _, ok := failedOpen[o.Fields["deposit"]]; !ok {
				failedOpen[o.Fields["deposit"]] = o.Fields["reason"]
			}
		}
		txid, ok := strings.CutPrefix(o.Fields["idem"], "dep:")
		if o.Kind != "ledger.apply" || !ok || o.Fields["result"] != "ok" || credited[txid] {
			continue
		}
		credited[txid] = true
		if o.Fields["account"] == houseHeld {
			res.Measured["held"]++
			continue
		}
		res.Measured["credits"]++
		if why, ok := failedOpen[txid]; ok {
			bad = append(bad, OpRef{Index: -1, Process: -1, Op: "credit", Key: txid, Time: o.Time,
				Desc: fmt.Sprintf("deposit %s credited to %s although its screening failed (%s): fail open", txid, o.Fields["account"], why)})
		} else if screensDeposits && !cleared[txid] {
			bad = append(bad, OpRef{Index: -1, Process: -1, Op: "credit", Key: txid, Time: o.Time,
				Desc: fmt.Sprintf("deposit %s credited to %s unscreened: no screening allowed it", txid, o.Fields["account"])})
		}
		t, mined := from[txid]
		if l := listOf(o.Time); mined && l != nil && l.set[canonAddr(t.from)] {
			bad = append(bad, OpRef{Index: -1, Process: -1, Op: "credit", Key: txid, Time: o.Time,
				Desc: fmt.Sprintf("deposit %s from %s, sanctioned by list %s, credited to %s", txid, t.from, l.version, o.Fields["account"])})
		}
	}
	if len(bad) > 0 {
		sort.SliceStable(bad, func(i, j int) bool { return bad[i].Time < bad[j].Time })
		if len(bad) > FirstMax {
			bad = bad[:FirstMax]
		}
		res.Verdict, res.First = Invalid, bad
		res.Summary = "funds moved to or from a sanctioned address, or credited unscreened: " + bad[0].Desc
		return res
	}
	res.Verdict = Valid
	res.Summary = fmt.Sprintf("%d custody outflows and %d credited deposits, none to or from an address on the list in force, none on a screening error; %d deposits held (%d list versions)",
		res.Measured["outflows"], res.Measured["credits"], res.Measured["held"], len(lists))
	return res
}
