package scenarios

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"vaultdrill/checkers/history"
	"vaultdrill/system/access"
	"vaultdrill/system/chain"
	"vaultdrill/system/env"
	"vaultdrill/system/geo"
	"vaultdrill/system/wallet"
)

// Attackers on the zero-trust gateway (DOMAIN.md attacks 10-12), played by
// the harness against the unmodified wallet nodes: each is an actor that
// holds what the story says it stole (a leaked PIN list, a phished TOTP
// seed, a shoulder-surfed code, a stolen API key), tries it, and reports
// every try as world.attack (attack, actor, target, detail); a withdrawal
// it asks for is world.truth-labeled with the attack, so a reservation of
// it is the attack's effect.

// escalationVictim's bot key may also manage keys (the scope-escalation
// attacker steals it).
const escalationVictim = 6

// accessAttack is one attacker's script.
type accessAttack struct {
	doc   string
	start time.Duration
	play  func(a *attackerActor, e env.Env)
}

var accessAttacks = map[string]*accessAttack{
	"credential-stuffing": {doc: "leaked PINs tried for many users from one IP", start: 40 * time.Minute, play: (*attackerActor).stuffing},
	"new-device":          {doc: "a phished PIN and TOTP seed used from the attacker's laptop", start: time.Hour, play: (*attackerActor).newDevice},
	"sim-swap":            {doc: "the victim's phone number taken over, the second factor changed, then a withdrawal", start: 80 * time.Minute, play: (*attackerActor).simSwap},
	"impossible-travel":   {doc: "stolen credentials used from the far side of the world minutes after the victim logged in", start: 30 * time.Minute, play: (*attackerActor).travel},
	"otp-replay":          {doc: "a code seen over the victim's shoulder replayed at two wallet nodes within its step", start: 50 * time.Minute, play: (*attackerActor).replay},
	"otp-skew":            {doc: "a code photographed off the victim's authenticator, never typed, presented 90 s later at the wallet node whose clock the plan sets 90 s behind", start: 100 * time.Minute, play: (*attackerActor).stale},
	"apikey-abuse":        {doc: "a stolen read-only API key hammered, then used to withdraw", start: 45 * time.Minute, play: (*attackerActor).keyAbuse},
	"scope-escalation":    {doc: "a stolen key-managing API key asked to mint a key that can withdraw", start: 55 * time.Minute, play: (*attackerActor).escalate},
}

// accessLookalikes are benign clients built to resemble the API-key
// attacks; each runs beside its attack (attackLookalike).
var accessLookalikes = map[string]*accessAttack{
	"busy-bot":  {doc: "a user's own bot reading with its key at 24 uses a minute, under the limit", start: 50 * time.Minute, play: (*attackerActor).busyBot},
	"key-admin": {doc: "a user minting a trading key that may withdraw, with a step-up, then revoking it", start: 65 * time.Minute, play: (*attackerActor).keyAdmin},
}

// attackLookalike names the look-alike that runs beside an attack.
var attackLookalike = map[string]string{"apikey-abuse": "busy-bot", "scope-escalation": "key-admin"}

// script is the actor's entry in its table (looked up at run time, so
// the scripts may refer to the tables).
func (a *attackerActor) script() *accessAttack {
	if a.benign {
		return accessLookalikes[a.id]
	}
	return accessAttacks[a.id]
}

func accessAttackNames() string {
	var ns []string
	for n := range accessAttacks { // determinism: allowed (sorted below)
		ns = append(ns, n)
	}
	sort.Strings(ns)
	return strings.Join(ns, ", ")
}

// attackerActor plays one attack.
type attackerActor struct {
	run      *run
	id       string
	c        *accClient
	addr     string // where the attacker wants the funds
	lastStep int64
	n        int
	target   int // endpoint's index
	// benign: a look-alike client, not an attacker (no world.attack)
	benign bool
	// wds: the attacker's withdrawals awaiting their outcome, by id, with
	// the history process that invoked each (attackers are clients too).
	wds map[string]int
}

func (a *attackerActor) node() env.NodeID {
	if a.benign {
		return env.NodeID("lookalike-" + a.id)
	}
	return env.NodeID("attacker-" + a.id)
}

