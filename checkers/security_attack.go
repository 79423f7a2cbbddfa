package checkers

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"vaultdrill/checkers/history"
)

// The attack families of DOMAIN.md's list, by what the attack is after and
// so what its effect would be.
const (
	famTakeover = "takeover" // 10: funds out of the victim's account
	famOTP      = "otp"      // 11
	famAPIKey   = "apikey"   // 12
	famPolicy   = "policy"   // 4
	famAudit    = "audit"    // 9
	famSanction = "sanction" // 14
	famVelocity = "velocity" // 15
	famKeys     = "keys"     // 1-3, 5-8: the signing path
	famAML      = "aml"      // 13
)

var attackFamily = map[string]string{
	"credential-stuffing": famTakeover, "sim-swap": famTakeover, "new-device": famTakeover, "impossible-travel": famTakeover,
	"otp-replay": famOTP, "otp-skew": famOTP,
	"apikey-abuse": famAPIKey, "scope-escalation": famAPIKey,
	"insider-policy": famPolicy,
	"audit-block":    famAudit,
	"sanctioned":     famSanction,
	"velocity-storm": famVelocity,
	"exfiltration":   famKeys, "tampered-tx": famKeys, "stale-delegation": famKeys, "self-approval": famKeys,
	"mpc-malicious": famKeys, "abort-storm": famKeys, "hsm": famKeys,
	"structuring": famAML, "smurfing": famAML, "rapid-in-out": famAML, "new-account-drain": famAML,
	"mixer": famAML, "peel-chain": famAML,
}

// alertOnly are the attacks whose expected control is to tell someone
// (DOMAIN.md: "alert", "other admins alerted", "user notified"): a refused
// operation alone is not their response. Every other attack may be
// answered by refusing the attacker's operation.
var alertOnly = map[string]bool{
	"exfiltration": true, "stale-delegation": true, "insider-policy": true,
	"credential-stuffing": true, "sim-swap": true, "new-device": true, "impossible-travel": true,
}

// notifyParties are the vocabulary's access.alert notify values.
var notifyParties = []string{"user", "security", "admins"}

// attackTrace is what the stream says of one attack id.
type attackTrace struct {
	id       string
	attacks  []fact
	actors   map[string]bool
	targets  map[string]bool
	subjects map[string]bool // world.truth subjects labeled with the attack
	users    map[string]bool // their users
	victims  map[string]bool // world.attack's user field: whose account it is on
}

func traceAttack(s *secFacts, id string) *attackTrace {
	t := &attackTrace{id: id, actors: map[string]bool{}, targets: map[string]bool{}, subjects: map[string]bool{}, users: map[string]bool{},
		victims: map[string]bool{}}
	for _, f := range s.of(obsAttack) {
		if f.get("attack") == id {
			t.attacks = append(t.attacks, f)
			t.actors[f.get("actor")] = true
			t.targets[f.get("target")] = true
			t.victims[f.get("user")] = true
		}
	}
	for _, f := range s.of(obsTruth) {
		if f.get("label") == id {
			t.subjects[f.get("subject")] = true
			t.users[f.get("user")] = true
		}
	}
	delete(t.actors, "")
	delete(t.targets, "")
	delete(t.subjects, "")
	delete(t.users, "")
	delete(t.victims, "")
	return t
}

// alertAbout reports whether an alert naming the attack is about this
// attack, not a benign look-alike's: its user is one the attack targeted
// (target), was on (user) or was labeled with (world.truth), or the
// change or withdrawal it names is a target. An alert naming none of
// those, or an attack that named no target, matches by its id alone.
func (t *attackTrace) alertAbout(f fact) bool {
	u := f.get("user")
	if len(t.targets)+len(t.victims)+len(t.users) == 0 || u == "" {
		return true
	}
	return t.targets[u] || t.victims[u] || t.users[u] || t.targets[f.get("change")] || t.targets[f.get("withdrawal")]
}

// alertSigningRefused is the alert a signer raises when it refuses to
// sign (system/signer): it answers the signing-path attacks whose target
// is the digest or withdrawal it names.
const alertSigningRefused = "signing-refused"

var signingRefusalAnswers = map[string]bool{"exfiltration": true, "stale-delegation": true, "tampered-tx": true}

