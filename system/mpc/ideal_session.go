package mpc

import (
	"fmt"
	"io"
)

// roundShape is what one party sends in one round of the real protocol:
// one point-to-point message to every other party, one broadcast, or both.
type roundShape struct {
	p2p, bcast bool
}

// signShape is tss-lib's signing round structure, written out here (not
// derived from the tss wire table) so the engine-comparison test checks
// the library against an independent statement of it. ECDSA (GG18): round
// 1 sends an MtA message to each peer and broadcasts a commitment; round 2
// answers each peer; rounds 3 to 9 broadcast. EdDSA: three broadcasts.
func signShape(a Algo) []roundShape {
	if a == EdDSA {
		return []roundShape{{bcast: true}, {bcast: true}, {bcast: true}}
	}
	s := []roundShape{{p2p: true, bcast: true}, {p2p: true}}
	for r := 3; r <= 9; r++ {
		s = append(s, roundShape{bcast: true})
	}
	return s
}

// The ideal payload: version, round, kind, the digest commitment, and the
// approval (zero except in the last round's broadcast).
const (
	idealVersion   = 1
	idealKindP2P   = 0
	idealKindBcast = 1
	idealMsgSize   = 3 + 32 + 32
)

type idealSlot struct {
	from  PartyID
	round int
	kind  byte
}

type idealSession struct {
	e      *Ideal
	key    *idealKey
	id     SessionID
	self   PartyID
	digest []byte
	shape  []roundShape
	commit [32]byte
	token  [32]byte

	round     int                  // the last round this party sent
	got       map[idealSlot]bool   // looked up, never ranged over
	approvals map[PartyID][32]byte // looked up, never ranged over
	trace     []Sent
	started   bool
	sig       []byte
	err       error
	// keygen is set for a key ceremony: no approvals, and the last
	// round's completion hands the key to the functionality.
	keygen *idealKeygen
}

// NewSession checks the request against the held key. req.Share is not
// needed: the functionality holds the key.
func (e *Ideal) NewSession(req SignRequest) (Session, error) {
	k, ok := e.keys[req.ID.Key]
	if !ok {
		return nil, fmt.Errorf("%w: the ideal engine holds no key %q", ErrBadRequest, req.ID.Key)
	}
	if err := checkDigest(req.Digest); err != nil {
		return nil, err
	}
	if err := checkSession(req.ID, k.c, req.Self, false); err != nil {
		return nil, err
	}
	id := SessionID{Key: req.ID.Key, Session: req.ID.Session, Attempt: req.ID.Attempt, Parties: append([]PartyID(nil), req.ID.Parties...)}
	digest := append([]byte(nil), req.Digest...)
	s := &idealSession{
		e: e, key: k, id: id, self: req.Self, digest: digest, shape: signShape(k.c.Algo),
		commit: digestCommit(id, digest), token: e.approval(id, req.Self, digest),
		got: map[idealSlot]bool{}, approvals: map[PartyID][32]byte{},
	}
	s.approvals[req.Self] = s.token
	return s, nil
}

// Start sends round 1. The ideal engine draws no randomness; rnd may be nil.
func (s *idealSession) Start(rnd io.Reader) ([]Out, error) {
	if s.err != nil {
		return nil, aborted(s.err)
	}
	if s.started {
		return nil, ErrStarted
	}
	s.started = true
	outs := s.send(1)
	more, err := s.advance()
	if err != nil {
		return nil, err
	}
	return append(outs, more...), nil
}

