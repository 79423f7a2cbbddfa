package chain

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// Address format: a two-letter flavour prefix, then the first 20 bytes of
// sha256(public key) in lowercase hex (40 characters), 42 characters in all:
//
//	secp256k1: "k1" + hex(sha256(33-byte compressed key)[:20])
//	ed25519:   "ed" + hex(sha256(32-byte key)[:20])
//
// Only this canonical form is an address: no upper case, no 0x, no spaces.
// Tools that accept formatting variants normalize before they reach a chain.
const (
	AddressLen     = 2 + 2*addressHashLen
	addressHashLen = 20
	prefixSecp     = "k1"
	prefixEd       = "ed"
)

// Public key sizes.
const (
	PubKeySizeSecp256k1 = 33
	PubKeySizeEd25519   = ed25519.PublicKeySize
	SigSize             = 64
)

func addressPrefix(flavour string) (string, bool) {
	switch flavour {
	case Secp256k1:
		return prefixSecp, true
	case Ed25519:
		return prefixEd, true
	}
	return "", false
}

// Address derives the address of a public key on a chain of the flavour.
// It checks the key's length and, for secp256k1, that it is a compressed
// point on the curve.
func Address(flavour string, pub []byte) (string, error) {
	if err := checkPubKey(flavour, pub); err != nil {
		return "", err
	}
	return addressOf(flavour, pub), nil
}

func addressOf(flavour string, pub []byte) string {
	p, _ := addressPrefix(flavour)
	h := sha256.Sum256(pub)
	return p + hex.EncodeToString(h[:addressHashLen])
}

// CheckAddress reports whether a is a canonical address of the flavour.
func CheckAddress(flavour, a string) error {
	p, ok := addressPrefix(flavour)
	if !ok {
		return reject(ErrWrongChain, fmt.Sprintf("unknown flavour %q", flavour))
	}
	if len(a) != AddressLen || a[:2] != p {
		return reject(ErrBadAddress, fmt.Sprintf("%q is not a %s address", a, flavour))
	}
	for i := 2; i < len(a); i++ {
		c := a[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return reject(ErrBadAddress, fmt.Sprintf("%q is not lowercase hex", a))
		}
	}
	return nil
}

// FlavourOf returns the flavour an address's prefix names, or "".
func FlavourOf(a string) string {
	for _, f := range Flavours {
		if CheckAddress(f, a) == nil {
			return f
		}
	}
	return ""
}
