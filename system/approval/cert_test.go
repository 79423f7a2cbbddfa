package approval

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"testing"
	"time"
)

func govKeys(name string) (ed25519.PrivateKey, ed25519.PublicKey) {
	h := sha256.Sum256([]byte(name))
	priv := ed25519.NewKeyFromSeed(h[:])
	return priv, priv.Public().(ed25519.PublicKey)
}

func certPolicy() Policy {
	return Policy{Version: "v1", Tiers: []Tier{
		{Name: "small", Wallet: "hot", AmountMax: 10, Approvers: 1, Expiry: time.Hour},
		{Name: "large", Wallet: "hot", AmountMax: 0, Approvers: 3, Expiry: time.Hour},
	}}
}

// A chain of certified quorum changes yields the policy the wallets
// derived, version and tiers; anything else is refused.
func TestPolicyFrom(t *testing.T) {
	priv, pub := govKeys("gov")
	other, _ := govKeys("not-gov")
	a := Certify(priv, ChangeCert{Change: "q1", Kind: ChangeQuorum, Value: "small=2", Seq: 2})
	b := Certify(priv, ChangeCert{Change: "q2", Kind: ChangeQuorum, Value: "large=4", Seq: 5, Prev: 2})
	p, last, err := PolicyFrom(certPolicy(), pub, []ChangeCert{a, b})
	if err != nil || last != 5 || p.Version != "v1+q1+q2" || p.Tiers[0].Approvers != 2 || p.Tiers[1].Approvers != 4 {
		t.Fatalf("PolicyFrom = %+v, %d, %v", p, last, err)
	}
	if p, last, err := PolicyFrom(certPolicy(), pub, nil); err != nil || last != 0 || p.Version != "v1" {
		t.Fatalf("no changes: %+v, %d, %v", p, last, err)
	}
	tampered := a
	tampered.Value = "small=1"
	limit := Certify(priv, ChangeCert{Change: "l1", Kind: ChangeLimit, Value: "5", Seq: 3})
	for name, chain := range map[string][]ChangeCert{
		"value altered after signing": {tampered},
		"signed by another key":       {Certify(other, ChangeCert{Change: "q1", Kind: ChangeQuorum, Value: "small=2", Seq: 2})},
		"unsigned":                    {{Change: "q1", Kind: ChangeQuorum, Value: "small=2", Seq: 2}},
		"not a quorum change":         {limit},
		"out of order":                {b, a},
		"the same change twice":       {a, a},
		"the first one left out":      {b},
		"a prev that is not 0 first":  {Certify(priv, ChangeCert{Change: "q4", Kind: ChangeQuorum, Value: "small=2", Seq: 3, Prev: 1})},
		"prev re-signed by a forger":  {a, Certify(other, ChangeCert{Change: "q2", Kind: ChangeQuorum, Value: "large=4", Seq: 5, Prev: 2})},
		"an invalid tier change":      {Certify(priv, ChangeCert{Change: "q3", Kind: ChangeQuorum, Value: "small=9", Seq: 7})},
	} { // determinism: allowed (independent cases)
		if _, _, err := PolicyFrom(certPolicy(), pub, chain); !errors.Is(err, ErrBadPolicy) {
			t.Errorf("%s: err %v, want ErrBadPolicy", name, err)
		}
	}
}
