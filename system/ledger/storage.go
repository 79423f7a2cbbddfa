package ledger

// Disk layout. Three files, each framed with env.Record so a torn or
// corrupt record is detected on start:
//
//	raft/hardstate  Write (replaced whole): one record, a raftpb.HardState.
//	raft/log        Append: records, each a batch of consecutive raftpb.Entry
//	                values as handed out by one Ready. A later batch may start
//	                at or below the end of an earlier one: raft overwrote a
//	                conflicting tail, and replay does the same.
//	raft/snapshot   Write (replaced whole): one record, a raftpb.Snapshot whose
//	                Data is the serialized state machine.
//
// Fault model (env.Disk): whatever was not synced may be lost on a crash,
// and the last unsynced Append of a file may survive as a torn prefix.
// Why recovery still works:
//   - A Ready's entries, term, vote and snapshot are synced before any of
//     its messages leave, so nothing a peer was told (a vote, an append
//     acknowledgement) is lost. A hard state that only moves the commit
//     index is written without a Sync of its own: losing it loses nothing,
//     the commit index is learned again from the leader.
//   - Written-whole files are never torn; the only tearable file is
//     raft/log, whose torn tail is unsynced, hence unacknowledged: start
//     keeps the valid prefix of records and rewrites the file to it.
//   - Compaction writes raft/snapshot and rewrites raft/log (only the
//     entries after the snapshot) before a single Sync: a crash leaves
//     either both old files or both new ones. Replay ignores any logged
//     entry at or below the snapshot index, so a log that still holds older
//     entries is harmless too.
//   - A missing raft/snapshot means genesis: the configuration of all peers
//     at index 1, term 1, identical on every replica. A missing
//     raft/hardstate means this replica never voted nor learned a commit.

import (
	"encoding/binary"
	"fmt"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"

	"vaultdrill/system/env"
)

const (
	fileHardState = "raft/hardstate"
	fileLog       = "raft/log"
	fileSnapshot  = "raft/snapshot"
)

// genesisIndex and genesisTerm place the initial configuration: every
// replica starts from the same snapshot, so none needs conf-change entries.
const (
	genesisIndex uint64 = 1
	genesisTerm  uint64 = 1
)

// recovered is what start reads back from the disk.
type recovered struct {
	snap      pb.Snapshot
	genesis   bool // no snapshot on disk: snap is the genesis snapshot
	hardState pb.HardState
	batches   [][]pb.Entry
	// tornBytes is how many bytes of raft/log's tail were discarded.
	tornBytes int
}

func genesisSnapshot(voters []uint64) pb.Snapshot {
	return pb.Snapshot{Metadata: pb.SnapshotMetadata{
		Index:     genesisIndex,
		Term:      genesisTerm,
		ConfState: pb.ConfState{Voters: append([]uint64(nil), voters...)},
	}}
}

// loadDisk reads the three files. A torn tail of raft/log is cut off and
// the file rewritten (and synced) to its valid prefix. Corruption the fault
// model does not allow (a bad whole-written file, a checksummed record that
// does not decode) panics: the replica cannot know what it lost.
func loadDisk(d env.Disk, voters []uint64) recovered {
	var rec recovered
	if b, ok := d.Read(fileSnapshot); ok {
		body := oneRecord(b, fileSnapshot)
		if err := rec.snap.Unmarshal(body); err != nil {
			panic(fmt.Sprintf("ledger: %s does not decode: %v", fileSnapshot, err))
		}
	} else {
		rec.snap, rec.genesis = genesisSnapshot(voters), true
	}
	if b, ok := d.Read(fileHardState); ok {
		body := oneRecord(b, fileHardState)
		if err := rec.hardState.Unmarshal(body); err != nil {
			panic(fmt.Sprintf("ledger: %s does not decode: %v", fileHardState, err))
		}
	}
	if b, ok := d.Read(fileLog); ok {
		records, valid := env.ReadRecords(b)
		if valid < len(b) {
			rec.tornBytes = len(b) - valid
			d.Write(fileLog, b[:valid])
			d.Sync()
		}
		for i, r := range records {
			ents, err := decodeBatch(r)
			if err != nil {
				panic(fmt.Sprintf("ledger: %s record %d: %v", fileLog, i, err))
			}
			rec.batches = append(rec.batches, ents)
		}
	}
	return rec
}

// oneRecord returns the body of a file written whole as one record.
func oneRecord(b []byte, name string) []byte {
	records, valid := env.ReadRecords(b)
	if len(records) != 1 || valid != len(b) {
		panic(fmt.Sprintf("ledger: %s is corrupt (%d bytes, %d valid records)", name, len(b), len(records)))
	}
	return records[0]
}

