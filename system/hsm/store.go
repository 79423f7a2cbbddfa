package hsm

// Storage layout. The HSM owns every name under "hsm/" on its node's Disk;
// the signer must not touch them. Each file is framed with env.Record.
//
//	hsm/secure/token    Write (whole): one record, the token: initialised
//	                    flag, PIN lock flags and failure counters, the
//	                    master key, the PIN salt and the PIN hashes.
//	hsm/secure/journal  record 0, Write (whole): the header (evicted-opID
//	                    high-water mark, tamper latch, key generation:
//	                    counters, nothing secret); then Append: one
//	                    record per token operation (opID, op, happened, RV,
//	                    session, label, and the blob of a Seal whose reply
//	                    the caller did not get).
//	hsm/device          Write (whole): one record, the device condition the
//	                    harness injected (unavailable, slow, armed one-shot
//	                    faults) and the boot counter. Not secret, outside the
//	                    HSM boundary, and it survives zeroization: it is
//	                    the state of the hardware, not of the token.
//
// "hsm/secure/" is secure storage: it models memory inside the HSM's
// tamper boundary that the emulator happens to keep on the node's Disk so a
// crash and restart behave like a power cycle. World-side scanners must
// treat it as inside the HSM (the master key lives there in clear, as in a
// real device's battery-backed memory); everything else the signer stores
// must hold shares only as sealed blobs.
//
// Fault model (env.Disk) and why recovery works: every operation that
// changed secure storage Syncs before it returns, whatever its RV, so an
// acknowledged effect (a Seal, a counted PIN attempt, a journal record)
// survives a crash. Only journal records are appended, so only the journal
// can have a torn tail: Open cuts it off and rewrites the file. Files that
// do not decode at all (outside the fault model) put the device in a failed
// state: every call answers CKR_DEVICE_ERROR. It fails closed; it never
// panics on disk bytes.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"vaultdrill/system/env"
)

const (
	// SecurePrefix is the reserved prefix of secure storage.
	SecurePrefix = "hsm/secure/"
	fileToken    = SecurePrefix + "token"
	fileJournal  = SecurePrefix + "journal"
	fileDevice   = "hsm/device"

	storeVersion = byte(1)
)

var errCorrupt = errors.New("hsm: corrupt storage")

// token is the secure state that outlives a restart.
type token struct {
	initialized bool
	userLocked  bool
	soLocked    bool
	userFails   uint8
	soFails     uint8
	master      [masterKeySize]byte
	pinSalt     [16]byte
	soHash      [32]byte
	userHash    [32]byte
}

// device is the hardware condition the harness set.
type device struct {
	boot         uint64
	unavailable  bool
	slow         time.Duration
	deviceErrors uint32
	removedArmed bool
	generalArmed bool
}

// journalHeader is record 0 of the journal.
type journalHeader struct {
	// evictedMax is the largest opID ever dropped from the journal (by
	// compaction or zeroization): an opID at or below it that is not found
	// may have happened.
	evictedMax uint64
	// tamperCount is the tamper latch: how many times the device zeroized.
	tamperCount uint32
	// generation counts InitToken calls, so a key generation is never
	// reused across a zeroization.
	generation uint32
}

// entry is one journaled token operation.
type entry struct {
	opID     uint64
	op       opKind
	happened bool
	rv       RV // what the operation really returned (when happened)
	session  Session
	label    string
	blob     []byte // a Seal's blob, kept only when the caller did not get it
}

// enc is a tiny append-only encoder.
type enc struct{ b []byte }

func (e *enc) u8(v uint8)   { e.b = append(e.b, v) }
func (e *enc) u16(v uint16) { e.b = binary.BigEndian.AppendUint16(e.b, v) }
func (e *enc) u32(v uint32) { e.b = binary.BigEndian.AppendUint32(e.b, v) }
func (e *enc) u64(v uint64) { e.b = binary.BigEndian.AppendUint64(e.b, v) }
func (e *enc) raw(v []byte) { e.b = append(e.b, v...) }
func (e *enc) bool(v bool) {
	if v {
		e.u8(1)
	} else {
		e.u8(0)
	}
}

// dec reads what enc wrote; it never panics and remembers the first error.
type dec struct {
	b   []byte
	err error
}

func (d *dec) take(n int) []byte {
	if d.err != nil || n < 0 || n > len(d.b) {
		d.err = errCorrupt
		return nil
	}
	v := d.b[:n]
	d.b = d.b[n:]
	return v
}
func (d *dec) u8() uint8 {
	if v := d.take(1); v != nil {
		return v[0]
	}
	return 0
}
func (d *dec) u16() uint16 {
	if v := d.take(2); v != nil {
		return binary.BigEndian.Uint16(v)
	}
	return 0
}
func (d *dec) u32() uint32 {
	if v := d.take(4); v != nil {
		return binary.BigEndian.Uint32(v)
	}
	return 0
}
func (d *dec) u64() uint64 {
	if v := d.take(8); v != nil {
		return binary.BigEndian.Uint64(v)
	}
	return 0
}
func (d *dec) bool() bool {
	switch d.u8() {
	case 0:
		return false
	case 1:
		return true
	}
	d.err = errCorrupt
	return false
}
func (d *dec) fill(dst []byte) { copy(dst, d.take(len(dst))) }
func (d *dec) done() error {
	if d.err == nil && len(d.b) != 0 {
		d.err = errCorrupt
	}
	return d.err
}

