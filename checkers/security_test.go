package checkers

import (
	"bytes"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"vaultdrill/checkers/history"
)

// The security fixture: users u1 and u2 with 30 s TOTP steps and a window
// of one step; admins a1..a4, policy changes needing two of them and an
// hour's time lock.
const (
	secStep = 30 * time.Second
	secAddr = "k1dest00000000000000000000000000000000000"
)

// nob is a fact a node reported.
func nob(at time.Duration, node, kind string, kv ...string) history.Observation {
	o := ob(at, node, kind, kv...)
	o.Source = "node"
	return o
}

func secUsers() []history.Observation {
	return []history.Observation{
		ob(0, "", "world.user", "user", "u1", "devices", "d1", "home", "52.5,13.4", "totp_step_ms", "30000", "totp_window", "1"),
		ob(0, "", "world.user", "user", "u2", "devices", "d2", "home", "48.1,11.6", "totp_step_ms", "30000", "totp_window", "1"),
	}
}

func secAdmins() history.Observation {
	return ob(0, "", "world.admins", "admins", "a1,a2,a3,a4", "policy_quorum", "2", "timelock_ms", "3600000")
}

func otp(at time.Duration, user string, step int64, result, reason string) history.Observation {
	return nob(at, "wallet-1", "access.otp", "user", user, "step", strconv.FormatInt(step, 10), "result", result, "reason", reason)
}

func stepIssue(at time.Duration, ch, user, op, params string, expires time.Duration) history.Observation {
	return nob(at, "wallet-1", "access.stepup", "user", user, "op", op, "params", params, "challenge", ch,
		"result", "issue", "reason", "ok", "expires", strconv.FormatInt(int64(expires), 10))
}

func stepAccept(at time.Duration, ch, user, op, params string) history.Observation {
	return nob(at, "wallet-1", "access.stepup", "user", user, "op", op, "params", params, "challenge", ch,
		"result", "accept", "reason", "ok")
}

func decide(at time.Duration, user, op, params, subject, decision, ch string) history.Observation {
	return nob(at, "wallet-1", "access.decision", "user", user, "op", op, "params", params, "subject", subject,
		"decision", decision, "reason", "policy", "challenge", ch, "device", "d1", "ip", "10.0.0.1", "geo", "52.5,13.4")
}

// reserveWd is the ledger reserving withdrawal id from account.
func reserveWd(at time.Duration, node, id, account string) history.Observation {
	o := cuApply(at, node, "withdraw", account, 500, "wd:"+id, "ok", 1000)
	o.Source = "node"
	return o
}

func alert(at time.Duration, attack, user, notify, reason string) history.Observation {
	return nob(at, "wallet-1", "access.alert", "attack", attack, "user", user, "notify", notify, "reason", reason)
}

// wdParams is the step-up binding of the fixture's withdrawal id by user.
func wdParams(user, id string, amount int64) string {
	return OpParams("withdraw", user, id, secAddr, strconv.FormatInt(amount, 10))
}

// wdHistory: each withdrawal (id, user) of 500 to secAddr, invoked at 0
// and settled ok at 10 minutes.
func wdHistory(ids ...string) []history.Event {
	var h []history.Event
	for i := 0; i+1 < len(ids); i += 2 {
		h = append(h, history.Event{V: 1, Kind: history.Invoke, Process: i, Op: "withdraw", Key: ids[i], Value: 500,
			Detail: "user=" + ids[i+1] + " to=" + secAddr + " amount=500 wallet=hot initiator=" + ids[i+1]})
	}
	for i := 0; i+1 < len(ids); i += 2 {
		h = append(h, history.Event{V: 1, Kind: history.OK, Process: i, Op: "withdraw", Key: ids[i], Value: 500, Time: int64(10 * time.Minute)})
	}
	return h
}

