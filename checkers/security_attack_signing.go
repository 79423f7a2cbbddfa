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
	"hsm":              {obsHSMOp, obsHSMLocked, obsHSMZeroize, obsSignerReconcile},
}

// signingResponse reports whether fact f (of one of signingResponses'
// kinds for the attack) answers the attack, and describes it.
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
		// the coordinator abandoned an attempt the actor took part in
		for _, p := range sessionParties(f.get("session")) {
			if t.actors[p] {
				return "signer.abort of an attempt with " + p + " on " + f.Node + " (" + clipReason(f.get("reason")) + ")", true
			}
		}
	case obsHSMOp:
		// the HSM of a targeted node failed an operation closed
		if rv := f.get("rv"); t.targets[f.Node] && rv != "" && rv != "CKR_OK" {
			return "hsm.op " + f.get("op") + " failed closed with " + rv + " on " + f.Node, true
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
