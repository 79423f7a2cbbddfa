package approval

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
)

// IntentDigest is what approvers approve: the wallet, the withdrawal id,
// the destination and the amount, and nothing the pipeline may still choose
// (nonce, fee). Every signer re-derives it from the raw transaction it is
// asked to sign (INV-WYSIWYS), so a transaction that pays anyone else, or
// any other amount, finds no approval. The encoding is fixed by
// docs/custody-vocabulary.md; the checkers recompute it independently.
func IntentDigest(wallet, withdrawal, to string, amount int64) [32]byte {
	var b []byte
	b = append(b, "vaultdrill/intent/v1"...)
	for _, s := range []string{wallet, withdrawal, to, strconv.FormatInt(amount, 10)} {
		b = append(b, 0)
		b = append(b, s...)
	}
	return sha256.Sum256(b)
}

// IntentHex is IntentDigest in lowercase hex.
func IntentHex(wallet, withdrawal, to string, amount int64) string {
	d := IntentDigest(wallet, withdrawal, to, amount)
	return hex.EncodeToString(d[:])
}