// alertFor reports whether access.alert f answers the attack: one naming
// the attack about its victim (alertAbout), or a signer's refusal alert
// naming the attacker's digest or withdrawal.
func (t *attackTrace) alertFor(f fact) bool {
	switch a := f.get("attack"); {
	case a == t.id:
		return t.alertAbout(f)
	case a == alertSigningRefused && signingRefusalAnswers[t.id]:
		d, w := f.get("digest"), f.get("withdrawal")
		return (d != "" && t.targets[d]) || (w != "" && t.targets[w])
	}
	return false
}

// targeted reports whether v is one of the attack's targets; an attack
// that named no target targets everything.
func (t *attackTrace) targeted(v string) bool { return len(t.targets) == 0 || t.targets[v] }

// attackerOp reports whether a history operation is the attacker's: its
// key is a subject world.truth labels with the attack, or its invoke
// detail says actor=A for an actor of the attack.
func (t *attackTrace) attackerOp(p history.Op) bool {
	if t.subjects[p.Invoke.Key] {
		return true
	}
	for _, kv := range strings.Fields(p.Invoke.Detail) {
		if a, ok := strings.CutPrefix(kv, "actor="); ok && t.actors[a] {
			return true
		}
	}
	return false
}

// response is the first answer to an attack.
type response struct {
	at   int64
	what string
	ref  OpRef
}

