package chain

import (
	"encoding/hex"
	"fmt"
)

// query answers a Query from the state at the tip. Reads change nothing.
func (n *Node) query(q Query) QueryResult {
	tip := n.tipBlock()
	res := QueryResult{ID: q.ID, Kind: q.Kind, Tip: tip.height, TipHash: tip.hashHex()}
	switch q.Kind {
	case QueryTip:
	case QueryTx:
		res.TxID, res.Stuck = q.TxID, n.stuck[q.TxID]
		if loc, ok := n.mined[q.TxID]; ok {
			res.Status = StatusMined
			res.Height = loc.height
			res.BlockHash = n.blocks[loc.height].hashHex()
			res.Confirmations = n.confirmations(loc.height)
		} else if n.pool.get(q.TxID) != nil {
			res.Status = StatusPending
		} else if reason, ok := n.dropped.reason[q.TxID]; ok {
			res.Status, res.Reason = StatusDropped, reason
		} else {
			res.Status = StatusUnknown
		}
	case QueryAccount:
		if err := CheckAddress(n.cfg.Flavour, q.Address); err != nil {
			res.Err = err.Error()
			break
		}
		res.Address = q.Address
		res.Balance = n.st.bal[q.Address]
		res.Nonce = n.st.nonce[q.Address]
		res.PendingNonce = n.pool.nextNonce(q.Address, res.Nonce)
	case QueryNonce:
		// Which transaction used this sender's nonce: a sender that
		// replaced its own transaction (a fee bump), or whose copies
		// went out from several places, learns which one the chain kept.
		if err := CheckAddress(n.cfg.Flavour, q.Address); err != nil {
			res.Err = err.Error()
			break
		}
		res.Address, res.Status = q.Address, StatusUnknown
		for h := tip.height; h >= 1 && res.Status == StatusUnknown; h-- {
			b := n.blocks[h]
			for i, t := range b.txs {
				if t.From == q.Address && t.Nonce == q.Nonce {
					res.TxID, res.Status, res.Height, res.Fee = b.ids[i], StatusMined, h, t.Fee
					res.BlockHash = b.hashHex()
					res.Confirmations = n.confirmations(h)
					break
				}
			}
		}
	case QueryBlock:
		if q.Height > tip.height {
			res.Err = fmt.Sprintf("chain: no block at height %d (tip %d)", q.Height, tip.height)
			break
		}
		res.Block = n.blockInfo(n.blocks[q.Height])
	default:
		res.Err = fmt.Sprintf("chain: unknown query kind %q", q.Kind)
	}
	return res
}

func (n *Node) blockInfo(b *block) *BlockInfo {
	info := &BlockInfo{Height: b.height, Hash: b.hashHex(), Parent: hex.EncodeToString(b.parent[:]), Time: b.time, Txs: make([]TxInfo, len(b.txs))}
	for i, t := range b.txs {
		d := t.SigningDigest()
		info.Txs[i] = TxInfo{TxID: b.ids[i], From: t.From, To: t.To, Amount: t.Amount, Fee: t.Fee, Nonce: t.Nonce, Memo: t.Memo, Digest: hex.EncodeToString(d[:])}
	}
	return info
}
