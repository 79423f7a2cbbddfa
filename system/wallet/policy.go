package wallet

import (
	"crypto/ed25519"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"

	"vaultdrill/system/api"
	"vaultdrill/system/approval"
	"vaultdrill/system/env"
	"vaultdrill/system/governance"
)

// Policy in force, and the pipeline's answer to attack 5.
//
// Changes in effect arrive from the governance node (Config.Governor) as
// governance.Push messages: a tier's quorum (a new policy version), the
// withdrawal whitelist, or the velocity limit. A wallet node applies each
// once, by change id, puts it on its audit record, keeps it on its disk
// (so a restart comes back under the same policy) and acknowledges it.
// Only the governance node's pushes are applied: the host authenticates
// senders.
//
// Self-approval (DOMAIN.md attack 5): approval.Check never counts the
// initiator, nor one human twice; here the node also tells security, with
// an access.alert attack=self-approval naming the withdrawal, for every
// authentic approval that is the initiator's own or a second device of a
// human who already approved it. A withdrawal that gathers no quorum
// within Config.ApprovalDeadline fails explicitly, its reservation
// refunded, instead of waiting for approvals forever.

// ObsPolicy: a change in effect applied here (change, kind, value,
// version: the policy version after it).
const ObsPolicy = "wallet.policy"

// AttackSelfApproval is the attack id of the self-approval alert.
const AttackSelfApproval = "self-approval"

// changeInvalid marks, on disk, a change in effect that could not apply
// here: it keeps its place in the order and changes nothing.
const changeInvalid approval.ChangeKind = "invalid"

// policyFile holds the applied changes, one JSON Push a line.
const policyFile = "policy/changes"

// policyState is the node's governance and attack-5 state.
type policyState struct {
	applied   map[string]bool // change ids; looked up only
	whitelist map[string]bool // looked up only
	armed     map[string]bool // withdrawals whose approval deadline is set
	alerted   map[string]bool // withdrawal/device pairs already alerted
	// seq is the Seq of the last change applied (they apply in order);
	// quorum the certified quorum changes applied, in order: the signers
	// derive the policy from them (approval.PolicyFrom).
	seq    int
	quorum []approval.ChangeCert
}

func (p *policyState) init() {
	if p.applied == nil {
		p.applied, p.whitelist, p.armed, p.alerted = map[string]bool{}, map[string]bool{}, map[string]bool{}, map[string]bool{}
	}
}

// loadPolicy re-applies, on start, the changes applied before; the
// genesis whitelist comes from the configuration.
func (n *Node) loadPolicy(e env.Env) {
	n.pol = policyState{}
	n.pol.init()
	for _, a := range n.cfg.Whitelist {
		n.pol.whitelist[a] = true
	}
	raw, _ := e.Disk().Read(policyFile)
	for _, line := range strings.Split(string(raw), "\n") {
		var p governance.Push
		if line == "" || json.Unmarshal([]byte(line), &p) != nil {
			continue // a torn last line: that push was not acknowledged, it comes again
		}
		n.applyChange(p)
	}
}

// applyChange makes p the node's policy; false if it cannot apply.
func (n *Node) applyChange(p governance.Push) bool {
	if n.pol.applied[p.Change] {
		return true
	}
	switch p.Kind {
	case approval.ChangeQuorum:
		np, err := approval.ApplyQuorum(n.cfg.Policy, approval.Change{ID: p.Change, Kind: p.Kind, Value: p.Value})
		if err != nil {
			return false
		}
		n.cfg.Policy = np
		n.pol.quorum = append(n.pol.quorum, p)
	case approval.ChangeWhitelist:
		n.pol.whitelist[p.Value] = true
	case approval.ChangeLimit:
		v, err := strconv.ParseInt(p.Value, 10, 64)
		if err != nil || v < 0 {
			return false
		}
		// windows already funded keep their allowance (the ledger's
		// velfund:W is written once); later windows get the new limit
		n.cfg.VelocityLimit = v
	case changeInvalid:
		// passed over (policyPush): nothing changes but the count
	default:
		return false
	}
	n.pol.applied[p.Change] = true
	n.pol.seq = p.Seq
	return true
}

