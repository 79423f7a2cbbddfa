package wallet

import (
	"encoding/json"
	"fmt"

	"vaultdrill/system/approval"
	"vaultdrill/system/env"
)

// Message types of the wallet protocol (env.MsgType 50-55).
const (
	MsgWithdraw         env.MsgType = 50 // user -> wallet: WithdrawRequest
	MsgWithdrawStatus   env.MsgType = 51 // wallet -> user: WithdrawStatus
	MsgApprovalRequest  env.MsgType = 52 // wallet -> approver: ApprovalRequest
	MsgApprovalResponse env.MsgType = 53 // approver -> wallet: ApprovalResponse
)

// WithdrawRequest asks for one withdrawal. A retry carries the same ID and
// the same fields, to any wallet node: every step is idempotent by ID.
type WithdrawRequest struct {
	ID        string `json:"id"`
	User      string `json:"user"`   // the ledger account debited
	To        string `json:"to"`     // the destination address
	Amount    int64  `json:"amount"` // smallest units
	Wallet    string `json:"wallet"` // "hot"
	Initiator string `json:"initiator"`
	// RequestedAt is the client's clock at the first attempt, in
	// nanoseconds since env.Epoch: the velocity window the withdrawal
	// counts in, and the time the risk engine scores it at.
	RequestedAt int64 `json:"requested_at"`
	// Where the request came from, for the risk engine: the client's
	// device fingerprint and place (micro-degrees), when known.
	Device   string `json:"device,omitempty"`
	GeoKnown bool   `json:"geo_known,omitempty"`
	LatE6    int32  `json:"lat_e6,omitempty"`
	LonE6    int32  `json:"lon_e6,omitempty"`
}

// Final states a WithdrawStatus reports.
const (
	StateSettled = "settled"
	StateFailed  = "failed"
)

// WithdrawStatus answers a WithdrawRequest once it is settled or failed.
type WithdrawStatus struct {
	ID    string `json:"id"`
	State string `json:"state"`
	TxID  string `json:"txid,omitempty"`
	Err   string `json:"err,omitempty"`
}

// ApprovalRequest asks an approver to approve one withdrawal's intent.
type ApprovalRequest struct {
	Subject approval.Subject `json:"subject"`
}

// ApprovalResponse carries one device-signed approval.
type ApprovalResponse struct {
	Withdrawal string            `json:"withdrawal"`
	Approval   approval.Approval `json:"approval"`
	// Digest is the intent digest approved, hex: for the record (the
	// signature binds it).
	Digest string `json:"digest"`
	// The approver's MFA, checked by the gateway when the wallet has one:
	// a fresh TOTP code of the approving human, and the device's biometric
	// match score (nil: none supplied).
	Code      string `json:"code,omitempty"`
	Biometric *int   `json:"biometric,omitempty"`
}

func encode(t env.MsgType, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("wallet: encode: %v", err))
	}
	return env.Encode(t, b)
}

// Encode frames a wallet message.
func Encode(t env.MsgType, v any) []byte { return encode(t, v) }

// Decode parses a framed wallet message body of type t into v.
func Decode(payload []byte, t env.MsgType, v any) bool {
	got, body, err := env.Decode(payload)
	if err != nil || got != t {
		return false
	}
	return json.Unmarshal(body, v) == nil
}

// Memo prefixes on the chain (docs/custody-vocabulary.md).
const (
	MemoWithdrawal = "wd:"
	MemoSweep      = "sweep:"
	MemoRefill     = "refill:"
	MemoDeposit    = "dep:"
)
