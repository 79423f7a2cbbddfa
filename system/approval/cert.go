package approval

import (
	"crypto/ed25519"
	"encoding/binary"
	"fmt"
)

// Changes in effect travel as certificates: the governance node signs each
// change that took effect, with its place in the order changes took effect
// (Seq, from 1). A wallet applies them in that order and hands the
// quorum changes it applied to the signers with every withdrawal it asks
// them to sign; a signer derives the policy from its genesis policy and
// those certificates (PolicyFrom), so it checks approvals under the same
// policy version the approvers signed, without a channel of its own to
// the governance node (the cold signers have none: they are air-gapped).

// ChangeCert is one change in effect, certified.
type ChangeCert struct {
	Change string     `json:"change"`
	Kind   ChangeKind `json:"kind"`
	Value  string     `json:"value"`
	Seq    int        `json:"seq"`
	// Prev is the Seq of the quorum change in effect before this one (0:
	// none): quorum certificates chain, so none can be left out of the
	// middle of what a wallet shows a signer.
	Prev int    `json:"prev"`
	Sig  []byte `json:"sig,omitempty"`
}

// certDomain opens what a certificate signs, so its signature is nothing
// else's.
const certDomain = "vaultdrill/policy-effective/v1"

// certBytes: str domain | str change | str kind | str value | u64 seq |
// u64 prev (str = u32 big-endian length, then the bytes).
func (c ChangeCert) certBytes() []byte {
	var b []byte
	for _, s := range []string{certDomain, c.Change, string(c.Kind), c.Value} {
		b = binary.BigEndian.AppendUint32(b, uint32(len(s)))
		b = append(b, s...)
	}
	b = binary.BigEndian.AppendUint64(b, uint64(c.Seq))
	return binary.BigEndian.AppendUint64(b, uint64(c.Prev))
}

// Certify signs c with the governance node's key.
func Certify(priv ed25519.PrivateKey, c ChangeCert) ChangeCert {
	c.Sig = ed25519.Sign(priv, c.certBytes())
	return c
}

// Verify reports whether c carries the governance key's signature.
func (c ChangeCert) Verify(pub ed25519.PublicKey) bool {
	return len(pub) == ed25519.PublicKeySize && len(c.Sig) == ed25519.SignatureSize && ed25519.Verify(pub, c.certBytes(), c.Sig)
}

// PolicyFrom derives the withdrawal policy from base and a chain of
// certified quorum changes: each must verify under gov, be a quorum
// change, and name the one before it as Prev (the first names 0), so no
// change is left out of the middle. last is the Seq of the chain's last
// certificate (0 for none): a signer that has verified a chain up to some
// Seq refuses a shorter one later, so a wallet cannot hand it an older,
// weaker policy by leaving the latest changes off either.
func PolicyFrom(base Policy, gov ed25519.PublicKey, certs []ChangeCert) (p Policy, last int, err error) {
	p = base
	for _, c := range certs {
		switch {
		case !c.Verify(gov):
			return base, 0, fmt.Errorf("%w: policy change %s is not certified by the governance key", ErrBadPolicy, c.Change)
		case c.Kind != ChangeQuorum:
			return base, 0, fmt.Errorf("%w: policy change %s is a %s change, not a quorum change", ErrBadPolicy, c.Change, c.Kind)
		case c.Prev != last || c.Seq <= last:
			return base, 0, fmt.Errorf("%w: policy change %s (seq %d) follows seq %d, not %d: a change left out or out of order", ErrBadPolicy, c.Change, c.Seq, c.Prev, last)
		}
		if p, err = ApplyQuorum(p, Change{ID: c.Change, Kind: c.Kind, Value: c.Value}); err != nil {
			return base, 0, err
		}
		last = c.Seq
	}
	return p, last, nil
}
