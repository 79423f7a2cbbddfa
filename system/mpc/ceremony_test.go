package mpc

import (
	"bytes"
	"errors"
	"strings"
	"testing"
)

// runCeremony runs every committee member's ceremony of one engine in
// memory and returns the shares and the traces.
func runCeremony(t *testing.T, e KeygenEngine, c Committee, pool *Pool, seed string, opt LocalOptions) ([]*KeyShare, []Sent, error) {
	t.Helper()
	id := SessionID{Key: c.Key, Session: 7, Attempt: 1, Parties: c.Parties}
	var members []Member
	var cs []Ceremony
	for _, p := range c.Parties {
		req := KeygenRequest{ID: id, Committee: c, Self: p}
		if c.Algo == ECDSA && pool != nil {
			pre, err := pool.For(p)
			if err != nil {
				t.Fatal(err)
			}
			req.PreParams = pre
		}
		kg, err := e.NewKeygen(req)
		if err != nil {
			return nil, nil, err
		}
		cs = append(cs, kg)
		members = append(members, Member{ID: p, Proto: kg, Rand: testRand(seed + "/" + string(p))})
	}
	err := RunLocal(members, opt)
	var shares []*KeyShare
	var trace []Sent
	for _, kg := range cs {
		trace = append(trace, kg.Trace()...)
		if s, ok := kg.Done(); ok {
			shares = append(shares, s)
		}
	}
	return shares, trace, err
}

// The ideal ceremony sends what tss-lib's sends (EdDSA here; the ECDSA
// shape is checked against the wire table below, since a real ECDSA
// ceremony costs seconds).
func TestCeremonyTraceTSSMatchesIdeal(t *testing.T) {
	for _, parties := range [][]PartyID{HotParties(), ColdParties()} {
		c := Committee{Key: "ceremony-ed", Algo: EdDSA, K: 2, Parties: parties}
		real, rt, err := runCeremony(t, NewTSS(), c, nil, "trace", LocalOptions{})
		if err != nil || len(real) != len(parties) {
			t.Fatalf("tss ceremony: %v (%d shares)", err, len(real))
		}
		ideal, it, err := runCeremony(t, NewIdeal(5), c, nil, "trace", LocalOptions{})
		if err != nil || len(ideal) != len(parties) {
			t.Fatalf("ideal ceremony: %v (%d shares)", err, len(ideal))
		}
		a, b := canonical(rt), canonical(it)
		if strings.Join(a, "\n") != strings.Join(b, "\n") {
			t.Fatalf("%d parties: traces differ\ntss:\n%s\nideal:\n%s", len(parties), strings.Join(a, "\n"), strings.Join(b, "\n"))
		}
	}
}

// The keygen shape agrees with the tss wire table, message type by type.
func TestKeygenShapeMatchesWireTable(t *testing.T) {
	for _, tc := range []struct {
		algo Algo
		tbl  wireTable
	}{{ECDSA, ecdsaKeygenTable}, {EdDSA, eddsaKeygenTable}} {
		shape := keygenShape(tc.algo)
		got := make([]roundShape, len(shape))
		for _, spec := range tc.tbl { // determinism: allowed (folded into a per-round set)
			for len(got) < spec.round {
				got = append(got, roundShape{})
			}
			if spec.broadcast {
				got[spec.round-1].bcast = true
			} else {
				got[spec.round-1].p2p = true
			}
		}
		for i := range shape {
			if got[i] != shape[i] {
				t.Fatalf("%s round %d: table %+v, shape %+v", tc.algo, i+1, got[i], shape[i])
			}
		}
	}
}

// The ideal ceremony hands the key to the functionality: every party learns
// the same public key, the shares carry no secret, and the new key signs.
func TestIdealCeremonyThenSign(t *testing.T) {
	pool, err := LoadDefaultPool()
	if err != nil {
		t.Fatal(err)
	}
	e := NewIdeal(9)
	c := Committee{Key: "ceremony-hot", Algo: ECDSA, K: 2, Parties: HotParties()}
	shares, _, err := runCeremony(t, e, c, pool, "ideal", LocalOptions{})
	if err != nil || len(shares) != 3 {
		t.Fatalf("ceremony: %v (%d shares)", err, len(shares))
	}
	for _, s := range shares {
		if s.HasSecret() || !bytes.Equal(s.PublicKey, shares[0].PublicKey) {
			t.Fatalf("share %s: secret %v, pub %x vs %x", s.Party, s.HasSecret(), s.PublicKey, shares[0].PublicKey)
		}
	}
	pub, _ := e.PublicKey(c.Key)
	if !bytes.Equal(pub, shares[0].PublicKey) {
		t.Fatal("the functionality holds another key than the ceremony announced")
	}
	id := SessionID{Key: c.Key, Parties: c.Parties[:2]}
	d := digestOf("after ceremony")
	sig := runSign(t, e, nil, id, id.Parties, d, "after", LocalOptions{}).sig(t)
	verifyBtcec(t, pub, d, sig)
}

// A missing member stalls a ceremony (keygen needs all n), and no party
// ends with a key; an ECDSA ceremony without pooled parameters is refused
// by both engines.
func TestCeremonyNeedsEveryMemberAndThePool(t *testing.T) {
	c := Committee{Key: "ceremony-ed", Algo: EdDSA, K: 2, Parties: HotParties()}
	shares, _, err := runCeremony(t, NewIdeal(1), c, nil, "stall", LocalOptions{Intercept: func(e *Envelope) bool { return e.From != "signer-hot-3" }})
	if err != nil || len(shares) != 0 {
		t.Fatalf("withheld member: err %v, %d shares; want a stall with none", err, len(shares))
	}
	ec := Committee{Key: "ceremony-ec", Algo: ECDSA, K: 2, Parties: HotParties()}
	for _, e := range []KeygenEngine{NewTSS(), NewIdeal(1)} {
		if _, _, err := runCeremony(t, e, ec, nil, "nopool", LocalOptions{}); !errors.Is(err, ErrNoPreParams) {
			t.Fatalf("%T without pool: %v, want ErrNoPreParams", e, err)
		}
	}
}
