package scenarios

import (
	"encoding/json"
	"fmt"

	"vaultdrill/faults"
	"vaultdrill/system/env"
	"vaultdrill/system/signer"
)

// MPC attacks act on the wire, through the world's interceptor: the harness
// plays the malicious party or the network attacker, so the signers under
// test run unmodified code. Every injected or altered message is reported as
// a "world.attack" observation: its "kind" (tamper, withhold, replay,
// spoof) for INV-MPCBIND, its "attack" (DOMAIN.md's id: mpc-malicious; a
// withholding party is abort-storm, every attempt it joins is given up)
// with actor and target for the per-attack expectation.

const (
	// attackerNode is the endpoint a network attacker sends from: it is
	// not a custody node, so the host authenticates it as itself.
	attackerNode env.NodeID = "attacker"

	// DOMAIN.md's attack ids (docs/security-vocabulary.md) the harness
	// plays on the signing path.
	attackMPCMalicious   = "mpc-malicious"
	attackAbortStorm     = "abort-storm"
	attackHSM            = "hsm"
	attackAuditBlock     = "audit-block"
	attackTamperedTx     = "tampered-tx"
	attackExfiltration   = "exfiltration"
	attackStaleDelegated = "stale-delegation"
	attackSanctioned     = "sanctioned"
	attackVelocityStorm  = "velocity-storm"
)

type mpcAttacks struct {
	r        *run
	tamper   map[env.NodeID]bool
	withhold map[env.NodeID]bool
	replay   map[env.NodeID]bool
	spoof    map[env.NodeID]bool
	// seen keeps each attacked node's earlier MPC messages per receiver,
	// the material a replay re-sends (bounded).
	seen map[env.NodeID][][]byte
	// injecting: the attacker's own messages pass the interceptor as they are.
	injecting bool
}

const replayKeepMax = 64

func newMPCAttacks(r *run) *mpcAttacks {
	a := &mpcAttacks{r: r}
	a.clear()
	return a
}

func (a *mpcAttacks) clear() {
	a.tamper, a.withhold = map[env.NodeID]bool{}, map[env.NodeID]bool{}
	a.replay, a.spoof = map[env.NodeID]bool{}, map[env.NodeID]bool{}
	a.seen = map[env.NodeID][][]byte{}
}

func (a *mpcAttacks) active() bool {
	return len(a.tamper)+len(a.withhold)+len(a.replay)+len(a.spoof) > 0
}

func (a *mpcAttacks) set(kind faults.Kind, nodes []env.NodeID) error {
	var m map[env.NodeID]bool
	switch kind {
	case faults.MPCClear:
		a.clear()
		a.r.world.Network().SetInterceptor(nil)
		return nil
	case faults.MPCTamper:
		m = a.tamper
	case faults.MPCWithhold:
		m = a.withhold
	case faults.MPCReplay:
		m = a.replay
	case faults.MPCSpoof:
		m = a.spoof
	default:
		return fmt.Errorf("in-process: %s is not an MPC attack", kind)
	}
	for _, n := range nodes {
		if !a.r.world.Has(n) {
			return fmt.Errorf("in-process: no node %s", n)
		}
		m[n] = true
	}
	a.r.world.Network().SetInterceptor(a.intercept)
	return nil
}

func isMPC(payload []byte) bool {
	t, _, err := env.Decode(payload)
	return err == nil && t == signer.MsgEnvelope
}

// intercept runs inside the world's send path: it may only schedule
// deliveries through the world and record observations.
func (a *mpcAttacks) intercept(from, to env.NodeID, payload []byte) ([]byte, bool) {
	if a.injecting || !a.active() || !isMPC(payload) {
		return payload, false
	}
	w := a.r.world
	if a.withhold[from] {
		a.r.worldObs(to, "world.attack", "kind", "withhold", "from", string(from), "to", string(to), "session", "",
			"attack", attackAbortStorm, "actor", string(from), "target", string(to), "detail", "withheld MPC message")
		return nil, true
	}
	if a.replay[from] {
		if old := a.seen[from]; len(old) > 0 {
			// the malicious party re-sends one of its messages from an
			// earlier session, under its own (authenticated) name
			msg := old[w.Stream("mpc-replay").IntN(len(old))]
			a.r.worldObs(to, "world.attack", "kind", "replay", "from", string(from), "to", string(to), "session", "",
				"attack", attackMPCMalicious, "actor", string(from), "target", string(to), "detail", "replay from another session")
			a.inject(from, to, msg)
		}
		if len(a.seen[from]) < replayKeepMax {
			a.seen[from] = append(a.seen[from], append([]byte(nil), payload...))
		}
	}
	if a.spoof[from] {
		a.r.worldObs(to, "world.attack", "kind", "spoof", "from", string(attackerNode), "to", string(to), "session", "",
			"attack", attackMPCMalicious, "actor", string(attackerNode), "target", string(to), "detail", "spoofing "+string(from))
		a.inject(attackerNode, to, append([]byte(nil), payload...))
	}
	if a.tamper[from] {
		// A malicious party: a well-formed envelope whose MPC payload has
		// one byte flipped, so the protocol itself must catch it.
		_, body, _ := env.Decode(payload)
		var v signer.Envelope
		if json.Unmarshal(body, &v) == nil && len(v.Payload) > 0 {
			// the last byte: inside the payload's final value (a proof
			// scalar, an approval token), so the message still parses
			v.Payload[len(v.Payload)-1] ^= 0x01
			out, _ := json.Marshal(v)
			a.r.worldObs(to, "world.attack", "kind", "tamper", "from", string(from), "to", string(to), "session", v.ID.String(),
				"attack", attackMPCMalicious, "actor", string(from), "target", string(to), "detail", "tampered MPC payload")
			return env.Encode(signer.MsgEnvelope, out), false
		}
	}
	return payload, false
}

func (a *mpcAttacks) inject(from, to env.NodeID, msg []byte) {
	a.injecting = true
	a.r.world.Inject(from, to, msg)
	a.injecting = false
}
