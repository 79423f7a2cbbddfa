package scenarios

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"strconv"
	"strings"
	"time"

	"vaultdrill/system/access"
	"vaultdrill/system/env"
	"vaultdrill/system/geo"
	"vaultdrill/system/wallet"
)

// The zero-trust gateway in a custody run (workload.params.access): every
// wallet node runs system/access in front of its client operations, users
// log in with a PIN, a TOTP code, their phone's fingerprint and a
// biometric score, and answer a step-up challenge with a fresh code before
// each withdrawal. The harness knows every user's secrets (it plays the
// users and, in the attack drills, the attackers who stole some of them),
// and tells the checkers each user's registered devices and TOTP timing
// (world.user).

// accessWorld is what the harness knows of the gateway's users.
type accessWorld struct {
	cfg     access.Config // with defaults: the clients' authenticators use its step
	secrets map[string][]byte
	pins    map[string]string
	tokens  map[string]string // API key id -> its token
	// humanStep: the last TOTP step each approving human used (one
	// authenticator, whichever device approves)
	humanStep map[string]int64
	// lastLogin: the latest accepted login of any user, as the user
	// actors saw it (what an attacker watching the victim knows).
	lastLogin seenLogin
}

// seenLogin is an accepted login as an eavesdropper saw it.
type seenLogin struct {
	user, code, device string
	payload            []byte // the login request as it went on the wire
	at                 time.Duration
	wallet             env.NodeID
}

// accessKeyOf derives a per-run secret from the seed and a name.
func accessKeyOf(seed uint64, what string, n int) []byte {
	h := sha256.Sum256([]byte(fmt.Sprintf("vaultdrill/access/v1/%d/%s", seed, what)))
	return h[:n]
}

// apiKeyOf is the read-only API key every user's bot holds.
func apiKeyOf(account string) string { return "key-" + account }

// installAccess builds the gateway configuration every wallet node gets
// (nil without access) and reports each user (world.user).
func (r *run) installAccess(p custodyParams) *wallet.AccessConfig {
	if !p.Access {
		return nil
	}
	if r.truth == nil {
		r.truth = map[string]string{}
	}
	gc := access.Config{ID: "harness", Key: accessKeyOf(r.world.Seed(), "gateway", 32)}
	switch p.Bug {
	case string(access.BugSkipStepUp), string(access.BugOTPReplay):
		gc.Bug = access.Bug(p.Bug)
	}
	aw := &accessWorld{cfg: gc.WithDefaults(), secrets: map[string][]byte{}, pins: map[string]string{}, tokens: map[string]string{}}
	// the limits the gateways enforce, for the checkers (an abused key's
	// uses beyond them are the attack's effect)
	r.worldObs("", "world.access", "key_rate_max", strconv.Itoa(aw.cfg.KeyRateMax),
		"rate_window_ms", strconv.FormatInt(aw.cfg.RateWindow.Milliseconds(), 10))
	ac := &wallet.AccessConfig{Gateway: gc}
	if _, err := access.New(gc); err != nil {
		panic(fmt.Sprintf("custody: access config: %v", err)) // built here from fixed values
	}
	for i := 1; i <= p.accountCount(); i++ {
		acct := fmt.Sprintf("u%d", i)
		lat, lon := userPlace(r.world.Seed(), acct)
		pin := accessKeyOf(r.world.Seed(), "pin/"+acct, 4)
		spec := access.UserSpec{ID: acct, Secret: accessKeyOf(r.world.Seed(), "totp/"+acct, 20), Devices: []string{acct + "-phone"},
			Home: geo.Point{Known: true, LatE6: lat, LonE6: lon}, PIN: fmt.Sprintf("%06d", binary.BigEndian.Uint32(pin)%1_000_000)}
		ac.Users = append(ac.Users, spec)
		aw.secrets[acct], aw.pins[acct] = spec.Secret, spec.PIN
		scopes := []access.Scope{access.ScopeRead}
		if i == escalationVictim {
			scopes = []access.Scope{access.ScopeAPIKeyManage, access.ScopeRead}
		}
		k := access.KeySpec{ID: apiKeyOf(acct), User: acct, Scopes: scopes}
		ac.Keys = append(ac.Keys, k)
		aw.tokens[k.ID] = access.KeyToken(gc.Key, k.ID, acct)
		r.worldObs("", "world.user", "user", acct, "devices", acct+"-phone", "home", spec.Home.String(),
			"totp_step_ms", strconv.FormatInt(aw.cfg.TOTPStep.Milliseconds(), 10), "totp_window", strconv.Itoa(aw.cfg.TOTPWindow))
	}
	// The approvers are gateway users too: their approvals carry a fresh
	// code from the human's authenticator (MFA on approvals).
	humans := map[string][]string{}
	var order []string
	for _, d := range r.custody.devs {
		if humans[d.human] == nil {
			order = append(order, d.human)
		}
		humans[d.human] = append(humans[d.human], d.device)
	}
	for _, h := range order {
		lat, lon := userPlace(r.world.Seed(), h)
		spec := access.UserSpec{ID: h, Secret: accessKeyOf(r.world.Seed(), "totp/"+h, 20), Devices: humans[h],
			Home: geo.Point{Known: true, LatE6: lat, LonE6: lon}, PIN: "staff-" + h}
		ac.Users = append(ac.Users, spec)
		aw.secrets[h] = spec.Secret
		r.worldObs("", "world.user", "user", h, "devices", strings.Join(humans[h], ","), "home", spec.Home.String(),
			"totp_step_ms", strconv.FormatInt(aw.cfg.TOTPStep.Milliseconds(), 10), "totp_window", strconv.Itoa(aw.cfg.TOTPWindow))
	}
	aw.humanStep = map[string]int64{}
	r.custody.access = aw
	return ac
}

