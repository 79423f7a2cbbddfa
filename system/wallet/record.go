package wallet

import (
	"vaultdrill/system/audit"
	"vaultdrill/system/env"
)

// auditLog is the node's hash-chained decision log (system/audit), on its
// own disk, synced at every entry: written before the effect it records.
type auditLog struct {
	log *audit.Log
}

func openAudit(e env.Env, id env.NodeID) *auditLog {
	l, err := audit.Open(e.Disk(), "wallet/audit")
	if err != nil {
		// A corrupt log is a fault the drill must see, not one to paper
		// over: the node keeps running on a fresh log under another name
		// and reports it.
		e.Observe(env.ObserveKV("wallet.audit_corrupt", "err", err.Error()))
		l, err = audit.Open(e.Disk(), "wallet/audit.recovered")
		if err != nil {
			// No log can record: this node takes no custody decisions
			// (INV-AUDIT); withdrawals asked here are refused.
			e.Observe(env.ObserveKV("wallet.audit_halt", "err", err.Error()))
			return &auditLog{}
		}
	}
	return &auditLog{log: l}
}

// sinkUp: the node can reach its audit log (no outage, a log open).
func (n *Node) sinkUp() bool { return !n.auditDown && n.audit != nil && n.audit.log != nil }

// record appends one decision and reports whether it is on record. A
// caller acts only on true (INV-AUDIT: an entry precedes its effect); on
// false it takes the step again later, when the sink may be back. Actor is
// this node; Device and IP are the machine it runs on (auditStamp), as the
// node's own decisions are taken there.
func (n *Node) record(e env.Env, action, subject, decision, digest, detail string) bool {
	device, ip := n.auditStamp()
	return n.recordAs(e, string(n.cfg.ID), device, ip, action, subject, decision, digest, detail)
}

// recordAs is record for a decision taken on a client's behalf: the actor,
// device and IP are the client's (the gateway's decisions).
func (n *Node) recordAs(e env.Env, actor, device, ip, action, subject, decision, digest, detail string) bool {
	if !n.sinkUp() {
		n.halt(e, "no audit sink can record "+action)
		return false
	}
	_, err := n.audit.log.Append(audit.Entry{Time: e.Now(), Actor: actor, Action: action, Subject: subject,
		Decision: decision, PolicyVersion: n.cfg.Policy.Version, Digest: digest, Device: device, IP: ip, Detail: clip(detail)})
	if err != nil {
		e.Observe(env.ObserveKV("wallet.audit_error", "action", action, "subject", subject, "err", err.Error()))
		n.halt(e, "audit append failed: "+err.Error())
		return false
	}
	n.halted = false
	return true
}

// halt reports, once per outage, that custody operations stop here.
func (n *Node) halt(e env.Env, why string) {
	if !n.halted {
		n.halted = true
		e.Observe(env.ObserveKV(ObsAuditHalt, "reason", why))
	}
}

func clip(s string) string {
	if len(s) > 200 {
		return s[:200]
	}
	return s
}
