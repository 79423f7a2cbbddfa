package mpc

import (
	"fmt"
	"sort"
	"strings"
)

// KeyID names one MPC key (a committee's shared key), e.g. "hot".
type KeyID string

// PartyID is a signer node id, e.g. "signer-hot-1". It is the env.NodeID of
// the signer that holds the share; the package keeps its own string type so
// it does not depend on env.
type PartyID string

// Algo is a signature scheme with its curve.
type Algo string

const (
	ECDSA Algo = "ecdsa-secp256k1"
	EdDSA Algo = "eddsa-ed25519"
)

// Valid reports whether a is one of the supported schemes.
func (a Algo) Valid() bool { return a == ECDSA || a == EdDSA }

// DigestSize is the length of every digest the package signs: a SHA-256 (or
// equivalent) of the transaction, computed by the caller.
const DigestSize = 32

// SessionID names one attempt of one protocol run. Every payload a Session
// emits belongs to exactly one SessionID; the caller binds it into the
// envelope (INV-MPCBIND), because tss-lib's messages carry none.
type SessionID struct {
	Key     KeyID
	Session uint64
	Attempt uint32
	// Parties are the participants of this attempt, sorted and distinct.
	// For signing: a subset of the committee of at least k parties; for
	// keygen: the whole committee.
	Parties []PartyID
}

func (s SessionID) String() string {
	ps := make([]string, len(s.Parties))
	for i, p := range s.Parties {
		ps[i] = string(p)
	}
	return fmt.Sprintf("%s/%d/%d[%s]", s.Key, s.Session, s.Attempt, strings.Join(ps, ","))
}

// index returns the position of p in the session's parties, or -1.
func (s SessionID) index(p PartyID) int {
	i := sort.Search(len(s.Parties), func(i int) bool { return s.Parties[i] >= p })
	if i < len(s.Parties) && s.Parties[i] == p {
		return i
	}
	return -1
}

// others returns the session's parties except self, in order.
func (s SessionID) others(self PartyID) []PartyID {
	out := make([]PartyID, 0, len(s.Parties))
	for _, p := range s.Parties {
		if p != self {
			out = append(out, p)
		}
	}
	return out
}

// Out is one message a Session asks its caller to send. To nil means a
// broadcast to every other party of the session; otherwise the listed
// parties (point-to-point). Round is the protocol round the message belongs
// to; the receiver's Deliver takes it back.
type Out struct {
	To      []PartyID
	Round   int
	Payload []byte
}

// Sent is one line of a session's message trace: what was sent, by whom, to
// whom, in which round. Never the content or the size, so traces compare
// across engines.
type Sent struct {
	Round     int
	From      PartyID
	To        []PartyID // the receivers, sorted; a broadcast lists every other party
	Broadcast bool
}

func (s Sent) String() string {
	kind := "p2p"
	if s.Broadcast {
		kind = "bcast"
	}
	to := make([]string, len(s.To))
	for i, p := range s.To {
		to[i] = string(p)
	}
	return fmt.Sprintf("r%d %s %s->%s", s.Round, kind, s.From, strings.Join(to, ","))
}

// Committee is a key's signer set: k of the n parties must take part.
type Committee struct {
	Key     KeyID
	Algo    Algo
	K       int
	Parties []PartyID // sorted, distinct
}

// N is the committee size.
func (c Committee) N() int { return len(c.Parties) }

func (c Committee) String() string {
	return fmt.Sprintf("%s %s %d-of-%d", c.Key, c.Algo, c.K, c.N())
}

// Validate checks the committee's shape.
func (c Committee) Validate() error {
	if c.Key == "" {
		return fmt.Errorf("%w: empty key id", ErrBadRequest)
	}
	if !c.Algo.Valid() {
		return fmt.Errorf("%w: unknown algo %q", ErrBadRequest, c.Algo)
	}
	if err := checkSortedDistinct(c.Parties); err != nil {
		return err
	}
	if c.K < 2 || c.K > len(c.Parties) {
		// 1-of-n is a single key, not MPC; tss-lib needs threshold >= 1.
		return fmt.Errorf("%w: %d-of-%d", ErrBadRequest, c.K, len(c.Parties))
	}
	return nil
}

// has reports whether p is a member.
func (c Committee) has(p PartyID) bool { return c.index(p) >= 0 }

func (c Committee) index(p PartyID) int {
	return SessionID{Parties: c.Parties}.index(p)
}

// Default key ids: the hot and cold wallets' keys and their EdDSA variants.
const (
	KeyHot    KeyID = "hot"
	KeyCold   KeyID = "cold"
	KeyHotEd  KeyID = "hot-ed"
	KeyColdEd KeyID = "cold-ed"
)

// HotParties and ColdParties are the default signer committees.
func HotParties() []PartyID {
	return []PartyID{"signer-hot-1", "signer-hot-2", "signer-hot-3"}
}

func ColdParties() []PartyID {
	return []PartyID{"signer-cold-1", "signer-cold-2", "signer-cold-3", "signer-cold-4", "signer-cold-5"}
}

// DefaultCommittees are the four keys kept as test data: hot ECDSA 2-of-3,
// cold ECDSA 3-of-5, and the EdDSA variants with the same signers.
func DefaultCommittees() []Committee {
	return []Committee{
		{Key: KeyHot, Algo: ECDSA, K: 2, Parties: HotParties()},
		{Key: KeyCold, Algo: ECDSA, K: 3, Parties: ColdParties()},
		{Key: KeyHotEd, Algo: EdDSA, K: 2, Parties: HotParties()},
		{Key: KeyColdEd, Algo: EdDSA, K: 3, Parties: ColdParties()},
	}
}

// DefaultCommittee returns the default committee of a key id.
func DefaultCommittee(key KeyID) (Committee, bool) {
	for _, c := range DefaultCommittees() {
		if c.Key == key {
			return c, true
		}
	}
	return Committee{}, false
}

func checkSortedDistinct(ps []PartyID) error {
	for i, p := range ps {
		if p == "" {
			return fmt.Errorf("%w: empty party id", ErrBadRequest)
		}
		if i > 0 && ps[i-1] >= p {
			return fmt.Errorf("%w: parties not sorted and distinct at %q", ErrBadRequest, p)
		}
	}
	return nil
}

// checkSession validates a session id against a committee for party self.
func checkSession(id SessionID, c Committee, self PartyID, needAll bool) error {
	if id.Key != c.Key {
		return fmt.Errorf("%w: session key %q, committee key %q", ErrBadRequest, id.Key, c.Key)
	}
	if err := checkSortedDistinct(id.Parties); err != nil {
		return err
	}
	for _, p := range id.Parties {
		if !c.has(p) {
			return fmt.Errorf("%w: %q is not in the committee of %s", ErrBadRequest, p, c.Key)
		}
	}
	if id.index(self) < 0 {
		return fmt.Errorf("%w: %q is not a party of session %s", ErrBadRequest, self, id)
	}
	if needAll && len(id.Parties) != c.N() {
		return fmt.Errorf("%w: keygen needs the whole committee (%d of %d)", ErrBadRequest, len(id.Parties), c.N())
	}
	if len(id.Parties) < c.K {
		return fmt.Errorf("%w: %d parties for a %d-of-%d key", ErrTooFewParties, len(id.Parties), c.K, c.N())
	}
	return nil
}
