package hsm

import (
	"vaultdrill/system/env"
)

// The journal is the HSM's durable memory of recent token operations, so
// that an operation whose reply was lost (CKR_GENERAL_ERROR) can be
// reconciled instead of blindly retried. It is bounded: past 2*JournalMax
// records it keeps the newest JournalMax and remembers the largest opID it
// dropped (evictedMax), so Reconcile can still tell "never happened" (not
// found, above the mark) from "forgotten" (not found, at or below it).

// Outcome is what Reconcile reports about an opID.
type Outcome struct {
	OpID uint64
	// Known is false when the HSM cannot tell: the opID is not in the
	// journal but may have been evicted from it (or destroyed by a
	// zeroization). The caller must then treat the operation as possibly
	// done (e.g. re-read state, or reseal under a fresh label).
	Known bool
	// Happened: the operation took effect in the HSM. A known opID that is
	// not in the journal never reached it (or failed with no effect).
	Happened bool
	// Op names the operation ("seal", "login", ...), when journaled.
	Op string
	// RV is the result the operation really had, when it happened.
	RV RV
	// Label is the operation's label (seal, unseal, wrap_key_out).
	Label string
	// Session is the session the operation ran on.
	Session Session
	// Blob is the sealed blob of a Seal that happened but whose reply the
	// caller never got (CKR_GENERAL_ERROR); nil otherwise.
	Blob []byte
}

type journal struct {
	header  journalHeader
	entries []entry
}

// find returns the newest entry for opID, or nil.
func (j *journal) find(opID uint64) *entry {
	for i := len(j.entries) - 1; i >= 0; i-- {
		if j.entries[i].opID == opID {
			return &j.entries[i]
		}
	}
	return nil
}

// outcome answers Reconcile for opID.
func (j *journal) outcome(opID uint64) Outcome {
	if en := j.find(opID); en != nil {
		o := Outcome{OpID: opID, Known: true, Happened: en.happened, Op: en.op.String(), Label: en.label, Session: en.session}
		if en.happened {
			o.RV = en.rv
			o.Blob = append([]byte(nil), en.blob...)
		}
		return o
	}
	return Outcome{OpID: opID, Known: opID > j.header.evictedMax}
}

// add appends an entry (the caller syncs). Past 2*max entries the journal
// is compacted to the newest max and rewritten whole.
func (j *journal) add(d env.Disk, en entry, max int) {
	if _, ok := d.Read(fileJournal); !ok {
		d.Write(fileJournal, env.Record(j.header.encode()))
	}
	j.entries = append(j.entries, en)
	if len(j.entries) <= 2*max {
		d.Append(fileJournal, env.Record(en.encode()))
		return
	}
	drop := len(j.entries) - max
	for _, old := range j.entries[:drop] {
		j.header.evictedMax = maxU64(j.header.evictedMax, old.opID)
	}
	j.entries = append([]entry(nil), j.entries[drop:]...)
	j.rewrite(d)
}

// rewrite writes the whole journal: header, then every entry.
func (j *journal) rewrite(d env.Disk) {
	b := env.Record(j.header.encode())
	for i := range j.entries {
		b = append(b, env.Record(j.entries[i].encode())...)
	}
	d.Write(fileJournal, b)
}

// zeroize forgets every entry and raises the tamper latch (the caller
// rewrites and syncs).
func (j *journal) zeroize() {
	for _, en := range j.entries {
		j.header.evictedMax = maxU64(j.header.evictedMax, en.opID)
		clear(en.blob)
	}
	j.entries = nil
	j.header.tamperCount++
}

func maxU64(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}