// Attack is the per-attack expectation: the attack (world.attack with
// that attack id) happened; a response came within bound of its first
// world.attack (bound <= 0: any time after it); and none of its effects
// happened. A response is, at or after the first world.attack, an
// access.alert naming the attack id about this attack (alertAbout: its
// user is one the attack was on, not a benign look-alike's); a risk.freeze of an account the
// attack targets or world.truth labels with it (subject or user); an
// audit.halt, for audit-block; for the signing-path attacks, the signing
// path's own control (security_attack_signing.go):
//   - exfiltration, stale-delegation, tampered-tx: a signer.refuse whose
//     digest or withdrawal is a target of the attack (the signer's own
//     re-check refused what the attacker asked it to sign);
//   - mpc-malicious: a signer.reject whose sender is an actor of the
//     attack, an attributable signer.blame naming one among its culprits,
//     or a signer.quarantine of one;
//   - abort-storm: a signer.abort of an attempt whose parties include an
//     actor (the coordinator gave the attempt up and retries around it),
//     or a signer.quarantine of one;
//   - hsm: at a node the attack targets, an hsm.op failed closed (rv other
//     than CKR_OK), an hsm.locked, an hsm.zeroize or a signer.reconcile;
//
// or, for every attack but those whose control is to tell someone
// (alertOnly), a fail completion of one of the attacker's operations in
// the history (attackerOp). For exfiltration and stale-delegation, which
// are alertOnly, the signers' refusal is the signing path's alert: it is
// observed where the refusal happens, not told by the gateway.
//
// Effects, by family:
//   - account takeover: a withdrawal reserved (first ledger.apply ok
//     under idem wd:ID) whose world.truth label is the attack;
//   - otp-replay: an access.otp accept of a target user's (user, step)
//     already accepted; otp-skew: an accept of a target user's step
//     outside the window (INV-OTP's rule; Unknown without world.user);
//   - apikey-abuse, scope-escalation: an access.decision allow for
//     apikey-use of a target key, after the attack began and without a
//     sound step-up, whose (key, params) had been denied while its user's
//     API keys were not locked (a denied scope), or that came while they
//     were locked (access.lock what=apikey), or after the key's
//     apikey-revoke was allowed; a use of a target key allowed beyond
//     world.access key_rate_max within rate_window_ms at one gateway; a
//     withdrawal labeled with the attack reserved;
//   - insider-policy: a target change effective without its quorum, its
//     approval or its time lock (INV-POLICY's rule; Unknown without
//     world.admins);
//   - audit-block: custody progress while the sinks are down (INV-AUDIT's
//     rule);
//   - sanctioned: INV-SANCTIONS' violations; velocity-storm:
//     INV-VELOCITY's (Unknown when those checkers are);
//   - the AML typologies: a mined custody payment (chain.tx memo wd:ID)
//     of a withdrawal labeled with the typology that its client requested
//     (first invoke) at or after a risk.freeze of its user's account: the
//     pattern's early steps look like anybody's and are paid before it
//     can show (a structurer's first amounts under the threshold); what
//     the control must stop is money going out once it was answered;
//   - the signing-path attacks (and an id not in the list): a mined
//     custody payment (chain.tx memo wd:ID) of a withdrawal labeled with
//     the attack; for exfiltration and stale-delegation a signer.begin or
//     signer.signed of the attacker's digest on an honest signer; for the
//     signing path also
//     INV-OUTFLOW's unmatched outflows and, for tampered-tx, INV-WYSIWYS'
//     violations, when those checkers decide.
//
// Measured: attacks (world.attack count), detected (0 or 1), detect_ns
// (only when detected), bound_ns, effects, alerts (access.alerts naming
// the attack), notified_in_bound_PARTY (those within the bound) and
// notified_user, notified_security, notified_admins (how
// many of those alerts notified each party). The Summary names the
// response and the parties notified. Each party in notify (user,
// security, admins) must have been alerted within the bound, or the
// result is Invalid naming who was not.
func Attack(in Input, attack string, bound time.Duration, notify ...string) Result {
	res := Result{Checker: CheckAttack + ":" + attack, Measured: map[string]int64{"bound_ns": int64(bound)}}
	s := readSecurity(in)
	t := traceAttack(s, attack)
	if len(t.attacks) == 0 {
		return unknown(res, fmt.Sprintf("attack %s was not tried (no world.attack with that id): nothing to judge", attack))
	}
	start := t.attacks[0]
	res.Measured["attacks"] = int64(len(t.attacks))
	res.Measured["bound_ns"] = int64(bound)

	resp, notified := firstResponse(in, s, t, start)
	for _, p := range notifyParties {
		res.Measured["notified_"+p] = notified[p]
	}
	for p, n := range notifiedWithin(s, t, start, bound) { // determinism: allowed (into a map)
		res.Measured["notified_in_bound_"+p] = n
	}
	res.Measured["alerts"] = notified[""]
	var bad []OpRef
	var untold []string
	for _, p := range notify {
		if res.Measured["notified_in_bound_"+p] == 0 {
			untold = append(untold, p)
		}
	}
	if len(untold) > 0 {
		bad = append(bad, start.ref(start.get("target"), fmt.Sprintf("attack %s first tried at %s: %s not alerted within %s (no access.alert about it notified them in time)",
			attack, nsStr(start.Time), strings.Join(untold, " and "), boundStr(bound))))
	}
	respDesc := "no response"
	if resp != nil {
		res.Measured["detected"] = 1
		res.Measured["detect_ns"] = resp.at - start.Time
		res.Notes = map[string]string{"control": resp.what}
		respDesc = fmt.Sprintf("%s after %s", resp.what, nsStr(resp.at-start.Time))
		if bound > 0 && resp.at-start.Time > int64(bound) {
			r := resp.ref
			r.Desc = fmt.Sprintf("attack %s first tried at %s answered only at %s by %s: %s after it, over the bound %s",
				attack, nsStr(start.Time), nsStr(resp.at), resp.what, nsStr(resp.at-start.Time), bound)
			bad = append(bad, r)
		}
	} else {
		res.Measured["detected"] = 0
		bad = append(bad, start.ref(start.get("target"), fmt.Sprintf("attack %s by %s on %s first tried at %s was never answered (no alert naming it, no freeze%s)",
			attack, orNone(start.get("actor")), orNone(start.get("target")), nsStr(start.Time), refusalNote(attack))))
	}
	effects, undecided := attackEffects(in, s, t, start)
	res.Measured["effects"] = int64(len(effects))
	bad = append(bad, effects...)
	if len(bad) == 0 && undecided != "" {
		return unknown(res, fmt.Sprintf("attack %s: %s; its effects could not be judged: %s", attack, respDesc, undecided))
	}
	parties := []string{}
	for _, p := range notifyParties {
		if notified[p] > 0 {
			parties = append(parties, p)
		}
	}
	note := "nobody"
	if len(parties) > 0 {
		note = strings.Join(parties, ",")
	}
	return finishInTime(res, bad, fmt.Sprintf("failures of the expected control for attack %s (%s; notified: %s)", attack, respDesc, note),
		fmt.Sprintf("attack %s tried %d times from %s; answered by %s (bound %s); notified: %s; no effect",
			attack, len(t.attacks), nsStr(start.Time), respDesc, boundStr(bound), note))
}

