package audit

import (
	"errors"
	"fmt"
)

// ErrBroken is wrapped by every *VerifyError.
var ErrBroken = errors.New("audit: chain broken")

// Reason says how a chain is broken.
type Reason string

const (
	// ReasonAltered: the entry's Hash does not match its content.
	ReasonAltered Reason = "altered"
	// ReasonRemoved: an entry the chain needs is missing. Either Seq skips
	// this position and the missing entry is nowhere later, or the entry
	// here has the right Seq but its Prev names some other entry than the
	// one before it (the original was deleted or replaced and the
	// replacement rehashed).
	ReasonRemoved Reason = "removed"
	// ReasonReordered: the entry is out of place. The one that belongs here
	// appears later, or this one belongs before the part of the chain
	// given.
	ReasonReordered Reason = "reordered"
	// ReasonDuplicated: an exact copy of an entry already seen.
	ReasonDuplicated Reason = "duplicated"
	// ReasonForked: a different entry claims a Seq already taken: two
	// histories disagree.
	ReasonForked Reason = "forked"
	// ReasonMalformed: an entry whose hash checks out but that no writer
	// produces (Seq 0, a field over its bound): a forgery.
	ReasonMalformed Reason = "malformed"
)

// VerifyError names the first place a chain breaks.
type VerifyError struct {
	Seq    uint64 // the log position (1-based) where the break shows
	Reason Reason
}

func (e *VerifyError) Error() string {
	return fmt.Sprintf("audit: chain broken at entry %d: %s", e.Seq, e.Reason)
}

func (e *VerifyError) Unwrap() error { return ErrBroken }

func broken(seq uint64, r Reason) error { return &VerifyError{Seq: seq, Reason: r} }

// Verify checks a whole chain from its first entry: each Hash matches its
// entry, Seq runs 1, 2, 3, ... and each Prev is the Hash of the entry
// before (zero for the first). It returns the first problem as a
// *VerifyError, nil for a sound chain (including an empty one).
//
// A sound chain may still be missing entries at its end, or have been
// rewritten and rehashed from some point on: only a head kept elsewhere
// shows that (VerifyHead).
func Verify(entries []Entry) error { return VerifyFrom(0, [32]byte{}, entries) }

// VerifyFrom checks entries as the continuation of a chain whose head is
// (seq, hash), which the caller already trusts: the first entry must be
// seq+1 and link to hash. This is how a batch from Log.Entries, or one
// shipped by a replica, is checked without the history before it.
func VerifyFrom(seq uint64, hash [32]byte, entries []Entry) error {
	prev := hash
	for i, e := range entries {
		pos := seq + 1 + uint64(i)
		if e.ComputeHash() != e.Hash {
			return broken(pos, ReasonAltered)
		}
		if e.Seq == 0 || e.checkBounds() != nil {
			return broken(pos, ReasonMalformed)
		}
		switch {
		case e.Seq == pos && e.Prev == prev:
			prev = e.Hash
			continue
		case e.Seq == pos:
			return broken(pos, ReasonRemoved)
		case e.Seq > pos:
			// Something is missing here; whether it was dropped or moved
			// depends on whether it turns up further on.
			for _, later := range entries[i+1:] {
				if later.Seq == pos {
					return broken(pos, ReasonReordered)
				}
			}
			return broken(pos, ReasonRemoved)
		}
		// e.Seq < pos: its place is already taken, by an entry this call
		// has seen (or by the trusted head), or by one before what it was
		// given, which it cannot compare with.
		var taken [32]byte
		switch {
		case e.Seq > seq:
			taken = entries[e.Seq-seq-1].Hash
		case e.Seq == seq:
			taken = hash
		default:
			return broken(pos, ReasonReordered)
		}
		if taken == e.Hash {
			return broken(pos, ReasonDuplicated)
		}
		return broken(pos, ReasonForked)
	}
	return nil
}

// VerifyHead checks a whole chain and that it reaches a head (seq, hash)
// recorded elsewhere: by a replica, an anchor, or an earlier Log.Head.
// The chain may have grown past that head. A chain that stops short of it
// has lost entries from its end (ReasonRemoved at the first missing
// position); one holding another entry at that position has forked.
func VerifyHead(entries []Entry, seq uint64, hash [32]byte) error {
	if err := Verify(entries); err != nil {
		return err
	}
	return Reaches(entries, seq, hash)
}

// Reaches checks that a chain, already verified, holds the head (seq,
// hash): the prefix test without verifying the chain again.
func Reaches(entries []Entry, seq uint64, hash [32]byte) error {
	switch {
	case seq == 0 && hash != [32]byte{}:
		return broken(0, ReasonMalformed) // no log has this head
	case seq == 0:
		return nil
	case uint64(len(entries)) < seq:
		return broken(uint64(len(entries))+1, ReasonRemoved)
	case entries[seq-1].Hash != hash:
		return broken(seq, ReasonForked)
	}
	return nil
}
