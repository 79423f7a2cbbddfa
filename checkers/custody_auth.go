package checkers

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// Quorum (INV-QUORUM): every withdrawal payment (a mined custody outflow
// with memo wd:ID) had, before the first signer.begin on its signing
// digest (before its mining when no begin was observed), approvals
// (world.approval) that count from at least its tier's number of distinct
// humans on distinct devices. An approval counts when it carries the
// intent digest recomputed from the mined transaction (wallet of the
// paying address, id, to, amount), names a device registered
// (world.device) to the human it claims, was sent by the node registered
// for that device and human, is not the initiator's (the history's
// initiator=H), and is not older than the tier's expiry at that begin.
// Once the access layer exists (world.user facts), an approval also needs
// its MFA: an access.otp accept of the human's code after the approval
// and before the begin, each accept verifying one approval.
// "Distinct humans on distinct devices" is a matching: each counted
// approval pairs a human with a device, no human and no device twice, so
// one human on two devices counts once and two humans on one device count
// once. The tier is the policy's first match; a payment no tier covers is
// unauthorized.
func Quorum(in Input) Result {
	res := Result{Checker: CheckQuorum, Measured: map[string]int64{}}
	c := readCustody(in)
	if r, ok := needPolicy(res, c); !ok {
		return r
	}
	if r, ok := needCustody(res, c); !ok {
		return r
	}
	if len(c.devices) == 0 {
		return unknown(res, "no approver devices registered (world.device): nothing to judge")
	}
	if c.historyErr != nil {
		return unknown(res, "history unusable (initiators unknown): "+c.historyErr.Error())
	}
	mfa := readMFA(in)
	var bad []OpRef
	var noRequest []string
	for _, t := range c.payments() {
		id, _ := t.withdrawalOf()
		res.Measured["payments"]++
		wallet := c.wallets[t.from]
		tier, ok := c.policy.tierFor(wallet, t.amount)
		if !ok {
			bad = append(bad, t.ref(fmt.Sprintf("withdrawal %s: no tier of policy %s covers %d from %s: %s",
				id, c.policy.version, t.amount, wallet, t)))
			continue
		}
		initiator := ""
		if w := c.withdrawals[id]; w != nil {
			initiator = w.initiator
		} else {
			noRequest = append(noRequest, id)
		}
		cut, begun := c.begins[t.digest]
		if !begun {
			cut = obsAt{idx: t.idx, at: t.at}
			res.Measured["no_begin"]++
		}
		q := judgeApprovals(c.approvals[id], c.devices, IntentDigest(wallet, id, t.to, t.amount), initiator, cut,
			tier.ExpiryMS*int64(time.Millisecond), mfa)
		res.Measured["approvals_seen"] += int64(q.seen)
		res.Measured["approvals_counted"] += int64(len(q.humans))
		if len(q.humans) < tier.Approvers {
			res.Measured["short"]++
			bad = append(bad, t.ref(fmt.Sprintf("withdrawal %s (tier %s needs %d, initiator %s) signed with %d counted approvals %v of %d seen%s: %s",
				id, tier.Name, tier.Approvers, orNone(initiator), len(q.humans), q.humans, q.seen, q.rejected(), t)))
		}
	}
	if len(bad) == 0 && len(noRequest) > 0 {
		return unknown(res, fmt.Sprintf("%d paid withdrawals are not in the history, so their initiators are unknown (first %s)",
			len(noRequest), noRequest[0]))
	}
	return finishInTime(res, bad, "withdrawals signed without their quorum",
		fmt.Sprintf("%d withdrawal payments, each with its tier's quorum (%d approvals seen, %d counted)",
			res.Measured["payments"], res.Measured["approvals_seen"], res.Measured["approvals_counted"]))
}