func cat(parts ...[]history.Observation) []history.Observation {
	var out []history.Observation
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

func obs(os ...history.Observation) []history.Observation { return os }

// replace returns obs with the i-th fact changed (the copy's fields are
// its own).
func replace(os []history.Observation, i int, kv ...string) []history.Observation {
	out := append([]history.Observation(nil), os...)
	f := map[string]string{}
	for k, v := range os[i].Fields {
		f[k] = v
	}
	for j := 0; j+1 < len(kv); j += 2 {
		f[kv[j]] = kv[j+1]
	}
	out[i].Fields = f
	return out
}

// drop returns obs without the facts at the given indexes.
func drop(os []history.Observation, idx ...int) []history.Observation {
	skip := map[int]bool{}
	for _, i := range idx {
		skip[i] = true
	}
	var out []history.Observation
	for i, o := range os {
		if !skip[i] {
			out = append(out, o)
		}
	}
	return out
}

// secCase is one row of a checker's table: the verdict wanted and, for an
// Invalid one, a phrase some named fact's description must contain (so
// the violation is caught for the planted reason).
type secCase struct {
	name  string
	check func(Input) Result
	hist  []history.Event
	obs   []history.Observation
	want  Verdict
	desc  string
}

func runSecCases(t *testing.T, cases []secCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := Input{History: c.hist, Observations: c.obs}
			r := c.check(in)
			t.Logf("%s %s: %s", r.Checker, r.Verdict, r.Summary)
			if r.Verdict != c.want {
				t.Fatalf("%s: %s (%s), want %s; first: %+v", r.Checker, r.Verdict, r.Summary, c.want, r.First)
			}
			if r.Summary == "" || strings.Contains(r.Summary, "\n") {
				t.Fatalf("summary not one line: %q", r.Summary)
			}
			if r.Verdict == Invalid {
				if len(r.First) == 0 || len(r.First) > FirstMax {
					t.Fatalf("invalid verdict names %d facts", len(r.First))
				}
				found := c.desc == ""
				for i, f := range r.First {
					if f.Desc == "" {
						t.Fatalf("First[%d] has no description: %+v", i, f)
					}
					if i > 0 && f.Time < r.First[i-1].Time {
						t.Fatalf("First not in time order: %+v", r.First)
					}
					found = found || strings.Contains(f.Desc, c.desc)
				}
				if !found {
					t.Fatalf("no named fact says %q: %+v", c.desc, r.First)
				}
			} else if len(r.First) > 0 {
				t.Fatalf("%s verdict names facts: %+v", r.Verdict, r.First)
			}
			a, _ := json.Marshal(r)
			b, _ := json.Marshal(c.check(in))
			if !bytes.Equal(a, b) {
				t.Fatalf("not deterministic:\n%s\n%s", a, b)
			}
		})
	}
}

func TestOpParams(t *testing.T) {
	// sha256("vaultdrill/op/v1\0withdraw\0u1\0w1\0k1dest\0500"), computed
	// outside Go (Python hashlib).
	const want = "f7b1b71471dbec52c7515553eba852f2bdff8027d5f92d4832e09d051b643d0c"
	if got := OpParams("withdraw", "u1", "w1", "k1dest", "500"); got != want {
		t.Fatalf("OpParams = %s, want %s", got, want)
	}
	if OpParams("withdraw", "u1", "w1") == OpParams("withdraw", "u1w1") || OpParams("a", "b") == OpParams("ab") {
		t.Fatal("field boundaries are not separated")
	}
}

