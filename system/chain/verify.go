package chain

import (
	"crypto/ed25519"
	"fmt"
	"math"
	"unicode/utf8"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
)

// checkPubKey checks a public key's encoding for the flavour.
func checkPubKey(flavour string, pub []byte) error {
	switch flavour {
	case Secp256k1:
		if len(pub) != PubKeySizeSecp256k1 || (pub[0] != 0x02 && pub[0] != 0x03) {
			return reject(ErrMalformed, fmt.Sprintf("secp256k1 public key must be 33 bytes compressed, got %d", len(pub)))
		}
		if _, err := btcec.ParsePubKey(pub); err != nil {
			return reject(ErrMalformed, "secp256k1 public key: "+err.Error())
		}
		return nil
	case Ed25519:
		if len(pub) != PubKeySizeEd25519 {
			return reject(ErrMalformed, fmt.Sprintf("ed25519 public key must be %d bytes, got %d", PubKeySizeEd25519, len(pub)))
		}
		return nil
	}
	return reject(ErrWrongChain, fmt.Sprintf("unknown flavour %q", flavour))
}

// checkTx checks everything about a transaction that needs no chain state
// and no signature verification, for a chain of the flavour.
func checkTx(flavour string, t Tx) error {
	if t.Chain != flavour {
		return reject(ErrWrongChain, fmt.Sprintf("transaction for %q on a %s chain", t.Chain, flavour))
	}
	if t.Amount <= 0 {
		return reject(ErrMalformed, fmt.Sprintf("amount %d is not positive", t.Amount))
	}
	if t.Fee < 0 {
		return reject(ErrMalformed, fmt.Sprintf("fee %d is negative", t.Fee))
	}
	if t.Amount > math.MaxInt64-t.Fee {
		return reject(ErrMalformed, "amount plus fee overflows")
	}
	if len(t.Memo) > MemoMax {
		return reject(ErrTooLarge, fmt.Sprintf("memo of %d bytes, max %d", len(t.Memo), MemoMax))
	}
	if !utf8.ValidString(t.Memo) {
		return reject(ErrMalformed, "memo is not valid UTF-8")
	}
	if err := CheckAddress(flavour, t.From); err != nil {
		return err
	}
	if err := CheckAddress(flavour, t.To); err != nil {
		return err
	}
	if len(t.Sig) != SigSize {
		return reject(ErrMalformed, fmt.Sprintf("signature must be %d bytes, got %d", SigSize, len(t.Sig)))
	}
	return checkPubKey(flavour, t.PubKey)
}

// verifySig checks that PubKey is the sender's and that Sig signs the
// transaction's SigningDigest under it, with the real libraries.
func verifySig(t Tx) error {
	if addressOf(t.Chain, t.PubKey) != t.From {
		return reject(ErrBadSignature, "public key is not the sender's")
	}
	digest := t.SigningDigest()
	switch t.Chain {
	case Secp256k1:
		pub, err := btcec.ParsePubKey(t.PubKey)
		if err != nil {
			return reject(ErrBadSignature, "public key: "+err.Error())
		}
		var r, s btcec.ModNScalar
		if r.SetByteSlice(t.Sig[:32]) || r.IsZero() || s.SetByteSlice(t.Sig[32:]) || s.IsZero() {
			return reject(ErrBadSignature, "r or s out of range")
		}
		// Low-S normalisation: an MPC signer may return either of the two
		// valid s values, and the chain accepts both, whatever a library
		// version's own policy on high S.
		if s.IsOverHalfOrder() {
			s.Negate()
		}
		if !ecdsa.NewSignature(&r, &s).Verify(digest[:], pub) {
			return reject(ErrBadSignature, "ecdsa verification failed")
		}
		return nil
	case Ed25519:
		if !ed25519.Verify(ed25519.PublicKey(t.PubKey), digest[:], t.Sig) {
			return reject(ErrBadSignature, "ed25519 verification failed")
		}
		return nil
	}
	return reject(ErrWrongChain, fmt.Sprintf("unknown flavour %q", t.Chain))
}

// Verify checks a transaction the way a chain of its flavour does before
// looking at balances and nonces: format, ranges, addresses, and the
// signature against the sender's public key.
func Verify(t Tx) error {
	if !ValidFlavour(t.Chain) {
		return reject(ErrWrongChain, fmt.Sprintf("unknown flavour %q", t.Chain))
	}
	if n := EncodedSize(t); n > TxSizeMax {
		return reject(ErrTooLarge, fmt.Sprintf("%d bytes, max %d", n, TxSizeMax))
	}
	if err := checkTx(t.Chain, t); err != nil {
		return err
	}
	return verifySig(t)
}
