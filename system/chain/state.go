package chain

import (
	"fmt"
)

// state is the account model at the tip: balances, the next nonce of every
// sender that ever sent, and the fees burned so far. Applying a transaction
// is exactly invertible, which is how a reorg undoes blocks.
type state struct {
	bal    map[string]int64
	nonce  map[string]uint64
	burned int64
}

func newState(genesis []Allocation) *state {
	s := &state{bal: make(map[string]int64, len(genesis)), nonce: map[string]uint64{}}
	for _, a := range genesis {
		s.bal[a.Address] = a.Amount
	}
	return s
}

// check says whether t can be applied now: its nonce is the sender's next,
// and the sender's balance covers amount plus fee.
func (s *state) check(t Tx) error {
	if next := s.nonce[t.From]; t.Nonce != next {
		if t.Nonce < next {
			return reject(ErrBadNonce, fmt.Sprintf("nonce %d already used; next is %d", t.Nonce, next))
		}
		return reject(ErrBadNonce, fmt.Sprintf("nonce %d; next is %d", t.Nonce, next))
	}
	if b := s.bal[t.From]; b < t.Amount+t.Fee {
		return reject(ErrInsufficientFunds, fmt.Sprintf("balance %d < amount %d + fee %d", b, t.Amount, t.Fee))
	}
	return nil
}

// apply moves the funds of a transaction check accepted.
func (s *state) apply(t Tx) {
	if err := s.check(t); err != nil {
		panic(fmt.Sprintf("chain: apply %s: %v", TxID(t), err))
	}
	s.add(t.From, -(t.Amount + t.Fee))
	s.add(t.To, t.Amount)
	s.nonce[t.From]++
	s.burned += t.Fee
}

// undo reverts apply; transactions are undone in reverse order.
func (s *state) undo(t Tx) {
	if s.nonce[t.From] != t.Nonce+1 || s.bal[t.To] < t.Amount || s.burned < t.Fee {
		panic(fmt.Sprintf("chain: undo %s: not the last applied transaction of %s", TxID(t), t.From))
	}
	s.add(t.To, -t.Amount)
	s.add(t.From, t.Amount+t.Fee)
	if s.nonce[t.From]--; s.nonce[t.From] == 0 {
		delete(s.nonce, t.From)
	}
	s.burned -= t.Fee
}

func (s *state) add(a string, d int64) {
	v := s.bal[a] + d
	if v < 0 {
		panic(fmt.Sprintf("chain: balance of %s would go negative (%d)", a, v))
	}
	if v == 0 {
		delete(s.bal, a)
		return
	}
	s.bal[a] = v
}