func TestOTP(t *testing.T) {
	// true steps: 100 s is step 3, 130 s step 4
	clean := cat(secUsers(), obs(
		otp(100*time.Second, "u1", 3, "accept", "ok"),
		otp(101*time.Second, "u1", 3, "reject", "replay"),
		otp(102*time.Second, "u2", 3, "accept", "ok"),
		otp(130*time.Second, "u1", 5, "accept", "ok"), // one step ahead: inside the window
		otp(131*time.Second, "u2", 1, "reject", "window"),
	))
	cases := []secCase{
		{name: "clean", obs: clean, want: Valid},
		{name: "a step accepted twice", obs: cat(clean, obs(otp(140*time.Second, "u1", 3, "accept", "ok"))), want: Invalid, desc: "accepted again"},
		{name: "a replayed code accepted within its step", obs: replace(clean, 3, "result", "accept", "reason", "ok"), want: Invalid, desc: "step 3 accepted again"},
		{name: "a step accepted 3 steps from true time", obs: cat(clean, obs(otp(100*time.Second, "u2", 0, "accept", "ok"))), want: Invalid, desc: "3 steps away"},
		{name: "a skewed server accepts two steps ahead", obs: cat(clean, obs(otp(190*time.Second, "u2", 8, "accept", "ok"))), want: Invalid, desc: "2 steps away"},
		{name: "an accept for a user the world never registered", obs: cat(clean, obs(otp(100*time.Second, "u9", 3, "accept", "ok"))), want: Unknown},
		{name: "no world.user", obs: without("world.user", clean), want: Unknown},
	}
	bad := cat(clean, obs(otp(100*time.Second, "u1", 0, "accept", "ok")))
	bad[len(bad)-1].Fields["step"] = "x"
	cases = append(cases, secCase{name: "an accepted step that is not a number", obs: bad, want: Unknown})
	for i := range cases {
		cases[i].check = OTP
	}
	runSecCases(t, cases)
}

func TestStepUp(t *testing.T) {
	m := time.Minute
	p1 := wdParams("u1", "w1", 500)
	pSet := OpParams("setting", "u1", "withdraw-address", secAddr)
	pKey := OpParams("apikey-create", "u2", "k1", "read,trade")
	hist := wdHistory("w1", "u1", "w2", "u2")
	clean := cat(secUsers(), obs(
		stepIssue(1*m, "c1", "u1", "withdraw", p1, 6*m), // 0..3
		stepAccept(2*m, "c1", "u1", "withdraw", p1),
		decide(2*m, "u1", "withdraw", p1, "w1", "allow", "c1"),
		reserveWd(3*m, "ledger-1", "w1", "u1"),
		reserveWd(3*m, "ledger-2", "w1", "u1"),           // 4: a second replica, the same effect
		stepIssue(4*m, "c2", "u1", "setting", pSet, 9*m), // 5..7
		stepAccept(5*m, "c2", "u1", "setting", pSet),
		decide(5*m, "u1", "setting", pSet, "withdraw-address", "allow", "c2"),
		stepIssue(6*m, "c3", "u2", "apikey-create", pKey, 11*m), // 8..10
		stepAccept(7*m, "c3", "u2", "apikey-create", pKey),
		decide(7*m, "u2", "apikey-create", pKey, "k1", "allow", "c3"),
		decide(8*m, "u2", "withdraw", wdParams("u2", "w2", 500), "w2", "stepup", ""), // 11: asked, never done
	))
	p2 := wdParams("u2", "w2", 500)
	cases := []secCase{
		{name: "clean", obs: clean, want: Valid},
		{name: "a withdrawal reserved with no step-up", obs: cat(clean, obs(reserveWd(9*m, "ledger-1", "w2", "u2"))), want: Invalid, desc: "no access.decision allow"},
		{name: "a withdrawal allowed without a challenge", obs: cat(clean, obs(decide(9*m, "u2", "withdraw", p2, "w2", "allow", ""), reserveWd(9*m, "ledger-1", "w2", "u2"))),
			want: Invalid, desc: "without a step-up challenge"},
		{name: "a challenge accepted twice", obs: cat(clean, obs(stepAccept(3*m, "c1", "u1", "withdraw", p1))), want: Invalid, desc: "accepted again"},
		{name: "a challenge used for a second withdrawal", obs: cat(clean, obs(decide(9*m, "u2", "withdraw", p2, "w2", "allow", "c1"), reserveWd(9*m, "ledger-1", "w2", "u2"))),
			want: Invalid, desc: "already used"},
		{name: "a step-up accepted after its expiry", obs: replace(clean, len(secUsers())+0, "expires", strconv.FormatInt(int64(90*time.Second), 10)),
			want: Invalid, desc: "after it expired"},
		{name: "a step-up accepted for other parameters than issued", obs: replace(clean, len(secUsers())+1, "params", wdParams("u1", "w1", 50000)),
			want: Invalid, desc: "issued for"},
		{name: "a step-up bound to another amount than the request", obs: cat(drop(clean, 2, 3, 4, 5, 6), obs(
			stepIssue(1*m, "c1", "u1", "withdraw", wdParams("u1", "w1", 9), 6*m),
			stepAccept(2*m, "c1", "u1", "withdraw", wdParams("u1", "w1", 9)),
			decide(2*m, "u1", "withdraw", wdParams("u1", "w1", 9), "w1", "allow", "c1"),
			reserveWd(3*m, "ledger-1", "w1", "u1"))), want: Invalid, desc: "the request's are"},
		{name: "a challenge accepted that was never issued", obs: drop(clean, len(secUsers())+0), want: Invalid, desc: "never issued"},
		{name: "a setting changed without a step-up", obs: cat(clean, obs(decide(9*m, "u2", "setting", pSet, "new-device", "allow", ""))), want: Invalid, desc: "setting new-device"},
		{name: "an API key revoked on another user's step-up", obs: cat(clean, obs(
			stepIssue(9*m, "c4", "u1", "apikey-revoke", "pr", 12*m), stepAccept(9*m, "c4", "u1", "apikey-revoke", "pr"),
			decide(10*m, "u2", "apikey-revoke", "pr", "k1", "allow", "c4"))), want: Invalid, desc: "the decision is for user u2"},
		{name: "a reservation before its decision", obs: cat(drop(clean, 3, 4, 5, 6), obs(
			reserveWd(2*m, "ledger-1", "w1", "u1"),
			stepAccept(2*m, "c1", "u1", "withdraw", p1),
			decide(2*m, "u1", "withdraw", p1, "w1", "allow", "c1"))), want: Invalid, desc: "no access.decision allow"},
		{name: "no access layer at all", obs: obs(reserveWd(3*m, "ledger-1", "w1", "u1")), want: Unknown},
	}
	for i := range cases {
		cases[i].check, cases[i].hist = StepUp, hist
	}
	runSecCases(t, cases)
}

