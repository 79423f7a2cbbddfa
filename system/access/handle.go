package access

import (
	"crypto/hmac"
	"fmt"
	"slices"
	"time"
)

// Handle runs one client request on the gateway's clock now. The decision
// is final, or ResultPending: then the caller consumes Decision.Once and
// calls Resolve.
func (g *Gateway) Handle(now time.Time, r Request) Decision {
	var f facts
	if err := r.check(); err != nil {
		return Decision{Result: ResultDeny, Reason: "malformed", Err: err}
	}
	if g.ipBlocked(now, r.IP) {
		return f.decide(g.subjectOf(r), ResultDeny, "ip-blocked", "", fmt.Errorf("%w: %s", ErrIPBlocked, r.IP))
	}
	switch {
	case r.Kind == KindLogin:
		return g.login(now, r, &f)
	case r.Kind == KindOTP:
		return g.reverify(now, r, &f)
	case r.viaKey():
		return g.keyOp(now, r, &f)
	}
	return g.sessionOp(now, r, &f)
}

// viaKey: the request is made with an API key (an API-key request, or the
// answer to a step-up a key request was given), not a session.
func (r *Request) viaKey() bool {
	return r.Kind == KindAPIKey || r.Kind == KindStepUp && r.APIKey != ""
}

// check is the shape every request must have before any state is read.
func (r *Request) check() error {
	bad := func(what string) error { return fmt.Errorf("%w: %s request: %s", ErrMalformed, r.Kind, what) }
	switch {
	case r.Kind < KindLogin || r.Kind > KindAPIKey:
		return bad("kind")
	case !validID(r.ID):
		return bad("request id")
	case !r.Geo.Valid() || r.Biometric < BiometricNone || r.Biometric > BiometricMax:
		return bad("geo or biometric out of range")
	case len(r.IP) > 64 || len(r.Params) > ParamsMax:
		return bad("field bounds")
	case r.Kind == KindAPIKey && (!validID(r.APIKey) || r.Op == ""):
		return bad("api key and op needed")
	case r.Kind == KindStepUp && r.Challenge == "":
		return bad("challenge needed")
	case !r.viaKey() && (r.APIKey != "" || r.KeyToken != ""):
		// a session request naming a key would be judged, and reported,
		// as that key's owner's
		return bad("an api key on a session request")
	case !r.viaKey() && (!validID(r.User) || !validID(r.Device)):
		return bad("user and device needed")
	}
	for _, s := range append([]string{r.Session, r.KeyToken, r.PIN, r.Code, r.Challenge, string(r.Op)}, r.Params...) {
		if len(s) > FieldMax {
			return bad("field bounds")
		}
	}
	return nil
}

// subjectOf is what the request's access.decision is about.
func (g *Gateway) subjectOf(r Request) subjectOf {
	switch {
	case r.Kind == KindLogin || r.Kind == KindOTP:
		return subjectOf{user: r.User, op: OpLogin, params: ParamsDigest(OpLogin, r.User, r.Device), subject: r.User, req: &r}
	case r.viaKey():
		s := subjectOf{op: OpAPIKeyUse, params: ParamsDigest(OpAPIKeyUse, r.APIKey, string(r.Op)), subject: r.APIKey, req: &r}
		if k := g.keys[r.APIKey]; k != nil {
			s.user = k.user
		}
		return s
	}
	sub, _ := checkParams(r.Op, r.User, r.Params)
	return subjectOf{user: r.User, op: r.Op, params: ParamsDigest(r.Op, r.Params...), subject: sub, req: &r}
}

// pending is what Resolve needs to finish a two-phase decision.
type pending struct {
	kind pendKind
	u    *user
	step int64
	ch   *challenge // pendStepUp
	req  Request
	c    cred
	subj subjectOf

	resolved bool // Resolve runs once per pending decision
}

type pendKind uint8

const (
	pendLogin pendKind = iota + 1
	pendStepUp
	pendVerify
	pendApprove
)

// wait turns a verified request into a pending decision.
func wait(p *pending, f *facts, once ...string) Decision {
	p.subj.req = &p.req
	return Decision{Result: ResultPending, Reason: "once", Once: once, Facts: *f, cont: p}
}

