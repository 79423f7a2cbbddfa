package mpc

import (
	"errors"
	"fmt"
	"sort"
	"strings"
)

// Expected outcomes. Rejections (ErrNotInSession, ErrWrongRound,
// ErrDuplicate, ErrFinished) leave the session as it was: the message was
// not fed to the protocol. A fault (ErrFault) aborts the session for good;
// every later call returns ErrAborted.
var (
	ErrBadRequest    = errors.New("mpc: bad request")
	ErrTooFewParties = errors.New("mpc: fewer than k parties")
	ErrNoPreParams   = errors.New("mpc: ECDSA keygen needs Paillier pre-parameters from the pool")
	ErrNotInSession  = errors.New("mpc: sender is not another party of the session")
	ErrWrongRound    = errors.New("mpc: message is for another round")
	ErrDuplicate     = errors.New("mpc: message already delivered")
	ErrStarted       = errors.New("mpc: session already started")
	ErrFinished      = errors.New("mpc: session already finished")
	ErrFault         = errors.New("mpc: protocol fault")
	ErrAborted       = errors.New("mpc: session aborted")
	ErrNoTestData    = errors.New("mpc: test data missing (run 'vaultdrill keys')")
)

// Blame says who a fault is attributed to. Culprits are sorted. Attributable
// is true only when the fault is verifiable and names another party: the
// library (or the ideal functionality) found a failed proof, a bad
// commitment or an invalid authorization from it. Anything else (a
// malformed payload, a digest mismatch, a fault that names nobody or names
// the reporting party itself) is not attributable: its culprits, if any, are
// a hint, and quarantining on them would let one liar remove honest
// parties (INV-QUARANTINE: inconsistent blame quarantines nobody).
type Blame struct {
	Culprits     []PartyID
	Attributable bool
	Reason       string
}

func (b Blame) String() string {
	cs := make([]string, len(b.Culprits))
	for i, c := range b.Culprits {
		cs[i] = string(c)
	}
	attr := "not attributable"
	if b.Attributable {
		attr = "attributable"
	}
	return fmt.Sprintf("culprits [%s] (%s): %s", strings.Join(cs, ","), attr, b.Reason)
}

// FaultError is the error of a session that aborted. It wraps ErrFault.
type FaultError struct {
	Session SessionID
	Self    PartyID
	Round   int // the protocol round where the fault surfaced; 0 if unknown
	Blame   Blame
}

func (e *FaultError) Error() string {
	return fmt.Sprintf("mpc: protocol fault in session %s at %s, round %d: %s", e.Session, e.Self, e.Round, e.Blame)
}

func (e *FaultError) Unwrap() error { return ErrFault }

// BlameOf returns the blame carried by err, if it is (or wraps) a fault.
func BlameOf(err error) (Blame, bool) {
	var fe *FaultError
	if errors.As(err, &fe) {
		return fe.Blame, true
	}
	return Blame{}, false
}

// newBlame sorts and deduplicates culprits and decides attributability:
// verifiable must be claimed by the caller, and self among the culprits (or
// no culprits) makes it not attributable.
func newBlame(self PartyID, culprits []PartyID, verifiable bool, reason string) Blame {
	cs := append([]PartyID(nil), culprits...)
	sort.Slice(cs, func(i, j int) bool { return cs[i] < cs[j] })
	out := cs[:0]
	for i, c := range cs {
		if i == 0 || cs[i-1] != c {
			out = append(out, c)
		}
	}
	attr := verifiable && len(out) > 0
	for _, c := range out {
		if c == self {
			attr = false
		}
	}
	if len(out) == 0 {
		out = nil
	}
	return Blame{Culprits: out, Attributable: attr, Reason: reason}
}

// aborted is what every call after a fault returns.
func aborted(first error) error {
	return fmt.Errorf("%w (party discarded after: %v)", ErrAborted, first)
}
