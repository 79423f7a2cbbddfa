package chain

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"vaultdrill/system/env"
)

// control applies one fault order from the harness.
func (n *Node) control(e env.Env, c Control) ControlResult {
	var err error
	var kv []string
	switch c.Op {
	case ControlReorg:
		kv = []string{"depth", strconv.Itoa(c.Depth)}
		err = n.reorg(e, c.Depth)
	case ControlFeeSpike:
		kv = []string{"multiplier", i64(c.Multiplier)}
		if c.Multiplier < 1 || c.Multiplier > FeeMultiplierMax {
			err = fmt.Errorf("%w: multiplier %d out of 1..%d", ErrBadControl, c.Multiplier, FeeMultiplierMax)
			break
		}
		n.feeMult = c.Multiplier
		persistControl(e.Disk(), n.feeMult, n.stuck)
		e.Charge(CostSync)
	case ControlStuck, ControlRelease:
		kv = []string{"txid", c.TxID}
		if !validTxID(c.TxID) {
			err = fmt.Errorf("%w: txid %q is not 64 lowercase hex", ErrBadControl, c.TxID)
			break
		}
		if c.Op == ControlStuck {
			if !n.stuck[c.TxID] && len(n.stuck) >= stuckMax {
				err = fmt.Errorf("%w: %d transactions already stuck", ErrBadControl, len(n.stuck))
				break
			}
			n.stuck[c.TxID] = true
		} else {
			delete(n.stuck, c.TxID)
		}
		persistControl(e.Disk(), n.feeMult, n.stuck)
		e.Charge(CostSync)
	default:
		err = fmt.Errorf("%w: unknown op %q", ErrBadControl, c.Op)
	}
	res := ControlResult{ID: c.ID, Op: c.Op, OK: err == nil, Tip: n.tip()}
	if err != nil {
		res.Err = err.Error()
	}
	kv = append([]string{"chain", n.cfg.Flavour, "op", c.Op, "ok", strconv.FormatBool(res.OK), "err", res.Err}, kv...)
	e.Observe(env.ObserveKV(ObsControl, kv...))
	return res
}

func validTxID(s string) bool {
	if len(s) != 64 {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil && s == hexLower(s)
}

func hexLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'F' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// reorg undoes the last depth blocks: their transactions are undone in
// reverse order, the reorg is made durable, and the transactions return to
// the mempool in chain order (those whose sender and nonce are still free;
// one whose nonce a pending replacement with a higher fee holds is dropped).
// The chain then continues from the new tip on the usual timer, so every
// transaction above it loses its confirmations.
func (n *Node) reorg(e env.Env, depth int) error {
	tip := n.tip()
	if depth < 1 || depth > n.cfg.ReorgDepthMax || uint64(depth) > tip {
		return fmt.Errorf("%w: depth %d at tip %d (max %d)", ErrReorgDepth, depth, tip, n.cfg.ReorgDepthMax)
	}
	old := n.tipBlock()
	newTip := tip - uint64(depth)
	undone := append([]*block(nil), n.blocks[newTip+1:]...)
	count := 0
	for i := len(undone) - 1; i >= 0; i-- {
		b := undone[i]
		for j := len(b.txs) - 1; j >= 0; j-- {
			n.st.undo(b.txs[j])
			delete(n.mined, b.ids[j])
		}
		count += len(b.txs)
	}
	clear(n.blocks[newTip+1:])
	n.blocks = n.blocks[:newTip+1]
	persistReorg(e.Disk(), newTip)
	e.Charge(CostSync + time.Duration(count)*CostTxApply)

	returned, dropped := 0, 0
	for _, b := range undone {
		for j, t := range b.txs {
			if n.readmit(e, t, b.ids[j]) {
				returned++
			} else {
				dropped++
			}
		}
	}
	e.Observe(env.ObserveKV(ObsReorg,
		"chain", n.cfg.Flavour,
		"depth", strconv.Itoa(depth),
		"old_tip", u64(old.height),
		"old_hash", old.hashHex(),
		"new_tip", u64(newTip),
		"new_hash", n.tipBlock().hashHex(),
		"undone", strconv.Itoa(count),
		"returned", strconv.Itoa(returned),
		"dropped", strconv.Itoa(dropped),
	))
	return nil
}

// readmit returns an undone transaction to the mempool. Its signature was
// verified when it was first admitted; fee minimum, funds and capacity are
// not re-checked (it was valid in the chain, and a block checks funds when
// it takes it). It is dropped only when its nonce is no longer free.
func (n *Node) readmit(e env.Env, t Tx, id string) bool {
	en := &entry{tx: t, id: id}
	next := n.st.nonce[t.From]
	if t.Nonce < next {
		n.drop(e, en, reject(ErrStale, fmt.Sprintf("nonce %d; next is %d", t.Nonce, next)), StageReorg, "")
		return false
	}
	if old := n.pool.at(t.From, t.Nonce); old != nil {
		if old.tx.Fee >= t.Fee {
			n.drop(e, en, reject(ErrReplaced, fmt.Sprintf("pending %s pays %d >= %d", old.id, old.tx.Fee, t.Fee)), StageReorg, old.id)
			return false
		}
		n.pool.remove(old)
		n.drop(e, old, reject(ErrReplaced, fmt.Sprintf("undone %s pays %d > %d", id, t.Fee, old.tx.Fee)), StageMempool, id)
	} else if want := n.pool.nextNonce(t.From, next); t.Nonce != want {
		n.drop(e, en, reject(ErrBadNonce, fmt.Sprintf("nonce %d; next is %d", t.Nonce, want)), StageReorg, "")
		return false
	}
	n.enqueue(t, id)
	return true
}
