package checkers

import (
	"fmt"
	"strings"
)

// Frozen (INV-FROZEN): a frozen account moves no funds, automation may
// freeze but only a human review releases, and every freeze has a review
// case.
//
// An account is frozen from each risk.freeze until the risk.release of the
// same account and case: a release naming another case lifts nothing, so
// an account frozen under two cases stays frozen until both are released.
// While frozen, no withdrawal is reserved from it (the first ledger.apply
// ok under idem wd:ID whose account is the frozen one). Every risk.release
// is by a reviewer (not empty, not automation) and closes a case opened
// for that account: a risk.case open with that case id and account came
// before it, no risk.case closed the case confirming the freeze before it,
// and a risk.case closes it with decision release. Every risk.freeze has a
// risk.case open for its account (with its case id, when it names one)
// that was not already closed when the freeze came.
func Frozen(in Input) Result {
	res := Result{Checker: CheckFrozen, Measured: map[string]int64{}}
	s := readSecurity(in)
	if !s.any(obsScore, obsFreeze, obsRelease, obsCase) {
		return unknown(res, "the risk engine reported nothing (no risk.score, risk.freeze, risk.release or risk.case): nothing to judge")
	}
	type caseLife struct {
		open      *fact
		confirmed *fact // first close with decision confirm
		released  *fact // first close with decision release
		closed    *fact // first close of any kind
	}
	cases := map[string]*caseLife{}
	caseOf := func(id string) *caseLife {
		c := cases[id]
		if c == nil {
			c = &caseLife{}
			cases[id] = c
		}
		return c
	}
	for _, o := range s.of(obsCase) {
		c := caseOf(o.get("case"))
		o := o
		switch o.get("state") {
		case "open":
			if c.open == nil {
				c.open = &o
				res.Measured["cases_opened"]++
			}
		case "closed":
			if c.closed == nil {
				c.closed = &o
				res.Measured["cases_closed"]++
			}
			switch o.get("decision") {
			case "confirm":
				if c.confirmed == nil {
					c.confirmed = &o
				}
			case "release":
				if c.released == nil {
					c.released = &o
				}
			}
		}
	}
	// openCaseFor finds a case opened for account (with id, when given)
	// and not closed before idx.
	openCaseFor := func(account, id string, idx int) bool {
		ok := func(c *caseLife) bool {
			return c != nil && c.open != nil && c.open.get("account") == account && (c.closed == nil || c.closed.idx > idx)
		}
		if id != "" {
			return ok(cases[id])
		}
		for _, k := range sortedKeys(cases) {
			if ok(cases[k]) {
				return true
			}
		}
		return false
	}
	reserveAt := map[int]reserve{}
	for _, r := range s.reserves() {
		reserveAt[r.idx] = r
	}
	frozen := map[string]map[string]fact{} // account -> case -> its freeze
	var bad []OpRef
	for i, o := range in.Observations {
		f := fact{idx: i, Observation: o}
		account := f.get("account")
		switch o.Kind {
		case obsFreeze:
			res.Measured["freezes"]++
			if f.get("by") == byAutomation {
				res.Measured["freezes_by_automation"]++
			}
			if frozen[account] == nil {
				frozen[account] = map[string]fact{}
			}
			if _, again := frozen[account][f.get("case")]; !again {
				frozen[account][f.get("case")] = f
			}
			if !openCaseFor(account, f.get("case"), i) {
				bad = append(bad, f.ref(account, fmt.Sprintf("account %s frozen by %s at %s with no review case open for it (case %q)",
					account, orNone(f.get("by")), nsStr(f.Time), f.get("case"))))
			}
		case obsRelease:
			res.Measured["releases"]++
			id, by := f.get("case"), f.get("by")
			delete(frozen[account], id)
			c := cases[id]
			var why []string
			if by == "" || by == byAutomation {
				why = append(why, fmt.Sprintf("released by %s, not a reviewer", orNone(by)))
			}
			switch {
			case id == "":
				why = append(why, "names no case")
			case c == nil || c.open == nil || c.open.idx > i:
				why = append(why, fmt.Sprintf("case %s was never opened before it", id))
			case c.open.get("account") != account:
				why = append(why, fmt.Sprintf("case %s was opened for account %s", id, c.open.get("account")))
			case c.confirmed != nil && c.confirmed.idx < i:
				why = append(why, fmt.Sprintf("case %s was closed at %s confirming the freeze", id, nsStr(c.confirmed.Time)))
			case c.released == nil:
				why = append(why, fmt.Sprintf("no risk.case closes case %s with decision release", id))
			}
			if len(why) > 0 {
				bad = append(bad, f.ref(account, fmt.Sprintf("release of account %s at %s (case %q): %s",
					account, nsStr(f.Time), id, strings.Join(why, "; "))))
			}
		case obsApply:
			r, ok := reserveAt[i]
			if !ok {
				continue
			}
			res.Measured["withdrawals"]++
			if fr := frozen[account]; len(fr) > 0 {
				res.Measured["while_frozen"]++
				first := fr[sortedKeys(fr)[0]]
				bad = append(bad, f.ref(r.id, fmt.Sprintf("withdrawal %s reserved (%s ledger.apply wd:%s ok, amount %s) from account %s while frozen since %s by %s (case %q)",
					r.id, o.Node, r.id, f.get("amount"), account, nsStr(first.Time), orNone(first.get("by")), first.get("case"))))
			}
		}
	}
	for _, a := range sortedKeys(frozen) {
		if len(frozen[a]) > 0 {
			res.Measured["frozen_at_end"]++
		}
	}
	return finishInTime(res, bad, "freeze rule violations",
		fmt.Sprintf("%d freezes (%d by automation), each with a review case; %d releases, each by a reviewer closing its case; %d withdrawals reserved, none from a frozen account",
			res.Measured["freezes"], res.Measured["freezes_by_automation"], res.Measured["releases"], res.Measured["withdrawals"]))
}
