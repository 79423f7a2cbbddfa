package risk

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
)

// The risk protocol's bodies (and its durable records) use one canonical
// binary encoding, so a decoder accepts exactly one spelling of each value:
//
//	string  2-byte big-endian length, then the bytes (at most the field's max)
//	int     8 bytes big-endian two's complement
//	bool    1 byte, 0 or 1
//	bytes   4-byte big-endian length, then the bytes
//
// Fields follow in a fixed order per message, after a body version byte;
// trailing bytes are an error.

// CodecVersion is the first byte of every body.
const CodecVersion byte = 1

// Field bounds.
const (
	FieldMax    = 256  // ids, addresses, names
	FeaturesMax = 1024 // the features explanation
	bytesMax    = 1 << 16
)

// ErrMessage is wrapped by every decoding error.
var ErrMessage = errors.New("risk: bad message")

type wbuf struct{ b []byte }

func (w *wbuf) str(s string) {
	if len(s) > math.MaxUint16 {
		panic(fmt.Sprintf("risk: encode: a %d-byte field", len(s)))
	}
	w.b = binary.BigEndian.AppendUint16(w.b, uint16(len(s)))
	w.b = append(w.b, s...)
}

func (w *wbuf) i64(v int64) { w.b = binary.BigEndian.AppendUint64(w.b, uint64(v)) }

func (w *wbuf) flag(v bool) {
	if v {
		w.b = append(w.b, 1)
	} else {
		w.b = append(w.b, 0)
	}
}

func (w *wbuf) bytes(p []byte) {
	w.b = binary.BigEndian.AppendUint32(w.b, uint32(len(p)))
	w.b = append(w.b, p...)
}

func (w *wbuf) point(p Point) {
	w.flag(p.Known)
	w.i64(int64(p.LatE6))
	w.i64(int64(p.LonE6))
}

// rbuf reads fields; the first error sticks and every later read returns
// zero values.
type rbuf struct {
	b   []byte
	err error
}

func (r *rbuf) fail(format string, a ...any) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: "+format, append([]any{ErrMessage}, a...)...)
	}
}

func (r *rbuf) take(n int, what string) []byte {
	if r.err != nil {
		return nil
	}
	if n > len(r.b) {
		r.fail("%s: %d bytes needed, %d left", what, n, len(r.b))
		return nil
	}
	p := r.b[:n]
	r.b = r.b[n:]
	return p
}

func (r *rbuf) str(what string, maxLen int) string {
	p := r.take(2, what)
	if p == nil {
		return ""
	}
	n := int(binary.BigEndian.Uint16(p))
	if n > maxLen {
		r.fail("%s: %d bytes, max %d", what, n, maxLen)
		return ""
	}
	return string(r.take(n, what))
}

// id is a required string field.
func (r *rbuf) id(what string) string {
	s := r.str(what, FieldMax)
	if s == "" {
		r.fail("%s: empty", what)
	}
	return s
}

func (r *rbuf) i64(what string) int64 {
	p := r.take(8, what)
	if p == nil {
		return 0
	}
	return int64(binary.BigEndian.Uint64(p))
}

// nat is a non-negative int at most maxV.
func (r *rbuf) nat(what string, maxV int64) int64 {
	v := r.i64(what)
	if v < 0 || v > maxV {
		r.fail("%s: %d out of 0..%d", what, v, maxV)
		return 0
	}
	return v
}

func (r *rbuf) flag(what string) bool {
	p := r.take(1, what)
	if p == nil {
		return false
	}
	if p[0] > 1 {
		r.fail("%s: bool byte %d", what, p[0])
	}
	return p[0] == 1
}

func (r *rbuf) bytes(what string) []byte {
	p := r.take(4, what)
	if p == nil {
		return nil
	}
	n := int(binary.BigEndian.Uint32(p))
	if n > bytesMax {
		r.fail("%s: %d bytes, max %d", what, n, bytesMax)
		return nil
	}
	return r.take(n, what)
}

func (r *rbuf) point(what string) Point {
	known := r.flag(what)
	lat, lon := r.i64(what), r.i64(what)
	if lat < math.MinInt32 || lat > math.MaxInt32 || lon < math.MinInt32 || lon > math.MaxInt32 {
		r.fail("%s: out of range", what)
		return Point{}
	}
	p := Point{Known: known, LatE6: int32(lat), LonE6: int32(lon)}
	if !p.Valid() {
		r.fail("%s: %d,%d out of range (known %v)", what, lat, lon, known)
	}
	return p
}

// done fails on trailing bytes and returns the first error.
func (r *rbuf) done() error {
	if r.err == nil && len(r.b) > 0 {
		r.fail("%d trailing bytes", len(r.b))
	}
	return r.err
}
