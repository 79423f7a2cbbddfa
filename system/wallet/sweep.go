package wallet

import (
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"

	"vaultdrill/system/api"
	"vaultdrill/system/chain"
	"vaultdrill/system/env"
	"vaultdrill/system/signer"
)

// The sweeper (the eligible wallet node in the ledger leader's region)
// keeps the hot wallet small: at every sweep-window boundary it
// reads the hot address's balance from the chain and sweeps what is above
// HotTarget to the cold address (signed by the hot committee), or, below
// RefillFloor, refills hot up to HotTarget from cold (signed by the cold
// committee, whose every message travels by courier). Sweeps and refills
// use the same idempotent steps as withdrawals (nonce from the ledger,
// fee from the house), keyed by the window.

type transfer struct {
	id     string // s<window> or r<window>
	memo   string
	from   *Info
	to     *Info
	amount int64
	nonce  uint64
	tx     chain.Tx
	raw    []byte
	txid   string
	state  string
}

func (n *Node) sweepTick(e env.Env) {
	e.After(n.untilWindow(e), "sweep")
	win := int64(e.Now().Sub(env.Epoch) / n.cfg.SweepWindow)
	if win == n.lastSweep || !n.cfg.Sweeper {
		return
	}
	n.lastSweep = win
	// Who sweeps this window: the eligible node in the ledger leader's
	// region. A write (idempotent per window) is answered by the leader,
	// which is how each node learns where it is now.
	n.ledgerWrite(e, api.OpDeposit, "sweep-ticks", 1, "tick:"+strconv.FormatInt(win, 10), func(e env.Env, _ api.Response) {
		if n.sweeping() {
			n.sweepWindow(e, win)
		}
	})
}

func (n *Node) sweepWindow(e env.Env, win int64) {
	n.query(e, chain.Query{Kind: chain.QueryAccount, Address: n.cfg.Hot.Address}, func(e env.Env, r *chain.QueryResult) {
		if r == nil {
			return // the next window tries again
		}
		hot := r.Balance
		decision := "none"
		switch {
		case hot > n.cfg.HotTarget:
			decision = "sweep"
		case hot < n.cfg.RefillFloor:
			decision = "refill"
		}
		e.Observe(env.ObserveKV(ObsSweepTick, "window", strconv.FormatInt(win, 10), "hot", strconv.FormatInt(hot, 10), "decision", decision))
		switch {
		case hot > n.cfg.HotTarget:
			amount := hot - n.cfg.HotTarget
			if n.cfg.Bug == BugSweepShortfall {
				amount /= 10
			}
			n.startTransfer(e, "s"+strconv.FormatInt(win, 10), MemoSweep, &n.cfg.Hot, &n.cfg.Cold, amount)
		case hot < n.cfg.RefillFloor:
			// One refill at a time, across sweepers: a cold nonce taken
			// in the ledger but not yet used on chain is a refill in
			// flight somewhere (it takes hours by courier).
			n.ledgerRead(e, "nonce:"+n.cfg.Cold.Name, func(e env.Env, taken api.Response) {
				n.query(e, chain.Query{Kind: chain.QueryAccount, Address: n.cfg.Cold.Address}, func(e env.Env, c *chain.QueryResult) {
					if c == nil || uint64(taken.Balance) > c.Nonce {
						return
					}
					n.startTransfer(e, "r"+strconv.FormatInt(win, 10), MemoRefill, &n.cfg.Cold, &n.cfg.Hot, n.cfg.HotTarget-hot)
				})
			})
		}
	})
}

// xferRecord is a transfer's durable note on the sweeper's disk, written
// before its nonce is taken: a sweeper that restarts resumes the very same
// transfer (same id, same nonce, same transaction) instead of starting
// another whose nonce would wait forever behind the abandoned one.
type xferRecord struct {
	ID      string `json:"id"`
	Prefix  string `json:"prefix"`
	Amount  int64  `json:"amount"`
	Settled bool   `json:"settled"`
}

func xferFile(id string) string { return "wallet/xfer/" + id }

// resumeTransfers restarts every unsettled transfer found on disk.
func (n *Node) resumeTransfers(e env.Env) {
	for _, name := range e.Disk().List("wallet/xfer/") {
		b, _ := e.Disk().Read(name)
		var r xferRecord
		if json.Unmarshal(b, &r) != nil || r.Settled {
			continue
		}
		from, to := &n.cfg.Hot, &n.cfg.Cold
		if r.Prefix == MemoRefill {
			from, to = &n.cfg.Cold, &n.cfg.Hot
		}
		n.runTransfer(e, r.ID, r.Prefix, from, to, r.Amount)
	}
}

