package chain

import (
	"fmt"

	"vaultdrill/system/env"
)

// submit admits a transaction to the mempool or says why not. The checks
// run cheapest first, and the signature (the one that costs CPU) only once
// the exact bytes are known to be new:
//
//	decode (ErrTooLarge, ErrMalformed) -> fields (ErrWrongChain,
//	ErrMalformed, ErrTooLarge, ErrBadAddress) -> ErrDuplicate ->
//	ErrBadSignature -> ErrBadNonce -> ErrFeeTooLow -> ErrUnderpriced ->
//	ErrInsufficientFunds -> ErrMempoolFull
func (n *Node) submit(e env.Env, s Submit) SubmitResult {
	id := RawTxID(s.Raw)
	t, err := DecodeTx(s.Raw)
	if err == nil {
		err = checkTx(n.cfg.Flavour, t)
	}
	if err == nil {
		err = n.known(id)
	}
	if err == nil {
		e.Charge(n.verifyCost())
		err = verifySig(t)
	}
	var replaced *entry
	if err == nil {
		replaced, err = n.admit(t, id)
	}
	res := SubmitResult{ID: s.ID, TxID: id, Tip: n.tip()}
	if err != nil {
		n.observeReject(e, id, t, err, StageSubmit, "")
		res.Reason, res.Detail = reasonDetail(err)
		return res
	}
	res.Accepted = true
	if replaced != nil {
		res.Replaced = replaced.id
		n.drop(e, replaced, reject(ErrReplaced, fmt.Sprintf("fee %d bumped to %d", replaced.tx.Fee, t.Fee)), StageMempool, id)
	}
	e.Observe(env.ObserveKV(ObsAccept, n.txFields(id, t)...))
	return res
}

// known rejects a transaction that is already pending or mined.
func (n *Node) known(id string) error {
	if loc, ok := n.mined[id]; ok {
		return reject(ErrDuplicate, fmt.Sprintf("mined at height %d", loc.height))
	}
	if n.pool.get(id) != nil {
		return reject(ErrDuplicate, "pending")
	}
	return nil
}

// admit checks a verified transaction against the state and the mempool,
// and adds it. A pending transaction of the same sender and nonce is
// replaced (a fee bump) only by a strictly higher fee; the replaced entry
// is returned, already out of the mempool.
func (n *Node) admit(t Tx, id string) (*entry, error) {
	next := n.st.nonce[t.From]
	if t.Nonce < next {
		return nil, reject(ErrBadNonce, fmt.Sprintf("nonce %d already used; next is %d", t.Nonce, next))
	}
	old := n.pool.at(t.From, t.Nonce)
	if old == nil {
		if want := n.pool.nextNonce(t.From, next); t.Nonce != want {
			return nil, reject(ErrBadNonce, fmt.Sprintf("nonce %d; next is %d", t.Nonce, want))
		}
	}
	if min := n.minFee(); t.Fee < min {
		return nil, reject(ErrFeeTooLow, fmt.Sprintf("fee %d, minimum %d", t.Fee, min))
	}
	if old != nil && t.Fee <= old.tx.Fee {
		return nil, reject(ErrUnderpriced, fmt.Sprintf("fee %d does not exceed pending %s's %d", t.Fee, old.id, old.tx.Fee))
	}
	// What the sender can still spend: its balance minus its other pending
	// transactions (negative after a reorg took incoming funds back).
	avail := n.st.bal[t.From] - n.pool.pendingCost(t.From)
	if old != nil {
		avail += old.cost()
	}
	if t.Amount+t.Fee > avail {
		return nil, reject(ErrInsufficientFunds, fmt.Sprintf("amount %d + fee %d > available %d", t.Amount, t.Fee, max(avail, 0)))
	}
	if old == nil {
		if n.pool.len() >= n.cfg.MempoolMax {
			return nil, reject(ErrMempoolFull, fmt.Sprintf("%d pending", n.pool.len()))
		}
		if n.pool.senderLen(t.From) >= n.cfg.MempoolPerSenderMax {
			return nil, reject(ErrMempoolFull, fmt.Sprintf("%d pending from %s", n.pool.senderLen(t.From), t.From))
		}
	} else {
		n.pool.remove(old)
	}
	n.enqueue(t, id)
	return old, nil
}

func (n *Node) enqueue(t Tx, id string) {
	n.arrival++
	n.pool.add(&entry{tx: t, id: id, arrival: n.arrival})
	n.dropped.forget(id)
}

// drop reports a transaction leaving the mempool unmined (or, at a reorg,
// not returning to it) and remembers why. The entry must already be out of
// the mempool.
func (n *Node) drop(e env.Env, en *entry, err error, stage, by string) {
	reason, _ := reasonDetail(err)
	n.dropped.add(en.id, reason)
	n.observeReject(e, en.id, en.tx, err, stage, by)
}
