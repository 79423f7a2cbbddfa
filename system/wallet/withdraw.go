package wallet

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"vaultdrill/system/api"
	"vaultdrill/system/approval"
	"vaultdrill/system/chain"
	"vaultdrill/system/env"
	"vaultdrill/system/signer"
)

// The pipeline of one withdrawal, each step idempotent by withdrawal id and
// audited before it takes effect:
//
//	requested -> screened (risk and compliance hooks: allow, recorded as
//	the default) -> reserved (ledger: withdraw from the user, key wd:ID)
//	-> within velocity (ledger: withdraw from the window's allowance, key
//	vel:ID; over the limit the reservation is refunded, key refund:ID)
//	-> approved (a quorum of device-signed approvals of the intent)
//	-> nonce (ledger: the wallet's nonce counter, key nonce:ID, so every
//	retry builds the very same transaction) -> signed (the hot committee,
//	each signer re-checking) -> broadcast (resubmitted until the chain
//	has it) -> confirmed (N confirmations) -> settled (ledger: the fee
//	from the house, key fee:wd:ID) -> answered.
//
// A refusal (insufficient funds, velocity) fails the withdrawal explicitly.
// Nothing else fails it: after faults heal, every step completes.

type withdrawal struct {
	req       WithdrawRequest
	clients   []env.NodeID
	state     string
	subject   approval.Subject
	approvals []approval.Approval
	asked     bool
	nonce     uint64
	tx        chain.Tx
	raw       []byte
	txid      string
	polls     int
	nonceKey  string
	done      bool
	reason    string
	bumps     int
	paidFee   int64 // the fee of the transaction the chain kept
	risk      riskState
}

func (n *Node) withdrawRequest(e env.Env, from env.NodeID, r WithdrawRequest) {
	if w := n.wds[r.ID]; w != nil {
		if !hasNode(w.clients, from) {
			w.clients = append(w.clients, from)
		}
		if w.done {
			n.answer(e, w)
		}
		return
	}
	bad := ""
	switch {
	case n.audit == nil || n.audit.log == nil:
		return // no audit sink: no custody decisions here (the client asks another node)
	case r.ID == "" || r.User == "" || r.Amount <= 0:
		bad = "bad request"
	case r.Wallet != n.cfg.Hot.Name:
		bad = "withdrawals are paid from the hot wallet only"
	case chain.CheckAddress(n.cfg.Flavour, r.To) != nil:
		bad = "bad destination address"
	case !n.destinationAllowed(r.To):
		bad = "destination not whitelisted"
	}
	if _, err := n.cfg.Policy.TierFor(r.Wallet, r.Amount); bad == "" && err != nil {
		bad = "no policy tier: " + err.Error()
	}
	if bad != "" {
		e.Send(from, encode(MsgWithdrawStatus, WithdrawStatus{ID: r.ID, State: StateFailed, Err: "wallet: " + bad}))
		return
	}
	if len(n.wds)-len(n.doneOrder) >= n.cfg.ActiveMax {
		return // the client retries later
	}
	if !n.record(e, "withdrawal.request", r.ID, "record", "", fmt.Sprintf("user=%s to=%s amount=%d initiator=%s", r.User, r.To, r.Amount, r.Initiator)) {
		return // not on record: not taken (the client asks again)
	}
	w := &withdrawal{req: r, clients: []env.NodeID{from}, nonceKey: "nonce:" + r.ID}
	n.wds[r.ID] = w
	n.wdOrder = append(n.wdOrder, r.ID)
	n.setState(e, w, "requested", "")
	// Decision hooks: compliance screens the destination (fail closed:
	// anything but allow stops the withdrawal before any funds move); the
	// risk engine plugs in here too (issue 5). Without a screener every
	// withdrawal is allowed, and recorded as allowed by default.
	if n.cfg.Screener == nil {
		if !n.record(e, "withdrawal.screen", r.ID, "allow", "", "default: no risk or compliance engine") {
			n.forget(w)
			return
		}
	} else {
		sc := n.cfg.Screener.ScreenWithdrawal(r.To, r.Amount)
		if !n.record(e, "withdrawal.screen", r.ID, sc.Decision, "", "list="+sc.ListVersion+" "+sc.Reason) {
			n.forget(w)
			return
		}
		e.Observe(env.ObserveKV(ObsScreen, "withdrawal", r.ID, "decision", sc.Decision, "list", sc.ListVersion, "reason", sc.Reason))
		if sc.Decision != "allow" {
			n.fail(e, w, "compliance: "+sc.Decision+": "+sc.Reason)
			return
		}
	}
	n.riskGate(e, w)
}