func (s *idealSession) Deliver(from PartyID, round int, payload []byte) ([]Out, error) {
	if s.err != nil {
		return nil, aborted(s.err)
	}
	if from == s.self || s.id.index(from) < 0 {
		return nil, fmt.Errorf("%w: %q in %s", ErrNotInSession, from, s.id)
	}
	if len(payload) != idealMsgSize || payload[0] != idealVersion {
		return nil, s.fault(round, newBlame(s.self, []PartyID{from}, false, "payload is not an ideal-engine message"))
	}
	r, kind := int(payload[1]), payload[2]
	if r < 1 || r > len(s.shape) || !s.shape[r-1].has(kind) {
		return nil, s.fault(round, newBlame(s.self, []PartyID{from}, false, "message kind does not exist in the protocol"))
	}
	if r != round {
		return nil, fmt.Errorf("%w: message from %s belongs to round %d, envelope says %d", ErrWrongRound, from, r, round)
	}
	sl := idealSlot{from, r, kind}
	if s.got[sl] {
		return nil, fmt.Errorf("%w: round %d kind %d from %s", ErrDuplicate, r, kind, from)
	}
	if s.sig != nil || (s.keygen != nil && s.keygen.share != nil) {
		return nil, fmt.Errorf("%w: round %d from %s", ErrFinished, r, from)
	}
	s.got[sl] = true
	var commit, token [32]byte
	copy(commit[:], payload[3:35])
	copy(token[:], payload[35:67])
	if commit != s.commit {
		return nil, s.fault(r, newBlame(s.self, []PartyID{from}, false, "digest commitment differs: the parties are not signing the same digest in the same session"))
	}
	last := r == len(s.shape) && kind == idealKindBcast && s.keygen == nil
	if last {
		s.approvals[from] = token
	} else if token != ([32]byte{}) {
		return nil, s.fault(r, newBlame(s.self, []PartyID{from}, false, "approval outside the last round"))
	}
	if !s.started {
		return nil, nil
	}
	return s.advance()
}

func (s *idealSession) Trace() []Sent { return append([]Sent(nil), s.trace...) }

func (s *idealSession) Done() ([]byte, bool) {
	if s.sig == nil {
		return nil, false
	}
	return append([]byte(nil), s.sig...), true
}

func (sh roundShape) has(kind byte) bool {
	return (kind == idealKindP2P && sh.p2p) || (kind == idealKindBcast && sh.bcast)
}

// complete reports whether every other party's round-r messages are in.
func (s *idealSession) complete(r int) bool {
	sh := s.shape[r-1]
	for _, p := range s.id.Parties {
		if p == s.self {
			continue
		}
		if sh.p2p && !s.got[idealSlot{p, r, idealKindP2P}] {
			return false
		}
		if sh.bcast && !s.got[idealSlot{p, r, idealKindBcast}] {
			return false
		}
	}
	return true
}

// advance sends every round whose predecessor is complete, then, once the
// last round is complete, asks the functionality for the signature.
func (s *idealSession) advance() ([]Out, error) {
	var outs []Out
	for s.round < len(s.shape) && s.complete(s.round) {
		outs = append(outs, s.send(s.round+1)...)
	}
	if s.sig != nil || s.round < len(s.shape) || !s.complete(s.round) {
		return outs, nil
	}
	if s.keygen != nil {
		if s.keygen.share == nil {
			if err := s.keygen.finish(); err != nil {
				return nil, s.fault(len(s.shape), newBlame(s.self, nil, false, "the functionality refused the key: "+err.Error()))
			}
		}
		return outs, nil
	}
	sig, bad := s.e.release(s.key, s.id, s.digest, s.approvals)
	if sig == nil {
		return nil, s.fault(len(s.shape), newBlame(s.self, bad, true, "invalid partial approval"))
	}
	s.sig = sig
	return outs, nil
}

// send emits round r: the point-to-point messages first, then the broadcast,
// in the library's order.
func (s *idealSession) send(r int) []Out {
	s.round = r
	sh := s.shape[r-1]
	var outs []Out
	others := s.id.others(s.self)
	if sh.p2p {
		for _, p := range others {
			outs = append(outs, Out{To: []PartyID{p}, Round: r, Payload: s.payload(r, idealKindP2P)})
			s.trace = append(s.trace, Sent{Round: r, From: s.self, To: []PartyID{p}})
		}
	}
	if sh.bcast {
		outs = append(outs, Out{Round: r, Payload: s.payload(r, idealKindBcast)})
		s.trace = append(s.trace, Sent{Round: r, From: s.self, To: others, Broadcast: true})
	}
	return outs
}

func (s *idealSession) payload(r int, kind byte) []byte {
	b := make([]byte, idealMsgSize)
	b[0], b[1], b[2] = idealVersion, byte(r), kind
	copy(b[3:35], s.commit[:])
	if r == len(s.shape) && kind == idealKindBcast && s.keygen == nil {
		copy(b[35:67], s.token[:])
	}
	return b
}

func (s *idealSession) fault(round int, b Blame) error {
	s.err = &FaultError{Session: s.id, Self: s.self, Round: round, Blame: b}
	return s.err
}