func TestFrozen(t *testing.T) {
	m := time.Minute
	freeze := func(at time.Duration, account, by, c string) history.Observation {
		return nob(at, "wallet-1", "risk.freeze", "account", account, "by", by, "case", c)
	}
	release := func(at time.Duration, account, by, c string) history.Observation {
		return nob(at, "wallet-1", "risk.release", "account", account, "by", by, "case", c)
	}
	rcase := func(at time.Duration, c, account, state, decision, reviewer string) history.Observation {
		return nob(at, "wallet-1", "risk.case", "case", c, "subject", "w7", "account", account, "state", state, "decision", decision, "reviewer", reviewer)
	}
	clean := obs(
		nob(9*m, "wallet-1", "risk.score", "subject", "w7", "user", "u2", "op", "withdraw", "score", "910", "action", "freeze", "features", "velocity=9", "typology", "rapid-in-out"),
		freeze(10*m, "u2", "automation", "k1"),             // 1
		rcase(10*m, "k1", "u2", "open", "", ""),            // 2
		reserveWd(12*m, "ledger-1", "w1", "u1"),            // 3: another account
		rcase(20*m, "k1", "u2", "closed", "release", "r1"), // 4
		release(20*m, "u2", "r1", "k1"),                    // 5
		reserveWd(25*m, "ledger-1", "w3", "u2"),            // 6: after the release
	)
	cases := []secCase{
		{name: "clean", obs: clean, want: Valid},
		{name: "a withdrawal from a frozen account", obs: cat(clean[:3], obs(reserveWd(15*m, "ledger-1", "w4", "u2")), clean[3:]), want: Invalid, desc: "while frozen"},
		{name: "a replica applying an old reservation while frozen is no new withdrawal",
			obs: cat(obs(reserveWd(9*m, "ledger-1", "w4", "u2")), clean[:3], obs(reserveWd(15*m, "ledger-2", "w4", "u2")), clean[3:]), want: Valid},
		{name: "a release by automation", obs: replace(clean, 5, "by", "automation"), want: Invalid, desc: "not a reviewer"},
		{name: "a freeze without a case", obs: cat(clean, obs(freeze(30*m, "u1", "automation", "k9"))), want: Invalid, desc: "no review case"},
		{name: "a release of a case opened for another account", obs: replace(clean, 2, "account", "u1"), want: Invalid, desc: "opened for account u1"},
		{name: "a release no case closes", obs: drop(clean, 4), want: Invalid, desc: "no risk.case closes"},
		{name: "a release after the review confirmed the freeze", obs: replace(clean, 4, "decision", "confirm"), want: Invalid, desc: "confirming the freeze"},
		{name: "a release naming another case lifts nothing", obs: replace(clean, 5, "case", "k2"), want: Invalid, desc: "w3 reserved"},
		{name: "no risk facts", obs: obs(reserveWd(12*m, "ledger-1", "w1", "u1")), want: Unknown},
	}
	for i := range cases {
		cases[i].check = Frozen
	}
	runSecCases(t, cases)
}

