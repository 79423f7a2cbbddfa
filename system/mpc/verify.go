package mpc

import (
	"crypto/ed25519"

	"github.com/btcsuite/btcd/btcec/v2"
	btcecdsa "github.com/btcsuite/btcd/btcec/v2/ecdsa"
)

// Verify checks a signature in the engines' format against a public key in
// KeyShare.PublicKey's encoding, with the reference libraries: btcec for
// secp256k1 (r || s, the recovery byte ignored; high-S rejected like a
// node would), crypto/ed25519 for EdDSA.
func Verify(a Algo, pub, digest, sig []byte) bool {
	switch a {
	case ECDSA:
		if len(sig) != 64 && len(sig) != 65 {
			return false
		}
		pk, err := btcec.ParsePubKey(pub)
		if err != nil {
			return false
		}
		var r, s btcec.ModNScalar
		if overflow := r.SetByteSlice(sig[:32]); overflow || r.IsZero() {
			return false
		}
		if overflow := s.SetByteSlice(sig[32:64]); overflow || s.IsZero() || s.IsOverHalfOrder() {
			return false
		}
		return btcecdsa.NewSignature(&r, &s).Verify(digest, pk)
	case EdDSA:
		return len(pub) == ed25519.PublicKeySize && ed25519.Verify(ed25519.PublicKey(pub), digest, sig)
	}
	return false
}
