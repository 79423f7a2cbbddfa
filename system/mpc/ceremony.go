package mpc

// Ceremony is one party's side of one key-ceremony attempt (keygen): the
// same Protocol as signing, ending in the party's new share instead of a
// signature.
type Ceremony interface {
	Protocol
	// Done returns the party's share once the ceremony finished. A share
	// from the ideal engine carries the committee and public key only: the
	// functionality holds the key (HasSecret is false).
	Done() (*KeyShare, bool)
}

// KeygenEngine is an engine that can run key ceremonies. Both engines
// implement it; signers refuse a ceremony their engine cannot run.
type KeygenEngine interface {
	NewKeygen(req KeygenRequest) (Ceremony, error)
}

// HasSecret reports whether the share holds secret key material (a share of
// the tss engine) or only the public identity of a key the ideal
// functionality holds.
func (s *KeyShare) HasSecret() bool { return s != nil && (s.ecdsa != nil || s.eddsa != nil) }

// NewKeygen runs tss-lib's key ceremony (see the package function NewKeygen).
func (*TSS) NewKeygen(req KeygenRequest) (Ceremony, error) {
	kg, err := NewKeygen(req)
	if err != nil {
		return nil, err
	}
	return kg, nil
}

// keygenShape is tss-lib's keygen round structure, stated independently of
// the wire table: ECDSA broadcasts a commitment, then sends each peer its
// Shamir share and broadcasts the decommitment, then broadcasts the
// Paillier proof; EdDSA has the first two rounds only.
func keygenShape(a Algo) []roundShape {
	s := []roundShape{{bcast: true}, {p2p: true, bcast: true}}
	if a == ECDSA {
		s = append(s, roundShape{bcast: true})
	}
	return s
}

// idealKeygen is a ceremony of the ideal engine: the real protocol's rounds
// and message counts, after which the functionality derives and holds the
// committee's key; each party learns the public key.
type idealKeygen struct {
	*idealSession
	c     Committee
	share *KeyShare
}

// NewKeygen starts a ceremony with the ideal functionality. The committee
// must be new to the engine or the same one it already holds. Pre-parameters
// are required for ECDSA exactly as in the tss engine, so a signer without
// pooled parameters refuses under both engines.
func (e *Ideal) NewKeygen(req KeygenRequest) (Ceremony, error) {
	c := req.Committee
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := checkSession(req.ID, c, req.Self, true); err != nil {
		return nil, err
	}
	if c.Algo == ECDSA && req.PreParams == nil {
		return nil, ErrNoPreParams
	}
	if k, ok := e.keys[c.Key]; ok && !sameCommittee(k.c, c) {
		return nil, ErrBadRequest
	}
	id := SessionID{Key: req.ID.Key, Session: req.ID.Session, Attempt: req.ID.Attempt, Parties: append([]PartyID(nil), req.ID.Parties...)}
	var spec []byte
	spec = append(spec, []byte(c.Algo)...)
	spec = append(spec, byte(c.K))
	kg := &idealKeygen{c: Committee{Key: c.Key, Algo: c.Algo, K: c.K, Parties: append([]PartyID(nil), c.Parties...)}}
	kg.idealSession = &idealSession{
		e: e, id: id, self: req.Self, shape: keygenShape(c.Algo), commit: digestCommit(id, spec),
		got: map[idealSlot]bool{}, approvals: map[PartyID][32]byte{}, keygen: kg,
	}
	return kg, nil
}

// finish is called once every round is complete: the functionality takes
// the key.
func (kg *idealKeygen) finish() error {
	pub, err := kg.e.AddKey(kg.c)
	if err != nil {
		return err
	}
	kg.share = &KeyShare{Key: kg.c.Key, Algo: kg.c.Algo, Party: kg.self, Parties: append([]PartyID(nil), kg.c.Parties...), K: kg.c.K, PublicKey: pub}
	return nil
}

func (kg *idealKeygen) Done() (*KeyShare, bool) { return kg.share, kg.share != nil }
