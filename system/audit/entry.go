package audit

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"time"
)

// Bounds on an entry's text fields. They keep a record, and so any batch a
// replica ships, small in the worst case, and they are part of the format:
// Decode rejects anything longer.
const (
	FieldMax  = 256  // each text field but Detail
	DetailMax = 1024 // Detail
)

var (
	// ErrTooLarge: Append was given a field over its bound. Nothing was
	// written; the caller must not act on the decision.
	ErrTooLarge = errors.New("audit: entry too large")
	// ErrMalformed: bytes that are not Encode's output.
	ErrMalformed = errors.New("audit: malformed entry")
)

// Entry is one decision, chained to the one before it.
type Entry struct {
	Seq           uint64    // 1-based position in the log
	Time          time.Time // the writer's env.Now()
	Actor         string    // who decided: node id, user id, "policy"
	Action        string    // "withdrawal.request", "withdrawal.sign", "sweep", ...
	Subject       string    // what it is about: withdrawal id, sweep id, ...
	Decision      string    // "allow", "deny", "hold", "record", ...
	PolicyVersion string
	Digest        string // hex of the transaction digest, or ""
	Device, IP    string // filled by the access layer; may be empty
	Detail        string // free text, at most DetailMax bytes
	Prev          [32]byte
	Hash          [32]byte
}

const (
	formatVersion byte = 1
	// The tag keeps an entry hash from ever equalling a sha256 some other
	// part of the system computes over the same bytes, which matters once
	// heads are anchored in public.
	hashDomain = "vaultdrill/audit/entry/v1\x00"
	textCount  = 9
	// Sizes of an encoding with every text field empty, and at its bounds.
	// Open uses them to tell a torn record from a damaged one.
	encodedMin = 1 + 8 + 8 + 4 + 4*textCount + 32 + 32
	encodedMax = encodedMin + (textCount-1)*FieldMax + DetailMax
)

type textField struct {
	name string
	s    *string
	max  int
}

// text lists the text fields in encoding order. The order is the format:
// changing it changes every hash, so it needs a new formatVersion.
func (e *Entry) text() [textCount]textField {
	return [textCount]textField{
		{"Actor", &e.Actor, FieldMax},
		{"Action", &e.Action, FieldMax},
		{"Subject", &e.Subject, FieldMax},
		{"Decision", &e.Decision, FieldMax},
		{"PolicyVersion", &e.PolicyVersion, FieldMax},
		{"Digest", &e.Digest, FieldMax},
		{"Device", &e.Device, FieldMax},
		{"IP", &e.IP, FieldMax},
		{"Detail", &e.Detail, DetailMax},
	}
}

func (e Entry) checkBounds() error {
	for _, f := range e.text() {
		if len(*f.s) > f.max {
			return fmt.Errorf("%w: %s is %d bytes, max %d", ErrTooLarge, f.name, len(*f.s), f.max)
		}
	}
	return nil
}

// appendBody appends the encoding of every field but Hash. Fields over
// their bound are encoded as they are (4-byte lengths keep that
// unambiguous), so hashing a forged oversized entry is still well defined.
func appendBody(b []byte, e Entry) []byte {
	b = append(b, formatVersion)
	b = binary.BigEndian.AppendUint64(b, e.Seq)
	// Seconds and nanoseconds, not UnixNano: UnixNano is undefined outside
	// 1678-2262 (the zero time included), and the pair round-trips any
	// time.Time exactly.
	b = binary.BigEndian.AppendUint64(b, uint64(e.Time.Unix()))
	b = binary.BigEndian.AppendUint32(b, uint32(e.Time.Nanosecond()))
	for _, f := range e.text() {
		b = binary.BigEndian.AppendUint32(b, uint32(len(*f.s)))
		b = append(b, *f.s...)
	}
	return append(b, e.Prev[:]...)
}

// ComputeHash is the hash the entry's Hash field must hold: sha256 over the
// domain tag and the encoding of every field but Hash.
func (e Entry) ComputeHash() [32]byte {
	return sha256.Sum256(appendBody([]byte(hashDomain), e))
}

// Encode is the canonical encoding of e (see the package doc), Hash
// included as it is, not recomputed.
func Encode(e Entry) []byte {
	b := appendBody(make([]byte, 0, encodedMin+64), e)
	return append(b, e.Hash[:]...)
}

// Decode parses exactly what Encode writes for an entry within its bounds.
// It checks the format, not the hash: naming a hash mismatch is Verify's
// job, which can say where in the chain it is.
func Decode(b []byte) (Entry, error) {
	var e Entry
	if len(b) > encodedMax {
		return Entry{}, fmt.Errorf("%w: %d bytes, max %d", ErrMalformed, len(b), encodedMax)
	}
	r := reader{b: b}
	if v := r.take(1); r.short || v[0] != formatVersion {
		return Entry{}, fmt.Errorf("%w: not format version %d", ErrMalformed, formatVersion)
	}
	e.Seq = r.uint64()
	sec, nsec := int64(r.uint64()), r.uint32()
	if nsec >= 1e9 {
		return Entry{}, fmt.Errorf("%w: %d nanoseconds", ErrMalformed, nsec)
	}
	// UTC, with no monotonic reading: the one form Append keeps in memory,
	// so an entry read back compares equal to the one appended.
	e.Time = time.Unix(sec, int64(nsec)).UTC()
	for _, f := range e.text() {
		n := r.uint32()
		if n > uint32(f.max) {
			return Entry{}, fmt.Errorf("%w: %s is %d bytes, max %d", ErrMalformed, f.name, n, f.max)
		}
		*f.s = string(r.take(int(n)))
	}
	copy(e.Prev[:], r.take(32))
	copy(e.Hash[:], r.take(32))
	switch {
	case r.short:
		return Entry{}, fmt.Errorf("%w: truncated", ErrMalformed)
	case len(r.b) != 0:
		return Entry{}, fmt.Errorf("%w: %d trailing bytes", ErrMalformed, len(r.b))
	}
	return e, nil
}

// reader consumes b front to back; past the end it returns zeros and
// remembers that it ran short, so Decode checks once at the end.
type reader struct {
	b     []byte
	short bool
}

func (r *reader) take(n int) []byte {
	if r.short || n > len(r.b) {
		r.short = true
		return make([]byte, n)
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *reader) uint64() uint64 { return binary.BigEndian.Uint64(r.take(8)) }
func (r *reader) uint32() uint32 { return binary.BigEndian.Uint32(r.take(4)) }
