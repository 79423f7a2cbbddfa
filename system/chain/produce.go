package chain

import (
	"container/heap"
	"fmt"
	"sort"
	"strconv"
	"time"

	"vaultdrill/system/env"
)

// produce mines the next block, empty or not, from the mempool: up to
// MaxTxPerBlock transactions, always taking, among the senders' next
// executable transactions (the one carrying the sender's next nonce), the
// one with the highest fee, then the earliest arrival, then the lowest id
// (geth's price-and-nonce order). A stuck transaction, one below the
// current minimum fee, or one its sender cannot pay for blocks that
// sender's later nonces for this block.
func (n *Node) produce(e env.Env) {
	parent := n.tipBlock()
	min := n.minFee()
	eligible := func(en *entry) bool { return en != nil && en.tx.Fee >= min && !n.stuck[en.id] }
	var heads headHeap
	for _, s := range n.pool.senders() {
		if en := n.pool.at(s, n.st.nonce[s]); eligible(en) {
			heads = append(heads, en)
		}
	}
	heap.Init(&heads)
	var picked []*entry
	for len(picked) < n.cfg.MaxTxPerBlock && heads.Len() > 0 {
		en := heap.Pop(&heads).(*entry)
		if n.st.check(en.tx) != nil {
			continue
		}
		n.st.apply(en.tx)
		picked = append(picked, en)
		if nx := n.pool.at(en.tx.From, en.tx.Nonce+1); eligible(nx) {
			heap.Push(&heads, nx)
		}
	}
	txs := make([]Tx, len(picked))
	for i, en := range picked {
		txs[i] = en.tx
	}
	blk := newBlock(parent.height+1, parent.hash, e.Now().UnixNano(), txs)
	persistBlock(e.Disk(), blk)
	e.Charge(CostBlock + time.Duration(len(txs))*CostTxApply + CostSync)
	n.blocks = append(n.blocks, blk)

	senders := map[string]bool{}
	for i, en := range picked {
		if blk.ids[i] != en.id {
			panic(fmt.Sprintf("chain: %s: pending %s re-encodes as %s: the encoding is not canonical", n.cfg.ID, en.id, blk.ids[i]))
		}
		n.pool.remove(en)
		n.mined[en.id] = txLoc{height: blk.height, index: i}
		senders[en.tx.From] = true
	}
	n.dropStale(e, senders)

	e.Observe(env.ObserveKV(ObsBlock,
		"chain", n.cfg.Flavour,
		"height", u64(blk.height),
		"hash", blk.hashHex(),
		"parent", parent.hashHex(),
		"time", i64(blk.time),
		"txs", strconv.Itoa(len(txs)),
		"fees", i64(blk.fees()),
		"burned", i64(n.st.burned),
		"pending", strconv.Itoa(n.pool.len()),
	))
	for i := range txs {
		n.observeTx(e, blk, i)
	}
}

// observeTx reports a transaction's inclusion in a canonical block.
func (n *Node) observeTx(e env.Env, blk *block, i int) {
	kv := append(n.txFields(blk.ids[i], blk.txs[i]),
		"height", u64(blk.height),
		"index", strconv.Itoa(i),
		"block", blk.hashHex(),
	)
	e.Observe(env.ObserveKV(ObsTx, kv...))
}

// dropStale drops pending transactions of the given senders whose nonce a
// mined transaction has used. (At most one pending transaction exists per
// sender and nonce and mining removes it, so this is a guard, not a path.)
func (n *Node) dropStale(e env.Env, senders map[string]bool) {
	names := make([]string, 0, len(senders))
	for s := range senders { // determinism: allowed (sorted below)
		names = append(names, s)
	}
	sort.Strings(names)
	for _, s := range names {
		next := n.st.nonce[s]
		for _, en := range n.pool.senderEntries(s) {
			if en.tx.Nonce >= next {
				break
			}
			n.pool.remove(en)
			n.drop(e, en, reject(ErrStale, fmt.Sprintf("nonce %d; next is %d", en.tx.Nonce, next)), StageMempool, "")
		}
	}
}

// headHeap orders senders' next transactions: highest fee, then earliest
// arrival, then lowest id (a total order, so blocks are deterministic).
type headHeap []*entry

func (h headHeap) Len() int { return len(h) }
func (h headHeap) Less(i, j int) bool {
	a, b := h[i], h[j]
	if a.tx.Fee != b.tx.Fee {
		return a.tx.Fee > b.tx.Fee
	}
	if a.arrival != b.arrival {
		return a.arrival < b.arrival
	}
	return a.id < b.id
}
func (h headHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *headHeap) Push(x any)   { *h = append(*h, x.(*entry)) }
func (h *headHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
