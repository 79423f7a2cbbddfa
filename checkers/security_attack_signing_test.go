package checkers

import (
	"strings"
	"testing"
	"time"

	"vaultdrill/checkers/history"
)

// attackAt is the world reporting an attack.
func attackAt(at time.Duration, attack, actor, target string) history.Observation {
	return ob(at, "", "world.attack", "attack", attack, "actor", actor, "target", target, "detail", "test")
}

// Each signing-path response answers its attack when it names the
// attack's target or actor, within the bound; the same fact naming
// someone else, a fact of another kind, one before the attack, or one
// after the bound does not.
func TestAttackSigningPathResponses(t *testing.T) {
	const dg = "d1g357"
	const sess = "hot/7/1[signer-hot-1,signer-hot-2]"
	cases := []struct {
		name    string
		attack  history.Observation
		resp    history.Observation
		other   history.Observation // the same kind, naming someone else: not a response
		measure string              // a word the Summary must contain when answered
	}{
		{"exfiltration refused by a signer", attackAt(time.Minute, "exfiltration", "signer-hot-1", dg),
			nob(time.Minute+time.Second, "signer-hot-2", "signer.refuse", "key", "hot", "digest", dg, "withdrawal", "", "reason", "signer: refused: no approvals"),
			nob(time.Minute+time.Second, "signer-hot-2", "signer.refuse", "key", "hot", "digest", "other", "withdrawal", "w9", "reason", "x"),
			"signer.refuse"},
		{"stale delegation refused", attackAt(time.Minute, "stale-delegation", "signer-hot-1", dg),
			nob(time.Minute+time.Second, "signer-hot-3", "signer.refuse", "key", "hot", "digest", dg, "withdrawal", "x1", "reason", "expired"),
			nob(time.Minute+time.Second, "signer-hot-3", "signer.refuse", "key", "hot", "digest", "zz", "withdrawal", "x2", "reason", "expired"),
			"signer.refuse"},
		{"tampered transaction refused by withdrawal id", attackAt(time.Minute, "tampered-tx", "wallet-1", "w1-1"),
			nob(time.Minute+time.Second, "signer-hot-1", "signer.refuse", "key", "hot", "digest", "aa", "withdrawal", "w1-1", "reason", "approval"),
			nob(time.Minute+time.Second, "signer-hot-1", "signer.refuse", "key", "hot", "digest", "aa", "withdrawal", "w2-1", "reason", "approval"),
			"signer.refuse"},
		{"malicious party's message rejected", attackAt(time.Minute, "mpc-malicious", "attacker", "signer-hot-2"),
			nob(time.Minute+time.Second, "signer-hot-2", "signer.reject", "sender", "attacker", "claimed", "signer-hot-1", "session", sess, "reason", "spoofed"),
			nob(time.Minute+time.Second, "signer-hot-2", "signer.reject", "sender", "signer-hot-3", "claimed", "signer-hot-3", "session", sess, "reason", "unknown-session"),
			"signer.reject"},
		{"malicious party blamed", attackAt(time.Minute, "mpc-malicious", "signer-hot-1", "signer-hot-2"),
			nob(time.Minute+time.Second, "signer-hot-2", "signer.blame", "session", sess, "attempt", "1", "culprits", "signer-hot-1", "attributable", "true", "reason", "proof"),
			nob(time.Minute+time.Second, "signer-hot-2", "signer.blame", "session", sess, "attempt", "1", "culprits", "signer-hot-1", "attributable", "false", "reason", "proof"),
			"signer.blame"},
		{"malicious party quarantined", attackAt(time.Minute, "mpc-malicious", "signer-hot-1", "signer-hot-2"),
			nob(time.Minute+time.Second, "signer-hot-2", "signer.quarantine", "party", "signer-hot-1", "strikes", "3"),
			nob(time.Minute+time.Second, "signer-hot-2", "signer.quarantine", "party", "signer-hot-3", "strikes", "3"),
			"signer.quarantine"},
		{"silent party's attempt abandoned", attackAt(time.Minute, "abort-storm", "signer-hot-1", "signer-hot-2"),
			nob(time.Minute+time.Second, "signer-hot-2", "signer.abort", "session", sess, "attempt", "1", "reason", "timeout"),
			nob(time.Minute+time.Second, "signer-hot-2", "signer.abort", "session", "hot/7/2[signer-hot-2,signer-hot-3]", "attempt", "2", "reason", "timeout"),
			"signer.abort"},
		{"the signer abandons its attempt when its HSM fails", attackAt(time.Minute, "hsm", "harness", "signer-hot-1"),
			nob(time.Minute+time.Second, "signer-hot-1", "signer.abort", "session", sess, "attempt", "1", "reason", "hsm: CKR_DEVICE_REMOVED"),
			nob(time.Minute+time.Second, "signer-hot-2", "signer.abort", "session", sess, "attempt", "1", "reason", "timeout"),
			"signer.abort"},
		{"the injected HSM error is not its own answer", attackAt(time.Minute, "hsm", "harness", "signer-hot-1"),
			nob(time.Minute+time.Second, "signer-hot-1", "hsm.locked", "user", "user"),
			nob(time.Minute+time.Second, "signer-hot-1", "hsm.op", "op", "unseal", "op_id", "4", "rv", "CKR_GENERAL_ERROR", "session", "1", "label", "hot"),
			"hsm.locked"},
		{"a silent party's own timeout is not the answer", attackAt(time.Minute, "abort-storm", "signer-hot-1", "signer-hot-2"),
			nob(time.Minute+time.Second, "signer-hot-2", "signer.abort", "session", sess, "attempt", "1", "reason", "timeout"),
			nob(time.Minute+time.Second, "signer-hot-1", "signer.abort", "session", sess, "attempt", "1", "reason", "timeout"),
			"signer.abort"},
		{"HSM PIN locked", attackAt(time.Minute, "hsm", "harness", "signer-hot-3"),
			nob(time.Minute+time.Second, "signer-hot-3", "hsm.locked", "user", "user"),
			nob(time.Minute+time.Second, "signer-hot-2", "hsm.locked", "user", "user"),
			"hsm.locked"},
		{"HSM zeroized", attackAt(time.Minute, "hsm", "harness", "signer-hot-1"),
			nob(time.Minute+time.Second, "signer-hot-1", "hsm.zeroize", "tamper_count", "1", "generation", "2"),
			nob(time.Minute+time.Second, "signer-hot-2", "hsm.zeroize", "tamper_count", "1", "generation", "2"),
			"hsm.zeroize"},
		{"HSM general error reconciled", attackAt(time.Minute, "hsm", "harness", "signer-hot-2"),
			nob(time.Minute+time.Second, "signer-hot-2", "signer.reconcile", "opid", "9", "known", "true", "happened", "false"),
			nob(time.Minute+time.Second, "signer-hot-1", "signer.reconcile", "opid", "9", "known", "true", "happened", "false"),
			"signer.reconcile"},
	}
	for _, tc := range cases {
		t.Run(strings.ReplaceAll(tc.name, " ", "_"), func(t *testing.T) {
			id := tc.attack.Fields["attack"]
			judge := func(bound time.Duration, obs ...history.Observation) Result {
				return Attack(Input{Observations: obs}, id, bound)
			}
			r := judge(time.Minute, tc.attack, tc.resp)
			if r.Verdict != Valid || r.Measured["detected"] != 1 || r.Measured["detect_ns"] != int64(time.Second) || !strings.Contains(r.Summary, tc.measure) {
				t.Fatalf("answered: %s %q %v", r.Verdict, r.Summary, r.Measured)
			}
			if r := judge(time.Minute, tc.attack, tc.other); r.Verdict != Invalid || r.Measured["detected"] != 0 {
				t.Fatalf("a fact naming someone else was taken as the response: %s %q", r.Verdict, r.Summary)
			}
			early := tc.resp
			early.Time = int64(30 * time.Second)
			if r := judge(time.Minute, early, tc.attack); r.Verdict != Invalid {
				t.Fatalf("a fact before the attack was taken as the response: %s %q", r.Verdict, r.Summary)
			}
			if r := judge(500*time.Millisecond, tc.attack, tc.resp); r.Verdict != Invalid || r.Measured["detected"] != 1 {
				t.Fatalf("a response over the bound passed: %s %q", r.Verdict, r.Summary)
			}
			// another attack's id is not answered by this one's control
			other := tc.attack
			other.Fields = map[string]string{}
			for k, v := range tc.attack.Fields {
				other.Fields[k] = v
			}
			other.Fields["attack"] = "velocity-storm"
			if r := Attack(Input{Observations: []history.Observation{other, tc.resp}}, "velocity-storm", time.Minute); r.Measured["detected"] != 0 {
				t.Fatalf("%s answered velocity-storm: %q", tc.resp.Kind, r.Summary)
			}
		})
	}
}

