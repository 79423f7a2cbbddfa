package signer

import (
	"encoding/json"
	"fmt"

	"vaultdrill/system/env"
	"vaultdrill/system/mpc"
)

// Message types.
const (
	MsgSignRequest  env.MsgType = 30
	MsgSignResponse env.MsgType = 31
	MsgBegin        env.MsgType = 32
	MsgEnvelope     env.MsgType = 33
	MsgResult       env.MsgType = 34
	MsgAbort        env.MsgType = 35
	MsgAck          env.MsgType = 36
	MsgKeygenReq    env.MsgType = 37
	MsgKeygenResp   env.MsgType = 38
	MsgControl      env.MsgType = 39
)

// SignRequest asks a committee member to coordinate one signature.
type SignRequest struct {
	ReqID  uint64    `json:"req"`
	Key    mpc.KeyID `json:"key"`
	Digest []byte    `json:"digest"`
	// Auth is required by a custody signer (Config.Guard).
	Auth *Authorization `json:"auth,omitempty"`
}

// SignResponse answers a SignRequest.
type SignResponse struct {
	ReqID    uint64 `json:"req"`
	OK       bool   `json:"ok"`
	Sig      []byte `json:"sig,omitempty"`
	Attempts int    `json:"attempts"`
	Err      string `json:"err,omitempty"`
}

// Begin starts one attempt at a party: of a signing session, or, when
// Keygen is set, of a key ceremony for that committee (ID.Parties is then
// the whole committee: keygen needs every member).
type Begin struct {
	ID     mpc.SessionID  `json:"id"`
	Digest []byte         `json:"digest,omitempty"`
	Keygen *mpc.Committee `json:"keygen,omitempty"`
	Auth   *Authorization `json:"auth,omitempty"`
}

// KeygenRequest asks a committee member to coordinate a key ceremony for a
// new key id.
type KeygenRequest struct {
	ReqID     uint64        `json:"req"`
	Committee mpc.Committee `json:"committee"`
}

// KeygenResponse answers a KeygenRequest with the key every member agreed
// on.
type KeygenResponse struct {
	ReqID     uint64 `json:"req"`
	OK        bool   `json:"ok"`
	PublicKey []byte `json:"public_key,omitempty"`
	Attempts  int    `json:"attempts"`
	Err       string `json:"err,omitempty"`
}

// Envelope carries one MPC payload, bound to its session attempt.
type Envelope struct {
	ID      mpc.SessionID `json:"id"`
	Round   int           `json:"round"`
	From    mpc.PartyID   `json:"from"`
	Payload []byte        `json:"payload"`
}

// Result reports a finished signature, or a finished ceremony's public
// key, to the coordinator.
type Result struct {
	ID        mpc.SessionID `json:"id"`
	Sig       []byte        `json:"sig,omitempty"`
	PublicKey []byte        `json:"public_key,omitempty"`
}

// Ack tells the coordinator a party started an attempt (it is alive).
type Ack struct {
	ID mpc.SessionID `json:"id"`
}

// Abort ends an attempt: from a party, with its blame or reason; from the
// coordinator, telling the parties to discard it.
type Abort struct {
	ID           mpc.SessionID `json:"id"`
	Culprits     []mpc.PartyID `json:"culprits,omitempty"`
	Attributable bool          `json:"attributable,omitempty"`
	Reason       string        `json:"reason"`
}

func encode(t env.MsgType, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("signer: encode: %v", err))
	}
	return env.Encode(t, b)
}

// EncodeSignRequest frames a request for the wire.
func EncodeSignRequest(r SignRequest) []byte { return encode(MsgSignRequest, r) }

// DecodeSignResponse parses a framed SignResponse; ok is false for anything
// else.
func DecodeSignResponse(payload []byte) (SignResponse, bool) {
	t, body, err := env.Decode(payload)
	if err != nil || t != MsgSignResponse {
		return SignResponse{}, false
	}
	var r SignResponse
	if json.Unmarshal(body, &r) != nil {
		return SignResponse{}, false
	}
	return r, true
}

// EncodeKeygenRequest frames a ceremony request for the wire.
func EncodeKeygenRequest(r KeygenRequest) []byte { return encode(MsgKeygenReq, r) }

// DecodeKeygenResponse parses a framed KeygenResponse; ok is false for
// anything else.
func DecodeKeygenResponse(payload []byte) (KeygenResponse, bool) {
	t, body, err := env.Decode(payload)
	if err != nil || t != MsgKeygenResp {
		return KeygenResponse{}, false
	}
	var r KeygenResponse
	if json.Unmarshal(body, &r) != nil {
		return KeygenResponse{}, false
	}
	return r, true
}