// reserve takes the amount from the user's balance (key wd:ID), then checks
// the velocity allowance.
func (n *Node) reserve(e env.Env, w *withdrawal) {
	r := w.req
	if !n.record(e, "withdrawal.reserve", r.ID, "apply", "", "") {
		if n.cfg.Risk == "" {
			n.forget(w)
			return
		}
		w.risk.passed = false // asked again when the sink is back
		e.After(n.cfg.PollEvery, "wd/risk/"+r.ID)
		return
	}
	n.ledgerWrite(e, api.OpWithdraw, r.User, r.Amount, "wd:"+r.ID, func(e env.Env, resp api.Response) {
		if resp.Refused != "" {
			n.fail(e, w, "insufficient funds")
			return
		}
		n.setState(e, w, "reserved", "")
		n.velocity(e, w)
	})
}

func (n *Node) velocity(e env.Env, w *withdrawal) {
	if n.cfg.VelocityLimit <= 0 {
		n.askApprovals(e, w)
		return
	}
	win := w.req.RequestedAt / int64(n.cfg.VelocityWindow)
	acct := "vel:" + strconv.FormatInt(win, 10)
	n.ledgerWrite(e, api.OpDeposit, acct, n.cfg.VelocityLimit, "velfund:"+strconv.FormatInt(win, 10), func(e env.Env, _ api.Response) {
		if !n.record(e, "withdrawal.velocity", w.req.ID, "apply", "", acct) {
			e.After(n.cfg.PollEvery, "wd/velocity/"+w.req.ID)
			return
		}
		n.ledgerWrite(e, api.OpWithdraw, acct, w.req.Amount, "vel:"+w.req.ID, func(e env.Env, resp api.Response) {
			if resp.Refused == "" {
				n.askApprovals(e, w)
				return
			}
			if !n.record(e, "withdrawal.refund", w.req.ID, "deny", "", "velocity limit") {
				e.After(n.cfg.PollEvery, "wd/velocity/"+w.req.ID) // idempotent: the same answers again
				return
			}
			n.ledgerWrite(e, api.OpDeposit, w.req.User, w.req.Amount, "refund:"+w.req.ID, func(e env.Env, _ api.Response) {
				n.fail(e, w, "velocity limit")
			})
		})
	})
}

func (n *Node) askApprovals(e env.Env, w *withdrawal) {
	r := w.req
	w.subject = approval.Subject{Withdrawal: r.ID, Wallet: r.Wallet, Amount: r.Amount,
		Digest: approval.IntentDigest(r.Wallet, r.ID, r.To, r.Amount), Initiator: r.Initiator, PolicyVersion: n.cfg.Policy.Version}
	n.setState(e, w, "approving", "")
	if !n.record(e, "withdrawal.approval_request", r.ID, "record", hex.EncodeToString(w.subject.Digest[:]), "") {
		e.After(n.cfg.PollEvery, "wd/approvals/"+r.ID)
		return
	}
	for _, a := range n.cfg.Approvers {
		e.Send(a, encode(MsgApprovalRequest, ApprovalRequest{Subject: w.subject}))
	}
	w.asked = true
	e.After(n.cfg.ApprovalResend, "wd/approvals/"+r.ID)
	n.armApprovalDeadline(e, w)
}

func (n *Node) approvalResponse(e env.Env, from env.NodeID, r ApprovalResponse) {
	w := n.wds[r.Withdrawal]
	if w == nil || w.state != "approving" {
		return
	}
	for _, a := range w.approvals {
		if a.Device == r.Approval.Device && a.At.Equal(r.Approval.At) {
			return
		}
	}
	if n.cfg.Access != nil && n.cfg.Bug != BugSkipApproverMFA {
		if n.gw == nil {
			return // no gateway to check the MFA: not counted (fail closed)
		}
		n.approverMFA(e, w, r, func(e env.Env) { n.countApproval(e, from, r) })
		return
	}
	n.countApproval(e, from, r)
}