func boundStr(b time.Duration) string {
	if b <= 0 {
		return "none"
	}
	return b.String()
}

func refusalNote(attack string) string {
	if alertOnly[attack] && len(signingResponses[attack]) == 0 {
		return ""
	}
	if alertOnly[attack] {
		return ", no " + strings.Join(signingResponses[attack], ", no ") + " naming it"
	}
	if attack == "audit-block" {
		return ", no audit.halt, no refused operation of the attacker"
	}
	if kinds := signingResponses[attack]; len(kinds) > 0 {
		return ", no " + strings.Join(kinds, ", no ") + " naming it, no refused operation of the attacker"
	}
	return ", no refused operation of the attacker"
}

// notifiedWithin counts, per party, the alerts about the attack that
// reached it within bound of its first try (any time, for bound <= 0).
func notifiedWithin(s *secFacts, t *attackTrace, start fact, bound time.Duration) map[string]int64 {
	out := map[string]int64{}
	for _, p := range notifyParties {
		out[p] = 0
	}
	for _, f := range s.of(obsAlert) {
		if f.Time < start.Time || !t.alertFor(f) || (bound > 0 && f.Time-start.Time > int64(bound)) {
			continue
		}
		for _, p := range notifyParties {
			if hasItem(f.get("notify"), p) {
				out[p]++
			}
		}
	}
	return out
}

// firstResponse finds the earliest response to the attack, and counts the
// alerts naming it by party notified (key "": all of them).
func firstResponse(in Input, s *secFacts, t *attackTrace, start fact) (*response, map[string]int64) {
	var best *response
	take := func(r response) {
		if r.at >= start.Time && (best == nil || r.at < best.at) {
			best = &r
		}
	}
	notified := map[string]int64{}
	for _, f := range s.of(obsAlert) {
		if f.Time < start.Time || !t.alertFor(f) {
			continue
		}
		notified[""]++
		for _, p := range notifyParties {
			if hasItem(f.get("notify"), p) {
				notified[p]++
			}
		}
		take(response{at: f.Time, what: "access.alert (notify " + orNone(f.get("notify")) + ") on " + f.Node,
			ref: f.ref(t.id, "")})
	}
	for _, f := range s.of(obsFreeze) {
		a := f.get("account")
		if t.targets[a] || t.subjects[a] || t.users[a] {
			take(response{at: f.Time, what: "risk.freeze of " + a, ref: f.ref(a, "")})
		}
	}
	if t.id == "audit-block" {
		for _, f := range s.of(obsAuditHalt) {
			take(response{at: f.Time, what: "audit.halt on " + f.Node, ref: f.ref(t.id, "")})
		}
	}
	for _, kind := range signingResponses[t.id] {
		for _, f := range s.of(kind) {
			if what, ok := signingResponse(t, f); ok {
				take(response{at: f.Time, what: what, ref: f.ref(t.id, "")})
			}
		}
	}
	if !alertOnly[t.id] {
		if pairs, err := history.Pair(in.History); err == nil {
			for _, p := range pairs {
				if p.Done.Kind == history.Fail && p.DoneIdx >= 0 && t.attackerOp(p) && refusedFor(t.id, p.Done.Error) {
					take(response{at: p.Done.Time, what: fmt.Sprintf("refusal of %s %s (%s)", p.Invoke.Op, p.Invoke.Key, orNone(p.Done.Error)),
						ref: OpRef{Index: p.InvokeIdx, Process: p.Process, Op: p.Invoke.Op, Key: p.Invoke.Key, Time: p.Invoke.Time}})
				}
			}
		}
	}
	return best, notified
}

