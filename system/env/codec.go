package env

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// WireVersion is the version byte every message starts with. A node rejects
// messages of a version it does not speak.
const WireVersion byte = 1

// MsgType says what an envelope carries. Components register their own types
// in the ranges below so one byte tells a receiver how to decode the body.
type MsgType byte

const (
	MsgClientRequest  MsgType = 1  // system/api.Request
	MsgClientResponse MsgType = 2  // system/api.Response
	MsgRaft           MsgType = 10 // a raftpb.Message between ledger replicas
)

// ErrWire is wrapped by every decoding error.
var ErrWire = errors.New("env: bad wire message")

// Encode frames a body: version, type, then the body. The frame has no
// length: the host delivers whole messages.
func Encode(t MsgType, body []byte) []byte {
	out := make([]byte, 2+len(body))
	out[0] = WireVersion
	out[1] = byte(t)
	copy(out[2:], body)
	return out
}

// Decode splits a frame into its type and body.
func Decode(b []byte) (MsgType, []byte, error) {
	if len(b) < 2 {
		return 0, nil, fmt.Errorf("%w: %d bytes", ErrWire, len(b))
	}
	if b[0] != WireVersion {
		return 0, nil, fmt.Errorf("%w: version %d", ErrWire, b[0])
	}
	return MsgType(b[1]), b[2:], nil
}

// Record frames one durable record as length, CRC-free checksum and body, so a
// torn tail is detected on read. ReadRecords returns the whole records and
// the byte length of the valid prefix.
func Record(body []byte) []byte {
	out := make([]byte, 8+len(body))
	binary.BigEndian.PutUint32(out[0:4], uint32(len(body)))
	binary.BigEndian.PutUint32(out[4:8], fnv32(body))
	copy(out[8:], body)
	return out
}

// ReadRecords parses framed records and stops at the first torn or corrupt one.
func ReadRecords(b []byte) (records [][]byte, valid int) {
	for off := 0; ; {
		if len(b)-off < 8 {
			return records, off
		}
		n := int(binary.BigEndian.Uint32(b[off : off+4]))
		sum := binary.BigEndian.Uint32(b[off+4 : off+8])
		if n > len(b)-off-8 {
			return records, off
		}
		body := b[off+8 : off+8+n]
		if fnv32(body) != sum {
			return records, off
		}
		records = append(records, body)
		off += 8 + n
	}
}

func fnv32(b []byte) uint32 {
	h := uint32(2166136261)
	for _, c := range b {
		h ^= uint32(c)
		h *= 16777619
	}
	return h
}
