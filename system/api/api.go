package api

import (
	"encoding/json"
	"errors"
	"fmt"

	"vaultdrill/system/env"
)

// Op is a client operation on the ledger.
type Op string

const (
	OpDeposit  Op = "deposit"
	OpWithdraw Op = "withdraw"
	OpBalance  Op = "balance"
)

// Request is what a client sends to a ledger node.
type Request struct {
	// ID is unique per client request attempt stream; a response echoes it.
	ID      uint64 `json:"id"`
	Op      Op     `json:"op"`
	Account string `json:"account"`
	Amount  int64  `json:"amount,omitempty"`
	// IdemKey makes a write idempotent: a retry with the same key returns the
	// original result (within the ledger's retention window).
	IdemKey string `json:"idem,omitempty"`
}

// Status is the outcome class of a response.
type Status string

const (
	// StatusOK: the operation took effect (or, for a read, saw the state).
	// A withdrawal refused for insufficient funds is OK with Refused set: it
	// is a definite outcome that constrains the state.
	StatusOK Status = "ok"
	// StatusFail: the operation definitely did not take effect.
	StatusFail Status = "fail"
	// StatusRedirect: not taken here, now: retry, at Leader when it is
	// given. It says nothing about other attempts of the same idempotent
	// write, which may still commit.
	StatusRedirect Status = "redirect"
)

// Response answers one Request.
type Response struct {
	ID      uint64     `json:"id"`
	Status  Status     `json:"status"`
	Balance int64      `json:"balance"`
	Refused string     `json:"refused,omitempty"` // e.g. ErrInsufficient's text
	Err     string     `json:"err,omitempty"`
	Leader  env.NodeID `json:"leader,omitempty"`
	// Index is the raft log index the write committed at or the read index.
	Index uint64 `json:"index,omitempty"`
}

// Sentinel errors: expected outcomes, package-prefixed.
var (
	ErrInsufficient = errors.New("ledger: insufficient funds")
	ErrNotLeader    = errors.New("ledger: not the leader")
	ErrBadRequest   = errors.New("ledger: bad request")
)

// EncodeRequest frames a request for the wire.
func EncodeRequest(r Request) []byte {
	b, err := json.Marshal(r)
	if err != nil {
		panic(fmt.Sprintf("api: encode request: %v", err))
	}
	return env.Encode(env.MsgClientRequest, b)
}

// EncodeResponse frames a response for the wire.
func EncodeResponse(r Response) []byte {
	b, err := json.Marshal(r)
	if err != nil {
		panic(fmt.Sprintf("api: encode response: %v", err))
	}
	return env.Encode(env.MsgClientResponse, b)
}

// DecodeRequest parses a request body (after env.Decode).
func DecodeRequest(body []byte) (Request, error) {
	var r Request
	if err := json.Unmarshal(body, &r); err != nil {
		return r, fmt.Errorf("%w: %v", env.ErrWire, err)
	}
	return r, nil
}

// DecodeResponse parses a response body (after env.Decode).
func DecodeResponse(body []byte) (Response, error) {
	var r Response
	if err := json.Unmarshal(body, &r); err != nil {
		return r, fmt.Errorf("%w: %v", env.ErrWire, err)
	}
	return r, nil
}