func orNone(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// quorumCount is how one payment's approvals fared.
type quorumCount struct {
	seen   int
	humans []string       // the humans the matching counted, sorted
	why    map[string]int // reason -> approvals not counted for it
}

func (q quorumCount) rejected() string {
	if len(q.why) == 0 {
		return ""
	}
	var rs []string
	for r, n := range q.why { // determinism: allowed (sorted below)
		rs = append(rs, fmt.Sprintf("%d %s", n, r))
	}
	sort.Strings(rs)
	return " (not counted: " + strings.Join(rs, ", ") + ")"
}

// judgeApprovals filters one withdrawal's approvals by the rule Quorum
// states and counts distinct humans on distinct devices among the rest by
// a maximum matching.
// mfaIndex is, once the access layer exists (world.user facts), every
// access.otp accept by user, in stream order; each may verify one
// approval.
type mfaIndex struct {
	accepts map[string][]obsAt
	used    map[string][]bool
}

// readMFA indexes the TOTP accepts, or returns nil when the run has no
// access layer (no world.user): approvals are then not MFA-checked.
func readMFA(in Input) *mfaIndex {
	m := &mfaIndex{accepts: map[string][]obsAt{}, used: map[string][]bool{}}
	users := false
	for i, o := range in.Observations {
		switch {
		case o.Kind == "world.user":
			users = true
		case o.Kind == "access.otp" && o.Fields["result"] == "accept":
			u := o.Fields["user"]
			m.accepts[u] = append(m.accepts[u], obsAt{idx: i, at: o.Time})
			m.used[u] = append(m.used[u], false)
		}
	}
	if !users {
		return nil
	}
	return m
}

// verify takes the first unused accept of human's code at or after the
// approval and before the cut (signing began): the MFA that let it
// count. False when there is none.
func (m *mfaIndex) verify(human string, a approvalFact, cut obsAt) bool {
	for i, acc := range m.accepts[human] {
		if m.used[human][i] || acc.at < a.at || acc.idx >= cut.idx {
			continue
		}
		m.used[human][i] = true
		return true
	}
	return false
}

func judgeApprovals(as []approvalFact, devices []deviceReg, intent, initiator string, cut obsAt, expiry int64, mfa *mfaIndex) quorumCount {
	q := quorumCount{why: map[string]int{}}
	type edge struct{ human, device string }
	edges := map[edge]bool{}
	for _, a := range as {
		if a.idx >= cut.idx {
			continue // after signing began: it authorized nothing
		}
		q.seen++
		registered, claimed, fromNode := false, false, false
		for _, d := range devices {
			if d.device != a.device {
				continue
			}
			registered = true
			if d.human == a.human {
				claimed = true
				fromNode = fromNode || d.node == a.from
			}
		}
		why := ""
		switch {
		case a.digest != intent:
			why = "for another intent"
		case !registered:
			why = "from an unregistered device"
		case !claimed:
			why = "naming a human the device is not registered to"
		case !fromNode:
			why = "sent by a node other than the device's"
		case initiator != "" && a.human == initiator:
			why = "by the initiator"
		case expiry > 0 && cut.at-a.at > expiry:
			why = "expired"
		case mfa != nil && !mfa.verify(a.human, a, cut):
			why = "without MFA (no TOTP accept of the human's after it)"
		}
		if why != "" {
			q.why[why]++
			continue
		}
		edges[edge{a.human, a.device}] = true
	}
	// Kuhn's augmenting paths over humans in sorted order: small inputs
	// (a handful of approvers), deterministic result.
	adj := map[string][]string{}
	for e := range edges { // determinism: allowed (sorted below)
		adj[e.human] = append(adj[e.human], e.device)
	}
	var humans []string
	for h := range adj { // determinism: allowed (sorted below)
		sort.Strings(adj[h])
		humans = append(humans, h)
	}
	sort.Strings(humans)
	owner := map[string]string{} // device -> human matched to it
	var augment func(h string, seen map[string]bool) bool
	augment = func(h string, seen map[string]bool) bool {
		for _, d := range adj[h] {
			if seen[d] {
				continue
			}
			seen[d] = true
			if o, taken := owner[d]; !taken || augment(o, seen) {
				owner[d] = h
				return true
			}
		}
		return false
	}
	for _, h := range humans {
		if augment(h, map[string]bool{}) {
			q.humans = append(q.humans, h)
		}
	}
	sort.Strings(q.humans)
	if dup := len(edges) - len(q.humans); dup > 0 {
		q.why["repeating a human or a device"] += dup
	}
	return q
}

// WYSIWYS (INV-WYSIWYS): what was approved is what was signed. For every
// withdrawal payment, the intent digest recomputed from the mined
// transaction (wallet of the paying address, the id in its memo, to,
// amount) is the digest some approval of that withdrawal carried before
// the transaction was mined. A payment whose approvals all carried other
// digests paid something nobody approved; one with no approval at all was
// never approved. (Who approved, and how many, is INV-QUORUM's.)
func WYSIWYS(in Input) Result {
	res := Result{Checker: CheckWYSIWYS, Measured: map[string]int64{}}
	c := readCustody(in)
	if r, ok := needCustody(res, c); !ok {
		return r
	}
	var bad []OpRef
	for _, t := range c.payments() {
		id, _ := t.withdrawalOf()
		res.Measured["payments"]++
		intent := IntentDigest(c.wallets[t.from], id, t.to, t.amount)
		matched := false
		others := map[string]bool{}
		for _, a := range c.approvals[id] {
			if a.idx >= t.idx {
				continue
			}
			res.Measured["approvals"]++
			if a.digest == intent {
				matched = true
			} else {
				others[a.digest] = true
				res.Measured["approvals_other_intent"]++
			}
		}
		switch {
		case matched:
			res.Measured["matched"]++
		case len(others) == 0:
			bad = append(bad, t.ref(fmt.Sprintf("withdrawal %s was signed and mined with no approval seen (intent %s): %s",
				id, abbrev(intent), t)))
		default:
			var ds []string
			for d := range others { // determinism: allowed (sorted below)
				ds = append(ds, abbrev(d))
			}
			sort.Strings(ds)
			bad = append(bad, t.ref(fmt.Sprintf("withdrawal %s: the chain paid intent %s, its approvals carried %s: %s",
				id, abbrev(intent), strings.Join(ds, ", "), t)))
		}
	}
	return finishInTime(res, bad, "withdrawals paid other than approved",
		fmt.Sprintf("%d withdrawal payments, each exactly as approved (%d approvals seen, %d for another intent)",
			res.Measured["payments"], res.Measured["approvals"], res.Measured["approvals_other_intent"]))
}

// Airgap (INV-AIRGAP): every message delivered to a cold signer (the
// world's tap, world.delivery) came from the courier node. Without a
// registered cold wallet (world.custody) or a courier name there is
// nothing to judge.
func Airgap(in Input, courier string) Result {
	res := Result{Checker: CheckAirgap, Measured: map[string]int64{}}
	if courier == "" {
		return unknown(res, "no courier node named: nothing to judge")
	}
	c := readCustody(in)
	cold := false
	for _, w := range c.wallets { // determinism: allowed (an any)
		cold = cold || w == walletCold
	}
	if !cold {
		return unknown(res, "no cold wallet registered (world.custody): nothing to judge")
	}
	var bad []OpRef
	for _, o := range in.Observations {
		switch o.Kind {
		case "courier.hop":
			res.Measured["courier_hops"]++
		case obsDelivery:
			res.Measured["deliveries"]++
			f := o.Fields
			if f["from"] == courier {
				continue
			}
			to := f["to"]
			if to == "" {
				to = o.Node
			}
			res.Measured["over_network"]++
			bad = append(bad, OpRef{Index: -1, Process: -1, Op: obsDelivery, Key: to, Time: o.Time,
				Desc: fmt.Sprintf("cold signer %s received a type %s message over the network from %s, not from the courier %s",
					to, f["type"], f["from"], courier)})
		}
	}
	return finishInTime(res, bad, "network deliveries to cold signers",
		fmt.Sprintf("%d deliveries to cold signers, all from the courier %s (%d courier hops)",
			res.Measured["deliveries"], courier, res.Measured["courier_hops"]))
}
