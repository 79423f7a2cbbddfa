package checkers

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
)

// policyChange is one change id's policy.change facts.
type policyChange struct {
	id        string
	first     int   // stream index of its first fact
	proposed  *fact // the first proposed
	approved  []fact
	effective *fact // the first effective
	proposer  string
}

// readChanges groups policy.change facts by change id, in the order the
// changes first appear. The proposer is the proposed fact's proposer
// field, else the user of the first access.decision for op policy whose
// subject is the change.
func readChanges(s *secFacts) []*policyChange {
	by := map[string]*policyChange{}
	var out []*policyChange
	for _, o := range s.of(obsChange) {
		id := o.get("change")
		c := by[id]
		if c == nil {
			c = &policyChange{id: id, first: o.idx}
			by[id] = c
			out = append(out, c)
		}
		o := o
		switch o.get("state") {
		case "proposed":
			if c.proposed == nil {
				c.proposed = &o
				c.proposer = o.get("proposer")
			}
		case "approved":
			c.approved = append(c.approved, o)
		case "effective":
			if c.effective == nil {
				c.effective = &o
			}
		}
	}
	for _, d := range s.of(obsDecision) {
		if c := by[d.get("subject")]; c != nil && d.get("op") == opPolicy && c.proposer == "" {
			c.proposer = d.get("user")
		}
	}
	return out
}

// judgeEffective judges one change that became effective against the
// admins' quorum and time lock: the offending facts, or why it could not
// be judged.
func judgeEffective(c *policyChange, a *adminSet) (bad []OpRef, undecided string) {
	e := c.effective
	if e == nil {
		return nil, ""
	}
	what := fmt.Sprintf("policy change %s (%s = %s)", c.id, e.get("kind"), e.get("value"))
	if c.proposed == nil || c.proposed.idx > e.idx {
		return []OpRef{e.ref(c.id, what+" became effective at "+nsStr(e.Time)+" without a proposal before it")}, ""
	}
	var last *fact
	for i := range c.approved {
		if c.approved[i].idx < e.idx {
			last = &c.approved[i]
		}
	}
	if last == nil {
		return []OpRef{e.ref(c.id, what+" became effective at "+nsStr(e.Time)+" without being approved first")}, ""
	}
	list := e.get("approvers")
	if list == "" {
		list = last.get("approvers")
	}
	counted := map[string]bool{}
	var notAdmin []string
	proposerListed := false
	for _, h := range splitList(list) {
		switch {
		case !a.member[h]:
			notAdmin = append(notAdmin, h)
		case h == c.proposer:
			proposerListed = true
		default:
			counted[h] = true
		}
	}
	n := len(counted)
	if n >= a.quorum && c.proposer == "" && n-1 < a.quorum {
		// Any one of the approvers might be the proposer.
		undecided = fmt.Sprintf("%s: its proposer is unknown (no proposer field, no access.decision for op policy), and %d approvals meet quorum %d only if none is the proposer",
			what, n, a.quorum)
	}
	if n < a.quorum {
		var not []string
		if proposerListed {
			not = append(not, "the proposer "+c.proposer)
		}
		if len(notAdmin) > 0 {
			sort.Strings(notAdmin)
			not = append(not, "non-admins "+strings.Join(notAdmin, ","))
		}
		why := ""
		if len(not) > 0 {
			why = " (not counted: " + strings.Join(not, "; ") + ")"
		}
		bad = append(bad, e.ref(c.id, fmt.Sprintf("%s became effective with %d distinct admins' approvals %v of quorum %d%s; its own quorum field %q",
			what, n, sortedKeys(counted), a.quorum, why, e.get("quorum"))))
	}
	if waited := e.Time - c.proposed.Time; waited < a.timelock {
		bad = append(bad, e.ref(c.id, fmt.Sprintf("%s became effective at %s, %s after its proposal at %s: inside the time lock of %s (effective_at %q)",
			what, nsStr(e.Time), nsStr(waited), nsStr(c.proposed.Time), nsStr(a.timelock), e.get("effective_at"))))
	}
	return bad, undecided
}

// namesChange reports whether an alert names change id: a change field
// equal to it, or the id as a word of its reason.
func namesChange(f fact, id string) bool {
	if id == "" {
		return false
	}
	if f.get("change") == id {
		return true
	}
	words := strings.FieldsFunc(f.get("reason"), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsDigit(r) && r != '-' && r != '_' && r != '.' && r != ':'
	})
	for _, w := range words {
		if strings.TrimRight(w, ".:") == id {
			return true
		}
	}
	return false
}

// Policy (INV-POLICY): every policy.change that becomes effective was
// proposed, then approved by at least world.admins' policy_quorum distinct
// admins (the approvers field of its effective fact, else of its last
// approved fact; the proposer and non-admins not counted), and became
// effective (the time of its effective fact) no earlier than timelock_ms
// after its first proposed fact. For every proposed change, an
// access.alert notifying admins names it (a change field equal to its id,
// or its id as a word of the reason) between its proposal and the end of
// the time lock. The proposer is the proposed fact's proposer field, else
// the user of the access.decision for op policy on the change; when it is
// unknown and only its exclusion decides the quorum, the verdict is
// Unknown.
func Policy(in Input) Result {
	res := Result{Checker: CheckPolicy, Measured: map[string]int64{}}
	s := readSecurity(in)
	switch {
	case s.adminsErr != nil:
		return unknown(res, "world.admins unreadable: "+s.adminsErr.Error())
	case s.admins == nil:
		return unknown(res, "no admins (world.admins): no quorum or time lock to judge against")
	}
	a := s.admins
	res.Measured["quorum"], res.Measured["timelock_ms"] = int64(a.quorum), a.timelock/1e6
	alerts := s.of(obsAlert)
	var bad []OpRef
	var undecided []string
	for _, c := range readChanges(s) {
		res.Measured["changes"]++
		if c.proposed != nil {
			res.Measured["proposed"]++
			p := c.proposed
			alerted := false
			for _, al := range alerts {
				if al.Time >= p.Time && al.Time <= p.Time+a.timelock && hasItem(al.get("notify"), "admins") && namesChange(al, c.id) {
					alerted = true
					break
				}
			}
			if alerted {
				res.Measured["admins_alerted"]++
			} else {
				bad = append(bad, p.ref(c.id, fmt.Sprintf("policy change %s (%s = %s) proposed at %s by %s: no access.alert notifying admins named it within the time lock of %s",
					c.id, p.get("kind"), p.get("value"), nsStr(p.Time), orNone(c.proposer), nsStr(a.timelock))))
			}
		}
		if c.effective == nil {
			continue
		}
		res.Measured["effective"]++
		b, u := judgeEffective(c, a)
		bad = append(bad, b...)
		if u != "" {
			undecided = append(undecided, u)
		}
	}
	if len(bad) == 0 && len(undecided) > 0 {
		return unknown(res, fmt.Sprintf("%d effective changes could not be judged (first: %s)", len(undecided), undecided[0]))
	}
	return finishInTime(res, bad, "policy-change rule violations",
		fmt.Sprintf("%d policy changes proposed, %d effective, each after %d distinct admins besides its proposer and the %s time lock; admins alerted of each within the lock",
			res.Measured["proposed"], res.Measured["effective"], a.quorum, nsStr(a.timelock)))
}
