package checkers

import (
	"fmt"
	"strconv"
)

// OTP (INV-OTP): a TOTP code is accepted at most once per user and time
// step, and only within the user's window (world.user totp_window steps
// either side of the step of the acceptance's true time,
// floor(time / totp_step_ms)). An accepted step that is not a decimal, or
// one of a user the world never registered, leaves the verdict Unknown
// when nothing else is wrong.
func OTP(in Input) Result {
	res := Result{Checker: CheckOTP, Measured: map[string]int64{}}
	s := readSecurity(in)
	if len(s.users) == 0 {
		if len(s.userErrs) > 0 {
			return unknown(res, "world.user unreadable: "+s.userErrs[0])
		}
		return unknown(res, "no users (world.user): no TOTP step or window to judge against")
	}
	first := map[string]fact{} // user/step -> its first accept
	rejects := map[string]int64{}
	var bad []OpRef
	var unjudged []string
	for _, o := range s.of(obsOTP) {
		user := o.get("user")
		if o.get("result") != "accept" {
			res.Measured["rejected"]++
			rejects[otpReason(o.get("reason"))]++
			continue
		}
		res.Measured["accepted"]++
		step, err := strconv.ParseInt(o.get("step"), 10, 64)
		if err != nil {
			unjudged = append(unjudged, fmt.Sprintf("user %s: step %q at %s", user, o.get("step"), nsStr(o.Time)))
			continue
		}
		k := user + "\x00" + strconv.FormatInt(step, 10)
		if prev, dup := first[k]; dup {
			res.Measured["replays_accepted"]++
			bad = append(bad, o.ref(user, fmt.Sprintf("user %s's TOTP step %d accepted again at %s (first accepted at %s on %s)",
				user, step, nsStr(o.Time), nsStr(prev.Time), prev.Node)))
		} else {
			first[k] = o
		}
		u, ok := s.users[user]
		if !ok {
			unjudged = append(unjudged, fmt.Sprintf("user %s has no world.user", user))
			continue
		}
		now := floorDiv(o.Time, u.step)
		if d := abs64(step - now); d > u.window {
			res.Measured["out_of_window"]++
			bad = append(bad, o.ref(user, fmt.Sprintf("user %s's code for step %d accepted at %s, true step %d: %d steps away, window %d",
				user, step, nsStr(o.Time), now, d, u.window)))
		}
	}
	if len(bad) == 0 && len(unjudged) > 0 {
		return unknown(res, fmt.Sprintf("%d accepted codes could not be judged (first: %s)", len(unjudged), unjudged[0]))
	}
	return finishInTime(res, bad, "TOTP acceptances broken (a step twice, or outside the window)",
		fmt.Sprintf("%d TOTP codes accepted, each once per user and step and within its window; %d rejected (%s)",
			res.Measured["accepted"], res.Measured["rejected"], countsOf(rejects)))
}

// otpReason folds a reject reason into the vocabulary's set.
func otpReason(r string) string {
	switch r {
	case "replay", "window", "wrong", "locked", "clock":
		return r
	}
	return "other"
}

// challenges is every step-up challenge, as access.stepup told it.
type challenges map[string]*challenge

type challenge struct {
	issue   *fact  // the first issue
	expires int64  // ns, from the issue
	expErr  string // why expires did not parse
	accepts []fact // in stream order
}

func readChallenges(s *secFacts) challenges {
	cs := challenges{}
	for _, o := range s.of(obsStepUp) {
		id := o.get("challenge")
		c := cs[id]
		if c == nil {
			c = &challenge{}
			cs[id] = c
		}
		switch o.get("result") {
		case "issue":
			if c.issue == nil {
				o := o
				c.issue = &o
				e, err := strconv.ParseInt(o.get("expires"), 10, 64)
				if err != nil {
					c.expErr = fmt.Sprintf("expires %q", o.get("expires"))
				}
				c.expires = e
			}
		case "accept":
			c.accepts = append(c.accepts, o)
		}
	}
	return cs
}

// bound names what a challenge or a decision is for.
func bound(f fact) string {
	return fmt.Sprintf("user %s op %s params %s", f.get("user"), f.get("op"), abbrev(f.get("params")))
}

func sameBinding(a, b fact) bool {
	return a.get("user") == b.get("user") && a.get("op") == b.get("op") && a.get("params") == b.get("params")
}

// acceptProblem is what is wrong with one accept of a challenge, or "".
func (cs challenges) acceptProblem(id string, a fact) string {
	c := cs[id]
	switch {
	case c == nil || c.issue == nil || c.issue.idx > a.idx:
		return fmt.Sprintf("challenge %s accepted for %s but never issued before", id, bound(a))
	case !sameBinding(*c.issue, a):
		return fmt.Sprintf("challenge %s issued for %s, accepted for %s", id, bound(*c.issue), bound(a))
	case c.expErr != "":
		return fmt.Sprintf("challenge %s's issue has no readable expiry (%s)", id, c.expErr)
	case a.Time > c.expires:
		return fmt.Sprintf("challenge %s accepted at %s, after it expired at %s", id, nsStr(a.Time), nsStr(c.expires))
	case a.idx != c.accepts[0].idx:
		return fmt.Sprintf("challenge %s accepted again at %s (first accepted at %s)", id, nsStr(a.Time), nsStr(c.accepts[0].Time))
	}
	return ""
}

