package mpc

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"

	"github.com/bnb-chain/tss-lib/v2/crypto"
	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	eddsakeygen "github.com/bnb-chain/tss-lib/v2/eddsa/keygen"
	"github.com/bnb-chain/tss-lib/v2/tss"
)

// KeyShare is one party's share of a committee key: tss-lib's save data
// plus what the custody system needs to know about it. The secret part is
// unexported and never printed: String and Format show only the public
// identity, so a share can not reach a log or an error by accident. The
// only way to its bytes is MarshalShare, whose output the signer hands to
// its HSM to seal (INV-SEALED).
type KeyShare struct {
	Key       KeyID
	Algo      Algo
	Party     PartyID   // whose share this is
	Parties   []PartyID // the committee, sorted
	K         int       // signers needed
	PublicKey []byte    // ECDSA: 33-byte compressed secp256k1; EdDSA: 32-byte ed25519

	ecdsa *ecdsakeygen.LocalPartySaveData
	eddsa *eddsakeygen.LocalPartySaveData
}

// N is the committee size.
func (s *KeyShare) N() int { return len(s.Parties) }

// Committee returns the key's committee.
func (s *KeyShare) Committee() Committee {
	return Committee{Key: s.Key, Algo: s.Algo, K: s.K, Parties: append([]PartyID(nil), s.Parties...)}
}

func (s *KeyShare) String() string {
	if s == nil {
		return "mpc.KeyShare(nil)"
	}
	return fmt.Sprintf("mpc.KeyShare{%s %s %d-of-%d party=%s pub=%x secret=REDACTED}",
		s.Key, s.Algo, s.K, len(s.Parties), s.Party, s.PublicKey)
}

// Format makes every fmt verb (%v, %+v, %#v, %s, ...) print String.
func (s *KeyShare) Format(f fmt.State, verb rune) { fmt.Fprint(f, s.String()) }

// shareVersion is the MarshalShare format version.
const shareVersion = 1

type shareWire struct {
	Version   int                             `json:"version"`
	Key       KeyID                           `json:"key"`
	Algo      Algo                            `json:"algo"`
	Party     PartyID                         `json:"party"`
	Parties   []PartyID                       `json:"parties"`
	K         int                             `json:"k"`
	PublicKey string                          `json:"public_key"`
	ECDSA     *ecdsakeygen.LocalPartySaveData `json:"ecdsa,omitempty"`
	EdDSA     *eddsakeygen.LocalPartySaveData `json:"eddsa,omitempty"`
}

// MarshalShare encodes a share, secret included, as deterministic JSON.
// Treat the bytes as the secret they are: seal them, never log them.
func MarshalShare(s *KeyShare) ([]byte, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: nil share", ErrBadRequest)
	}
	w := shareWire{
		Version: shareVersion, Key: s.Key, Algo: s.Algo, Party: s.Party, Parties: s.Parties,
		K: s.K, PublicKey: hex.EncodeToString(s.PublicKey), ECDSA: s.ecdsa, EdDSA: s.eddsa,
	}
	b, err := json.Marshal(w)
	if err != nil {
		// The message of a json error can quote a value; do not pass it on.
		return nil, fmt.Errorf("mpc: encoding the share of %s/%s failed", s.Key, s.Party)
	}
	return b, nil
}

// UnmarshalShare decodes and checks a share: its committee, that its save
// data belongs to it, and that its secret matches its public commitment, so
// a corrupted or mismatched share fails here and not in a signing session.
func UnmarshalShare(b []byte) (*KeyShare, error) {
	var w shareWire
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&w); err != nil {
		return nil, fmt.Errorf("%w: share does not decode", ErrBadRequest)
	}
	if w.Version != shareVersion {
		return nil, fmt.Errorf("%w: share version %d", ErrBadRequest, w.Version)
	}
	pub, err := hex.DecodeString(w.PublicKey)
	if err != nil {
		return nil, fmt.Errorf("%w: share public key is not hex", ErrBadRequest)
	}
	s := &KeyShare{Key: w.Key, Algo: w.Algo, Party: w.Party, Parties: w.Parties, K: w.K,
		PublicKey: pub, ecdsa: w.ECDSA, eddsa: w.EdDSA}
	if err := s.check(); err != nil {
		return nil, err
	}
	return s, nil
}

// partyKey is the tss-lib key (the Shamir x-coordinate) of the committee
// member at index i: i+1. Committees are sorted by name, so sorting party
// ids by key keeps the name order.
func partyKey(i int) *big.Int { return big.NewInt(int64(i) + 1) }

// check verifies a share's internal consistency. Its errors never quote
// secret values.
func (s *KeyShare) check() error {
	c := Committee{Key: s.Key, Algo: s.Algo, K: s.K, Parties: s.Parties}
	if err := c.Validate(); err != nil {
		return err
	}
	idx := c.index(s.Party)
	if idx < 0 {
		return fmt.Errorf("%w: share party %q not in its committee", ErrBadRequest, s.Party)
	}
	bad := func(what string) error {
		return fmt.Errorf("%w: share %s/%s: %s", ErrBadRequest, s.Key, s.Party, what)
	}
	var (
		xi, shareID *big.Int
		ks          []*big.Int
		bigXj       []*crypto.ECPoint
		pubPoint    *crypto.ECPoint
	)
	switch s.Algo {
	case ECDSA:
		if s.ecdsa == nil || s.eddsa != nil {
			return bad("save data does not match the algo")
		}
		d := s.ecdsa
		xi, shareID, ks, bigXj, pubPoint = d.Xi, d.ShareID, d.Ks, d.BigXj, d.ECDSAPub
		if !d.LocalPreParams.ValidateWithProof() {
			return bad("incomplete Paillier pre-parameters")
		}
		n := c.N()
		if len(d.NTildej) != n || len(d.H1j) != n || len(d.H2j) != n || len(d.PaillierPKs) != n {
			return bad("per-party parameters do not match the committee size")
		}
		for j := 0; j < n; j++ {
			if d.NTildej[j] == nil || d.H1j[j] == nil || d.H2j[j] == nil || d.PaillierPKs[j] == nil || d.PaillierPKs[j].N == nil {
				return bad("missing per-party parameters")
			}
		}
	case EdDSA:
		if s.eddsa == nil || s.ecdsa != nil {
			return bad("save data does not match the algo")
		}
		d := s.eddsa
		xi, shareID, ks, bigXj, pubPoint = d.Xi, d.ShareID, d.Ks, d.BigXj, d.EDDSAPub
	}
	curve := curveOf(s.Algo)
	if len(ks) != c.N() || len(bigXj) != c.N() {
		return bad("save data does not match the committee size")
	}
	for j := range ks {
		if ks[j] == nil || ks[j].Cmp(partyKey(j)) != 0 || bigXj[j] == nil || !tss.SameCurve(bigXj[j].Curve(), curve) {
			return bad("save data does not match the committee")
		}
	}
	if shareID == nil || shareID.Cmp(partyKey(idx)) != 0 {
		return bad("share id does not match the party")
	}
	order := curve.Params().N
	if xi == nil || xi.Sign() <= 0 || xi.Cmp(order) >= 0 {
		return bad("secret out of range")
	}
	if !crypto.ScalarBaseMult(curve, xi).Equals(bigXj[idx]) {
		return bad("secret does not match its public commitment")
	}
	if pubPoint == nil || !tss.SameCurve(pubPoint.Curve(), curve) {
		return bad("missing public key")
	}
	if !bytes.Equal(encodePub(s.Algo, pubPoint), s.PublicKey) {
		return bad("public key does not match the save data")
	}
	return nil
}