func changeOb(at time.Duration, id, state, approvers string, kv ...string) history.Observation {
	f := append([]string{"change", id, "kind", "quorum", "value", "hot-large=1", "state", state, "approvers", approvers,
		"quorum", "2", "effective_at", "", "reason", ""}, kv...)
	return nob(at, "wallet-1", "policy.change", f...)
}

func TestPolicy(t *testing.T) {
	m := time.Minute
	clean := obs(
		secAdmins(),
		changeOb(0, "c1", "proposed", "", "proposer", "a1"),                                       // 1
		alert(time.Second, "anomaly", "a1", "admins,security", "policy change c1 proposed by a1"), // 2
		changeOb(10*m, "c1", "approved", "a2,a3"),                                                 // 3
		changeOb(60*m+time.Second, "c1", "effective", "a2,a3"),                                    // 4
		changeOb(70*m, "c2", "proposed", "", "proposer", "a4"),                                    // 5
		alert(70*m, "insider-policy", "a4", "admins", "c2"),                                       // 6
		changeOb(80*m, "c2", "rejected", ""),                                                      // 7
	)
	cases := []secCase{
		{name: "clean", obs: clean, want: Valid},
		{name: "a policy effective before its time lock", obs: cat(clean[:4], obs(changeOb(30*m, "c1", "effective", "a2,a3")), clean[5:]), want: Invalid, desc: "inside the time lock"},
		{name: "a policy approved by too few admins", obs: replace(replace(clean, 3, "approvers", "a2"), 4, "approvers", "a2"), want: Invalid, desc: "1 distinct admins"},
		{name: "a policy approval counting the proposer", obs: replace(replace(clean, 3, "approvers", "a1,a2"), 4, "approvers", "a1,a2"), want: Invalid, desc: "the proposer a1"},
		{name: "a policy approval counting a non-admin", obs: replace(clean, 4, "approvers", "a2,mallory"), want: Invalid, desc: "non-admins mallory"},
		{name: "a policy effective without approval", obs: drop(clean, 3), want: Invalid, desc: "without being approved"},
		{name: "a policy effective without a proposal", obs: drop(clean, 1, 2), want: Invalid, desc: "without a proposal"},
		{name: "admins never alerted", obs: drop(clean, 2), want: Invalid, desc: "no access.alert notifying admins"},
		{name: "admins alerted after the time lock", obs: cat(drop(clean, 2), obs(alert(61*m, "anomaly", "a1", "admins", "c1"))), want: Invalid, desc: "no access.alert notifying admins"},
		{name: "only the user alerted", obs: replace(clean, 2, "notify", "user"), want: Invalid, desc: "no access.alert"},
		{name: "the proposer unknown and decisive", obs: replace(clean, 1, "proposer", ""), want: Unknown},
		{name: "the proposer named by its access decision", obs: cat(replace(clean, 1, "proposer", ""), obs(decide(0, "a1", "policy", "pp", "c1", "allow", ""))), want: Valid},
		{name: "no world.admins", obs: clean[1:], want: Unknown},
	}
	for i := range cases {
		cases[i].check = Policy
	}
	runSecCases(t, cases)
}