// attackEffects lists the attack's effects (attack doc comment), or says
// why they could not be judged.
func attackEffects(in Input, s *secFacts, t *attackTrace, start fact) ([]OpRef, string) {
	switch attackFamily[t.id] {
	case famTakeover:
		return labeledReserves(s, t), ""
	case famOTP:
		return otpEffects(s, t, start)
	case famAPIKey:
		return append(labeledReserves(s, t), apikeyEffects(s, t, start)...), ""
	case famPolicy:
		if s.admins == nil {
			return nil, "no admins (world.admins)"
		}
		var out []OpRef
		var undecided string
		for _, c := range readChanges(s) {
			if !t.targeted(c.id) {
				continue
			}
			b, u := judgeEffective(c, s.admins)
			out = append(out, b...)
			undecided = first(undecided, u)
		}
		return out, undecided
	case famAudit:
		b, _, _ := sinkOutages(in, s)
		return b, ""
	case famSanction:
		return delegated(Sanctions(in))
	case famVelocity:
		return delegated(Velocity(in))
	case famAML:
		return amlEffects(in, s, t), ""
	}
	out := labeledPayments(in, t)
	if attackFamily[t.id] == famKeys {
		more := []Result{Outflow(in)}
		if t.id == "tampered-tx" {
			more = append(more, WYSIWYS(in))
		}
		for _, r := range more {
			if r.Verdict == Invalid {
				out = append(out, r.First...)
			}
		}
		if t.id == "exfiltration" || t.id == "stale-delegation" {
			out = append(out, joinedAttacker(s, t)...)
		}
	}
	return out, ""
}

// joinedAttacker are the honest signers (not an actor of the attack) that
// began or finished a signing session for the attacker's digest (a
// target): a signer begins only what it authorized, so one that joined
// is the control failing, whether or not a signature came of it.
func joinedAttacker(s *secFacts, t *attackTrace) []OpRef {
	var out []OpRef
	for _, kind := range []string{"signer.begin", "signer.signed"} {
		for _, f := range s.of(kind) {
			if d := f.get("digest"); d != "" && t.targets[d] && !t.actors[f.Node] {
				out = append(out, f.ref(d, fmt.Sprintf("%s on %s for the attacker's digest %s (session %s)", kind, f.Node, abbrev(d), f.get("session"))))
			}
		}
	}
	return out
}

// refusalBy names, for the attacks a specific control answers with a
// refusal, what that refusal's error must say: a withdrawal of the
// attacker's refused for another reason (insufficient funds, an expired
// approval) is not that control answering.
var refusalBy = map[string]string{
	"sanctioned": "compliance", "velocity-storm": "velocity limit",
	"structuring": "risk", "smurfing": "risk", "rapid-in-out": "risk", "new-account-drain": "risk",
	"mixer": "risk", "peel-chain": "risk",
}

// refusedFor reports whether a refusal with error text e is the attack's
// control at work (any refusal, for an attack with no named control).
func refusedFor(attack, e string) bool {
	want, ok := refusalBy[attack]
	return !ok || strings.Contains(e, want)
}

// delegated reads another checker's verdict as the attack's effects.
func delegated(r Result) ([]OpRef, string) {
	switch r.Verdict {
	case Invalid:
		return r.First, ""
	case Unknown:
		return nil, r.Checker + " is unknown: " + r.Summary
	}
	return nil, ""
}

// amlEffects are the mined payments of withdrawals labeled with the
// typology whose request came at or after a freeze of their user, or that
// the risk engine itself flagged (a risk.score of the withdrawal with an
// action other than allow) and that were paid anyway: the withdrawal that
// completes a pattern is asked for before its own freeze, and a drain is
// one withdrawal.
func amlEffects(in Input, s *secFacts, t *attackTrace) []OpRef {
	user := map[string]string{} // labeled subject -> its user
	for _, f := range s.of(obsTruth) {
		if id := f.get("subject"); t.subjects[id] && user[id] == "" {
			user[id] = f.get("user")
		}
	}
	frozen := map[string]int64{} // account -> its first freeze
	for _, f := range s.of(obsFreeze) {
		if _, ok := frozen[f.get("account")]; !ok {
			frozen[f.get("account")] = f.Time
		}
	}
	flagged := map[string]string{} // subject -> the action of its first non-allow score
	for _, f := range s.of(obsScore) {
		if a := f.get("action"); a != "allow" && a != "" && flagged[f.get("subject")] == "" {
			flagged[f.get("subject")] = a
		}
	}
	invoked := map[string]int64{}
	for _, e := range in.History {
		if e.Kind == history.Invoke && e.Op == opWithdraw {
			if _, ok := invoked[e.Key]; !ok {
				invoked[e.Key] = e.Time
			}
		}
	}
	var out []OpRef
	for _, tx := range readCustody(in).mined {
		id, ok := tx.withdrawalOf()
		if !ok || !t.subjects[id] {
			continue
		}
		at, asked := invoked[id]
		fr, wasFrozen := frozen[user[id]]
		switch {
		case asked && wasFrozen && fr <= at:
			out = append(out, tx.ref(fmt.Sprintf("withdrawal %s, labeled %s, requested at %s after user %s was frozen at %s, paid on chain: %s",
				id, t.id, nsStr(at), user[id], nsStr(fr), tx)))
		case flagged[id] != "":
			out = append(out, tx.ref(fmt.Sprintf("withdrawal %s, labeled %s, scored %s by the risk engine and paid on chain anyway: %s",
				id, t.id, flagged[id], tx)))
		}
	}
	return out
}