func (a *attackerActor) Step(e env.Env, in env.Input) {
	switch in.Kind {
	case env.InputStart:
		a.c, a.lastStep, a.wds = newAccClient("x"+a.id), -1, map[string]int{}
		e.After(a.script().start, "go")
	case env.InputTimer:
		if a.c.timer(e, in.Tag) {
			return
		}
		if in.Tag == "go" {
			a.script().play(a, e)
		}
	case env.InputMessage:
		if a.c.message(e, in) {
			return
		}
		var st wallet.WithdrawStatus
		if wallet.Decode(in.Payload, wallet.MsgWithdrawStatus, &st) {
			a.done(st.ID, st.State == wallet.StateSettled, string(in.From), st.Err)
		}
	}
}

// invoke records one of the attacker's withdrawals in the history.
func (a *attackerActor) invoke(id, victim string, amount int64, via string) {
	a.run.noteTruth(id, victim, a.id, false)
	proc := a.run.newProcess()
	a.wds[id] = proc
	a.run.record(history.Event{Kind: history.Invoke, Process: proc, Op: "withdraw", Key: id, Value: amount,
		Detail: fmt.Sprintf("user=%s to=%s amount=%d wallet=hot initiator=%s actor=%s", victim, a.addr, amount, via, a.node())})
}

// done records the outcome of one of the attacker's withdrawals (once).
func (a *attackerActor) done(id string, ok bool, node, errS string) {
	proc, pending := a.wds[id]
	if !pending {
		return
	}
	delete(a.wds, id)
	kind := history.OK
	if !ok {
		kind = history.Fail
	}
	a.run.record(history.Event{Kind: kind, Process: proc, Op: "withdraw", Key: id, Value: attackAmount, Node: node, Error: errS})
}

// refused ends a withdrawal the gateway did not let through.
func (a *attackerActor) refused(id string, r wallet.AccessReply) {
	if r.Result != string(access.ResultAllow) {
		a.done(id, false, "", "access: "+r.Result+": "+orDash(r.Reason))
	}
}

// attackAmount is what an attacker tries to take.
const attackAmount = 100_000_000

func (a *attackerActor) aw() *accessWorld { return a.run.custody.access }

// endpoint is the wallet node a scripted client is using now; moveOn
// moves to the next one when a request got no reply at all (the node is
// down or cut off), as a client would.
func (a *attackerActor) endpoint() env.NodeID {
	ws := a.wallets()
	return ws[a.target%len(ws)]
}

func (a *attackerActor) moveOn(_ env.Env, r wallet.AccessReply) {
	if r.Result == "timeout" {
		a.target++
	}
}

func (a *attackerActor) wallets() []env.NodeID { return a.run.custody.wallets }

func (a *attackerActor) tried(target, detail string) { a.triedOn(target, target, detail) }

// triedOn reports a try at target (a key, say) on user's account.
func (a *attackerActor) triedOn(target, user, detail string) {
	if a.benign {
		return
	}
	a.run.worldObs(a.node(), "world.attack", "attack", a.id, "actor", string(a.node()), "target", target, "user", user, "detail", detail)
}

// as is a request in the victim's name from the attacker's machine.
func (a *attackerActor) as(k access.Kind, victim, device string, place geo.Point) access.Request {
	ip := "203.0.113." + strconv.Itoa(10+len(a.id))
	if a.benign {
		ip = "10.200.0." + strconv.Itoa(10+len(a.id))
	}
	return access.Request{Kind: k, User: victim, Device: device, IP: ip,
		Geo: place, Biometric: access.BiometricNone}
}

func (a *attackerActor) home(victim string) geo.Point {
	lat, lon := userPlace(a.run.world.Seed(), victim)
	return geo.Point{Known: true, LatE6: lat, LonE6: lon}
}

// freshCode waits for a TOTP step the attacker has not used and calls fn
// with the victim's code (the attacker holds the victim's seed).
func (a *attackerActor) freshCode(e env.Env, victim string, fn func(e env.Env, code string)) {
	now := a.run.world.Now()
	if a.aw().step(now) <= a.lastStep {
		a.c.later(e, a.aw().untilNextStep(now), func(e env.Env) { a.freshCode(e, victim, fn) })
		return
	}
	a.lastStep = a.aw().step(now)
	fn(e, a.aw().code(victim, now))
}

// login logs in as victim with a fresh code and calls then with the reply.
func (a *attackerActor) login(e env.Env, to env.NodeID, victim, device string, place geo.Point, then func(e env.Env, r wallet.AccessReply)) {
	a.freshCode(e, victim, func(e env.Env, code string) {
		req := a.as(access.KindLogin, victim, device, place)
		req.PIN, req.Code = a.aw().pins[victim], code
		a.c.call(e, to, req, 0, then)
	})
}

