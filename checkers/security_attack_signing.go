package checkers

import (
	"strings"
)

// The signing path's own controls (DOMAIN.md attacks 1-3 and 6-8) answer
// an attack without an access.alert: every signer re-checks what it is
// asked to sign and refuses, a protocol message is rejected with its
// sender named, a party is blamed and quarantined, a coordinator abandons
// an attempt, an HSM fails closed. Those facts (docs/custody-vocabulary.md,
// docs/security-vocabulary.md) are responses too, each bound to the attack
// by what world.attack names: its target (a digest, a withdrawal id, a
// node) or its actor (the party that misbehaves).
const (
	obsSignerRefuse     = "signer.refuse"
	obsSignerReject     = "signer.reject"
	obsSignerBlame      = "signer.blame"
	obsSignerQuarantine = "signer.quarantine"
	obsSignerAbort      = "signer.abort"
	obsSignerReconcile  = "signer.reconcile"
	obsHSMOp            = "hsm.op"
	obsHSMLocked        = "hsm.locked"
	obsHSMZeroize       = "hsm.zeroize"
)

// signingResponses lists, per attack id, the signing-path fact kinds that
// answer it (the Attack doc comment says how each is bound).
var signingResponses = map[string][]string{
	"exfiltration":     {obsSignerRefuse},
	"stale-delegation": {obsSignerRefuse},
	"tampered-tx":      {obsSignerRefuse},
	"mpc-malicious":    {obsSignerReject, obsSignerBlame, obsSignerQuarantine},
	"abort-storm":      {obsSignerAbort, obsSignerQuarantine},
	"hsm":              {obsHSMLocked, obsHSMZeroize, obsSignerReconcile, obsSignerAbort},
}

// signingResponse reports whether fact f (of one of signingResponses'
// kinds for the attack) answers the attack, and describes it. An HSM's
// failed operation is not an answer: it is the fault itself (the
// injected CKR_GENERAL_ERROR, CKR_PIN_INCORRECT, CKR_DEVICE_REMOVED); the
// control is what follows it (reconcile, lockout, zeroize, an abandoned
// attempt).
func signingResponse(t *attackTrace, f fact) (string, bool) {
	switch f.Kind {
	case obsSignerRefuse:
		// a signer refused the attacker's digest or withdrawal
		d, w := f.get("digest"), f.get("withdrawal")
		if (d != "" && t.targets[d]) || (w != "" && t.targets[w]) {
			return "signer.refuse on " + f.Node + " (" + clipReason(f.get("reason")) + ")", true
		}
	case obsSignerReject:
		if s := f.get("sender"); t.actors[s] {
			return "signer.reject of " + s + " on " + f.Node + " (" + f.get("reason") + ")", true
		}
	case obsSignerBlame:
		if f.get("attributable") != "true" {
			return "", false
		}
		for _, c := range strings.Split(f.get("culprits"), ",") {
			if t.actors[c] {
				return "signer.blame of " + c + " on " + f.Node, true
			}
		}
	case obsSignerQuarantine:
		if p := f.get("party"); t.actors[p] {
			return "signer.quarantine of " + p + " on " + f.Node, true
		}
	case obsSignerAbort:
		if t.id == "hsm" {
			// the signer whose HSM failed abandoned its attempt rather
			// than go on blind
			if t.targets[f.Node] {
				return "signer.abort on " + f.Node + " (" + clipReason(f.get("reason")) + ")", true
			}
			return "", false
		}
		// another party abandoned an attempt the actor took part in (the
		// silent party's own timeout is not the answer to its silence)
		if t.actors[f.Node] {
			return "", false
		}
		for _, p := range sessionParties(f.get("session")) {
			if t.actors[p] {
				return "signer.abort of an attempt with " + p + " on " + f.Node + " (" + clipReason(f.get("reason")) + ")", true
			}
		}
	case obsHSMLocked, obsHSMZeroize, obsSignerReconcile:
		if t.targets[f.Node] {
			return f.Kind + " on " + f.Node, true
		}
	}
	return "", false
}

// sessionParties reads the parties of a session id's text form
// (KEY/SESSION/ATTEMPT[P1,P2,...]).
func sessionParties(s string) []string {
	i, j := strings.LastIndexByte(s, '['), strings.LastIndexByte(s, ']')
	if i < 0 || j < i {
		return nil
	}
	return strings.Split(s[i+1:j], ",")
}

func clipReason(s string) string {
	const max = 80
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