// labeledPayments are the mined custody payments (chain.tx memo wd:ID,
// first inclusion) of withdrawals labeled with the attack.
func labeledPayments(in Input, t *attackTrace) []OpRef {
	var out []OpRef
	for _, tx := range readCustody(in).mined {
		if id, ok := tx.withdrawalOf(); ok && t.subjects[id] {
			out = append(out, tx.ref(fmt.Sprintf("withdrawal %s, labeled %s, paid on chain: %s", id, t.id, tx)))
		}
	}
	return out
}

func otpEffects(s *secFacts, t *attackTrace, start fact) ([]OpRef, string) {
	var out []OpRef
	seen := map[string]bool{}
	for _, o := range s.of(obsOTP) {
		user := o.get("user")
		if o.get("result") != "accept" {
			continue
		}
		step, err := strconv.ParseInt(o.get("step"), 10, 64)
		if err != nil {
			if t.targeted(user) && o.Time >= start.Time {
				return out, fmt.Sprintf("user %s's accepted step %q", user, o.get("step"))
			}
			continue
		}
		k := user + "\x00" + strconv.FormatInt(step, 10)
		again := seen[k]
		seen[k] = true
		if !t.targeted(user) || o.Time < start.Time {
			continue
		}
		switch t.id {
		case "otp-replay":
			if again {
				out = append(out, o.ref(user, fmt.Sprintf("replayed code accepted: user %s's step %d accepted again at %s", user, step, nsStr(o.Time))))
			}
		case "otp-skew":
			u, ok := s.users[user]
			if !ok {
				return out, "user " + user + " has no world.user"
			}
			if now := floorDiv(o.Time, u.step); abs64(step-now) > u.window {
				out = append(out, o.ref(user, fmt.Sprintf("out-of-window code accepted: user %s's step %d at true step %d (window %d)", user, step, now, u.window)))
			}
		}
	}
	return out, ""
}

// labeledReserves are the reservations (first ledger.apply ok under wd:ID)
// of withdrawals world.truth labels with the attack.
func labeledReserves(s *secFacts, t *attackTrace) []OpRef {
	var out []OpRef
	for _, r := range s.reserves() {
		if t.subjects[r.id] {
			out = append(out, r.ref(r.id, fmt.Sprintf("withdrawal %s, labeled %s, reserved from %s (ledger.apply wd:%s ok, amount %s on %s)",
				r.id, t.id, r.get("account"), r.id, r.get("amount"), r.Node)))
		}
	}
	return out
}

// overRate are the uses of a target key allowed, after the attack began,
// beyond world.access key_rate_max in a rolling rate_window_ms (per
// gateway node, as each gateway counts its own): a rate limit that did
// not hold. Without world.access there is no limit to judge against.
func overRate(s *secFacts, t *attackTrace, start fact) []OpRef {
	w := s.of("world.access")
	if len(w) == 0 {
		return nil
	}
	limit, err1 := strconv.Atoi(w[0].get("key_rate_max"))
	span, err2 := strconv.ParseInt(w[0].get("rate_window_ms"), 10, 64)
	if err1 != nil || err2 != nil || limit < 1 || span < 1 {
		return nil
	}
	span *= int64(1e6)
	var out []OpRef
	recent := map[string][]int64{} // node/key -> allowed use times in the window
	for _, d := range s.of(obsDecision) {
		key := d.get("subject")
		if d.get("op") != opAPIKeyUse || d.get("decision") != decisionAllow || d.Time < start.Time || !t.targeted(key) {
			continue
		}
		k := d.Node + "/" + key
		ts := recent[k]
		for len(ts) > 0 && ts[0] <= d.Time-span {
			ts = ts[1:]
		}
		ts = append(ts, d.Time)
		recent[k] = ts
		if len(ts) > limit && len(out) < FirstMax {
			out = append(out, d.ref(key, fmt.Sprintf("API key %s allowed its use number %d within %s on %s at %s: over the rate limit of %d",
				key, len(ts), time.Duration(span), d.Node, nsStr(d.Time), limit)))
		}
	}
	return out
}