// A signing-path attack that was refused but still paid the attacker is
// invalid: the labeled withdrawal was mined from the hot address.
func TestAttackSigningPathEffect(t *testing.T) {
	obs := []history.Observation{
		ob(0, "", "world.custody", "wallet", "hot", "address", "k1hot", "chain", "secp256k1"),
		attackAt(time.Minute, "exfiltration", "signer-hot-1", "dd"),
		ob(time.Minute, "", "world.truth", "subject", "x1", "user", "attacker", "label", "exfiltration", "lookalike", "0"),
		nob(time.Minute+time.Second, "signer-hot-2", "signer.refuse", "key", "hot", "digest", "dd", "withdrawal", "x1", "reason", "no approvals"),
	}
	if r := Attack(Input{Observations: obs}, "exfiltration", time.Minute); r.Verdict != Valid {
		t.Fatalf("refused, nothing paid: %s %q", r.Verdict, r.Summary)
	}
	paid := nob(2*time.Minute, "chain-secp256k1", "chain.tx", "chain", "secp256k1", "txid", "t1", "from", "k1hot", "to", "k1evil",
		"amount", "100", "fee", "10", "nonce", "0", "memo", "wd:x1", "pubkey", "", "sig", "", "digest", "dd", "height", "3", "index", "0", "block", "b3")
	r := Attack(Input{Observations: append(obs, paid)}, "exfiltration", time.Minute)
	if r.Verdict != Invalid || r.Measured["effects"] == 0 {
		t.Fatalf("a paid exfiltration passed: %s %q %v", r.Verdict, r.Summary, r.Measured)
	}
}

