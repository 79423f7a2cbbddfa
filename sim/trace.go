package sim

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash"
	"io"
	"time"

	"vaultdrill/system/env"
)

// trace folds every event the world processes into one SHA-256, and writes
// a readable line per event when a writer is set. Two runs with the same
// seed, commit and scenario have the same trace hash: that is the
// determinism property the tests check.
type trace struct {
	content func([]byte) []byte
	h       hash.Hash
	w       io.Writer
	buf     []byte
	n       uint64
}

func newTrace(w io.Writer, content func([]byte) []byte) *trace {
	return &trace{h: sha256.New(), w: w, content: content}
}

func (t *trace) record(at time.Duration, code byte, node, peer env.NodeID, tag string, payload []byte) {
	t.n++
	if t.content != nil && payload != nil {
		payload = t.content(payload)
	}
	b := t.buf[:0]
	b = binary.BigEndian.AppendUint64(b, uint64(at))
	b = append(b, code)
	b = append(b, node...)
	b = append(b, 0)
	b = append(b, peer...)
	b = append(b, 0)
	b = append(b, tag...)
	b = append(b, 0)
	b = binary.BigEndian.AppendUint32(b, uint32(len(payload)))
	t.h.Write(b)
	t.h.Write(payload)
	t.buf = b
	if t.w != nil {
		fmt.Fprintf(t.w, "%d %c %s %s %s %d\n", int64(at), code, node, peer, tag, len(payload))
	}
}

func (t *trace) drop(at time.Duration, from, to env.NodeID, why string) {
	t.record(at, 'x', to, from, why, nil)
}

func (t *trace) sum() string { return hex.EncodeToString(t.h.Sum(nil)) }
