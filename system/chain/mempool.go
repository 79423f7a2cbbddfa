package chain

import (
	"math"
	"sort"
)

// entry is one pending transaction.
type entry struct {
	tx      Tx
	id      string
	arrival uint64 // admission order, for the block ordering's tie-break
}

func (e *entry) cost() int64 { return e.tx.Amount + e.tx.Fee }

// mempool holds pending transactions: at most one per (sender, nonce), so
// of a transaction and its fee bumps only one can ever be mined.
type mempool struct {
	byID     map[string]*entry
	bySender map[string]map[uint64]*entry
}

func newMempool() *mempool {
	return &mempool{byID: map[string]*entry{}, bySender: map[string]map[uint64]*entry{}}
}

func (m *mempool) len() int { return len(m.byID) }

func (m *mempool) get(id string) *entry { return m.byID[id] }

func (m *mempool) at(from string, nonce uint64) *entry { return m.bySender[from][nonce] }

func (m *mempool) senderLen(from string) int { return len(m.bySender[from]) }

func (m *mempool) add(e *entry) {
	if m.byID[e.id] != nil || m.at(e.tx.From, e.tx.Nonce) != nil {
		panic("chain: mempool: adding " + e.id + " over an existing entry")
	}
	m.byID[e.id] = e
	s := m.bySender[e.tx.From]
	if s == nil {
		s = map[uint64]*entry{}
		m.bySender[e.tx.From] = s
	}
	s[e.tx.Nonce] = e
}

func (m *mempool) remove(e *entry) {
	delete(m.byID, e.id)
	s := m.bySender[e.tx.From]
	delete(s, e.tx.Nonce)
	if len(s) == 0 {
		delete(m.bySender, e.tx.From)
	}
}

// nextNonce is the nonce a sender's next new transaction must carry: the
// first one from its state nonce up that is not pending.
func (m *mempool) nextNonce(from string, stateNonce uint64) uint64 {
	s := m.bySender[from]
	n := stateNonce
	for s[n] != nil {
		n++
	}
	return n
}

// pendingCost is what a sender's pending transactions would spend.
func (m *mempool) pendingCost(from string) int64 {
	var sum int64
	for _, e := range m.bySender[from] { // determinism: allowed (a sum; order cannot matter)
		if sum > math.MaxInt64-e.cost() {
			return math.MaxInt64 // saturate: it only ever gets compared
		}
		sum += e.cost()
	}
	return sum
}

// senderEntries returns a sender's pending transactions by nonce.
func (m *mempool) senderEntries(from string) []*entry {
	s := m.bySender[from]
	out := make([]*entry, 0, len(s))
	for _, e := range s { // determinism: allowed (sorted below)
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].tx.Nonce < out[j].tx.Nonce })
	return out
}

// senders returns the senders with pending transactions, sorted.
func (m *mempool) senders() []string {
	out := make([]string, 0, len(m.bySender))
	for s := range m.bySender { // determinism: allowed (sorted below)
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}