// INV-MPCBIND judges only the wire attacks (a world.attack with a kind): an
// attack on an HSM or the audit sinks is no MPC message to reject.
func TestMPCBindIgnoresOtherAttacks(t *testing.T) {
	hsm := attackAt(time.Minute, "hsm", "attacker", "signer-hot-1")
	if r := MPCBind(Input{Observations: []history.Observation{hsm}}); r.Verdict != Valid || r.Measured["attacks"] != 0 {
		t.Fatalf("an HSM attack judged as an MPC message: %s %q", r.Verdict, r.Summary)
	}
	spoof := ob(time.Minute, "signer-hot-2", "world.attack", "kind", "spoof", "from", "attacker", "to", "signer-hot-2", "session", "",
		"attack", "mpc-malicious", "actor", "attacker", "target", "signer-hot-2")
	if r := MPCBind(Input{Observations: []history.Observation{hsm, spoof}}); r.Verdict != Invalid || r.Measured["attacks"] != 1 {
		t.Fatalf("an unanswered spoof passed: %s %q", r.Verdict, r.Summary)
	}
}

// An honest signer that joins the attacker's session (it begins only what
// it authorized) is the control failing, even before any signature.
func TestAttackExfiltrationJoinedIsAnEffect(t *testing.T) {
	const dg = "d1g357"
	atk := attackAt(time.Minute, "exfiltration", "signer-hot-1", dg)
	refused := nob(time.Minute+time.Second, "signer-hot-2", "signer.refuse", "key", "hot", "digest", dg, "withdrawal", "", "reason", "no approvals")
	joined := nob(time.Minute+time.Second, "signer-hot-3", "signer.begin", "key", "hot", "session", "hot/9/1[signer-hot-1,signer-hot-3]", "attempt", "1",
		"parties", "signer-hot-1,signer-hot-3", "digest", dg, "coordinator", "signer-hot-1")
	own := nob(time.Minute+time.Second, "signer-hot-1", "signer.begin", "key", "hot", "session", "hot/9/1[signer-hot-1,signer-hot-3]", "attempt", "1",
		"parties", "signer-hot-1,signer-hot-3", "digest", dg, "coordinator", "signer-hot-1")
	if r := Attack(Input{Observations: []history.Observation{atk, refused, own}}, "exfiltration", time.Minute); r.Verdict != Valid {
		t.Fatalf("the attacker's own begin: %s %s", r.Verdict, r.Summary)
	}
	r := Attack(Input{Observations: []history.Observation{atk, refused, joined}}, "exfiltration", time.Minute)
	if r.Verdict != Invalid || r.Measured["effects"] != 1 {
		t.Fatalf("an honest signer joined: %s %v %s", r.Verdict, r.Measured, r.Summary)
	}
}

// A signer's refusal alert answers the signing-path attack whose digest
// or withdrawal it names, and tells security; one naming another digest
// does not.
func TestAttackSigningRefusedAlert(t *testing.T) {
	const dg = "d1g357"
	atk := attackAt(time.Minute, "exfiltration", "signer-hot-1", dg)
	mine := nob(time.Minute+time.Second, "signer-hot-2", "access.alert", "attack", "signing-refused", "user", "signer-hot-1", "notify", "security",
		"digest", dg, "withdrawal", "", "reason", "no approvals")
	other := nob(time.Minute+time.Second, "signer-hot-2", "access.alert", "attack", "signing-refused", "user", "wallet-1", "notify", "security",
		"digest", "ffff", "withdrawal", "w9-1", "reason", "no approvals")
	if r := Attack(Input{Observations: []history.Observation{atk, other}}, "exfiltration", time.Minute); r.Measured["detected"] != 0 {
		t.Fatalf("another digest's refusal answered it: %v", r.Measured)
	}
	r := Attack(Input{Observations: []history.Observation{atk, other, mine}}, "exfiltration", time.Minute)
	if r.Verdict != Valid || r.Measured["notified_security"] != 1 || r.Measured["notified_in_bound_security"] != 1 {
		t.Fatalf("the refusal alert: %s %v", r.Verdict, r.Measured)
	}
}