func TestAudit(t *testing.T) {
	m := time.Minute
	replica := func(node, entries, head, verify, missing string) history.Observation {
		return ob(90*m, "", "world.audit", "node", node, "entries", entries, "head", head, "verify", verify, "missing_fields", missing)
	}
	sinks := func(at time.Duration, up string) history.Observation {
		return ob(at, "", "world.audit_sinks", "up", up)
	}
	state := func(at time.Duration, id, s string) history.Observation {
		return nob(at, "wallet-1", "wallet.state", "withdrawal", id, "state", s, "reason", "")
	}
	clean := obs(
		state(5*m, "w1", "reserved"),
		reserveWd(5*m, "ledger-1", "w1", "u1"),
		sinks(10*m, "0"), // 2
		nob(10*m+time.Second, "wallet-1", "audit.halt", "reason", "no sink can record"),
		state(11*m, "w5", "requested"),          // 4
		reserveWd(12*m, "ledger-2", "w1", "u1"), // 5: a lagging replica, no new effect
		sinks(20*m, "1"),
		state(21*m, "w5", "reserved"),
		reserveWd(21*m, "ledger-1", "w5", "u1"),
		replica("wallet-1", "42", "ab12", "ok", ""), // 9
		replica("wallet-2", "42", "ab12", "ok", ""), // 10
		replica("wallet-3", "42", "AB12", "ok", ""), // 11: case does not make another hash
	)
	copyOf := func(node, origin, entries, head string) history.Observation {
		return ob(90*m, "", "world.audit", "node", node, "origin", origin, "entries", entries, "head", head, "verify", "ok", "missing_fields", "")
	}
	twoLogs := obs(
		copyOf("wallet-1", "wallet-1", "40", "aa"), copyOf("wallet-2/replica/wallet-1", "wallet-1", "40", "aa"),
		copyOf("wallet-2", "wallet-2", "35", "bb"), copyOf("wallet-1/replica/wallet-2", "wallet-2", "35", "bb"),
	)
	cases := []secCase{
		{name: "clean", obs: clean, want: Valid},
		{name: "a replica whose verify is not ok", obs: replace(clean, 10, "verify", "entry 17: prev hash mismatch"), want: Invalid, desc: "does not verify: entry 17"},
		{name: "a replica with a missing field", obs: replace(clean, 11, "missing_fields", "device,ip"), want: Invalid, desc: "empty fields: device,ip"},
		{name: "two replicas with different heads", obs: replace(clean, 11, "head", "cd34"), want: Invalid, desc: "different heads"},
		{name: "a withdrawal progressing while sinks are down", obs: cat(clean[:5], obs(state(12*m, "w5", "approved")), clean[5:]), want: Invalid, desc: "moved to approved"},
		{name: "a withdrawal reserved while sinks are down", obs: cat(clean[:5], obs(reserveWd(13*m, "ledger-1", "w6", "u1")), clean[5:]), want: Invalid, desc: "w6 reserved"},
		{name: "sinks that never come back", obs: drop(clean, 6), want: Invalid, desc: "w5 moved to reserved"},
		// a retry noted in the state the withdrawal is already in is no
		// progress; a new state first seen during the outage is, even if
		// it repeats
		{name: "a retry in the state it was in", obs: cat(clean[:5], obs(state(12*m, "w1", "reserved")), clean[5:]), want: Valid},
		{name: "a new state repeated while sinks are down", obs: cat(clean[:5], obs(state(12*m, "w1", "signing"), state(13*m, "w1", "signing")), clean[5:]), want: Invalid, desc: "w1 moved to signing"},
		{name: "the same state on another node is a move there", obs: cat(clean[:5], obs(nob(12*m, "wallet-2", "wallet.state", "withdrawal", "w1", "state", "reserved", "reason", "")), clean[5:]), want: Invalid, desc: "w1 moved to reserved on wallet-2"},
		{name: "a shorter replica: prefix or fork cannot be told", obs: replace(clean, 11, "entries", "40", "head", "ef56"), want: Unknown},
		{name: "the last read of a node counts", obs: cat(obs(replica("wallet-2", "42", "zz", "broken", "")), clean), want: Valid},
		{name: "no audit facts", obs: clean[:2], want: Unknown},
		// Copies of several logs, named by their origin: only copies of
		// one log are compared.
		{name: "two logs, each with its replica", obs: twoLogs, want: Valid},
		{name: "a forked replica of one log", obs: replace(twoLogs, 3, "head", "cc"), want: Invalid, desc: "different heads"},
		{name: "a replica of one log that lags", obs: replace(twoLogs, 3, "entries", "30", "head", "dd"), want: Unknown},
		{name: "a copy that misses an anchor", obs: replace(twoLogs, 3, "verify", "anchor wallet-2@30: broken"), want: Invalid, desc: "does not verify"},
	}
	for i := range cases {
		cases[i].check = Audit
	}
	runSecCases(t, cases)
}

