package wallet

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"vaultdrill/system/audit"
	"vaultdrill/system/chain"
	"vaultdrill/system/env"
)

// Anchoring: every AnchorEvery the node publishes its log's head on the
// chain, as the memo (audit.Anchor) of a transaction paying 1 unit from
// its anchor address to AnchorSink. A head anchored there cannot be taken
// back by whoever controls the node later: a log cut or rewritten after
// the fact no longer reaches it (audit.VerifyAnchors).
//
// Idempotence: the anchor being published is noted on disk (nonce, head,
// fee), synced, before it is first submitted. Until the chain's account
// nonce passes that nonce the very same transaction is resubmitted (a
// duplicate is fine), so a retry or a restart never spends a second nonce
// on one head, and the chain pays an anchor at most once per nonce.

const anchorFile = "wallet/anchor"

// anchorNote is the anchor in progress: its nonce, the head it commits
// to, and its fee (bumped when the chain's minimum rises).
type anchorNote struct {
	nonce, seq uint64
	hash       [32]byte
	fee        int64
}

func (a anchorNote) encode() []byte {
	return fmt.Appendf(nil, "%d %d %x %d\n", a.nonce, a.seq, a.hash, a.fee)
}

func readAnchorNote(e env.Env) *anchorNote {
	b, ok := e.Disk().Read(anchorFile)
	if !ok {
		return nil
	}
	f := strings.Fields(string(b))
	var a anchorNote
	var errs [4]error
	if len(f) == 4 {
		a.nonce, errs[0] = strconv.ParseUint(f[0], 10, 64)
		a.seq, errs[1] = strconv.ParseUint(f[1], 10, 64)
		var raw []byte
		raw, errs[2] = hex.DecodeString(f[2])
		copy(a.hash[:], raw)
		if len(raw) != 32 {
			errs[2] = errors.New("hash length")
		}
		a.fee, errs[3] = strconv.ParseInt(f[3], 10, 64)
	}
	if len(f) != 4 || errors.Join(errs[:]...) != nil || a.seq == 0 || a.fee <= 0 {
		// Written whole and synced, so this is damage: start afresh from
		// the chain's nonce (a lost note costs at most one extra anchor).
		e.Observe(env.ObserveKV("wallet.anchor_note_unreadable", "note", clip(string(b))))
		return nil
	}
	return &a
}

func (n *Node) anchorFeeMax() int64 {
	if m := n.cfg.AuditTrail.AnchorFeeMax; m > 0 {
		return m
	}
	return 100 * n.cfg.Fee
}

// anchorTick asks the chain where the anchor address's nonce stands, then
// resubmits the anchor in progress or starts one for the current head.
func (n *Node) anchorTick(e env.Env) {
	key := n.cfg.AuditTrail.AnchorKey
	if key == nil || !n.sinkUp() || n.trail.querying {
		return
	}
	n.trail.querying = true
	n.query(e, chain.Query{Kind: chain.QueryAccount, Address: key.Address}, func(e env.Env, r *chain.QueryResult) {
		n.trail.querying = false
		if r == nil || !n.sinkUp() {
			return // the next tick asks again
		}
		if p := n.trail.anchor; p != nil && p.nonce >= r.Nonce {
			n.submitAnchor(e, *p) // not mined yet: the same transaction again
			return
		}
		seq, hash := n.audit.log.Head()
		if seq == 0 || n.trail.anchor != nil && n.trail.anchor.seq >= seq {
			return // nothing new to anchor
		}
		note := anchorNote{nonce: r.Nonce, seq: seq, hash: hash, fee: n.cfg.Fee}
		n.saveAnchor(e, note)
		n.submitAnchor(e, note)
	})
}

func (n *Node) saveAnchor(e env.Env, a anchorNote) {
	e.Disk().Write(anchorFile, a.encode())
	e.Disk().Sync()
	n.trail.anchor = &a
}

func (n *Node) anchorTx(a anchorNote) (chain.Tx, error) {
	memo, err := audit.Anchor{Origin: string(n.cfg.ID), Seq: a.seq, Hash: a.hash}.Memo()
	if err != nil {
		return chain.Tx{}, err
	}
	return n.cfg.AuditTrail.AnchorKey.Sign(chain.Tx{To: n.cfg.AuditTrail.AnchorSink, Amount: 1, Fee: a.fee, Nonce: a.nonce, Memo: memo}), nil
}

func (n *Node) submitAnchor(e env.Env, a anchorNote) {
	tx, err := n.anchorTx(a)
	if err != nil {
		e.Observe(env.ObserveKV("wallet.anchor_error", "err", err.Error()))
		return
	}
	txid := chain.TxID(tx)
	n.submit(e, chain.EncodeTx(tx), func(e env.Env, r *chain.SubmitResult) {
		if r == nil {
			return // no answer: the next tick resubmits the same bytes
		}
		reason := chain.ReasonErr(r.Reason)
		switch {
		case r.Accepted:
			e.Observe(env.ObserveKV(ObsAnchor, "seq", u64s(a.seq), "hash", hex.EncodeToString(a.hash[:]),
				"nonce", u64s(a.nonce), "txid", txid, "fee", strconv.FormatInt(a.fee, 10)))
		case errors.Is(reason, chain.ErrDuplicate), errors.Is(reason, chain.ErrStale):
			// already admitted, or the nonce is used: the next tick sees it
		case errors.Is(reason, chain.ErrFeeTooLow), errors.Is(reason, chain.ErrUnderpriced):
			// Same nonce, same head, a higher fee: still one anchor per
			// nonce. Bounded: past AnchorFeeMax it waits for the fee to fall.
			if cur := n.trail.anchor; cur != nil && *cur == a && a.fee*4 <= n.anchorFeeMax() {
				a.fee *= 4
				n.saveAnchor(e, a)
			}
		default:
			e.Observe(env.ObserveKV("wallet.anchor_refused", "seq", u64s(a.seq), "nonce", u64s(a.nonce), "reason", r.Reason, "detail", r.Detail))
		}
	})
}

func u64s(v uint64) string { return strconv.FormatUint(v, 10) }
