package audit

import (
	"encoding/binary"
	"errors"
	"fmt"

	"vaultdrill/system/env"
)

// ErrCorrupt: the log file holds damage the disk's fault model does not
// explain (anything but a torn last record). Open refuses it rather than
// guess which history is the true one.
var ErrCorrupt = errors.New("audit: corrupt log")

// EntriesMax bounds one Entries answer, so a reader (a replica catching up,
// a report) pages through a long log instead of copying it whole.
const EntriesMax = 1024

// frameHeader is env.Record's length and checksum.
const frameHeader = 8

// Log is one node's audit log, in one file of that node's disk. It keeps
// every entry in memory as well: the log lives as long as a run, and
// compaction belongs with anchoring, which will say what may be dropped.
type Log struct {
	disk    env.Disk
	name    string
	entries []Entry
}

// Open replays the log file name on d (a missing file is an empty log),
// verifies the chain and cuts off a torn last record. Any other damage is
// ErrCorrupt, and the file is left as it was found.
func Open(d env.Disk, name string) (*Log, error) {
	entries, err := load(d, name)
	if err != nil {
		return nil, err
	}
	return &Log{disk: d, name: name, entries: entries}, nil
}

// load is Open's recovery, shared with OpenReplica: parse, verify, and cut
// a torn tail (synced) only once the rest is known to be sound.
func load(d env.Disk, name string) ([]Entry, error) {
	b, _ := d.Read(name)
	entries, valid, err := ParseFile(name, b)
	if err != nil {
		return nil, err
	}
	if err := Verify(entries); err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrCorrupt, name, err)
	}
	if valid < len(b) {
		// The torn entry was never acknowledged, so its effect never
		// happened. The cut is synced before anything is appended after
		// it; otherwise the next entry would follow garbage.
		d.Write(name, b[:valid])
		d.Sync()
	}
	return entries, nil
}

// ParseFile decodes the bytes of a log or replica file the way Open reads
// them, without touching any disk: the entries of its whole records, and
// the length of the sound prefix (what follows it is a torn tail, which
// Open cuts). Damage the fault model does not explain is ErrCorrupt. It
// does not verify the chain, so a reader (the world, at the end of a run)
// can ask Verify where it breaks.
func ParseFile(name string, b []byte) (entries []Entry, valid int, err error) {
	recs, valid := env.ReadRecords(b)
	if !tornTail(b[valid:]) {
		return nil, 0, fmt.Errorf("%w: %s: damaged record after entry %d (offset %d)", ErrCorrupt, name, len(recs), valid)
	}
	entries = make([]Entry, 0, len(recs))
	for i, r := range recs {
		e, err := Decode(r)
		if err != nil {
			return nil, 0, fmt.Errorf("%w: %s: record %d: %w", ErrCorrupt, name, i+1, err)
		}
		entries = append(entries, e)
	}
	return entries, valid, nil
}

// tornTail reports whether rest, the bytes after the last whole record,
// can be what a crash leaves of one Append: a proper prefix of a single
// record. Append syncs each record, so no more than one can be in flight.
// A complete header of a real record declares a length an entry can have,
// and the prefix is shorter than that; a partial header's known high bytes
// (low bytes read as zero) are a lower bound on that length. Anything else
// (a whole record with a bad checksum, a length no entry has, more bytes
// than one record) is damage to data that was synced.
func tornTail(rest []byte) bool {
	if len(rest) == 0 {
		return true
	}
	var lenField [4]byte
	copy(lenField[:], rest)
	n := int(binary.BigEndian.Uint32(lenField[:]))
	if n > encodedMax || (len(rest) >= 4 && n < encodedMin) {
		return false
	}
	if len(rest) > frameHeader && rest[frameHeader] != formatVersion {
		return false
	}
	return len(rest) < frameHeader+n
}

// Append chains e after the head, writes it as one record and syncs before
// returning: the entry is durable before the caller performs the effect it
// records. Seq, Prev and Hash are filled in (whatever the caller set is
// ignored) and Time is kept in UTC, the form Open reads back. An entry with
// a field over its bound is refused with ErrTooLarge and nothing is
// written. Sync makes the whole disk durable, not just this file: the Disk
// offers nothing finer, and syncing more than needed is safe.
func (l *Log) Append(e Entry) (Entry, error) {
	if err := e.checkBounds(); err != nil {
		return Entry{}, err
	}
	e.Seq, e.Prev = l.Head()
	e.Seq++
	e.Time = e.Time.UTC()
	e.Hash = e.ComputeHash()
	l.disk.Append(l.name, env.Record(Encode(e)))
	l.disk.Sync()
	l.entries = append(l.entries, e)
	return e, nil
}

// Head is the last entry's Seq and Hash; (0, zero) for an empty log. It is
// what a replica compares and what an anchor commits to.
func (l *Log) Head() (seq uint64, hash [32]byte) {
	if len(l.entries) == 0 {
		return 0, [32]byte{}
	}
	last := l.entries[len(l.entries)-1]
	return last.Seq, last.Hash
}

// Entries returns copies of at most EntriesMax entries starting at Seq from
// (0 reads as 1); nil past the head. A batch continues the head before it,
// so it can be checked with VerifyFrom.
func (l *Log) Entries(from uint64) []Entry {
	if from == 0 {
		from = 1
	}
	if from > uint64(len(l.entries)) {
		return nil
	}
	batch := l.entries[from-1:]
	if len(batch) > EntriesMax {
		batch = batch[:EntriesMax]
	}
	// An Entry holds only strings and arrays: copying the slice is a deep
	// copy, so callers cannot reach the log's memory.
	return append([]Entry(nil), batch...)
}

// At returns the entry at Seq seq, if the log holds it.
func (l *Log) At(seq uint64) (Entry, bool) {
	if seq == 0 || seq > uint64(len(l.entries)) {
		return Entry{}, false
	}
	return l.entries[seq-1], true
}