// An alert naming the attack id for somebody else (a benign look-alike's
// new phone, say) is not the attack's answer; one for its victim is.
func TestAttackAlertMustBeAboutTheVictim(t *testing.T) {
	m := time.Minute
	attack := ob(m, "", "world.attack", "attack", "new-device", "actor", "attacker-1", "target", "u2", "detail", "")
	benign := alert(m+time.Second, "new-device", "u11", "user", "login from unregistered device u11-newphone")
	victim := alert(3*m, "new-device", "u2", "user", "login from unregistered device atk-laptop")
	r := Attack(Input{Observations: []history.Observation{attack, benign}}, "new-device", time.Minute)
	if r.Measured["detected"] != 0 || r.Verdict != Invalid {
		t.Fatalf("a look-alike's alert answered the attack: %s %v", r.Verdict, r.Measured)
	}
	r = Attack(Input{Observations: []history.Observation{attack, benign, victim}}, "new-device", 5*time.Minute)
	if r.Verdict != Valid || r.Measured["detect_ns"] != int64(2*m) || r.Measured["notified_user"] != 1 {
		t.Fatalf("the victim's alert: %s %v", r.Verdict, r.Measured)
	}
	// a key attack names the key as target and the account as user
	keyAtk := ob(m, "", "world.attack", "attack", "apikey-abuse", "actor", "attacker-2", "target", "key-u5", "user", "u5", "detail", "")
	keyAlert := alert(2*m, "apikey-abuse", "u5", "user,security", "key key-u5 over 30 uses")
	if r := Attack(Input{Observations: []history.Observation{keyAtk, keyAlert}}, "apikey-abuse", 5*time.Minute); r.Measured["detected"] != 1 {
		t.Fatalf("the key owner's alert: %s %v", r.Verdict, r.Measured)
	}
}

