package ledger

import (
	"container/heap"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"sort"

	"vaultdrill/system/api"
)

// ErrOverflow refuses a deposit that would overflow the account's balance.
var ErrOverflow = errors.New("ledger: balance overflow")

// Apply outcomes, as reported in ledger.apply observations.
const (
	resultOK      = "ok"
	resultRefused = "refused"
	resultDup     = "dup"
)

// stateVersion is the first byte of a serialized state machine.
const stateVersion byte = 1

// outcome is the effect of applying one command.
type outcome struct {
	Result string // resultOK, resultRefused or resultDup
	// Balance is the account's balance after the apply (unchanged for a
	// refusal or a duplicate): what the replica observes.
	Balance int64
	// Reply is what the client is told: for a duplicate, the original.
	Reply reply
}

// reply is a write's client-visible result, remembered per idempotency key.
type reply struct {
	Balance int64
	Refused string
	Index   uint64
}

type keyAt struct {
	key   string
	index uint64
}

// idemRecord remembers the result of the first write with a key.
type idemRecord struct {
	Key   string
	Time  int64 // the original proposal time, Unix nanoseconds
	Reply reply
}

// stateMachine is the replicated ledger state: balances, the idempotency
// table and the running apply digest. It is a pure function of the commands
// applied to it, in order; nothing else (not the local clock) goes in.
type stateMachine struct {
	retention int64 // IdemRetention in nanoseconds
	balances  map[string]int64
	idem      map[string]idemRecord
	expiry    expiryHeap
	// order lists idempotency keys in apply (= index) order, so a snapshot
	// writes them sorted without sorting; entries whose record was pruned
	// or replaced are skipped and compacted away now and then.
	order []keyAt
	// clock is the highest proposal time applied so far: idempotency keys
	// are forgotten relative to it, so every replica prunes identically.
	clock  int64
	digest [sha256.Size]byte
}

func newStateMachine(retention int64) *stateMachine {
	return &stateMachine{
		retention: retention,
		balances:  map[string]int64{},
		idem:      map[string]idemRecord{},
	}
}

func (s *stateMachine) balance(account string) int64 { return s.balances[account] }

func (s *stateMachine) digestHex() string { return hex.EncodeToString(s.digest[:]) }

// apply executes one committed command. data is the command's exact log
// bytes, chained into the digest.
func (s *stateMachine) apply(index uint64, data []byte, c command) outcome {
	h := sha256.New()
	h.Write(s.digest[:])
	h.Write(data)
	h.Sum(s.digest[:0])

	if c.Time > s.clock {
		s.clock = c.Time
		s.prune()
	}
	if c.IdemKey != "" {
		if rec, ok := s.idem[c.IdemKey]; ok {
			return outcome{Result: resultDup, Balance: s.balances[c.Account], Reply: rec.Reply}
		}
	}
	out := s.execute(index, c)
	if c.IdemKey != "" {
		s.idem[c.IdemKey] = idemRecord{Key: c.IdemKey, Time: c.Time, Reply: out.Reply}
		heap.Push(&s.expiry, expiry{Time: c.Time, Index: index, Key: c.IdemKey})
		s.order = append(s.order, keyAt{key: c.IdemKey, index: index})
		if len(s.order) > 2*len(s.idem)+64 {
			s.compactOrder()
		}
	}
	return out
}

// preview computes what applying c now would return, without changing
// anything. Only the early-ack planted bug uses it.
func (s *stateMachine) preview(c command) reply {
	if c.IdemKey != "" {
		if rec, ok := s.idem[c.IdemKey]; ok {
			return rec.Reply
		}
	}
	saved, had := s.balances[c.Account]
	out := s.execute(0, c)
	if had {
		s.balances[c.Account] = saved
	} else {
		delete(s.balances, c.Account)
	}
	return out.Reply
}

func (s *stateMachine) execute(index uint64, c command) outcome {
	bal := s.balances[c.Account]
	refuse := func(err error) outcome {
		return outcome{Result: resultRefused, Balance: bal, Reply: reply{Balance: bal, Refused: err.Error(), Index: index}}
	}
	// The leader validates requests before proposing; a command that is
	// invalid anyway is refused the same way on every replica.
	if c.Account == "" || c.Amount <= 0 {
		return refuse(api.ErrBadRequest)
	}
	switch c.Op {
	case opDeposit:
		if bal > math.MaxInt64-c.Amount {
			return refuse(ErrOverflow)
		}
		bal += c.Amount
	case opWithdraw:
		if c.Amount > bal {
			return refuse(api.ErrInsufficient)
		}
		bal -= c.Amount
	default:
		panic(fmt.Sprintf("ledger: apply of unknown op %d at index %d", c.Op, index))
	}
	s.balances[c.Account] = bal
	return outcome{Result: resultOK, Balance: bal, Reply: reply{Balance: bal, Index: index}}
}