func (n *Node) startTransfer(e env.Env, id, prefix string, from, to *Info, amount int64) {
	if amount <= 0 || n.internal[id] != nil {
		return
	}
	if !n.record(e, strings.TrimSuffix(prefix, ":")+".request", id, "allow", "", "amount="+strconv.FormatInt(amount, 10)+" to="+to.Name) {
		return // the next sweep window decides again
	}
	rec, _ := json.Marshal(xferRecord{ID: id, Prefix: prefix, Amount: amount})
	e.Disk().Write(xferFile(id), rec)
	e.Disk().Sync()
	n.runTransfer(e, id, prefix, from, to, amount)
}

func (n *Node) runTransfer(e env.Env, id, prefix string, from, to *Info, amount int64) {
	t := &transfer{id: id, memo: prefix + id, from: from, to: to, amount: amount}
	n.internal[id] = t
	n.xferState(e, t, "requested")
	n.ledgerWrite(e, api.OpDeposit, "nonce:"+from.Name, 1, "nonce:"+t.memo, func(e env.Env, resp api.Response) {
		t.nonce = uint64(resp.Balance - 1)
		t.tx = chain.Tx{Chain: n.cfg.Flavour, From: from.Address, To: to.Address, Amount: amount, Fee: n.cfg.Fee,
			Nonce: t.nonce, Memo: t.memo, PubKey: from.PubKey}
		n.signTransfer(e, t)
	})
}

func (n *Node) signTransfer(e env.Env, t *transfer) {
	d := t.tx.SigningDigest()
	n.xferState(e, t, "signing")
	if !n.record(e, xferAction(t, "sign"), t.id, "apply", hex.EncodeToString(d[:]), "nonce="+strconv.FormatUint(t.nonce, 10)) {
		e.After(n.cfg.PollEvery, "xfer/sign/"+t.id)
		return
	}
	auth := &signer.Authorization{Raw: chain.EncodeTx(t.tx)}
	n.sign(e, t.from, signer.SignRequest{Key: t.from.Key, Digest: d[:], Auth: auth}, func(e env.Env, r signer.SignResponse) {
		if !r.OK {
			e.After(n.cfg.SignAttempt, "xfer/sign/"+t.id)
			return
		}
		tx := t.tx
		tx.Sig = r.Sig
		if len(tx.Sig) == 65 {
			tx.Sig = tx.Sig[:64]
		}
		t.raw = chain.EncodeTx(tx)
		t.txid = chain.RawTxID(t.raw)
		n.xferState(e, t, "signed")
		n.xferBroadcast(e, t)
	})
}

// xferAction names a transfer's audit actions: "sweep.X" or "refill.X".
func xferAction(t *transfer, step string) string {
	return t.memo[:strings.Index(t.memo, ":")] + "." + step
}

func (n *Node) xferBroadcast(e env.Env, t *transfer) {
	if !n.record(e, xferAction(t, "broadcast"), t.id, "apply", "", "txid="+t.txid) {
		e.After(n.cfg.PollEvery, "xfer/broadcast/"+t.id)
		return
	}
	n.submit(e, t.raw, func(e env.Env, r *chain.SubmitResult) {
		switch {
		case r == nil:
			e.After(n.cfg.PollEvery, "xfer/broadcast/"+t.id) // the very same transaction
		case r.Accepted || r.Reason == chain.ErrDuplicate.Error() || r.Reason == chain.ErrStale.Error():
			n.xferState(e, t, "broadcast")
			e.After(n.cfg.PollEvery, "xfer/poll/"+t.id)
		default:
			// Refused: most often the nonce is used already, by a copy this
			// transfer signed before a restart (a fresh signature is a new
			// txid) or by another sweeper's. The chain says what holds the
			// nonce; the poll settles that, or sends this copy again.
			e.After(n.cfg.PollEvery, "xfer/poll/"+t.id)
		}
	})
}

