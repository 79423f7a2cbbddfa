package mpc

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"

	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
)

// PreParams are one party's Paillier pre-parameters for ECDSA keygen (a
// Paillier key pair and the safe-prime modulus with its generators for the
// range proofs). They are secret and printed redacted, like a KeyShare.
type PreParams struct {
	Party  PartyID // the pool slot's default owner
	params ecdsakeygen.LocalPreParams
}

// NewPreParams wraps parameters made by keygen.GeneratePreParams.
func NewPreParams(party PartyID, p *ecdsakeygen.LocalPreParams) (*PreParams, error) {
	if p == nil || !p.ValidateWithProof() {
		return nil, fmt.Errorf("%w: incomplete pre-parameters for %q", ErrBadRequest, party)
	}
	if party == "" {
		return nil, fmt.Errorf("%w: pre-parameters without a party", ErrBadRequest)
	}
	return &PreParams{Party: party, params: *p}, nil
}

func (p *PreParams) String() string {
	if p == nil {
		return "mpc.PreParams(nil)"
	}
	return fmt.Sprintf("mpc.PreParams{party=%s secret=REDACTED}", p.Party)
}

// Format makes every fmt verb print String.
func (p *PreParams) Format(f fmt.State, verb rune) { fmt.Fprint(f, p.String()) }

// Pool is the project's pool of Paillier pre-parameters, one slot per
// ECDSA committee member. Every slot is distinct (tss-lib's keygen rejects
// a ceremony where two members share h1 or h2).
type Pool struct {
	slots []*PreParams // sorted by party
}

// NewPool builds a pool, checking that parties and parameters are distinct.
func NewPool(slots []*PreParams) (*Pool, error) {
	ps := append([]*PreParams(nil), slots...)
	for i, s := range ps {
		if s == nil || !s.params.ValidateWithProof() {
			return nil, fmt.Errorf("%w: incomplete pool slot %d", ErrBadRequest, i)
		}
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Party < ps[j].Party })
	for i, s := range ps {
		for j := 0; j < i; j++ {
			if ps[j].Party == s.Party {
				return nil, fmt.Errorf("%w: two pool slots for %q", ErrBadRequest, s.Party)
			}
			if ps[j].params.NTildei.Cmp(s.params.NTildei) == 0 || ps[j].params.PaillierSK.N.Cmp(s.params.PaillierSK.N) == 0 {
				return nil, fmt.Errorf("%w: pool slots of %q and %q share parameters", ErrBadRequest, ps[j].Party, s.Party)
			}
		}
	}
	return &Pool{slots: ps}, nil
}

// Len is the number of slots.
func (p *Pool) Len() int { return len(p.slots) }

// Parties lists the slots' parties, sorted.
func (p *Pool) Parties() []PartyID {
	out := make([]PartyID, len(p.slots))
	for i, s := range p.slots {
		out[i] = s.Party
	}
	return out
}

// For returns the pre-parameters of a party's slot. A party without a slot
// gets ErrNoPreParams: it must not run ECDSA keygen.
func (p *Pool) For(party PartyID) (*PreParams, error) {
	if p != nil {
		for _, s := range p.slots {
			if s.Party == party {
				return s, nil
			}
		}
	}
	return nil, fmt.Errorf("%w: no pool slot for %q", ErrNoPreParams, party)
}

const poolVersion = 1

type poolWire struct {
	Version int            `json:"version"`
	Slots   []poolSlotWire `json:"slots"`
}

type poolSlotWire struct {
	Party  PartyID                    `json:"party"`
	Params ecdsakeygen.LocalPreParams `json:"params"`
}

// MarshalPool encodes the pool as deterministic JSON (secret: test data only).
func MarshalPool(p *Pool) ([]byte, error) {
	w := poolWire{Version: poolVersion}
	for _, s := range p.slots {
		w.Slots = append(w.Slots, poolSlotWire{Party: s.Party, Params: s.params})
	}
	b, err := json.MarshalIndent(w, "", " ")
	if err != nil {
		return nil, fmt.Errorf("mpc: encoding the pool failed")
	}
	return append(b, '\n'), nil
}

// UnmarshalPool decodes and checks a pool.
func UnmarshalPool(b []byte) (*Pool, error) {
	var w poolWire
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("%w: pool does not decode", ErrBadRequest)
	}
	if w.Version != poolVersion {
		return nil, fmt.Errorf("%w: pool version %d", ErrBadRequest, w.Version)
	}
	slots := make([]*PreParams, 0, len(w.Slots))
	for i := range w.Slots {
		s, err := NewPreParams(w.Slots[i].Party, &w.Slots[i].Params)
		if err != nil {
			return nil, err
		}
		slots = append(slots, s)
	}
	return NewPool(slots)
}