func (g *Gateway) login(now time.Time, r Request, f *facts) Decision {
	subj := g.subjectOf(r)
	u := g.users[r.User]
	if u == nil {
		g.loginFailed(now, r.IP, r.User, f)
		return f.decide(subj, ResultDeny, "credentials", "", fmt.Errorf("%w: user %s", ErrCredentials, r.User))
	}
	if why, err := g.checkPIN(now, u, r.PIN, f); err != nil {
		if why != "locked" {
			g.loginFailed(now, r.IP, r.User, f)
		}
		return f.decide(subj, ResultDeny, why, "", err)
	}
	if r.Biometric == BiometricNone && g.cfg.BiometricRequired || r.Biometric != BiometricNone && r.Biometric < g.cfg.BiometricMin {
		return f.decide(subj, ResultDeny, "biometric", "", fmt.Errorf("%w: %d", ErrBiometric, r.Biometric))
	}
	if bad, km := impossibleTravel(u.lastGeo, u.lastAt, r.Geo, now, g.cfg.TravelMinKm, g.cfg.TravelMaxKmh); bad {
		why := fmt.Sprintf("login from %s, %d km from %s in %s", r.Geo, km, u.lastGeo, now.Sub(u.lastAt))
		f.alert(AttackTravel, u.id, notifyUserSecurity, why)
		return f.decide(subj, ResultDeny, "impossible-travel", "", fmt.Errorf("%w: %s", ErrTravel, why))
	}
	step, why, err := g.checkOTP(now, u, r.Code, f)
	if err != nil {
		if why != "locked" && why != "otp-replay" {
			g.loginFailed(now, r.IP, r.User, f)
		}
		return f.decide(subj, ResultDeny, why, "", err)
	}
	return wait(&pending{kind: pendLogin, u: u, step: step, req: r, subj: subj}, f, otpOnce(u.id, step))
}

// reverify is the secondary verification (KindOTP).
func (g *Gateway) reverify(now time.Time, r Request, f *facts) Decision {
	u := g.users[r.User]
	if u == nil || !g.checkSession(now, r.Session, r.User, r.Device) {
		return Decision{Result: ResultDeny, Reason: "session", Err: fmt.Errorf("%w: user %s", ErrSession, r.User), Facts: *f}
	}
	step, why, err := g.checkOTP(now, u, r.Code, f)
	if err != nil {
		return Decision{Result: ResultDeny, Reason: why, Err: err, Facts: *f}
	}
	return wait(&pending{kind: pendVerify, u: u, step: step, req: r}, f, otpOnce(u.id, step))
}

// cred is who asks for an operation, and with which rights.
type cred struct {
	u           *user
	scopes      []Scope
	key         *apiKey // nil under a session
	deviceKnown bool
}

func (g *Gateway) sessionOp(now time.Time, r Request, f *facts) Decision {
	subj := g.subjectOf(r)
	u := g.users[r.User]
	if u == nil || !g.checkSession(now, r.Session, r.User, r.Device) {
		return f.decide(subj, ResultDeny, "session", "", fmt.Errorf("%w: user %s device %s", ErrSession, r.User, r.Device))
	}
	if !u.rate.admit(now, g.cfg.RateWindow, g.cfg.UserRateMax) {
		if u.rateAlertAt.IsZero() || now.Sub(u.rateAlertAt) >= g.cfg.RateWindow {
			u.rateAlertAt = now
			f.alert(AttackAnomaly, u.id, notifySecurity, fmt.Sprintf("over %d requests in %s", g.cfg.UserRateMax, g.cfg.RateWindow))
		}
		return f.decide(subj, ResultDeny, "rate", "", fmt.Errorf("%w: user %s", ErrRate, u.id))
	}
	if _, ok := checkParams(r.Op, r.User, r.Params); !ok {
		return f.decide(subj, ResultDeny, "params", "", fmt.Errorf("%w: %s params", ErrMalformed, r.Op))
	}
	return g.operate(now, r, cred{u: u, scopes: u.scopes, deviceKnown: slices.Contains(u.devices, r.Device)}, subj, f)
}

