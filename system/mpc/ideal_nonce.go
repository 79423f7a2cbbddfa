package mpc

import (
	"crypto/sha256"

	"github.com/decred/dcrd/dcrec/secp256k1/v4"
)

// A real threshold ECDSA session draws a fresh nonce, so two sessions over
// the same digest give two different valid signatures, and a transaction
// re-signed after a lost answer gets a new txid. The ideal functionality
// must behave the same, or a sweep with the ideal engine hides every bug
// that only shows when a re-signature differs (found by withdrawal-chaos
// with tss-lib: a retry re-signed a mined nonce and looped). Its nonce is
// RFC 6979's, with the session binding as the additional data (RFC 6979
// section 3.6): deterministic per (key, session, attempt, parties), fresh
// across them, and never drawn from a reader.

// sessionExtra is the additional data for a session's nonce.
func sessionExtra(id SessionID) []byte {
	h := sha256.New()
	h.Write([]byte(idealDomain + "nonce/"))
	bind(h, id)
	return h.Sum(nil)
}

// signECDSASession returns r || s || v (low-S, v the recovery id) over a
// 32-byte digest with a nonce bound to the session.
func signECDSASession(priv *secp256k1.PrivateKey, digest []byte, id SessionID) []byte {
	secret := priv.Key.Bytes()
	extra := sessionExtra(id)
	var e secp256k1.ModNScalar
	e.SetByteSlice(digest)
	for iter := uint32(0); ; iter++ {
		k := secp256k1.NonceRFC6979(secret[:], digest, extra, nil, iter)
		var R secp256k1.JacobianPoint
		secp256k1.ScalarBaseMultNonConst(k, &R)
		R.ToAffine()
		var r secp256k1.ModNScalar
		overflow := r.SetBytes(R.X.Bytes())
		if r.IsZero() {
			continue
		}
		v := byte(R.Y.IsOddBit())
		if overflow != 0 {
			v |= 2
		}
		// s = k^-1 (e + r d)
		s := new(secp256k1.ModNScalar).Mul2(&r, &priv.Key).Add(&e)
		s.Mul(new(secp256k1.ModNScalar).InverseValNonConst(k))
		if s.IsZero() {
			continue
		}
		if s.IsOverHalfOrder() {
			s.Negate()
			v ^= 1
		}
		rb, sb := r.Bytes(), s.Bytes()
		return append(append(append(make([]byte, 0, 65), rb[:]...), sb[:]...), v)
	}
}
