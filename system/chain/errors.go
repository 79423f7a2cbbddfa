package chain

import "errors"

// Rejection reasons: expected outcomes, package-prefixed. A rejection's
// Reason (in SubmitResult and in the chain.reject observation) is exactly one
// of these texts; Detail says more, for humans.
var (
	// ErrMalformed: the bytes are not a canonical transaction encoding, or a
	// field is out of range (amount not positive, negative fee, bad key or
	// signature length, unknown flavour).
	ErrMalformed = errors.New("chain: malformed transaction")
	// ErrTooLarge: the encoded transaction exceeds TxSizeMax or its memo
	// MemoMax.
	ErrTooLarge = errors.New("chain: transaction too large")
	// ErrWrongChain: the transaction names another chain (flavour).
	ErrWrongChain = errors.New("chain: wrong chain")
	// ErrBadAddress: From or To is not a canonical address of this chain.
	ErrBadAddress = errors.New("chain: bad address")
	// ErrBadSignature: the signature does not verify against PubKey, or
	// PubKey is not the key From was derived from.
	ErrBadSignature = errors.New("chain: bad signature")
	// ErrBadNonce: the nonce is neither the sender's next one nor that of a
	// pending transaction it could replace (already used, or a gap).
	ErrBadNonce = errors.New("chain: bad nonce")
	// ErrInsufficientFunds: the sender's balance does not cover this
	// transaction's amount plus fee on top of its other pending ones.
	ErrInsufficientFunds = errors.New("chain: insufficient funds")
	// ErrDuplicate: the exact transaction (same TxID) is already pending or
	// mined on the canonical chain.
	ErrDuplicate = errors.New("chain: duplicate transaction")
	// ErrFeeTooLow: the fee is below the current minimum (MinFee times the
	// fee-spike multiplier).
	ErrFeeTooLow = errors.New("chain: fee too low")
	// ErrUnderpriced: a replacement (same sender and nonce as a pending
	// transaction) does not pay a strictly higher fee.
	ErrUnderpriced = errors.New("chain: replacement underpriced")
	// ErrMempoolFull: the mempool, or the sender's share of it, is full.
	ErrMempoolFull = errors.New("chain: mempool full")
	// ErrReplaced: a pending transaction was replaced by a fee bump (a
	// reason for chain.reject at stage "mempool", never for a submit).
	ErrReplaced = errors.New("chain: replaced by fee bump")
	// ErrStale: a pending transaction's nonce was used by another one that
	// got mined (stage "mempool" or "reorg").
	ErrStale = errors.New("chain: nonce already used")
)

// Control errors, answered to the harness in a ControlResult.
var (
	ErrBadControl = errors.New("chain: bad control message")
	ErrReorgDepth = errors.New("chain: reorg depth out of range")
)

// reasons lists every rejection reason, for decoding and for tests.
var reasons = []error{
	ErrMalformed, ErrTooLarge, ErrWrongChain, ErrBadAddress, ErrBadSignature,
	ErrBadNonce, ErrInsufficientFunds, ErrDuplicate, ErrFeeTooLow, ErrUnderpriced,
	ErrMempoolFull, ErrReplaced, ErrStale,
}

// ReasonErr maps a Reason text back to its sentinel, or nil when unknown.
func ReasonErr(reason string) error {
	for _, e := range reasons {
		if e.Error() == reason {
			return e
		}
	}
	return nil
}

// rejection is a reason with a detail; errors.Is matches the reason.
type rejection struct {
	reason error
	detail string
}

func (r *rejection) Error() string {
	if r.detail == "" {
		return r.reason.Error()
	}
	return r.reason.Error() + ": " + r.detail
}

func (r *rejection) Unwrap() error { return r.reason }

func reject(reason error, detail string) *rejection {
	return &rejection{reason: reason, detail: detail}
}