func (g *Gateway) keyOp(now time.Time, r Request, f *facts) Decision {
	use := g.subjectOf(r)
	k := g.keys[r.APIKey]
	if k == nil || !hmac.Equal([]byte(r.KeyToken), []byte(g.keyToken(k.id, k.user))) {
		return f.decide(use, ResultDeny, "credentials", "", fmt.Errorf("%w: api key %s", ErrCredentials, r.APIKey))
	}
	u := g.users[k.user]
	switch {
	case k.revoked:
		return f.decide(use, ResultDeny, "revoked", "", fmt.Errorf("%w: %s", ErrRevoked, k.id))
	case now.Before(u.keysUntil):
		return f.decide(use, ResultDeny, "locked", "", fmt.Errorf("%w: user %s's api keys until %s", ErrLocked, u.id, ns(u.keysUntil)))
	case u.verify:
		return f.decide(use, ResultDeny, "verify-required", "", fmt.Errorf("%w: user %s", ErrVerify, u.id))
	case !k.rate.admit(now, g.cfg.RateWindow, g.cfg.KeyRateMax):
		g.lockKeys(now, u, f)
		f.alert(AttackAPIKey, u.id, notifyUserSecurity, fmt.Sprintf("key %s over %d uses in %s", k.id, g.cfg.KeyRateMax, g.cfg.RateWindow))
		return f.decide(use, ResultDeny, "rate", "", fmt.Errorf("%w: key %s", ErrRate, k.id))
	}
	sub, ok := checkParams(r.Op, k.user, r.Params)
	if !ok {
		return f.decide(use, ResultDeny, "params", "", fmt.Errorf("%w: %s params", ErrMalformed, r.Op))
	}
	if need := opTable[r.Op].scope; !slices.Contains(k.scopes, need) {
		g.lockKeys(now, u, f)
		f.alert(AttackAPIKey, u.id, notifyUserSecurity, fmt.Sprintf("key %s (scopes %s) used for %s", k.id, FormatScopes(k.scopes), r.Op))
		return f.decide(use, ResultDeny, "scope", "", fmt.Errorf("%w: key %s lacks %s", ErrScope, k.id, need))
	}
	if r.Op == OpAPIKeyCreate {
		if want, _ := ParseKeyScopes(r.Params[2]); !subset(want, k.scopes) {
			return g.escalation(now, u, use, FormatScopes(k.scopes), r.Params[2], f)
		}
	}
	f.decide(use, ResultAllow, "ok", "", nil)
	subj := subjectOf{user: k.user, op: r.Op, params: ParamsDigest(r.Op, r.Params...), subject: sub, req: &r}
	return g.operate(now, r, cred{u: u, scopes: k.scopes, key: k, deviceKnown: true}, subj, f)
}

// lockKeys locks a user's API keys and demands a secondary verification.
func (g *Gateway) lockKeys(now time.Time, u *user, f *facts) {
	u.keysUntil, u.verify, u.keysLockedAt = now.Add(g.cfg.APIKeyLockFor), true, now
	f.lock(u.id, "apikey", u.keysUntil)
}

func (g *Gateway) escalation(now time.Time, u *user, subj subjectOf, have, want string, f *facts) Decision {
	g.lockKeys(now, u, f)
	why := fmt.Sprintf("asked for a key with scopes %s holding %s", want, have)
	f.alert(AttackEscalation, u.id, notifyUserSecurity, why)
	return f.decide(subj, ResultDeny, "scope-escalation", "", fmt.Errorf("%w: %s", ErrEscalation, why))
}

func subset(a, b []Scope) bool {
	for _, x := range a {
		if !slices.Contains(b, x) {
			return false
		}
	}
	return true
}

