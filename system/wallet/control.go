package wallet

import (
	"vaultdrill/system/env"
	"vaultdrill/system/signer"
)

// MsgControl carries a harness control to a wallet node, as text; only
// signer.HarnessSender's are obeyed.
const MsgControl env.MsgType = 54

// Controls: the node's audit sink becomes unreachable, or comes back
// (the "audit-outage" fault). While it is down no decision can be
// recorded, so no custody step is taken (INV-AUDIT).
const (
	ControlAuditDown = "audit-down"
	ControlAuditUp   = "audit-up"
)

// ObsControl reports a control the node carried out.
const ObsControl = "wallet.control"

func (n *Node) control(e env.Env, from env.NodeID, text string) {
	if from != signer.HarnessSender {
		e.Observe(env.ObserveKV("wallet.control_refused", "sender", string(from), "text", text))
		return
	}
	switch text {
	case ControlAuditDown:
		n.auditDown = true
	case ControlAuditUp:
		n.auditDown = false
	default:
		e.Observe(env.ObserveKV("wallet.control_refused", "sender", string(from), "text", text))
		return
	}
	e.Observe(env.ObserveKV(ObsControl, "text", text))
}
