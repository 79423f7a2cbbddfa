package hsm

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
)

// Sealed blob layout (see doc.go, which world-side scanners follow):
//
//	offset  size  field
//	0       6     magic "VDHSM1"
//	6       1     version (BlobVersion)
//	7       12    GCM nonce
//	19      n+16  AES-256-GCM ciphertext of the n plaintext bytes, then the tag
//
// Additional data: the 7 header bytes, then the label. The label is not in
// the blob: the caller names it again at Unseal, so a blob cannot be passed
// off as another label's.
const (
	BlobMagic     = "VDHSM1"
	BlobVersion   = byte(1)
	BlobNonceSize = 12
	BlobTagSize   = 16
	blobHeader    = len(BlobMagic) + 1
	// BlobOverhead is how much longer a blob is than its plaintext.
	BlobOverhead = blobHeader + BlobNonceSize + BlobTagSize
)

// Size bounds on Seal's inputs.
const (
	LabelMax     = 256
	PlaintextMax = 1 << 20
)

const (
	masterKeySize  = 32
	nonceEntropy   = 16 // fresh entropy bytes per nonce
	infoSealKey    = "vaultdrill/hsm seal key v1"
	infoNonceKey   = "vaultdrill/hsm nonce key v1"
	errBlobInvalid = "blob invalid"
)

// keys are the working keys derived from the master key: the master key
// itself is used for nothing but derivation.
type keys struct {
	aead     cipher.AEAD
	nonceKey []byte
}

func deriveKeys(master []byte) (*keys, error) {
	sealKey, err := hkdf.Key(sha256.New, master, nil, infoSealKey, 32)
	if err != nil {
		return nil, err
	}
	nonceKey, err := hkdf.Key(sha256.New, master, nil, infoNonceKey, 32)
	if err != nil {
		return nil, err
	}
	block, err := aes.NewCipher(sealKey)
	if err != nil {
		return nil, err
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, err
	}
	clear(sealKey)
	return &keys{aead: aead, nonceKey: nonceKey}, nil
}

// wipe drops the working keys' bytes that are ours to clear.
func (k *keys) wipe() {
	if k != nil {
		clear(k.nonceKey)
	}
}

func additionalData(header []byte, label string) []byte {
	ad := make([]byte, 0, len(header)+len(label))
	ad = append(ad, header...)
	return append(ad, label...)
}

// seal encrypts plaintext under label. The nonce is synthetic: HMAC of the
// fresh entropy, the label and the plaintext under the nonce key, cut to 12
// bytes. With a healthy entropy stream it is as random as the entropy; with
// a replayed one (an env whose reader restarts) it still never repeats for
// different contents, which is what GCM needs.
func (k *keys) seal(fresh []byte, label string, plaintext []byte) []byte {
	m := hmac.New(sha256.New, k.nonceKey)
	m.Write(fresh)
	var n [4]byte
	binary.BigEndian.PutUint32(n[:], uint32(len(label)))
	m.Write(n[:])
	m.Write([]byte(label))
	m.Write(plaintext)
	nonce := m.Sum(nil)[:BlobNonceSize]

	out := make([]byte, 0, BlobOverhead+len(plaintext))
	out = append(out, BlobMagic...)
	out = append(out, BlobVersion)
	out = append(out, nonce...)
	return k.aead.Seal(out, nonce, plaintext, additionalData(out[:blobHeader], label))
}

// open authenticates and decrypts a blob; any mismatch (framing, version,
// label, a flipped bit, another key) is one error.
func (k *keys) open(label string, blob []byte) ([]byte, error) {
	if len(blob) < BlobOverhead || string(blob[:len(BlobMagic)]) != BlobMagic || blob[len(BlobMagic)] != BlobVersion {
		return nil, fmt.Errorf("hsm: %s", errBlobInvalid)
	}
	nonce := blob[blobHeader : blobHeader+BlobNonceSize]
	pt, err := k.aead.Open(nil, nonce, blob[blobHeader+BlobNonceSize:], additionalData(blob[:blobHeader], label))
	if err != nil {
		return nil, fmt.Errorf("hsm: %s", errBlobInvalid)
	}
	return pt, nil
}