// operate authorizes an op for a credential: scope, the op's own checks,
// then the step-up (asked for, or answered), then finish.
func (g *Gateway) operate(now time.Time, r Request, c cred, subj subjectOf, f *facts) Decision {
	if need := opTable[r.Op].scope; !slices.Contains(c.scopes, need) {
		return f.decide(subj, ResultDeny, "scope", "", fmt.Errorf("%w: user %s lacks %s", ErrScope, c.u.id, need))
	}
	switch r.Op {
	case OpAPIKeyCreate:
		if want, _ := ParseKeyScopes(r.Params[2]); !subset(want, c.scopes) {
			return g.escalation(now, c.u, subj, FormatScopes(c.scopes), r.Params[2], f)
		}
		if g.keys[r.Params[1]] != nil {
			return f.decide(subj, ResultDeny, "exists", "", fmt.Errorf("%w: key %s", ErrExists, r.Params[1]))
		}
	case OpAPIKeyRevoke:
		if k := g.keys[r.Params[1]]; k == nil || k.user != c.u.id || FormatScopes(k.scopes) != r.Params[2] {
			return f.decide(subj, ResultDeny, "unknown-key", "", fmt.Errorf("%w: key %s of %s", ErrUnknown, r.Params[1], c.u.id))
		}
	}
	lowBio := r.Biometric != BiometricNone && r.Biometric < g.cfg.BiometricMin
	need := lowBio || r.Op.Sensitive() && g.cfg.Bug != BugSkipStepUp
	if !need {
		return g.finish(now, r, c, subj, "", f)
	}
	if r.Kind != KindStepUp {
		why := "sensitive"
		if lowBio {
			why = "biometric"
		}
		ch := g.issue(now, c.u.id, r.Op, subj.params)
		f.stepup(ch, "issue", why)
		d := f.decide(subj, ResultStepUp, why, ch.id, nil)
		d.Expires = ch.expires
		return d
	}
	ch, ok := g.open(r.Challenge, c.u.id, r.Op, subj.params)
	reject := func(why string, err error) Decision {
		f.stepup(ch, "reject", why)
		return f.decide(subj, ResultDeny, "challenge-"+why, "", fmt.Errorf("%w: %s: %w", ErrChallenge, why, err))
	}
	switch {
	case !ok:
		ch.expires = time.Time{}
		return reject("mismatch", fmt.Errorf("not issued for user %s op %s params %s", c.u.id, r.Op, subj.params))
	case !now.Before(ch.expires):
		return reject("expired", fmt.Errorf("expired at %s", ns(ch.expires)))
	case lowBio:
		return reject("biometric", fmt.Errorf("%w: %d", ErrBiometric, r.Biometric))
	}
	if _, used := g.usedChal.get(ch.id); used {
		return reject("replay", ErrReplay)
	}
	step, why, err := g.checkOTP(now, c.u, r.Code, f)
	if err != nil {
		return reject(why, err)
	}
	g.usedChal.put(ch.id, true)
	return wait(&pending{kind: pendStepUp, u: c.u, step: step, ch: ch, req: r, c: c, subj: subj}, f,
		otpOnce(c.u.id, step), stepupOnce(ch.id))
}

// finish is an op that passed authorization and its step-up (challenge,
// or none when none is needed): the holds, then the gateway's own effects.
func (g *Gateway) finish(now time.Time, r Request, c cred, subj subjectOf, challenge string, f *facts) Decision {
	if r.Op.Sensitive() {
		if !c.deviceKnown {
			why := fmt.Sprintf("%s from unregistered device %s", r.Op, r.Device)
			f.alert(AttackNewDevice, c.u.id, notifyUser, why)
			return f.decide(subj, ResultHold, "new-device", challenge, fmt.Errorf("%w: %s", ErrHold, why))
		}
		if r.Op == OpWithdraw && c.u.factorSet && !now.Before(c.u.factorAt) && now.Sub(c.u.factorAt) < g.cfg.SIMSwapWindow {
			why := fmt.Sprintf("withdrawal %s after a second-factor change at %s", subj.subject, ns(c.u.factorAt))
			f.alert(AttackSIMSwap, c.u.id, notifyUserSecurity, why)
			return f.decide(subj, ResultHold, "sim-swap", challenge, fmt.Errorf("%w: %s", ErrHold, why))
		}
	}
	var token string
	var err error
	switch r.Op {
	case OpAPIKeyCreate:
		scopes, _ := ParseKeyScopes(r.Params[2])
		token, err = g.AddAPIKey(KeySpec{ID: r.Params[1], User: c.u.id, Scopes: scopes})
	case OpAPIKeyRevoke:
		err = g.RevokeAPIKey(r.Params[1])
	case OpSetting:
		switch r.Params[1] {
		case SettingDevice:
			err = g.AddDevice(c.u.id, r.Params[2])
		case SettingPhone, SettingSecondFactor:
			err = g.NoteFactorChange(now, c.u.id)
		}
	}
	if err != nil {
		return f.decide(subj, ResultDeny, "refused", challenge, err)
	}
	d := f.decide(subj, ResultAllow, "ok", challenge, nil)
	d.KeyToken = token
	return d
}