func apikeyEffects(s *secFacts, t *attackTrace, start fact) []OpRef {
	out := overRate(s, t, start)
	cs := readChallenges(s)
	type lockSpan struct {
		idx   int
		until int64
	}
	locks := map[string][]lockSpan{} // user -> apikey locks
	for _, l := range s.of(obsLock) {
		if l.get("what") == "apikey" {
			u, _ := strconv.ParseInt(l.get("until"), 10, 64)
			locks[l.get("user")] = append(locks[l.get("user")], lockSpan{idx: l.idx, until: u})
		}
	}
	lockedAt := func(user string, f fact) bool {
		for _, l := range locks[user] {
			if l.idx < f.idx && f.Time < l.until {
				return true
			}
		}
		return false
	}
	revoked := map[string]fact{}
	denied := map[string]fact{} // key/params -> a deny outside any lock
	for _, d := range s.of(obsDecision) {
		key := d.get("subject")
		switch {
		case d.get("op") == opAPIKeyRevoke && d.get("decision") == decisionAllow:
			if _, ok := revoked[key]; !ok {
				revoked[key] = d
			}
			continue
		case d.get("op") != opAPIKeyUse:
			continue
		}
		k := key + "\x00" + d.get("params")
		switch d.get("decision") {
		case decisionDeny:
			if _, ok := denied[k]; !ok && !lockedAt(d.get("user"), d) {
				denied[k] = d
			}
		case decisionAllow:
			if !t.targeted(key) || d.Time < start.Time {
				continue
			}
			if ok, _ := cs.steppedUp(d); ok {
				continue
			}
			var why string
			if r, ok := revoked[key]; ok {
				why = "after the key's revocation was allowed at " + nsStr(r.Time)
			} else if lockedAt(d.get("user"), d) {
				why = "while user " + d.get("user") + "'s API keys were locked"
			} else if p, ok := denied[k]; ok {
				why = fmt.Sprintf("a scope denied at %s (%s)", nsStr(p.Time), orNone(p.get("reason")))
			}
			if why != "" {
				out = append(out, d.ref(key, fmt.Sprintf("API key %s allowed for params %s at %s %s", key, abbrev(d.get("params")), nsStr(d.Time), why)))
			}
		}
	}
	return out
}

// attackNumber is each attack id's number in DOMAIN.md's list.
var attackNumber = map[string]int{
	"exfiltration": 1, "tampered-tx": 2, "stale-delegation": 3, "insider-policy": 4, "self-approval": 5,
	"mpc-malicious": 6, "abort-storm": 7, "hsm": 8, "audit-block": 9,
	"credential-stuffing": 10, "sim-swap": 10, "new-device": 10, "impossible-travel": 10,
	"otp-replay": 11, "otp-skew": 11, "apikey-abuse": 12, "scope-escalation": 12,
	"structuring": 13, "smurfing": 13, "rapid-in-out": 13, "new-account-drain": 13, "mixer": 13, "peel-chain": 13,
	"sanctioned": 14, "velocity-storm": 15,
}

// AttackNumber is the attack id's number in DOMAIN.md's list (0 for an
// unknown id).
func AttackNumber(id string) int { return attackNumber[id] }

// KnownAttack reports whether id is one of DOMAIN.md's attack ids (the
// vocabulary's list).
func KnownAttack(id string) bool { _, ok := attackFamily[id]; return ok }

// AttackIDs lists the attack ids, sorted, comma-separated.
func AttackIDs() string {
	ids := make([]string, 0, len(attackFamily))
	for id := range attackFamily { // determinism: allowed (sorted below)
		ids = append(ids, id)
	}
	sort.Strings(ids)
	return strings.Join(ids, ", ")
}