// sensitive asks for op under the session and answers the step-up: with
// a fresh code from the victim's seed, or, when the attacker holds only
// one code (seen), with that code again.
func (a *attackerActor) sensitive(e env.Env, to env.NodeID, req access.Request, seen string, then func(e env.Env, r wallet.AccessReply)) {
	a.c.call(e, to, req, a.run.world.Now(), func(e env.Env, r wallet.AccessReply) {
		if r.Result != string(access.ResultStepUp) {
			then(e, r)
			return
		}
		answer := func(e env.Env, code string) {
			ans := req
			ans.Kind, ans.Challenge, ans.Code = access.KindStepUp, r.Challenge, code
			a.c.call(e, to, ans, a.run.world.Now(), then)
		}
		if seen != "" {
			answer(e, seen)
			return
		}
		a.freshCode(e, req.User, answer)
	})
}

// withdrawAs asks, under session, for the victim's funds to the
// attacker's address.
func (a *attackerActor) withdrawAs(e env.Env, to env.NodeID, base access.Request, session, seen string) {
	a.n++
	id := fmt.Sprintf("atk-%s-%d", a.id, a.n)
	a.invoke(id, base.User, attackAmount, "user:"+base.User)
	req := base
	req.Kind, req.Session, req.Op = access.KindOp, session, access.OpWithdraw
	req.PIN, req.Code = "", ""
	req.Params = []string{base.User, id, a.addr, strconv.Itoa(attackAmount)}
	a.sensitive(e, to, req, seen, func(_ env.Env, r wallet.AccessReply) { a.refused(id, r) })
}

// stuffing: wrong PINs for eight users from one IP, every ten seconds.
func (a *attackerActor) stuffing(e env.Env) {
	if a.n >= 8 {
		return
	}
	a.n++
	victim := fmt.Sprintf("u%d", a.n)
	pin := "123456"
	if a.aw().pins[victim] == pin {
		pin = "654321"
	}
	req := a.as(access.KindLogin, victim, "atk-bot", a.home(victim))
	req.PIN, req.Code = pin, "000000"
	a.tried(victim, "leaked PIN tried from "+req.IP)
	a.c.call(e, a.endpoint(), req, 0, a.moveOn)
	a.c.later(e, 10*time.Second, a.stuffing)
}

// newDevice: the victim's credentials from an unregistered laptop, then a
// withdrawal.
func (a *attackerActor) newDevice(e env.Env) {
	victim, to := "u2", a.wallets()[0]
	a.tried(victim, "phished PIN and TOTP seed, from device atk-laptop")
	a.login(e, to, victim, "atk-laptop", a.home(victim), func(e env.Env, r wallet.AccessReply) {
		if r.Result == string(access.ResultAllow) {
			a.withdrawAs(e, to, a.as(access.KindOp, victim, "atk-laptop", a.home(victim)), r.Session, "")
		}
	})
}

// simSwap: on a spoofed copy of the victim's phone fingerprint, the
// attacker changes the second factor, then withdraws.
func (a *attackerActor) simSwap(e env.Env) {
	victim, to := "u3", a.wallets()[0]
	dev := victim + "-phone"
	a.tried(victim, "phone number ported; spoofed fingerprint "+dev)
	a.login(e, to, victim, dev, a.home(victim), func(e env.Env, r wallet.AccessReply) {
		if r.Result != string(access.ResultAllow) {
			return
		}
		session := r.Session
		req := a.as(access.KindOp, victim, dev, a.home(victim))
		req.Session, req.Op, req.Params = session, access.OpSetting, []string{victim, access.SettingPhone, "phone-attacker-1"}
		a.sensitive(e, to, req, "", func(e env.Env, r wallet.AccessReply) {
			if r.Result == string(access.ResultAllow) {
				a.withdrawAs(e, to, a.as(access.KindOp, victim, dev, a.home(victim)), session, "")
			}
		})
	})
}

