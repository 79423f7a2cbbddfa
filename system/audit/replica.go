package audit

import (
	"errors"
	"fmt"

	"vaultdrill/system/env"
)

var (
	// ErrGap: a batch starts past the replica's head + 1, so the entries in
	// between are missing. Nothing was stored; the sender resends from the
	// head the replica reports.
	ErrGap = errors.New("audit: replica: batch leaves a gap after the head")
	// ErrFork: a batch disagrees with the history the replica holds (an
	// entry at a Seq already held, with another hash) or does not link to
	// its head. Nothing was stored: a replica never rewrites what it has.
	ErrFork = errors.New("audit: replica: batch forks from the history held")
)

// Replica is one node's copy of another node's (the origin's) log, in one
// file of its own disk, in the log's own format: the file reads back with
// ParseFile and Verify like the origin's. It accepts only batches that
// continue its head, so it is always a verified prefix of the history the
// origin showed it, and it keeps the hashes alone in memory.
//
// Fault model: as Log's, except that a batch is appended whole and synced
// once, before Accept returns (and so before the holder acknowledges it).
// A crash mid-batch can keep some of the batch's whole records and a torn
// prefix of the next; whole records are sound continuations that were
// never acknowledged (the origin resends them and the overlap is checked),
// and the torn prefix is cut on open as Log.Open cuts one.
type Replica struct {
	disk   env.Disk
	name   string
	hashes [][32]byte // hashes[i] is the hash of the entry with Seq i+1
}

// OpenReplica replays the replica file name on d (missing: empty),
// verifies it and cuts a torn tail; other damage is ErrCorrupt and the
// file is left as found.
func OpenReplica(d env.Disk, name string) (*Replica, error) {
	entries, err := load(d, name)
	if err != nil {
		return nil, err
	}
	r := &Replica{disk: d, name: name, hashes: make([][32]byte, len(entries))}
	for i, e := range entries {
		r.hashes[i] = e.Hash
	}
	return r, nil
}

// Head is the last entry's Seq and Hash; (0, zero) when empty.
func (r *Replica) Head() (seq uint64, hash [32]byte) {
	if len(r.hashes) == 0 {
		return 0, [32]byte{}
	}
	return uint64(len(r.hashes)), r.hashes[len(r.hashes)-1]
}

// Accept stores the part of batch that continues the head and returns how
// many entries it added. A batch may start at or before the head (a resend
// after a lost acknowledgement): the entries it repeats must be the ones
// held. Errors: ErrGap (nothing lost, resend from Head), ErrFork (a second
// history), or a *VerifyError (ErrBroken) for a batch that is not a chain
// (altered, reordered, duplicated, malformed). On any error nothing is
// written.
func (r *Replica) Accept(batch []Entry) (int, error) {
	if len(batch) == 0 {
		return 0, nil
	}
	seq, hash := r.Head()
	first := batch[0].Seq
	if first > seq+1 {
		return 0, fmt.Errorf("%w: %s holds %d entries, batch starts at %d", ErrGap, r.name, seq, first)
	}
	// The part already held: each entry sound, in place, and the same.
	i := 0
	for ; i < len(batch) && first != 0 && first+uint64(i) <= seq; i++ {
		e, pos := batch[i], first+uint64(i)
		if e.ComputeHash() != e.Hash {
			return 0, broken(pos, ReasonAltered)
		}
		if e.Seq != pos {
			return 0, broken(pos, ReasonReordered)
		}
		if r.hashes[pos-1] != e.Hash {
			return 0, fmt.Errorf("%w: %s: entry %d is not the one held", ErrFork, r.name, pos)
		}
	}
	rest := batch[i:]
	if err := VerifyFrom(seq, hash, rest); err != nil {
		var ve *VerifyError
		if errors.As(err, &ve) && (ve.Reason == ReasonForked || ve.Reason == ReasonRemoved && ve.Seq == seq+1 && rest[0].Seq == seq+1) {
			return 0, fmt.Errorf("%w: %s: %w", ErrFork, r.name, err)
		}
		return 0, err
	}
	if len(rest) == 0 {
		return 0, nil
	}
	var b []byte
	for _, e := range rest {
		b = append(b, env.Record(Encode(e))...)
	}
	r.disk.Append(r.name, b)
	r.disk.Sync()
	for _, e := range rest {
		r.hashes = append(r.hashes, e.Hash)
	}
	return len(rest), nil
}