// step is the TOTP step of t counted from the epoch (the facts' numbering).
func (aw *accessWorld) step(t time.Duration) int64 { return int64(t / aw.cfg.TOTPStep) }

// code is the user's authenticator's code at world time t.
func (aw *accessWorld) code(user string, t time.Duration) string {
	return access.TOTPCode(aw.cfg, aw.secrets[user], env.Epoch.Add(t))
}

// untilNextStep is how long from t until the next TOTP step begins (plus a
// second: a person reads the new code).
func (aw *accessWorld) untilNextStep(t time.Duration) time.Duration {
	return aw.cfg.TOTPStep - t%aw.cfg.TOTPStep + time.Second
}

// accClient is a gateway client's plumbing: it numbers requests, resends
// one that got no reply (the same id: the wallet answers a duplicate from
// memory), and runs the caller's continuation on the reply.
type accClient struct {
	prefix  string
	seq     int
	calls   map[string]*accCall
	waits   map[string]func(e env.Env)
	waitSeq int
	// answered is the wire form of the request whose reply is being
	// handled (what an eavesdropper on that request saw).
	answered []byte
}

type accCall struct {
	to      env.NodeID
	payload []byte
	tries   int
	k       func(e env.Env, r wallet.AccessReply)
}

// accResends is how many times a request is resent before the client
// gives up on that wallet node.
const accResends = 3

func newAccClient(prefix string) *accClient {
	return &accClient{prefix: prefix, calls: map[string]*accCall{}, waits: map[string]func(env.Env){}}
}

func (c *accClient) call(e env.Env, to env.NodeID, req access.Request, requestedAt time.Duration, k func(e env.Env, r wallet.AccessReply)) {
	c.seq++
	req.ID = fmt.Sprintf("%s-%d", c.prefix, c.seq)
	payload := wallet.Encode(wallet.MsgAccess, wallet.AccessEnvelope{Request: access.EncodeRequest(req), RequestedAt: int64(requestedAt)})
	c.calls[req.ID] = &accCall{to: to, payload: payload, k: k}
	e.Send(to, payload)
	e.After(wallet.AccessAttempt, "acc/"+req.ID)
}

// later runs fn after d.
func (c *accClient) later(e env.Env, d time.Duration, fn func(e env.Env)) {
	c.waitSeq++
	tag := fmt.Sprintf("accwait/%d", c.waitSeq)
	c.waits[tag] = fn
	e.After(d, tag)
}

// timer handles the client's timers; it reports whether tag was one.
func (c *accClient) timer(e env.Env, tag string) bool {
	if fn, ok := c.waits[tag]; ok {
		delete(c.waits, tag)
		fn(e)
		return true
	}
	id, ok := strings.CutPrefix(tag, "acc/")
	if !ok {
		return strings.HasPrefix(tag, "accwait/")
	}
	if call := c.calls[id]; call != nil {
		if call.tries++; call.tries > accResends {
			delete(c.calls, id)
			call.k(e, wallet.AccessReply{ID: id, Result: "timeout", Err: "no reply from " + string(call.to)})
			return true
		}
		e.Send(call.to, call.payload)
		e.After(wallet.AccessAttempt, tag)
	}
	return true
}

// message handles a gateway reply; it reports whether in was one.
func (c *accClient) message(e env.Env, in env.Input) bool {
	var r wallet.AccessReply
	if !wallet.Decode(in.Payload, wallet.MsgAccessReply, &r) {
		return false
	}
	if call := c.calls[r.ID]; call != nil {
		delete(c.calls, r.ID)
		c.answered = call.payload
		call.k(e, r)
	}
	return true
}

// userAccess is an honest user's gateway state: a session kept for most
// of its life, and the last TOTP step used (a code is never reused: a
// person waits for the next one).
type userAccess struct {
	c        *accClient
	session  string
	sessEnd  time.Duration
	lastStep int64
}

// accessAttemptsMax: an honest user refused by the gateway tries other
// wallet nodes (a refused code may be a skewed server's) this many times
// in all before giving the withdrawal up.
const accessAttemptsMax = 3