// travel: minutes after a victim's login, their credentials from the far
// side of the world.
func (a *attackerActor) travel(e env.Env) {
	ll := a.aw().lastLogin
	now := a.run.world.Now()
	if ll.user == "" || now-ll.at > 10*time.Minute {
		a.c.later(e, time.Minute, a.travel)
		return
	}
	p := a.home(ll.user)
	p.LatE6, p.LonE6 = antipode(p.LatE6, p.LonE6)
	a.tried(ll.user, fmt.Sprintf("login from %s, %s after the victim's", p, now-ll.at))
	to := a.wallets()[len(a.wallets())-1]
	a.login(e, to, ll.user, ll.user+"-phone", p, func(e env.Env, r wallet.AccessReply) {
		if r.Result == string(access.ResultAllow) {
			a.withdrawAs(e, to, a.as(access.KindOp, ll.user, ll.user+"-phone", p), r.Session, "")
		}
	})
}

// replay: a victim's login code, seen as it was typed, replayed within its
// step at another wallet node and then at the same one; and the victim's
// whole login request, sniffed on the wire (its id too), replayed at the
// third.
func (a *attackerActor) replay(e env.Env) { a.onLogin(e, a.replayLogin) }

// onLogin waits for a victim's login, seen within five seconds of it, and
// calls fn with it.
func (a *attackerActor) onLogin(e env.Env, fn func(e env.Env, ll seenLogin)) {
	ll := a.aw().lastLogin
	if ll.user == "" || a.run.world.Now()-ll.at > 5*time.Second {
		a.c.later(e, 5*time.Second, func(e env.Env) { a.onLogin(e, fn) })
		return
	}
	fn(e, ll)
}

func (a *attackerActor) replayLogin(e env.Env, ll seenLogin) {
	ws := a.wallets()
	var other env.NodeID
	for _, w := range ws {
		if w != ll.wallet {
			other = w
			break
		}
	}
	for _, w := range ws {
		if w != ll.wallet && w != other && ll.payload != nil {
			a.tried(ll.user, "the victim's login request replayed whole at "+string(w))
			e.Send(w, ll.payload)
			break
		}
	}
	for _, to := range []env.NodeID{other, ll.wallet} {
		req := a.as(access.KindLogin, ll.user, ll.device, a.home(ll.user))
		req.PIN, req.Code = a.aw().pins[ll.user], ll.code
		a.tried(ll.user, "code "+ll.code+" replayed at "+string(to))
		a.c.call(e, to, req, 0, func(e env.Env, r wallet.AccessReply) {
			if r.Result == string(access.ResultAllow) {
				a.withdrawAs(e, to, a.as(access.KindOp, ll.user, ll.device, a.home(ll.user)), r.Session, ll.code)
			}
		})
	}
}

// stale: a code captured at a victim's login, replayed three minutes
// later at the last wallet node (the one drills skew).
// stale: the attacker photographs the code the victim's authenticator
// shows (the victim does not use it) and presents it 90 s later at the
// last wallet node, whose clock the drill's plan sets 90 s behind: that
// node's own step is the photographed one, so only a gateway that checks
// its clock refuses it (otherwise INV-OTP sees a code accepted three
// steps out of the window of true time).
func (a *attackerActor) stale(e env.Env) {
	victim := fmt.Sprintf("u%d", staleVictim)
	now := a.run.world.Now()
	code := a.aw().code(victim, now)
	a.c.later(e, 90*time.Second, func(e env.Env) {
		to := a.wallets()[len(a.wallets())-1]
		req := a.as(access.KindLogin, victim, victim+"-phone", a.home(victim))
		req.PIN, req.Code = a.aw().pins[victim], code
		a.tried(victim, fmt.Sprintf("code of step %d, photographed at %s, presented at %s", a.aw().step(now), now, to))
		a.c.call(e, to, req, 0, func(e env.Env, r wallet.AccessReply) {
			if r.Result == string(access.ResultAllow) {
				a.withdrawAs(e, to, a.as(access.KindOp, victim, victim+"-phone", a.home(victim)), r.Session, "")
			}
		})
	})
}

// staleVictim is the user whose authenticator the otp-skew attacker
// photographs.
const staleVictim = 9

