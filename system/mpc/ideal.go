package mpc

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"sort"

	"github.com/btcsuite/btcd/btcec/v2"
)

// Ideal is an ideal signing functionality: a trusted party that holds each
// key whole and signs once k distinct parties of one session approved the
// same digest. It stands in for tss-lib in fast seed sweeps.
//
// Its keys are held by the simulator, outside the custody system, and are
// exempt from the key invariants (INV-SHARES, INV-SEALED): no node holds
// them, none is ever written to a node's disk or sent in a message. They are
// derived from the engine's seed, so every process that builds the engine
// from the same seed holds the same keys and the same approval key, and
// sessions need no shared state: an Ideal is read-only after its keys are
// added.
//
// A session of the ideal engine follows the real protocol's shape for the
// algorithm and party count: the same rounds, the same number of messages
// per round, the same fan-out (point-to-point or broadcast), and it waits,
// like the library, for every message of a round before sending the next.
// Its payloads are small: the round, a commitment to (session, digest), and
// in the last round the party's approval, an HMAC under the
// functionality's key over (session, party, digest) that the functionality
// issues to the party when its session starts. The signature is released
// when every party of the session (at least k, all committee members) sent
// consistent commitments and a valid approval. A digest that differs
// between parties aborts the session (not attributable: each party only
// knows its own digest); an invalid approval aborts it naming the sender
// (attributable: the functionality verified it).
type Ideal struct {
	seed uint64
	mac  [32]byte
	keys map[KeyID]*idealKey // looked up, never ranged over
}

type idealKey struct {
	c     Committee
	ecdsa *btcec.PrivateKey
	ed    ed25519.PrivateKey
	pub   []byte
}

const idealDomain = "vaultdrill/mpc/ideal/v1/"

// NewIdeal returns an ideal engine whose keys and approval key derive from
// seed (the simulator passes a sub-seed of its root seed).
func NewIdeal(seed uint64) *Ideal {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], seed)
	return &Ideal{seed: seed, mac: sha256.Sum256(append([]byte(idealDomain+"mac/"), b[:]...)), keys: map[KeyID]*idealKey{}}
}

// NewIdealDefault returns an ideal engine holding the four default keys.
func NewIdealDefault(seed uint64) *Ideal {
	e := NewIdeal(seed)
	for _, c := range DefaultCommittees() {
		if _, err := e.AddKey(c); err != nil {
			panic(err) // the default committees are valid by construction
		}
	}
	return e
}

func (*Ideal) Name() string { return EngineIdeal }

// AddKey derives the committee's key and returns its public key (the same
// encodings as KeyShare.PublicKey). Adding the same committee again returns
// the same key; another committee under a known key id is an error.
func (e *Ideal) AddKey(c Committee) ([]byte, error) {
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if k, ok := e.keys[c.Key]; ok {
		if !sameCommittee(k.c, c) {
			return nil, fmt.Errorf("%w: key %q already held for %s", ErrBadRequest, c.Key, k.c)
		}
		return append([]byte(nil), k.pub...), nil
	}
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], e.seed)
	h := sha256.New()
	h.Write([]byte(idealDomain + "key/"))
	h.Write(b[:])
	h.Write([]byte(string(c.Algo) + "/" + string(c.Key)))
	secret := h.Sum(nil)
	k := &idealKey{c: Committee{Key: c.Key, Algo: c.Algo, K: c.K, Parties: append([]PartyID(nil), c.Parties...)}}
	switch c.Algo {
	case ECDSA:
		priv, pub := btcec.PrivKeyFromBytes(secret)
		k.ecdsa, k.pub = priv, pub.SerializeCompressed()
	case EdDSA:
		k.ed = ed25519.NewKeyFromSeed(secret)
		k.pub = append([]byte(nil), k.ed.Public().(ed25519.PublicKey)...)
	}
	e.keys[c.Key] = k
	return append([]byte(nil), k.pub...), nil
}