// xferPoll asks the chain which transaction used the transfer's nonce: a
// second sweeper (a leadership change) may have sent its own copy, and the
// chain's is the one that counts.
func (n *Node) xferPoll(e env.Env, t *transfer) {
	n.query(e, chain.Query{Kind: chain.QueryNonce, Address: t.from.Address, Nonce: t.nonce}, func(e env.Env, r *chain.QueryResult) {
		switch {
		case r == nil || (r.Status == chain.StatusMined && r.Confirmations < uint64(n.cfg.Confirmations)):
			e.After(n.cfg.PollEvery, "xfer/poll/"+t.id)
		case r.Status == chain.StatusMined:
			if !n.record(e, xferAction(t, "settle"), t.id, "apply", "", "fee="+strconv.FormatInt(r.Fee, 10)+" txid="+r.TxID) {
				e.After(n.cfg.PollEvery, "xfer/poll/"+t.id)
				return
			}
			t.txid = r.TxID
			n.xferState(e, t, "confirmed")
			n.ledgerWrite(e, api.OpWithdraw, "house", r.Fee, "fee:"+t.memo, func(e env.Env, _ api.Response) {
				prefix := t.memo[:strings.Index(t.memo, ":")+1]
				rec, _ := json.Marshal(xferRecord{ID: t.id, Prefix: prefix, Amount: t.amount, Settled: true})
				e.Disk().Write(xferFile(t.id), rec)
				e.Disk().Sync()
				n.xferState(e, t, "settled")
			})
		default:
			n.query(e, chain.Query{Kind: chain.QueryTx, TxID: t.txid}, func(e env.Env, r *chain.QueryResult) {
				if r != nil && (r.Status == chain.StatusDropped || r.Status == chain.StatusUnknown) {
					n.xferBroadcast(e, t)
					return
				}
				e.After(n.cfg.PollEvery, "xfer/poll/"+t.id)
			})
		}
	})
}

func (n *Node) transferTimer(e env.Env, rest string) {
	step, id, _ := strings.Cut(rest, "/")
	t := n.internal[id]
	if t == nil || t.state == "settled" {
		return
	}
	switch step {
	case "sign":
		n.signTransfer(e, t)
	case "broadcast":
		n.xferBroadcast(e, t)
	case "poll":
		n.xferPoll(e, t)
	}
}

func (n *Node) xferState(e env.Env, t *transfer, state string) {
	t.state = state
	kind := "sweep"
	if strings.HasPrefix(t.memo, MemoRefill) {
		kind = "refill"
	}
	e.Observe(env.ObserveKV(ObsSweep, "id", t.id, "kind", kind, "state", state, "amount", strconv.FormatInt(t.amount, 10), "txid", t.txid))
}

// ---- deposits ----

const scannedFile = "wallet/scanned"

// scan credits deposits to the hot address once their block has the
// configured confirmations: block by block, each credit idempotent by txid.
func (n *Node) scan(e env.Env) {
	e.After(n.cfg.PollEvery, "scan")
	if n.scanning {
		return
	}
	n.scanning = true
	n.query(e, chain.Query{Kind: chain.QueryTip}, func(e env.Env, r *chain.QueryResult) {
		if r == nil {
			n.scanning = false
			return
		}
		ready := uint64(0)
		if conf := uint64(n.cfg.Confirmations); r.Tip+1 >= conf {
			ready = r.Tip + 1 - conf
		}
		if n.cfg.Bug == BugZeroConf {
			ready = r.Tip
		}
		n.scanBlocks(e, ready)
	})
}

func (n *Node) scanBlocks(e env.Env, ready uint64) {
	if n.scanned >= ready {
		n.scanning = false
		return
	}
	h := n.scanned + 1
	n.query(e, chain.Query{Kind: chain.QueryBlock, Height: h}, func(e env.Env, r *chain.QueryResult) {
		if r == nil || r.Block == nil {
			n.scanning = false
			return
		}
		n.creditBlock(e, r.Block, 0, func(e env.Env) {
			n.scanned = h
			e.Disk().Write(scannedFile, []byte(strconv.FormatUint(h, 10))) // synced with the next audit entry
			n.scanBlocks(e, ready)
		})
	})
}

func (n *Node) creditBlock(e env.Env, b *chain.BlockInfo, i int, then func(e env.Env)) {
	for ; i < len(b.Txs); i++ {
		tx := b.Txs[i]
		acct, ok := strings.CutPrefix(tx.Memo, MemoDeposit)
		if tx.To != n.cfg.Hot.Address || !ok || acct == "" || n.seenTxs[tx.TxID] {
			continue
		}
		next := i + 1
		if !n.creditDeposit(e, tx, acct, b.Height, func(e env.Env) { n.creditBlock(e, b, next, then) }) {
			n.scanning = false // the next scan tick tries this block again
		}
		return
	}
	then(e)
}