// restoreStorage rebuilds raft's in-memory storage from what was on disk.
func restoreStorage(rec recovered) *raft.MemoryStorage {
	ms := raft.NewMemoryStorage()
	if err := ms.ApplySnapshot(rec.snap); err != nil {
		panic(fmt.Sprintf("ledger: restore snapshot %d: %v", rec.snap.Metadata.Index, err))
	}
	for _, ents := range rec.batches {
		if len(ents) == 0 {
			continue
		}
		last, _ := ms.LastIndex()
		if ents[0].Index > last+1 {
			panic(fmt.Sprintf("ledger: %s has a gap: batch at %d after last index %d", fileLog, ents[0].Index, last))
		}
		if err := ms.Append(ents); err != nil {
			panic(fmt.Sprintf("ledger: replay log batch at %d: %v", ents[0].Index, err))
		}
	}
	hs := rec.hardState
	if raft.IsEmptyHardState(hs) {
		hs = pb.HardState{Term: rec.snap.Metadata.Term}
	}
	// The snapshot holds only committed state, so the commit index is at
	// least its index even if the hard state recording that was not synced.
	if hs.Commit < rec.snap.Metadata.Index {
		hs.Commit = rec.snap.Metadata.Index
	}
	if hs.Term < rec.snap.Metadata.Term {
		panic(fmt.Sprintf("ledger: hard state term %d behind snapshot term %d", hs.Term, rec.snap.Metadata.Term))
	}
	last, _ := ms.LastIndex()
	if hs.Commit > last {
		panic(fmt.Sprintf("ledger: commit index %d beyond the last logged entry %d: a synced entry was lost", hs.Commit, last))
	}
	if err := ms.SetHardState(hs); err != nil {
		panic(fmt.Sprintf("ledger: set hard state: %v", err))
	}
	return ms
}

// persistReady writes what a Ready asks to be durable and reports whether
// anything was written that must be synced before its messages leave.
func persistReady(d env.Disk, rd raft.Ready) (mustSync bool) {
	if !raft.IsEmptySnap(rd.Snapshot) {
		d.Write(fileSnapshot, env.Record(mustMarshal(&rd.Snapshot)))
		// Every entry the log held is at or below the snapshot or conflicts
		// with it: start the log afresh with this Ready's entries.
		var log []byte
		if len(rd.Entries) > 0 {
			log = env.Record(encodeBatch(rd.Entries))
		}
		d.Write(fileLog, log)
		mustSync = true
	} else if len(rd.Entries) > 0 {
		d.Append(fileLog, env.Record(encodeBatch(rd.Entries)))
	}
	if !raft.IsEmptyHardState(rd.HardState) {
		d.Write(fileHardState, env.Record(mustMarshal(&rd.HardState)))
	}
	return mustSync || rd.MustSync
}

// persistCompaction makes a new snapshot durable and rewrites the log to
// the entries after it.
func persistCompaction(d env.Disk, snap pb.Snapshot, tail []pb.Entry) {
	d.Write(fileSnapshot, env.Record(mustMarshal(&snap)))
	var log []byte
	if len(tail) > 0 {
		log = env.Record(encodeBatch(tail))
	}
	d.Write(fileLog, log)
	d.Sync()
}

type marshaler interface{ Marshal() ([]byte, error) }

func mustMarshal(m marshaler) []byte {
	b, err := m.Marshal()
	if err != nil {
		panic(fmt.Sprintf("ledger: marshal %T: %v", m, err))
	}
	return b
}

// encodeBatch lays out entries as a count, then each entry length-prefixed.
func encodeBatch(ents []pb.Entry) []byte {
	b := binary.AppendUvarint(nil, uint64(len(ents)))
	for i := range ents {
		e := mustMarshal(&ents[i])
		b = binary.AppendUvarint(b, uint64(len(e)))
		b = append(b, e...)
	}
	return b
}

// decodeBatch parses encodeBatch's output and checks the indexes are
// consecutive.
func decodeBatch(b []byte) ([]pb.Entry, error) {
	r := reader{b: b}
	n := r.uvarint()
	if r.err == nil && n > uint64(len(b)) {
		return nil, fmt.Errorf("batch claims %d entries in %d bytes", n, len(b))
	}
	ents := make([]pb.Entry, 0, n)
	for i := uint64(0); i < n && r.err == nil; i++ {
		body := r.bytes(r.uvarint())
		if r.err != nil {
			break
		}
		var e pb.Entry
		if err := e.Unmarshal(body); err != nil {
			return nil, fmt.Errorf("entry %d: %v", i, err)
		}
		if len(ents) > 0 && e.Index != ents[len(ents)-1].Index+1 {
			return nil, fmt.Errorf("entry %d: index %d after %d", i, e.Index, ents[len(ents)-1].Index)
		}
		ents = append(ents, e)
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%d trailing bytes", len(r.b))
	}
	return ents, nil
}
