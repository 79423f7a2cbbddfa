package access

import (
	"fmt"
	"slices"
	"time"
)

// Resolve finishes a pending decision once the caller has consumed each of
// its once-keys in the ledger: first[i] says whether this request was the
// first consumer of d.Once[i] (the answered balance of once:KEY was 1). A
// caller that cannot learn an answer passes false (fail closed: the code
// or challenge is then spent for nothing, never accepted twice). now is
// the gateway's clock when the answers arrived; a challenge that expired
// meanwhile is refused.
//
// Resolve panics when d is not pending, was resolved before, or first
// does not match d.Once: a bug in the caller, not a request to refuse.
func (g *Gateway) Resolve(now time.Time, d Decision, first []bool) Decision {
	p := d.cont
	if d.Result != ResultPending || p == nil || len(first) != len(d.Once) || p.resolved {
		panic(fmt.Sprintf("access: Resolve of a %s decision with %d once-keys and %d answers (resolved before: %v)",
			d.Result, len(d.Once), len(first), p != nil && p.resolved))
	}
	p.resolved = true
	var f facts
	u := p.u
	if !first[0] && g.cfg.Bug != BugOTPReplay {
		f.otp(u.id, p.step, "reject", "replay")
		f.alert(AttackOTPReplay, u.id, notifyUserSecurity, fmt.Sprintf("code for step %d already used at another gateway", p.step))
		err := fmt.Errorf("%w: user %s's step %d (ledger)", ErrReplay, u.id, p.step)
		if p.ch != nil {
			f.stepup(p.ch, "reject", "otp-replay")
		}
		if p.kind == pendLogin || p.kind == pendStepUp {
			return f.decide(p.subj, ResultDeny, "otp-replay", "", err)
		}
		return Decision{Result: ResultDeny, Reason: "otp-replay", Err: err, Facts: f}
	}
	f.otp(u.id, p.step, "accept", "ok")
	u.otpFails = 0
	switch p.kind {
	case pendLogin:
		u.pinFails = 0
		if p.req.Geo.Known {
			u.lastGeo, u.lastAt = p.req.Geo, now
		}
		reason := "ok"
		if !slices.Contains(u.devices, p.req.Device) {
			reason = "new-device"
			f.alert(AttackNewDevice, u.id, notifyUser, "login from unregistered device "+p.req.Device)
		}
		exp := now.Add(g.cfg.SessionTTL)
		out := f.decide(p.subj, ResultAllow, reason, "", nil)
		out.Session, out.Expires = g.sessionToken(u.id, p.req.Device, exp), exp
		return out
	case pendVerify:
		u.verify, u.verifiedAt = false, now
		return Decision{Result: ResultAllow, Reason: "verified", Facts: f}
	case pendApprove:
		return Decision{Result: ResultAllow, Reason: "ok", Facts: f}
	}
	// pendStepUp
	ch := p.ch
	switch {
	case !first[1]:
		f.stepup(ch, "reject", "replay")
		return f.decide(p.subj, ResultDeny, "challenge-replay", "", fmt.Errorf("%w: %s used before", ErrChallenge, ch.id))
	case !now.Before(ch.expires):
		f.stepup(ch, "reject", "expired")
		return f.decide(p.subj, ResultDeny, "challenge-expired", "", fmt.Errorf("%w: %s expired at %s", ErrChallenge, ch.id, ns(ch.expires)))
	}
	f.stepup(ch, "accept", "ok")
	return g.finish(now, p.req, p.c, p.subj, ch.id, &f)
}
