package sim

import (
	"crypto/sha256"
	"encoding/binary"
	"math/rand/v2"
)

// DerivationVersion is mixed into every sub-seed. Bump it only when the
// derivation itself changes: it shifts every stream at once, on purpose.
const DerivationVersion = 1

// Derive returns the sub-seed of a stable name under a root seed. Streams are
// keyed by name, not by creation order, so adding a component shifts no other
// stream.
func Derive(root uint64, name string) uint64 {
	var b [16]byte
	binary.BigEndian.PutUint64(b[0:8], root)
	binary.BigEndian.PutUint64(b[8:16], DerivationVersion)
	h := sha256.New()
	h.Write(b[:])
	h.Write([]byte(name))
	sum := h.Sum(nil)
	return binary.BigEndian.Uint64(sum[:8])
}

// NewRand returns a PCG stream for the name under root.
func NewRand(root uint64, name string) *rand.Rand {
	s := Derive(root, name)
	return rand.New(rand.NewPCG(s, Derive(root, name+"/inc")))
}

// NewEntropy returns a ChaCha8 byte stream for the name under root: the
// io.Reader crypto libraries read.
func NewEntropy(root uint64, name string) *rand.ChaCha8 {
	var key [32]byte
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], Derive(root, name+"/entropy"))
	key = sha256.Sum256(append(b[:], name...))
	return rand.NewChaCha8(key)
}
