package governance

import (
	"crypto/ed25519"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"time"

	"vaultdrill/system/approval"
	"vaultdrill/system/env"
)

// Message types of the governance protocol (env.MsgType 60-63).
const (
	MsgRequest env.MsgType = 60 // admin -> gov: Request
	MsgAnswer  env.MsgType = 61 // gov -> admin: Answer
	MsgPush    env.MsgType = 62 // gov -> wallet: Push (a change in effect)
	MsgAck     env.MsgType = 63 // wallet -> gov: Ack
)

// Request operations.
const (
	OpPropose = "propose"
	OpApprove = "approve"
	OpVeto    = "veto" // an admin stops a change inside its time lock
)

// Request is one admin's signed proposal or approval of one change. Kind
// and Value are signed for an approval too: an admin approves exactly the
// change they were shown.
type Request struct {
	ID     uint64              `json:"id"` // the client's, echoed in the Answer
	Op     string              `json:"op"`
	Change string              `json:"change"`
	Kind   approval.ChangeKind `json:"kind"`
	Value  string              `json:"value"`
	Device string              `json:"device"`
	Human  string              `json:"human"`
	At     time.Time           `json:"at"`
	Sig    []byte              `json:"sig"`
}

// Answer tells the admin what became of a request.
type Answer struct {
	ID     uint64 `json:"id"`
	Change string `json:"change"`
	OK     bool   `json:"ok"`
	State  string `json:"state,omitempty"`
	Err    string `json:"err,omitempty"`
}

// Push carries one change now in effect to a wallet node: certified by
// this node's key (Config.Key) with its place in the order changes took
// effect, so the wallet applies them in that order and can show the
// quorum changes to the signers (approval.ChangeCert).
type Push = approval.ChangeCert

// Ack acknowledges a Push: the wallet applied the change (or had).
type Ack struct {
	Change string `json:"change"`
}

// signDomain opens every signed governance request, so its signature is
// never valid as a withdrawal approval or anything else a device signs.
const signDomain = "vaultdrill/policy-request/v1"

// signed is the canonical encoding a request signs: str domain | str op |
// str change | str kind | str value | str device | str human | i64 unix
// seconds | u32 nanoseconds (str = u32 length, then bytes; big-endian).
func signed(r Request) []byte {
	var b []byte
	for _, s := range []string{signDomain, r.Op, r.Change, string(r.Kind), r.Value, r.Device, r.Human} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	b = binary.BigEndian.AppendUint64(b, uint64(r.At.Unix()))
	return binary.BigEndian.AppendUint32(b, uint32(r.At.Nanosecond()))
}

// Sign fills r's Device, Human and Sig: device dev of human signs r as it
// stands (op, change, kind, value, time).
func Sign(priv ed25519.PrivateKey, dev, human string, r Request) Request {
	r.Device, r.Human = dev, human
	r.Sig = ed25519.Sign(priv, signed(r))
	return r
}

// Verify checks r's signature against the registry: the device is
// registered to the human the request names, and signed exactly r.
func Verify(reg *approval.Registry, r Request) error {
	d, ok := reg.Lookup(r.Device)
	switch {
	case !ok:
		return fmt.Errorf("governance: unknown device %q", r.Device)
	case d.Human != r.Human:
		return fmt.Errorf("governance: device %s belongs to %s, not %s", r.Device, d.Human, r.Human)
	case !ed25519.Verify(d.PublicKey, signed(r), r.Sig):
		return fmt.Errorf("governance: bad signature by device %s", r.Device)
	}
	return nil
}

// Encode frames a governance message.
func Encode(t env.MsgType, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("governance: encode: %v", err))
	}
	return env.Encode(t, b)
}

// Decode parses a framed governance message of type t into v.
func Decode(payload []byte, t env.MsgType, v any) bool {
	got, body, err := env.Decode(payload)
	if err != nil || got != t {
		return false
	}
	return json.Unmarshal(body, v) == nil
}
