package signer

import (
	"vaultdrill/system/courier"
	"vaultdrill/system/env"
)

// relayEnv is what an air-gapped (cold) signer sees: every message it sends
// goes into the courier's bag, addressed to its final receiver.
type relayEnv struct {
	env.Env
	relay env.NodeID
}

func (r relayEnv) Send(to env.NodeID, payload []byte) {
	r.Env.Send(r.relay, courier.Encode(courier.Forward{From: r.Env.ID(), To: to, Payload: payload}))
}

// viaRelay adapts one input of a cold signer: what the courier carried is
// unwrapped (the courier attests its origin); anything else from the network
// is not accepted (the world still sees that it was sent: INV-AIRGAP).
func (n *Node) viaRelay(e env.Env, in env.Input) (env.Env, env.Input, bool) {
	re := relayEnv{Env: e, relay: n.cfg.Relay}
	if in.Kind != env.InputMessage || in.From == HarnessSender {
		return re, in, true
	}
	if in.From != n.cfg.Relay {
		e.Observe(env.ObserveKV("signer.airgap_refused", "from", string(in.From)))
		return re, in, false
	}
	f, ok := courier.Decode(in.Payload)
	if !ok || f.To != e.ID() {
		return re, in, false
	}
	in.From, in.Payload = f.From, f.Payload
	return re, in, true
}
