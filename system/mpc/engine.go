package mpc

import (
	"fmt"
	"io"
)

// Protocol is one party's side of one protocol attempt (signing or keygen),
// driven by its caller: Start once, then Deliver every message addressed to
// this party, sending whatever either returns. Nothing runs between calls.
type Protocol interface {
	// Start begins the attempt. rnd is a fresh reader for this (node,
	// session, attempt): never reuse one across attempts. Messages
	// delivered before Start are held and fed right after it.
	Start(rnd io.Reader) ([]Out, error)
	// Deliver hands over one message. from must be authenticated by the
	// transport and round is the round the sender's Out carried. A
	// rejection (ErrNotInSession, ErrWrongRound, ErrDuplicate, ErrFinished)
	// leaves the session untouched; a fault aborts it (ErrFault with a
	// Blame, see BlameOf) and every later call returns ErrAborted.
	Deliver(from PartyID, round int, payload []byte) ([]Out, error)
	// Trace lists the messages this party has sent, in order.
	Trace() []Sent
}

// Session is one party's view of one signing attempt.
type Session interface {
	Protocol
	// Done returns the signature once the attempt finished: ECDSA as 65
	// bytes r || s || v (low-S, v the recovery id 0..3), EdDSA as a 64-byte
	// ed25519 signature. Every party of the attempt gets the same bytes.
	Done() (sig []byte, ok bool)
}

// SignRequest asks an engine for one party's signing session.
type SignRequest struct {
	ID     SessionID
	Self   PartyID
	Digest []byte // DigestSize bytes, computed by the caller from the raw transaction
	// Share is the party's key share, unsealed for this session. The tss
	// engine needs it; the ideal engine holds its keys itself and ignores
	// it.
	Share *KeyShare
}

// Engine makes signing sessions. Two implementations, chosen per run: TSS
// (the real library) and Ideal (an ideal signing functionality).
type Engine interface {
	Name() string
	NewSession(req SignRequest) (Session, error)
}

// Engine names.
const (
	EngineTSS   = "tss"
	EngineIdeal = "ideal"
)

func checkDigest(d []byte) error {
	if len(d) != DigestSize {
		return fmt.Errorf("%w: digest of %d bytes, want %d", ErrBadRequest, len(d), DigestSize)
	}
	return nil
}