// A stolen key's uses allowed beyond the published rate limit, or a
// labeled withdrawal reserved through it, are the attack's effects even
// when an alert came.
func TestAttackAPIKeyRateAndWithdrawalEffects(t *testing.T) {
	s := time.Second
	atk := ob(10*s, "", "world.attack", "attack", "apikey-abuse", "actor", "attacker-1", "target", "key-u5", "user", "u5", "detail", "")
	limits := ob(0, "", "world.access", "key_rate_max", "3", "rate_window_ms", "60000")
	use := func(at time.Duration) history.Observation {
		return decide(at, "u5", "apikey-use", "p", "key-u5", "allow", "")
	}
	warn := alert(20*s, "apikey-abuse", "u5", "user,security", "key key-u5 over 3 uses")
	under := []history.Observation{limits, atk, use(11 * s), use(12 * s), use(13 * s), warn, use(80 * s)}
	if r := Attack(Input{Observations: under}, "apikey-abuse", time.Minute); r.Verdict != Valid {
		t.Fatalf("three uses a minute: %s %s", r.Verdict, r.Summary)
	}
	over := []history.Observation{limits, atk, use(11 * s), use(12 * s), use(13 * s), use(14 * s), warn, use(80 * s)}
	r := Attack(Input{Observations: over}, "apikey-abuse", time.Minute)
	if r.Verdict != Invalid || !strings.Contains(firstDescs(r), "over the rate limit of 3") {
		t.Fatalf("a fourth use in the minute allowed: %s %s", r.Verdict, firstDescs(r))
	}
	// without world.access there is no limit to judge against
	if r := Attack(Input{Observations: over[1:]}, "apikey-abuse", time.Minute); r.Verdict != Valid {
		t.Fatalf("no published limit: %s %s", r.Verdict, r.Summary)
	}
	paid := append(append([]history.Observation{}, under...),
		ob(30*s, "", "world.truth", "subject", "atk-1", "user", "u5", "label", "apikey-abuse", "lookalike", "0"),
		reserveWd(40*s, "ledger-1", "atk-1", "u5"))
	if r := Attack(Input{Observations: paid}, "apikey-abuse", time.Minute); r.Verdict != Invalid || !strings.Contains(firstDescs(r), "atk-1") {
		t.Fatalf("a labeled withdrawal reserved through the key: %s %s", r.Verdict, firstDescs(r))
	}
}

// A refusal answers an attack with a named control only when that control
// refused: a sanctioned payment failing for lack of funds is no answer.
func TestAttackRefusalMustBeTheControls(t *testing.T) {
	s := time.Second
	atk := ob(10*s, "", "world.attack", "attack", "sanctioned", "actor", "user-3", "target", "w3-1", "detail", "")
	hist := func(errText string) []history.Event {
		return []history.Event{
			{V: 1, Kind: history.Invoke, Process: 3, Op: "withdraw", Key: "w3-1", Value: 5, Time: int64(10 * s), Detail: "user=u3 actor=user-3"},
			{V: 1, Kind: history.Fail, Process: 3, Op: "withdraw", Key: "w3-1", Value: 5, Error: errText, Time: int64(11 * s)},
		}
	}
	if r := firstResponseOf(Input{History: hist("wallet: insufficient funds"), Observations: []history.Observation{atk}}, "sanctioned"); r != nil {
		t.Fatalf("a refusal for lack of funds answered a sanctioned payment: %s", r.what)
	}
	if r := firstResponseOf(Input{History: hist("wallet: compliance: deny: destination is sanctioned"), Observations: []history.Observation{atk}}, "sanctioned"); r == nil {
		t.Fatal("the compliance refusal did not answer it")
	}
}

func firstResponseOf(in Input, attack string) *response {
	s := readSecurity(in)
	tr := traceAttack(s, attack)
	r, _ := firstResponse(in, s, tr, tr.attacks[0])
	return r
}

// An attack that must alert security fails when only the user was told,
// or security was told only after the bound.
func TestAttackNotifyParties(t *testing.T) {
	m := time.Minute
	atk := ob(m, "", "world.attack", "attack", "new-device", "actor", "attacker-1", "target", "u2", "detail", "")
	toUser := alert(m+time.Second, "new-device", "u2", "user", "login from unregistered device")
	lateSecurity := alert(5*m, "new-device", "u2", "security", "held withdrawal")
	obs := []history.Observation{atk, toUser, lateSecurity}
	if r := Attack(Input{Observations: obs}, "new-device", time.Minute, "user"); r.Verdict != Valid {
		t.Fatalf("the user was told in time: %s %s", r.Verdict, r.Summary)
	}
	r := Attack(Input{Observations: obs}, "new-device", time.Minute, "user", "security")
	if r.Verdict != Invalid || !strings.Contains(firstDescs(r), "security not alerted within 1m0s") {
		t.Fatalf("security told only after the bound: %s %s", r.Verdict, firstDescs(r))
	}
	if r := Attack(Input{Observations: obs}, "new-device", 10*time.Minute, "user", "security"); r.Verdict != Valid {
		t.Fatalf("both told within a 10m bound: %s %s", r.Verdict, r.Summary)
	}
}
