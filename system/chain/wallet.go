package chain

import (
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/ecdsa"
)

// externalKeyTag versions the derivation of external keys: changing it
// changes every external address, so it only changes with the format.
const externalKeyTag = "vaultdrill/chain/external-key/v1"

// Key is a keypair of an external party (a user, an attacker, a sanctioned
// address): the simulated outside world, which holds whole private keys.
// Custody keys never take this form: they are MPC keys.
type Key struct {
	Flavour string
	Name    string
	PubKey  []byte
	Address string
	ed      ed25519.PrivateKey
	secp    *btcec.PrivateKey
}

// ExternalKey derives a party's keypair deterministically from a seed and
// its name: the 32-byte secret is sha256(tag | u64 seed | str flavour |
// str name), used as an ed25519 seed (ed25519.NewKeyFromSeed) or as a
// secp256k1 scalar (btcec.PrivKeyFromBytes, reduced mod n). Different seeds,
// names or flavours give unrelated keys.
func ExternalKey(seed uint64, name string, flavour string) (Key, error) {
	if !ValidFlavour(flavour) {
		return Key{}, fmt.Errorf("%w: unknown flavour %q", ErrWrongChain, flavour)
	}
	b := []byte(externalKeyTag)
	b = binary.BigEndian.AppendUint64(b, seed)
	b = appendStr(b, flavour)
	b = appendStr(b, name)
	secret := sha256.Sum256(b)
	k := Key{Flavour: flavour, Name: name}
	switch flavour {
	case Ed25519:
		k.ed = ed25519.NewKeyFromSeed(secret[:])
		k.PubKey = append([]byte(nil), k.ed.Public().(ed25519.PublicKey)...)
	case Secp256k1:
		priv, pub := btcec.PrivKeyFromBytes(secret[:])
		if priv.Key.IsZero() {
			// Probability 2^-256: a broken hash, not bad luck.
			panic(fmt.Sprintf("chain: external key %q of seed %d is zero", name, seed))
		}
		k.secp = priv
		k.PubKey = pub.SerializeCompressed()
	}
	k.Address = addressOf(flavour, k.PubKey)
	return k, nil
}

// MustExternalKey is ExternalKey for flavours known to be valid.
func MustExternalKey(seed uint64, name string, flavour string) Key {
	k, err := ExternalKey(seed, name, flavour)
	if err != nil {
		panic(err.Error())
	}
	return k
}

// SignDigest signs a digest: ECDSA with RFC 6979 nonces, low S, as 64-byte
// r || s (secp256k1); pure Ed25519 over the 32 digest bytes (ed25519).
// Both are deterministic: same key, same digest, same signature.
func (k Key) SignDigest(digest [32]byte) []byte {
	switch k.Flavour {
	case Ed25519:
		return ed25519.Sign(k.ed, digest[:])
	case Secp256k1:
		// The compact form is recovery byte | r | s, from the same RFC 6979
		// signer as ecdsa.Sign; the chain takes r | s.
		compact, err := ecdsa.SignCompact(k.secp, digest[:], true)
		if err != nil || len(compact) != 1+SigSize {
			panic(fmt.Sprintf("chain: sign with %q: %v (%d bytes)", k.Name, err, len(compact)))
		}
		return compact[1:]
	}
	panic(fmt.Sprintf("chain: key %q has unknown flavour %q", k.Name, k.Flavour))
}

// Sign fills the sender fields (Chain, From, PubKey) of t from the key and
// signs it.
func (k Key) Sign(t Tx) Tx {
	t.Chain, t.From, t.PubKey = k.Flavour, k.Address, append([]byte(nil), k.PubKey...)
	t.Sig = nil
	t.Sig = k.SignDigest(t.SigningDigest())
	return t
}

// Wallet builds and signs transactions for one external party, keeping its
// next nonce. It is the workload's view, not the chain's: after a rejection
// or a reorg the caller resynchronises it with SetNonce (from a balance
// query's Nonce).
type Wallet struct {
	Key   Key
	nonce uint64
}

// NewWallet returns a wallet whose next nonce is 0.
func NewWallet(k Key) *Wallet { return &Wallet{Key: k} }

// Address is the wallet's address.
func (w *Wallet) Address() string { return w.Key.Address }

// Nonce is the nonce the next Transfer will carry.
func (w *Wallet) Nonce() uint64 { return w.nonce }

// SetNonce sets the nonce the next Transfer will carry.
func (w *Wallet) SetNonce(n uint64) { w.nonce = n }

// Transfer builds and signs a transfer with the wallet's next nonce, and
// advances it.
func (w *Wallet) Transfer(to string, amount, fee int64, memo string) Tx {
	t := w.Build(to, amount, fee, w.nonce, memo)
	w.nonce++
	return t
}

// Build builds and signs a transfer with an explicit nonce (a fee bump
// re-uses a pending one); the wallet's next nonce is unchanged.
func (w *Wallet) Build(to string, amount, fee int64, nonce uint64, memo string) Tx {
	return w.Key.Sign(Tx{To: to, Amount: amount, Fee: fee, Nonce: nonce, Memo: memo})
}
