package approval

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Device is one approver device: its id, the human who holds it, and the
// public half of the key it signs approvals with.
type Device struct {
	ID        string
	Human     string
	PublicKey ed25519.PublicKey
}

// Registry is the set of registered approver devices. A device belongs to
// exactly one human, and one key is one device: two ids sharing a key would
// let one physical device count twice.
type Registry struct {
	byID map[string]Device // looked up, never ranged over
	devs []Device          // sorted by ID
}

// NewRegistry checks and indexes the devices: each needs an id, a human and
// an ed25519 public key; ids and keys are unique.
func NewRegistry(devs []Device) (*Registry, error) {
	r := &Registry{byID: make(map[string]Device, len(devs))}
	keys := make(map[string]string, len(devs)) // key -> device id
	for _, d := range devs {
		switch {
		case d.ID == "" || d.Human == "":
			return nil, fmt.Errorf("%w: device %q: a device needs an id and a human", ErrRegistry, d.ID)
		case len(d.PublicKey) != ed25519.PublicKeySize:
			return nil, fmt.Errorf("%w: device %s: public key of %d bytes, want %d", ErrRegistry, d.ID, len(d.PublicKey), ed25519.PublicKeySize)
		}
		if _, dup := r.byID[d.ID]; dup {
			return nil, fmt.Errorf("%w: device %s listed twice", ErrRegistry, d.ID)
		}
		if other, dup := keys[string(d.PublicKey)]; dup {
			return nil, fmt.Errorf("%w: devices %s and %s share one key", ErrRegistry, other, d.ID)
		}
		d.PublicKey = bytes.Clone(d.PublicKey)
		r.byID[d.ID] = d
		keys[string(d.PublicKey)] = d.ID
		r.devs = append(r.devs, d)
	}
	slices.SortFunc(r.devs, func(a, b Device) int { return strings.Compare(a.ID, b.ID) })
	return r, nil
}

// Lookup returns a registered device. A nil registry knows no device.
func (r *Registry) Lookup(id string) (Device, bool) {
	if r == nil {
		return Device{}, false
	}
	d, ok := r.byID[id]
	return d, ok
}

// Devices returns the registered devices sorted by id (copies).
func (r *Registry) Devices() []Device {
	if r == nil {
		return nil
	}
	out := make([]Device, len(r.devs))
	for i, d := range r.devs {
		d.PublicKey = bytes.Clone(d.PublicKey)
		out[i] = d
	}
	return out
}

// Subject is what one approval approves: one exact withdrawal. Digest is
// the intent digest (IntentDigest), so an approval of one destination or
// amount approves no other; the other fields bind it to one withdrawal id,
// wallet, initiator and policy version.
type Subject struct {
	Withdrawal    string   `json:"withdrawal"`
	Wallet        string   `json:"wallet"`
	Amount        int64    `json:"amount"`
	Digest        [32]byte `json:"digest"`
	Initiator     string   `json:"initiator"`
	PolicyVersion string   `json:"policy_version"`
}

// Approval is one device-signed approval. Device, Human and At are claims
// that the signature covers; the Subject is not carried, the verifier
// supplies it from what it is about to authorize.
type Approval struct {
	Device string    `json:"device"`
	Human  string    `json:"human"`
	At     time.Time `json:"at"`
	Sig    []byte    `json:"sig"`
}

// signDomain opens every signed message, so an approval signature is never
// valid as anything else a device key might sign, and a change of encoding
// changes the domain.
const signDomain = "vaultdrill/approval/v2"

// message is the canonical encoding an approval signs:
//
//	str domain | str Withdrawal | str Wallet | i64 Amount | 32 Digest |
//	str Initiator | str PolicyVersion | str device | str human |
//	i64 unix seconds | u32 nanoseconds
//
// integers big-endian, str = u32 length then bytes. Every variable field is
// length-prefixed, so no two inputs share an encoding; the time is the
// instant (seconds and nanoseconds, not UnixNano, which is undefined
// outside 1678-2262), independent of its location.
func message(s Subject, device, human string, at time.Time) []byte {
	n := len(signDomain) + len(s.Withdrawal) + len(s.Wallet) + len(s.Initiator) + len(s.PolicyVersion) + len(device) + len(human)
	b := make([]byte, 0, n+7*4+8+32+8+4)
	str := func(x string) {
		b = binary.BigEndian.AppendUint32(b, uint32(len(x)))
		b = append(b, x...)
	}
	str(signDomain)
	str(s.Withdrawal)
	str(s.Wallet)
	b = binary.BigEndian.AppendUint64(b, uint64(s.Amount))
	b = append(b, s.Digest[:]...)
	str(s.Initiator)
	str(s.PolicyVersion)
	str(device)
	str(human)
	b = binary.BigEndian.AppendUint64(b, uint64(at.Unix()))
	b = binary.BigEndian.AppendUint32(b, uint32(at.Nanosecond()))
	return b
}

// Sign makes the approval of s by device dev of human, given at time at.
// ed25519 signing is deterministic: it reads no randomness.
func Sign(priv ed25519.PrivateKey, dev, human string, s Subject, at time.Time) Approval {
	return Approval{Device: dev, Human: human, At: at, Sig: ed25519.Sign(priv, message(s, dev, human, at))}
}

// Verify reports whether a is a valid signature of s by the key pub. It
// checks the signature only, not the policy (see Check).
func Verify(pub ed25519.PublicKey, s Subject, a Approval) bool {
	return len(pub) == ed25519.PublicKeySize && ed25519.Verify(pub, message(s, a.Device, a.Human, a.At), a.Sig)
}