// policyPush handles a change in effect from the governance node.
func (n *Node) policyPush(e env.Env, from env.NodeID, payload []byte) {
	var p governance.Push
	if from != n.cfg.Governor || n.cfg.Governor == "" || !governance.Decode(payload, governance.MsgPush, &p) {
		return
	}
	n.pol.init()
	if !n.pol.applied[p.Change] {
		if p.Seq != n.pol.seq+1 {
			return // an earlier change is still to come (pushes are resent in order)
		}
		if !n.record(e, "policy.apply", p.Change, "apply", "", fmt.Sprintf("%s=%s", p.Kind, p.Value)) {
			return // not on record: not applied (the push comes again)
		}
		if !n.applyChange(p) {
			// a change that no longer applies (a quorum change other
			// changes made invalid by the time it took effect): refused
			// for good, on record, and passed over so later ones apply
			e.Observe(env.ObserveKV(ObsPolicy, "change", p.Change, "kind", string(p.Kind), "value", p.Value, "version", n.cfg.Policy.Version, "result", "invalid"))
			p.Kind = changeInvalid
			n.applyChange(p)
		}
		line, _ := json.Marshal(p)
		e.Disk().Append(policyFile, append(line, '\n'))
		e.Disk().Sync()
		e.Observe(env.ObserveKV(ObsPolicy, "change", p.Change, "kind", string(p.Kind), "value", p.Value, "version", n.cfg.Policy.Version, "result", "applied"))
	}
	e.Send(from, governance.Encode(governance.MsgAck, governance.Ack{Change: p.Change}))
}

// destinationAllowed: with WhitelistOnly, withdrawals go only to
// whitelisted addresses.
func (n *Node) destinationAllowed(to string) bool {
	n.pol.init()
	return !n.cfg.WhitelistOnly || n.pol.whitelist[to]
}

// screenApproval alerts security when an authentic approval of w is the
// initiator's own, or a human's second device. Counting is
// approval.Check's: this only tells.
func (n *Node) screenApproval(e env.Env, w *withdrawal, a approval.Approval) {
	n.pol.init()
	d, ok := n.cfg.Registry.Lookup(a.Device)
	if !ok || d.Human != a.Human || !approval.Verify(ed25519.PublicKey(d.PublicKey), w.subject, a) {
		return
	}
	why := ""
	if a.Human == w.subject.Initiator {
		why = fmt.Sprintf("approval of withdrawal %s by %s on device %s not counted: %s initiated it", w.req.ID, a.Human, a.Device, a.Human)
	} else {
		for _, b := range w.approvals {
			if b.Human == a.Human && b.Device != a.Device {
				why = fmt.Sprintf("approval of withdrawal %s by %s on a second device %s (after %s) not counted twice", w.req.ID, a.Human, a.Device, b.Device)
				break
			}
		}
	}
	k := w.req.ID + "/" + a.Device
	if why == "" || n.pol.alerted[k] {
		return
	}
	n.pol.alerted[k] = true
	e.Observe(env.ObserveKV("access.alert", "attack", AttackSelfApproval, "user", a.Human, "notify", "security", "withdrawal", w.req.ID, "reason", why))
}

// armApprovalDeadline starts w's approval deadline, once.
func (n *Node) armApprovalDeadline(e env.Env, w *withdrawal) {
	n.pol.init()
	if n.cfg.ApprovalDeadline <= 0 || n.pol.armed[w.req.ID] {
		return
	}
	n.pol.armed[w.req.ID] = true
	e.After(n.cfg.ApprovalDeadline, "policy/deadline/"+w.req.ID)
}

func (n *Node) policyTimer(e env.Env, rest string) {
	id, ok := strings.CutPrefix(rest, "deadline/")
	w := n.wds[id]
	if !ok || w == nil || w.done || w.state != "approving" {
		return
	}
	why := "approvals expired: no quorum within " + n.cfg.ApprovalDeadline.String()
	w.state = "expiring" // no approval counts from here on
	n.claimFate(e, w, "expire", func(e env.Env, won bool) {
		if !won {
			// approved first, here or at another node: it goes on there;
			// here it waits for approvals again (the quorum decides)
			w.state = "approving"
			return
		}
		if !n.record(e, "withdrawal.refund", id, "deny", "", why) {
			e.After(n.cfg.PollEvery, "policy/deadline/"+id) // the claim is idempotent: won again
			return
		}
		n.ledgerWrite(e, api.OpDeposit, w.req.User, w.req.Amount, "refund:"+id, func(e env.Env, _ api.Response) {
			n.fail(e, w, why)
		})
	})
}

// claimFate decides, once for every node and retry, whether a
// withdrawal with an approval deadline expired or was approved: the
// account fate:ID is funded with 1 once, and the first of "expire" and
// "approve" to take it wins (a withdrawal keyed by the claim, so a retry
// of either gets its first answer). Expiry thus never refunds a
// withdrawal another node already sent on to be paid, and approval never
// pays one whose reservation was refunded.
func (n *Node) claimFate(e env.Env, w *withdrawal, claim string, done func(e env.Env, won bool)) {
	id := w.req.ID
	n.ledgerWrite(e, api.OpDeposit, "fate:"+id, 1, "fatefund:"+id, func(e env.Env, _ api.Response) {
		n.ledgerWrite(e, api.OpWithdraw, "fate:"+id, 1, claim+":"+id, func(e env.Env, r api.Response) {
			done(e, r.Refused == "")
		})
	})
}
