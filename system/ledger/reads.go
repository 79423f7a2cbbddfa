package ledger

import (
	"encoding/binary"

	"go.etcd.io/raft/v3"

	"vaultdrill/system/env"
)

// pendingRead is a balance read waiting on the leader.
type pendingRead struct {
	Client    env.NodeID
	RequestID uint64
	Account   string
}

// confirmedRead has its read index: it is answered once the replica has
// applied up to Index.
type confirmedRead struct {
	pendingRead
	Index uint64
}

// readTracker follows linearizable reads through raft's ReadIndex: first
// waiting for the read state (leadership confirmed by a quorum at a commit
// index), then for the apply to catch up with that index.
type readTracker struct {
	seq       uint64
	waiting   map[string]pendingRead // by request context
	confirmed []confirmedRead        // in confirmation order
}

func newReadTracker() readTracker {
	return readTracker{waiting: map[string]pendingRead{}}
}

func (t *readTracker) len() int { return len(t.waiting) + len(t.confirmed) }

// register returns a request context unique to this incarnation: its
// random id, then a counter.
func (t *readTracker) register(incarnation uint64, r pendingRead) []byte {
	t.seq++
	ctx := binary.BigEndian.AppendUint64(nil, incarnation)
	ctx = binary.BigEndian.AppendUint64(ctx, t.seq)
	t.waiting[string(ctx)] = r
	return ctx
}

// confirm moves the reads whose read state arrived to the confirmed list.
// Unknown contexts (a previous leadership's, already dropped) are ignored.
func (t *readTracker) confirm(states []raft.ReadState) {
	for _, rs := range states {
		r, ok := t.waiting[string(rs.RequestCtx)]
		if !ok {
			continue
		}
		delete(t.waiting, string(rs.RequestCtx))
		t.confirmed = append(t.confirmed, confirmedRead{pendingRead: r, Index: rs.Index})
	}
}

// answerable removes and returns, in confirmation order, the reads whose
// read index has been applied.
func (t *readTracker) answerable(applied uint64) []confirmedRead {
	var out []confirmedRead
	kept := t.confirmed[:0]
	for _, r := range t.confirmed {
		if r.Index <= applied {
			out = append(out, r)
		} else {
			kept = append(kept, r)
		}
	}
	t.confirmed = kept
	return out
}

// drop forgets every pending read: leadership was lost and the clients
// will time out, which is a correct (unknown) outcome for a read.
func (t *readTracker) drop() {
	clear(t.waiting)
	t.confirmed = nil
}