func (t *token) encode() []byte {
	var e enc
	e.u8(storeVersion)
	e.bool(t.initialized)
	e.bool(t.userLocked)
	e.bool(t.soLocked)
	e.u8(t.userFails)
	e.u8(t.soFails)
	e.raw(t.master[:])
	e.raw(t.pinSalt[:])
	e.raw(t.soHash[:])
	e.raw(t.userHash[:])
	return e.b
}

func decodeToken(b []byte) (token, error) {
	d := dec{b: b}
	var t token
	if d.u8() != storeVersion {
		return token{}, errCorrupt
	}
	t.initialized = d.bool()
	t.userLocked = d.bool()
	t.soLocked = d.bool()
	t.userFails = d.u8()
	t.soFails = d.u8()
	d.fill(t.master[:])
	d.fill(t.pinSalt[:])
	d.fill(t.soHash[:])
	d.fill(t.userHash[:])
	return t, d.done()
}

func (v *device) encode() []byte {
	var e enc
	e.u8(storeVersion)
	e.u64(v.boot)
	e.bool(v.unavailable)
	e.u64(uint64(v.slow))
	e.u32(v.deviceErrors)
	e.bool(v.removedArmed)
	e.bool(v.generalArmed)
	return e.b
}

func decodeDevice(b []byte) (device, error) {
	d := dec{b: b}
	var v device
	if d.u8() != storeVersion {
		return device{}, errCorrupt
	}
	v.boot = d.u64()
	v.unavailable = d.bool()
	v.slow = time.Duration(d.u64())
	v.deviceErrors = d.u32()
	v.removedArmed = d.bool()
	v.generalArmed = d.bool()
	if err := d.done(); err != nil {
		return device{}, err
	}
	if v.slow < 0 || v.slow > FaultLatencyMax || v.deviceErrors > FaultDeviceErrorMax {
		return device{}, errCorrupt
	}
	return v, nil
}

func (h *journalHeader) encode() []byte {
	var e enc
	e.u8(storeVersion)
	e.u64(h.evictedMax)
	e.u32(h.tamperCount)
	e.u32(h.generation)
	return e.b
}

func decodeHeader(b []byte) (journalHeader, error) {
	d := dec{b: b}
	var h journalHeader
	if d.u8() != storeVersion {
		return journalHeader{}, errCorrupt
	}
	h.evictedMax = d.u64()
	h.tamperCount = d.u32()
	h.generation = d.u32()
	return h, d.done()
}

func (en *entry) encode() []byte {
	var e enc
	e.u64(en.opID)
	e.u8(uint8(en.op))
	e.bool(en.happened)
	e.u32(uint32(en.rv))
	e.u64(uint64(en.session))
	e.u16(uint16(len(en.label)))
	e.raw([]byte(en.label))
	e.u32(uint32(len(en.blob)))
	e.raw(en.blob)
	return e.b
}

func decodeEntry(b []byte) (entry, error) {
	d := dec{b: b}
	var en entry
	en.opID = d.u64()
	en.op = opKind(d.u8())
	en.happened = d.bool()
	en.rv = RV(d.u32())
	en.session = Session(d.u64())
	en.label = string(d.take(int(d.u16())))
	if n := int(d.u32()); n > 0 {
		en.blob = append([]byte(nil), d.take(n)...)
	}
	if err := d.done(); err != nil {
		return entry{}, err
	}
	if en.opID == 0 || !en.op.journaled() || len(en.label) > LabelMax {
		return entry{}, errCorrupt
	}
	return en, nil
}

// oneRecord returns the body of a file written whole as one record.
func oneRecord(b []byte) ([]byte, error) {
	records, valid := env.ReadRecords(b)
	if len(records) != 1 || valid != len(b) {
		return nil, errCorrupt
	}
	return records[0], nil
}

// loaded is what Open read back.
type loaded struct {
	dev     device
	tok     token
	header  journalHeader
	entries []entry
	// tornBytes is how many bytes of the journal's torn tail were cut off.
	tornBytes int
	// failed names what did not decode (the device is then failed).
	failed string
}

// load reads the three files. It cuts a torn journal tail and rewrites the
// file (the caller syncs). It never panics on disk bytes.
func load(d env.Disk) loaded {
	var l loaded
	if b, ok := d.Read(fileDevice); ok {
		body, err := oneRecord(b)
		if err == nil {
			l.dev, err = decodeDevice(body)
		}
		if err != nil {
			l.dev = device{}
			l.failed = fileDevice
		}
	}
	if b, ok := d.Read(fileToken); ok {
		body, err := oneRecord(b)
		if err == nil {
			l.tok, err = decodeToken(body)
		}
		if err != nil {
			l.tok = token{}
			l.failed = fileToken
		}
	}
	if b, ok := d.Read(fileJournal); ok {
		records, valid := env.ReadRecords(b)
		if valid < len(b) {
			l.tornBytes = len(b) - valid
			d.Write(fileJournal, b[:valid])
		}
		for i, r := range records {
			if i == 0 {
				h, err := decodeHeader(r)
				if err != nil {
					l.failed = fileJournal
					break
				}
				l.header = h
				continue
			}
			en, err := decodeEntry(r)
			if err != nil {
				l.failed = fmt.Sprintf("%s record %d", fileJournal, i)
				break
			}
			l.entries = append(l.entries, en)
		}
		if len(records) == 0 && valid == 0 && len(b) > 0 {
			// Only a torn header: the journal was being created when the
			// node crashed, so it never held an acknowledged record.
			d.Delete(fileJournal)
		}
	}
	return l
}