// prune forgets every key whose original proposal time is IdemRetention or
// more behind the clock. It is exhaustive, so the table after it depends
// only on the set of records and the clock, not on how they got there.
func (s *stateMachine) prune() {
	for len(s.expiry) > 0 && s.expiry[0].Time <= s.clock-s.retention {
		e := heap.Pop(&s.expiry).(expiry)
		if rec, ok := s.idem[e.Key]; ok && rec.Reply.Index == e.Index && rec.Time == e.Time {
			delete(s.idem, e.Key)
		}
	}
}

// marshal serializes the state deterministically: version, digest, clock,
// balances sorted by account, idempotency records sorted by index.
func (s *stateMachine) marshal() []byte {
	b := []byte{stateVersion}
	b = append(b, s.digest[:]...)
	b = binary.AppendVarint(b, s.clock)

	accounts := make([]string, 0, len(s.balances))
	for a := range s.balances { // determinism: allowed (sorted below)
		accounts = append(accounts, a)
	}
	sort.Strings(accounts)
	b = binary.AppendUvarint(b, uint64(len(accounts)))
	for _, a := range accounts {
		b = appendString(b, a)
		b = binary.AppendVarint(b, s.balances[a])
	}

	s.compactOrder()
	b = binary.AppendUvarint(b, uint64(len(s.order)))
	for _, k := range s.order {
		r := s.idem[k.key]
		b = appendString(b, r.Key)
		b = binary.AppendVarint(b, r.Time)
		b = binary.AppendUvarint(b, r.Reply.Index)
		b = binary.AppendVarint(b, r.Reply.Balance)
		b = appendString(b, r.Reply.Refused)
	}
	return b
}

// restore replaces the state with a serialized one. Empty data is the
// genesis state (nothing applied).
func (s *stateMachine) restore(data []byte) error {
	fresh := newStateMachine(s.retention)
	if len(data) == 0 {
		*s = *fresh
		return nil
	}
	r := reader{b: data}
	if v := r.byte(); v != stateVersion {
		return fmt.Errorf("ledger: state snapshot version %d", v)
	}
	copy(fresh.digest[:], r.bytes(sha256.Size))
	fresh.clock = r.varint()
	n := r.uvarint()
	for i := uint64(0); i < n && r.err == nil; i++ {
		a := r.string()
		fresh.balances[a] = r.varint()
	}
	n = r.uvarint()
	for i := uint64(0); i < n && r.err == nil; i++ {
		var rec idemRecord
		rec.Key = r.string()
		rec.Time = r.varint()
		rec.Reply.Index = r.uvarint()
		rec.Reply.Balance = r.varint()
		rec.Reply.Refused = r.string()
		fresh.idem[rec.Key] = rec
		fresh.order = append(fresh.order, keyAt{key: rec.Key, index: rec.Reply.Index})
		fresh.expiry = append(fresh.expiry, expiry{Time: rec.Time, Index: rec.Reply.Index, Key: rec.Key})
	}
	if r.err != nil {
		return fmt.Errorf("ledger: state snapshot: %w", r.err)
	}
	if len(r.b) != 0 {
		return fmt.Errorf("ledger: state snapshot: %d trailing bytes", len(r.b))
	}
	heap.Init(&fresh.expiry)
	*s = *fresh
	return nil
}

// compactOrder drops order entries whose record is gone or was replaced,
// keeping the rest in index order. Afterwards order and idem hold the same
// records.
func (s *stateMachine) compactOrder() {
	kept := s.order[:0]
	for _, k := range s.order {
		if r, ok := s.idem[k.key]; ok && r.Reply.Index == k.index {
			kept = append(kept, k)
		}
	}
	clear(s.order[len(kept):])
	s.order = kept
	if len(s.order) != len(s.idem) {
		panic(fmt.Sprintf("ledger: idempotency order lists %d keys, the table %d", len(s.order), len(s.idem)))
	}
}

func appendString(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// expiry is one idempotency record in proposal-time order.
type expiry struct {
	Time  int64
	Index uint64
	Key   string
}

// expiryHeap is a min-heap by (Time, Index): a total order, so pops are
// deterministic whatever the heap's internal layout.
type expiryHeap []expiry

func (h expiryHeap) Len() int { return len(h) }
func (h expiryHeap) Less(i, j int) bool {
	if h[i].Time != h[j].Time {
		return h[i].Time < h[j].Time
	}
	return h[i].Index < h[j].Index
}
func (h expiryHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *expiryHeap) Push(x any)   { *h = append(*h, x.(expiry)) }
func (h *expiryHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}