// countApproval records one approval and, with the quorum met, goes on.
func (n *Node) countApproval(e env.Env, from env.NodeID, r ApprovalResponse) {
	w := n.wds[r.Withdrawal]
	if w == nil || w.state != "approving" {
		return
	}
	n.screenApproval(e, w, r.Approval)
	if !n.record(e, "withdrawal.approve", w.req.ID, "record", r.Digest, "device="+r.Approval.Device+" human="+r.Approval.Human+" from="+string(from)) {
		return // not counted; the approver is asked again
	}
	w.approvals = append(w.approvals, r.Approval)
	if n.check(w.subject, w.approvals, e.Now()) != nil {
		return
	}
	if !n.record(e, "withdrawal.approved", w.req.ID, "allow", r.Digest, "") {
		w.approvals = w.approvals[:len(w.approvals)-1]
		return
	}
	if n.cfg.ApprovalDeadline <= 0 {
		n.setState(e, w, "approved", "")
		n.allocateNonce(e, w)
		return
	}
	w.state = "claiming" // the deadline may be racing this approval (claimFate)
	n.claimFate(e, w, "approve", func(e env.Env, won bool) {
		if !won {
			n.fail(e, w, "approvals expired: the deadline passed first")
			return
		}
		n.setState(e, w, "approved", "")
		n.allocateNonce(e, w)
	})
}

func (n *Node) allocateNonce(e env.Env, w *withdrawal) {
	n.ledgerWrite(e, api.OpDeposit, "nonce:"+n.cfg.Hot.Name, 1, w.nonceKey, func(e env.Env, resp api.Response) {
		w.nonce = uint64(resp.Balance - 1)
		to := w.req.To
		if n.cfg.Attack == "tamper-destination" && n.cfg.AttackAddress != "" {
			to = n.cfg.AttackAddress // the insider swaps the destination after approval
		}
		w.tx = chain.Tx{Chain: n.cfg.Flavour, From: n.cfg.Hot.Address, To: to, Amount: w.req.Amount, Fee: n.cfg.Fee,
			Nonce: w.nonce, Memo: MemoWithdrawal + w.req.ID, PubKey: n.cfg.Hot.PubKey}
		n.signWithdrawal(e, w)
	})
}

func (n *Node) signWithdrawal(e env.Env, w *withdrawal) {
	if n.check(w.subject, w.approvals, e.Now()) != nil && n.cfg.Bug != BugCountInitiator {
		// approvals expired while waiting: ask again
		w.approvals = nil
		n.askApprovals(e, w)
		return
	}
	d := w.tx.SigningDigest()
	if !n.record(e, "withdrawal.sign", w.req.ID, "apply", hex.EncodeToString(d[:]), "nonce="+strconv.FormatUint(w.nonce, 10)) {
		// not on record: the step waits, and is not reported as taken
		// (the retry timer looks for "signing")
		w.state = "signing"
		e.After(n.cfg.PollEvery, "wd/sign/"+w.req.ID)
		return
	}
	n.setState(e, w, "signing", "")
	auth := &signer.Authorization{Raw: chain.EncodeTx(w.tx), Initiator: w.req.Initiator, Approvals: w.approvals,
		Policy: append([]approval.ChangeCert(nil), n.pol.quorum...)}
	n.sign(e, &n.cfg.Hot, signer.SignRequest{Key: n.cfg.Hot.Key, Digest: d[:], Auth: auth}, func(e env.Env, r signer.SignResponse) {
		if !r.OK {
			n.setState(e, w, "signing", "retry: "+r.Err)
			e.After(n.cfg.SignAttempt, "wd/sign/"+w.req.ID)
			return
		}
		tx := w.tx
		tx.Sig = r.Sig
		if len(tx.Sig) == 65 {
			tx.Sig = tx.Sig[:64] // r || s || v: the chain takes r || s
		}
		w.raw = chain.EncodeTx(tx)
		w.txid = chain.RawTxID(w.raw)
		n.setState(e, w, "signed", "")
		n.broadcast(e, w)
	})
}