// accBegin runs one attempt of the current withdrawal through the gateway
// of wallet node to: login if the session is stale, the withdraw op, the
// step-up answer; then the pipeline's WithdrawStatus ends it.
func (u *userActor) accBegin(e env.Env, to env.NodeID) {
	if u.acc == nil {
		u.acc = &userAccess{c: newAccClient("r" + u.account), lastStep: -1}
	}
	cur, attempt := u.cur, u.cur.attempt
	live := func() bool { return u.cur == cur && cur.attempt == attempt }
	now := u.run.world.Now()
	if u.acc.session != "" && now+10*time.Minute < u.acc.sessEnd {
		u.accOp(e, to, live)
		return
	}
	u.withFreshCode(e, func(e env.Env, code string) {
		if !live() {
			return
		}
		req := u.accRequest(access.KindLogin)
		req.PIN, req.Code = u.run.custody.access.pins[u.account], code
		u.acc.c.call(e, to, req, 0, func(e env.Env, r wallet.AccessReply) {
			if !live() {
				return
			}
			if r.Result != string(access.ResultAllow) {
				u.accRefused(e, "login", r)
				return
			}
			u.acc.session, u.acc.sessEnd = r.Session, u.run.world.Now()+u.run.custody.access.cfg.SessionTTL
			aw := u.run.custody.access
			aw.lastLogin.user, aw.lastLogin.code, aw.lastLogin.device = u.account, code, req.Device
			aw.lastLogin.at, aw.lastLogin.wallet, aw.lastLogin.payload = u.run.world.Now(), to, u.acc.c.answered
			u.accOp(e, to, live)
		})
	})
}

// accOp asks for the withdrawal under the session and answers its step-up.
func (u *userActor) accOp(e env.Env, to env.NodeID, live func() bool) {
	wr := u.cur.req
	op := u.accRequest(access.KindOp)
	op.Session, op.Op = u.acc.session, access.OpWithdraw
	op.Params = []string{wr.User, wr.ID, wr.To, strconv.FormatInt(wr.Amount, 10)}
	at := time.Duration(wr.RequestedAt)
	u.acc.c.call(e, to, op, at, func(e env.Env, r wallet.AccessReply) {
		if !live() {
			return
		}
		switch {
		case r.Result == string(access.ResultStepUp):
		case r.Reason == "session":
			u.acc.session = "" // expired or refused: log in again
			u.send(e)
			return
		default:
			u.accRefused(e, "withdraw", r)
			return
		}
		u.withFreshCode(e, func(e env.Env, code string) {
			if !live() {
				return
			}
			ans := op
			ans.Kind, ans.Challenge, ans.Code = access.KindStepUp, r.Challenge, code
			u.acc.c.call(e, to, ans, at, func(e env.Env, r wallet.AccessReply) {
				if live() && r.Result != string(access.ResultAllow) {
					u.accRefused(e, "step-up", r)
				}
				// allowed: the pipeline answers with a WithdrawStatus
			})
		})
	})
}

// withFreshCode waits, if need be, for a TOTP step this user has not used
// and calls fn with its code.
func (u *userActor) withFreshCode(e env.Env, fn func(e env.Env, code string)) {
	aw := u.run.custody.access
	now := u.run.world.Now()
	if aw.step(now) <= u.acc.lastStep {
		u.acc.c.later(e, aw.untilNextStep(now), func(e env.Env) { u.withFreshCode(e, fn) })
		return
	}
	u.acc.lastStep = aw.step(now)
	fn(e, aw.code(u.account, now))
}

// accRequest is a request from this user's usual device and place.
func (u *userActor) accRequest(k access.Kind) access.Request {
	wr := u.cur.req
	device := wr.Device
	if device == "" {
		device = u.account + "-phone"
	}
	lat, lon := userPlace(u.run.world.Seed(), u.account)
	if wr.GeoKnown {
		lat, lon = wr.LatE6, wr.LonE6
	}
	return access.Request{Kind: k, User: u.account, Device: device, IP: fmt.Sprintf("10.%d.%d.%d", u.idx/65536%256, u.idx/256%256, u.idx%256),
		Geo: geo.Point{Known: true, LatE6: lat, LonE6: lon}, Biometric: 850 + u.idx*37%150}
}

// accRefused: a hold ends the withdrawal (held for the user or security:
// the user is told); any other refusal is tried at another wallet node,
// up to accessAttemptsMax attempts.
func (u *userActor) accRefused(e env.Env, what string, r wallet.AccessReply) {
	if r.Result == string(access.ResultHold) || u.cur.attempt >= accessAttemptsMax {
		u.finishWithdrawal(e, false, "", fmt.Sprintf("access: %s %s: %s", what, r.Result, orDash(r.Reason)), "")
		return
	}
	u.send(e)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// nearbyTrip is a benign traveller's place with the gateway on: about 500
// km north or south of home, reached by a plane the gateway's speed limit
// allows.
func nearbyTrip(lat, lon int32) (int32, int32) {
	if lat > 0 {
		return lat - 4_500_000, lon
	}
	return lat + 4_500_000, lon
}