func sameCommittee(a, b Committee) bool {
	if a.Key != b.Key || a.Algo != b.Algo || a.K != b.K || len(a.Parties) != len(b.Parties) {
		return false
	}
	for i := range a.Parties {
		if a.Parties[i] != b.Parties[i] {
			return false
		}
	}
	return true
}

// PublicKey returns a held key's public key.
func (e *Ideal) PublicKey(key KeyID) ([]byte, bool) {
	k, ok := e.keys[key]
	if !ok {
		return nil, false
	}
	return append([]byte(nil), k.pub...), true
}

// Committee returns a held key's committee.
func (e *Ideal) Committee(key KeyID) (Committee, bool) {
	k, ok := e.keys[key]
	if !ok {
		return Committee{}, false
	}
	return Committee{Key: k.c.Key, Algo: k.c.Algo, K: k.c.K, Parties: append([]PartyID(nil), k.c.Parties...)}, true
}

// bind encodes a session id unambiguously (length-prefixed fields).
func bind(h interface{ Write([]byte) (int, error) }, id SessionID) {
	var b [8]byte
	put := func(s string) {
		binary.BigEndian.PutUint64(b[:], uint64(len(s)))
		h.Write(b[:])
		h.Write([]byte(s))
	}
	put(string(id.Key))
	binary.BigEndian.PutUint64(b[:], id.Session)
	h.Write(b[:])
	binary.BigEndian.PutUint64(b[:], uint64(id.Attempt))
	h.Write(b[:])
	binary.BigEndian.PutUint64(b[:], uint64(len(id.Parties)))
	h.Write(b[:])
	for _, p := range id.Parties {
		put(string(p))
	}
}

// approval is the functionality's authorization of party for (id, digest).
func (e *Ideal) approval(id SessionID, party PartyID, digest []byte) [32]byte {
	m := hmac.New(sha256.New, e.mac[:])
	m.Write([]byte(idealDomain + "approve/"))
	bind(m, id)
	m.Write([]byte(party))
	m.Write([]byte{0})
	m.Write(digest)
	var out [32]byte
	copy(out[:], m.Sum(nil))
	return out
}

// digestCommit binds a digest to its session; parties compare commitments.
func digestCommit(id SessionID, digest []byte) [32]byte {
	h := sha256.New()
	h.Write([]byte(idealDomain + "digest/"))
	bind(h, id)
	h.Write(digest)
	var out [32]byte
	copy(out[:], h.Sum(nil))
	return out
}

// release is the functionality's rule: it signs only for at least k
// distinct committee members of the session, each with a valid approval of
// this digest. It returns the parties whose approval is invalid.
func (e *Ideal) release(k *idealKey, id SessionID, digest []byte, approvals map[PartyID][32]byte) ([]byte, []PartyID) {
	var bad []PartyID
	valid := 0
	for _, p := range id.Parties {
		a, ok := approvals[p]
		want := e.approval(id, p, digest)
		if !ok || !k.c.has(p) || !hmac.Equal(a[:], want[:]) {
			bad = append(bad, p)
			continue
		}
		valid++
	}
	sort.Slice(bad, func(i, j int) bool { return bad[i] < bad[j] })
	if len(bad) > 0 || valid < k.c.K {
		return nil, bad
	}
	return k.sign(digest, id), nil
}

// sign produces the signature in the engines' common format. ECDSA
// signatures differ per session, as the real protocol's do
// (ideal_nonce.go). EdDSA signatures are RFC 8032's, the same for every
// session over one digest: unlike tss-lib's EdDSA, whose nonce is fresh.
func (k *idealKey) sign(digest []byte, id SessionID) []byte {
	switch k.c.Algo {
	case ECDSA:
		return signECDSASession(k.ecdsa, digest, id)
	case EdDSA:
		return ed25519.Sign(k.ed, digest)
	}
	return nil
}