func (n *Node) broadcast(e env.Env, w *withdrawal) {
	if !n.record(e, "withdrawal.broadcast", w.req.ID, "apply", "", "txid="+w.txid) {
		e.After(n.cfg.PollEvery, "wd/broadcast/"+w.req.ID)
		return
	}
	n.submit(e, w.raw, func(e env.Env, r *chain.SubmitResult) {
		switch {
		case r == nil:
			if n.cfg.Bug == BugRetryNewNonce {
				// the planted bug: treat the timeout as a loss and pay again
				w.nonceKey += "#retry"
				n.allocateNonce(e, w)
				return
			}
			n.broadcast(e, w) // the very same transaction
		case r.Accepted || r.Reason == chain.ErrDuplicate.Error() || r.Reason == chain.ErrStale.Error():
			n.setState(e, w, "broadcast", "")
			e.After(n.cfg.PollEvery, "wd/poll/"+w.req.ID)
		case (r.Reason == chain.ErrFeeTooLow.Error() || r.Reason == chain.ErrUnderpriced.Error()) && w.bumps < bumpsMax:
			if !n.record(e, "withdrawal.fee_bump", w.req.ID, "apply", "", "fee="+strconv.FormatInt(w.tx.Fee*4, 10)+" after "+r.Reason) {
				e.After(n.cfg.PollEvery, "wd/broadcast/"+w.req.ID)
				return
			}
			w.bumps++
			w.tx.Fee *= 4
			n.signWithdrawal(e, w)
		case r.Reason == chain.ErrBadNonce.Error():
			// Either an earlier nonce is not in yet (its withdrawal is
			// still in flight elsewhere), or this nonce is already used:
			// by a copy this withdrawal signed before (a retry re-signs,
			// and a fresh MPC signature is a new txid) or by a fee bump.
			// Only the chain can say which: poll asks it what holds the
			// nonce, settles if that is mined, and otherwise sends this
			// copy again.
			e.After(n.cfg.PollEvery, "wd/poll/"+w.req.ID)
		default:
			n.setState(e, w, "signed", "rebroadcast: "+r.Reason)
			e.After(n.cfg.PollEvery, "wd/broadcast/"+w.req.ID)
		}
	})
}

// poll asks the chain which transaction used the withdrawal's nonce: the
// chain, not this node's memory, says what was paid (this node's copy, a fee
// bump of it, or a copy another wallet node sent), and the settlement
// charges the house that transaction's fee. While nothing is mined, this
// node's own copy is checked: pending too long, it is bumped (same nonce,
// higher fee, re-signed); dropped or forgotten, it goes in again.
func (n *Node) poll(e env.Env, w *withdrawal) {
	n.query(e, chain.Query{Kind: chain.QueryNonce, Address: n.cfg.Hot.Address, Nonce: w.nonce}, func(e env.Env, r *chain.QueryResult) {
		switch {
		case r == nil:
			e.After(n.cfg.PollEvery, "wd/poll/"+w.req.ID)
		case r.Status == chain.StatusMined && r.Confirmations >= uint64(n.cfg.Confirmations):
			w.txid, w.paidFee = r.TxID, r.Fee
			n.setState(e, w, "confirmed", "")
			n.settle(e, w)
		case r.Status == chain.StatusMined:
			e.After(n.cfg.PollEvery, "wd/poll/"+w.req.ID)
		default:
			n.pollOwn(e, w)
		}
	})
}

func (n *Node) pollOwn(e env.Env, w *withdrawal) {
	n.query(e, chain.Query{Kind: chain.QueryTx, TxID: w.txid}, func(e env.Env, r *chain.QueryResult) {
		switch {
		case r == nil:
			e.After(n.cfg.PollEvery, "wd/poll/"+w.req.ID)
		case r.Status == chain.StatusPending || r.Status == chain.StatusMined:
			w.polls++
			if r.Status == chain.StatusPending && w.polls >= bumpAfter && w.bumps < bumpsMax {
				// stuck under the chain's minimum fee (a fee spike): the
				// same transaction at a higher fee; the nonce keeps it
				// once-only, the intent keeps the approvals valid
				if !n.record(e, "withdrawal.fee_bump", w.req.ID, "apply", "", "fee="+strconv.FormatInt(w.tx.Fee*4, 10)) {
					e.After(n.cfg.PollEvery, "wd/poll/"+w.req.ID)
					return
				}
				w.polls = 0
				w.bumps++
				w.tx.Fee *= 4
				n.signWithdrawal(e, w)
				return
			}
			e.After(n.cfg.PollEvery, "wd/poll/"+w.req.ID)
		default:
			// dropped or forgotten (a reorg, a replaced copy): the same
			// transaction goes in again
			n.broadcast(e, w)
		}
	})
}