// steppedUp reports whether decision d is backed by a step-up: its
// challenge's first accept came before d, was sound, and was for d's
// user, op and params. Otherwise it says why not.
func (cs challenges) steppedUp(d fact) (bool, string) {
	id := d.get("challenge")
	if id == "" {
		return false, "allowed without a step-up challenge"
	}
	c := cs[id]
	if c == nil || len(c.accepts) == 0 || c.accepts[0].idx > d.idx {
		return false, fmt.Sprintf("its challenge %s was not accepted before the decision", id)
	}
	a := c.accepts[0]
	if p := cs.acceptProblem(id, a); p != "" {
		return false, p
	}
	if !sameBinding(a, d) {
		return false, fmt.Sprintf("its challenge %s was accepted for %s, the decision is for %s", id, bound(a), bound(d))
	}
	return true, ""
}

// StepUp (INV-STEPUP): every effect of a sensitive op follows an
// access.decision allow for the same op and subject whose challenge was
// accepted (access.stepup accept) for the same user, op and params, after
// its issue for those and no later than its expires; each challenge is
// accepted at most once and backs one operation only. The effects: a
// withdrawal reserved (the first ledger.apply ok under idem wd:ID), and an
// access.decision allow for setting, apikey-create or apikey-revoke (the
// decision is the effect; it may back itself). For a withdrawal the client
// history requested with user and to, the decision's params must be
// OpParams of that request: a step-up bound to other parameters does not
// authorize it. Every accept is judged on its own too: one after expiry,
// for other parameters than issued, never issued, or repeated is a
// violation whether or not anything followed it.
func StepUp(in Input) Result {
	res := Result{Checker: CheckStepUp, Measured: map[string]int64{}}
	s := readSecurity(in)
	if len(s.users) == 0 && !s.any(obsStepUp, obsDecision) {
		return unknown(res, "the access layer reported nothing (no world.user, access.stepup or access.decision): nothing to judge")
	}
	cs := readChallenges(s)
	var bad []OpRef
	for _, id := range sortedKeys(cs) {
		c := cs[id]
		if c.issue != nil {
			res.Measured["issued"]++
		}
		for _, a := range c.accepts {
			res.Measured["accepted"]++
			if p := cs.acceptProblem(id, a); p != "" {
				bad = append(bad, a.ref(a.get("user"), p))
			}
		}
	}
	// one challenge, one operation
	usedBy := map[string]fact{}
	allows := map[string][]fact{} // op/subject -> allow decisions, in stream order
	for _, d := range s.of(obsDecision) {
		res.Measured["decisions"]++
		if d.get("decision") != decisionAllow {
			continue
		}
		k := d.get("op") + "\x00" + d.get("subject")
		allows[k] = append(allows[k], d)
		id := d.get("challenge")
		if id == "" {
			continue
		}
		if prev, used := usedBy[id]; !used {
			usedBy[id] = d
		} else if prev.get("op") != d.get("op") || prev.get("subject") != d.get("subject") || prev.get("params") != d.get("params") {
			bad = append(bad, d.ref(d.get("subject"), fmt.Sprintf("challenge %s backs %s %s (%s), already used at %s for %s %s (%s)",
				id, d.get("op"), d.get("subject"), bound(d), nsStr(prev.Time), prev.get("op"), prev.get("subject"), bound(prev))))
		}
	}
	reqs, herr := withdrawalRequests(in.History)
	// judge checks one effect against the allow decisions before it.
	judge := func(e fact, op, subject, want string, inclusive bool) {
		why := fmt.Sprintf("no access.decision allow for %s %s before it", op, subject)
		for _, d := range allows[op+"\x00"+subject] {
			if d.idx > e.idx || (!inclusive && d.idx == e.idx) {
				break
			}
			if want != "" && d.get("params") != want {
				why = fmt.Sprintf("its allow was bound to params %s, the request's are %s", abbrev(d.get("params")), abbrev(want))
				continue
			}
			ok, w := cs.steppedUp(d)
			if ok {
				res.Measured["stepped_up"]++
				return
			}
			why = w
		}
		bad = append(bad, e.ref(subject, fmt.Sprintf("%s %s took effect (%s at %s) without a step-up: %s", op, subject, e.Kind, nsStr(e.Time), why)))
	}
	for _, r := range s.reserves() {
		res.Measured["withdrawals"]++
		want := ""
		if w := reqs[r.id]; herr == nil && w != nil && w.user != "" && w.to != "" {
			want = OpParams(opWithdraw, w.user, r.id, w.to, strconv.FormatInt(w.amount, 10))
		} else {
			res.Measured["params_unchecked"]++
		}
		judge(r.fact, opWithdraw, r.id, want, false)
	}
	for _, d := range s.of(obsDecision) {
		op := d.get("op")
		if d.get("decision") != decisionAllow || !sensitiveOps[op] || op == opWithdraw {
			continue
		}
		if op == opSetting {
			res.Measured["settings"]++
		} else {
			res.Measured["apikey_changes"]++
		}
		judge(d, op, d.get("subject"), "", true)
	}
	effects := res.Measured["withdrawals"] + res.Measured["settings"] + res.Measured["apikey_changes"]
	return finishInTime(res, bad, "sensitive operations or step-ups outside the rule",
		fmt.Sprintf("%d sensitive effects (%d withdrawals reserved, %d setting and %d API-key changes allowed), each after a step-up accepted once, in time, for its parameters; %d challenges issued, %d accepted",
			effects, res.Measured["withdrawals"], res.Measured["settings"], res.Measured["apikey_changes"],
			res.Measured["issued"], res.Measured["accepted"]))
}