// keyAbuse: a stolen read-only key, hammered at 40 uses a minute for two
// minutes, then asked to withdraw.
func (a *attackerActor) keyAbuse(e env.Env) {
	victim := "u5"
	key := apiKeyOf(victim)
	req := access.Request{Kind: access.KindAPIKey, APIKey: key, KeyToken: a.aw().tokens[key], IP: "198.51.100.7",
		Biometric: access.BiometricNone}
	a.n++
	switch {
	case a.n <= 80:
		if a.n == 1 {
			a.triedOn(key, victim, "stolen read-only key hammered at 40 uses a minute")
		}
		req.Op, req.Params = access.OpRead, []string{victim, "balance"}
		a.c.call(e, a.endpoint(), req, 0, a.moveOn)
		a.c.later(e, 1500*time.Millisecond, a.keyAbuse)
	default:
		a.triedOn(key, victim, "stolen read-only key asked to withdraw")
		id := fmt.Sprintf("atk-%s-%d", a.id, a.n)
		a.invoke(id, victim, attackAmount, "apikey:"+key)
		req.Op, req.Params = access.OpWithdraw, []string{victim, id, a.addr, strconv.Itoa(attackAmount)}
		a.c.call(e, a.endpoint(), req, 0, func(e env.Env, r wallet.AccessReply) { a.moveOn(e, r); a.refused(id, r) })
	}
}

// escalate: a stolen key that may manage keys asks for a key that may
// withdraw.
func (a *attackerActor) escalate(e env.Env) {
	victim := fmt.Sprintf("u%d", escalationVictim)
	key := apiKeyOf(victim)
	a.triedOn(key, victim, "stolen key asked to mint a withdraw key")
	req := access.Request{Kind: access.KindAPIKey, APIKey: key, KeyToken: a.aw().tokens[key], IP: "198.51.100.9",
		Biometric: access.BiometricNone, Op: access.OpAPIKeyCreate,
		Params: []string{victim, "atk-key-1", access.FormatScopes([]access.Scope{access.ScopeRead, access.ScopeWithdraw})}}
	a.c.call(e, a.endpoint(), req, 0, a.moveOn)
}

// busyBot: user u7's own bot reads its balance 2.5 s after each answer,
// 480 times.
func (a *attackerActor) busyBot(e env.Env) {
	victim := "u7"
	key := apiKeyOf(victim)
	if a.n++; a.n > 480 {
		return
	}
	req := access.Request{Kind: access.KindAPIKey, APIKey: key, KeyToken: a.aw().tokens[key], IP: "10.200.0.7",
		Biometric: access.BiometricNone, Op: access.OpRead, Params: []string{victim, "balance"}}
	// the next read after this one's answer: a bot never piles up requests
	a.c.call(e, a.endpoint(), req, 0, func(e env.Env, r wallet.AccessReply) {
		a.moveOn(e, r)
		a.c.later(e, 2500*time.Millisecond, a.busyBot)
	})
}

// keyAdmin: user u8 logs in from their phone, mints a key that may read
// and withdraw (stepped up), and revokes it half an hour later.
func (a *attackerActor) keyAdmin(e env.Env) {
	user, to := "u8", a.wallets()[1]
	dev := user + "-phone"
	scopes := access.FormatScopes([]access.Scope{access.ScopeRead, access.ScopeWithdraw})
	a.login(e, to, user, dev, a.home(user), func(e env.Env, r wallet.AccessReply) {
		if r.Result != string(access.ResultAllow) {
			return
		}
		session := r.Session
		req := a.as(access.KindOp, user, dev, a.home(user))
		req.Biometric = 930
		req.Session, req.Op, req.Params = session, access.OpAPIKeyCreate, []string{user, "key-u8-trading", scopes}
		a.sensitive(e, to, req, "", func(e env.Env, r wallet.AccessReply) {
			if r.Result != string(access.ResultAllow) {
				return
			}
			a.c.later(e, 30*time.Minute, func(e env.Env) {
				rv := req
				rv.Op = access.OpAPIKeyRevoke
				a.sensitive(e, to, rv, "", func(env.Env, wallet.AccessReply) {})
			})
		})
	})
}

// installAttackers adds the workload's attacker actors, and beside each
// its benign look-alike if it has one.
func (r *run) installAttackers(p custodyParams) {
	addr := chain.MustExternalKey(r.world.Seed(), "attacker", chain.Secp256k1).Address
	for _, id := range p.Attacks {
		a := &attackerActor{run: r, id: id, addr: addr}
		r.world.Add(a.node(), clientRegion, func() env.Node { return a })
		if l, ok := attackLookalike[id]; ok {
			b := &attackerActor{run: r, id: l, addr: addr, benign: true}
			r.world.Add(b.node(), clientRegion, func() env.Node { return b })
		}
	}
}