// Fee bumps: after bumpAfter polls pending, at most bumpsMax times, each
// fourfold.
const (
	bumpAfter = 6
	bumpsMax  = 4
)

func (n *Node) settle(e env.Env, w *withdrawal) {
	if !n.record(e, "withdrawal.settle", w.req.ID, "apply", "", "fee="+strconv.FormatInt(w.paidFee, 10)+" txid="+w.txid) {
		e.After(n.cfg.PollEvery, "wd/poll/"+w.req.ID) // the poll confirms again and settles
		return
	}
	n.ledgerWrite(e, api.OpWithdraw, "house", w.paidFee, "fee:"+MemoWithdrawal+w.req.ID, func(e env.Env, _ api.Response) {
		n.setState(e, w, StateSettled, "")
		n.finish(w)
		n.answer(e, w)
	})
}

func (n *Node) fail(e env.Env, w *withdrawal, why string) {
	if !n.record(e, "withdrawal.fail", w.req.ID, "deny", "", why) {
		n.forget(w) // every step is idempotent: a retry decides again
		return
	}
	n.setState(e, w, StateFailed, why)
	n.finish(w)
	n.answer(e, w)
}

func (n *Node) answer(e env.Env, w *withdrawal) {
	st := WithdrawStatus{ID: w.req.ID, State: w.state, TxID: w.txid}
	if w.state == StateFailed {
		st.Err = "wallet: " + w.statusReason()
	}
	for _, c := range w.clients {
		e.Send(c, encode(MsgWithdrawStatus, st))
	}
}

func (w *withdrawal) statusReason() string { return w.reason }

func (n *Node) setState(e env.Env, w *withdrawal, state, reason string) {
	w.state, w.reason = state, reason
	e.Observe(env.ObserveKV(ObsState, "withdrawal", w.req.ID, "state", state, "reason", reason))
}

func (n *Node) wdTimer(e env.Env, rest string) {
	step, id, _ := strings.Cut(rest, "/")
	w := n.wds[id]
	if w == nil || w.done {
		return
	}
	switch step {
	case "approvals":
		if w.state == "approving" {
			n.askApprovals(e, w)
		}
	case "sign":
		if w.state == "signing" {
			n.signWithdrawal(e, w)
		}
	case "velocity":
		n.velocity(e, w)
	case "risk":
		n.riskTimer(e, w)
	case "broadcast":
		n.broadcast(e, w)
	case "poll":
		n.poll(e, w)
	}
}

// forget drops a withdrawal this node could not put on record: nothing it
// did for it took effect beyond idempotent ledger writes, so a retry by the
// client starts it over and finds the same results.
// doneKeep bounds the finished withdrawals a node remembers to answer
// retries from; an older one asked again is redone, every step
// idempotent, to the same end.
const doneKeep = 4096

// finish marks w done and remembers it among the last doneKeep finished.
func (n *Node) finish(w *withdrawal) {
	if w.done {
		return
	}
	w.done = true
	n.doneOrder = append(n.doneOrder, w.req.ID)
	if len(n.doneOrder) > doneKeep {
		old := n.doneOrder[0]
		n.doneOrder = n.doneOrder[1:]
		if ow := n.wds[old]; ow != nil && ow.done {
			n.forget(ow)
		}
	}
}

func (n *Node) forget(w *withdrawal) {
	delete(n.wds, w.req.ID)
	for i, id := range n.wdOrder {
		if id == w.req.ID {
			n.wdOrder = append(n.wdOrder[:i], n.wdOrder[i+1:]...)
			break
		}
	}
}

func hasNode(ns []env.NodeID, x env.NodeID) bool {
	for _, y := range ns {
		if y == x {
			return true
		}
	}
	return false
}

var _ = time.Second
