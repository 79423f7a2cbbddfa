package mpc

import (
	"bytes"
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
)

func TestDefaultTestData(t *testing.T) {
	all, err := LoadDefaultShares()
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != 3+5+3+5 {
		t.Fatalf("%d default shares", len(all))
	}
	for _, c := range DefaultCommittees() {
		shares := loadKey(t, c.Key)
		wantLen := 33
		if c.Algo == EdDSA {
			wantLen = 32
		}
		if len(shares[0].PublicKey) != wantLen {
			t.Errorf("%s: public key of %d bytes", c, len(shares[0].PublicKey))
		}
		for _, s := range shares {
			b, err := MarshalShare(s)
			if err != nil {
				t.Fatal(err)
			}
			s2, err := UnmarshalShare(b)
			if err != nil {
				t.Fatal(err)
			}
			b2, _ := MarshalShare(s2)
			if !bytes.Equal(b, b2) {
				t.Fatalf("%s/%s: marshal is not deterministic", c.Key, s.Party)
			}
		}
	}
	pool, err := LoadDefaultPool()
	if err != nil {
		t.Fatal(err)
	}
	want := append(HotParties(), ColdParties()...)
	if fmt.Sprint(pool.Parties()) != fmt.Sprint(sortedParties(want)) {
		t.Fatalf("pool parties %v", pool.Parties())
	}
	b, _ := MarshalPool(pool)
	p2, err := UnmarshalPool(b)
	if err != nil {
		t.Fatal(err)
	}
	b2, _ := MarshalPool(p2)
	if !bytes.Equal(b, b2) {
		t.Fatal("pool marshal is not deterministic")
	}
	if _, err := pool.For("signer-nobody"); !errors.Is(err, ErrNoPreParams) {
		t.Fatalf("For(unknown): %v", err)
	}
	// Each ECDSA share embeds its owner's pool slot.
	for _, key := range []KeyID{KeyHot, KeyCold} {
		for _, s := range loadKey(t, key) {
			pre, err := pool.For(s.Party)
			if err != nil {
				t.Fatal(err)
			}
			if s.ecdsa.NTildei.Cmp(pre.params.NTildei) != 0 {
				t.Errorf("%s/%s was not made from its pool slot", key, s.Party)
			}
		}
	}
}

func sortedParties(ps []PartyID) []PartyID {
	out := append([]PartyID(nil), ps...)
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// A share never reaches text: every fmt verb prints the redacted form.
func TestShareRedaction(t *testing.T) {
	for _, key := range []KeyID{KeyHot, KeyHotEd} {
		s := loadKey(t, key)[0]
		var secret string
		if s.ecdsa != nil {
			secret = s.ecdsa.Xi.String()
		} else {
			secret = s.eddsa.Xi.String()
		}
		for _, f := range []string{"%v", "%+v", "%#v", "%s", "%q", "%x"} {
			out := fmt.Sprintf(f, s)
			if strings.Contains(out, secret) || !strings.Contains(out, "REDACTED") {
				t.Fatalf("%s with %s: %q", key, f, out)
			}
		}
		if out := fmt.Sprintf("%+v", struct{ S *KeyShare }{s}); strings.Contains(out, secret) {
			t.Fatalf("nested share printed its secret")
		}
		pool, _ := LoadDefaultPool()
		pre, _ := pool.For("signer-hot-1")
		if out := fmt.Sprintf("%+v %#v", pre, pre); strings.Contains(out, pre.params.P.String()) {
			t.Fatal("pre-parameters printed their secret")
		}
	}
}

// A share whose secret no longer matches its commitment is refused, and the
// error does not quote it.
func TestUnmarshalShareRejectsTampering(t *testing.T) {
	s := loadKey(t, KeyHotEd)[0]
	b, _ := MarshalShare(s)
	secret := s.eddsa.Xi.String()
	bad := bytes.Replace(b, []byte(secret), []byte(secret[:len(secret)-1]+string('0'+(secret[len(secret)-1]-'0'+1)%10)), 1)
	if bytes.Equal(bad, b) {
		t.Fatal("tamper did not apply")
	}
	_, err := UnmarshalShare(bad)
	if !errors.Is(err, ErrBadRequest) || strings.Contains(err.Error(), secret[:20]) {
		t.Fatalf("tampered share: %v", err)
	}
	for _, junk := range [][]byte{nil, []byte("{}"), []byte(`{"version":1}`), b[:len(b)/2]} {
		if _, err := UnmarshalShare(junk); err == nil {
			t.Fatalf("junk %q decoded", junk)
		}
	}
}

func TestKeygenRefusesWithoutPreParams(t *testing.T) {
	c, _ := DefaultCommittee(KeyHot)
	id := SessionID{Key: KeyHot, Parties: c.Parties}
	_, err := NewKeygen(KeygenRequest{ID: id, Committee: c, Self: c.Parties[0]})
	if !errors.Is(err, ErrNoPreParams) {
		t.Fatalf("ECDSA keygen without pre-params: %v", err)
	}
	_, err = NewKeygen(KeygenRequest{ID: id, Committee: c, Self: c.Parties[0], PreParams: &PreParams{Party: c.Parties[0]}})
	if !errors.Is(err, ErrNoPreParams) {
		t.Fatalf("ECDSA keygen with empty pre-params: %v", err)
	}
	// A keygen session needs the whole committee.
	pool, _ := LoadDefaultPool()
	pre, _ := pool.For(c.Parties[0])
	_, err = NewKeygen(KeygenRequest{ID: SessionID{Key: KeyHot, Parties: c.Parties[:2]}, Committee: c, Self: c.Parties[0], PreParams: pre})
	if !errors.Is(err, ErrBadRequest) {
		t.Fatalf("partial keygen: %v", err)
	}
}

func runKeygen(t *testing.T, c Committee, pool *Pool, seed string) []*KeyShare {
	t.Helper()
	id := SessionID{Key: c.Key, Parties: c.Parties}
	var members []Member
	var kgs []*Keygen
	for _, p := range c.Parties {
		req := KeygenRequest{ID: id, Committee: c, Self: p}
		if c.Algo == ECDSA {
			pre, err := pool.For(p)
			if err != nil {
				t.Fatal(err)
			}
			req.PreParams = pre
		}
		kg, err := NewKeygen(req)
		if err != nil {
			t.Fatal(err)
		}
		kgs = append(kgs, kg)
		members = append(members, Member{ID: p, Proto: kg, Rand: testRand(seed + "/" + string(p))})
	}
	if err := RunLocal(members, LocalOptions{}); err != nil {
		t.Fatal(err)
	}
	var out []*KeyShare
	for _, kg := range kgs {
		s, ok := kg.Done()
		if !ok {
			t.Fatal("keygen did not finish")
		}
		out = append(out, s)
	}
	return out
}

// EdDSA keygen is cheap: run a fresh ceremony, check it is reproducible,
// and sign with the new key.
func TestKeygenEdDSA(t *testing.T) {
	c := Committee{Key: "fresh-ed", Algo: EdDSA, K: 2, Parties: HotParties()}
	a := runKeygen(t, c, nil, "kg-ed")
	b := runKeygen(t, c, nil, "kg-ed")
	for i := range a {
		ba, _ := MarshalShare(a[i])
		bb, _ := MarshalShare(b[i])
		if !bytes.Equal(ba, bb) {
			t.Fatalf("same seed, different share for %s", a[i].Party)
		}
		if !bytes.Equal(a[i].PublicKey, a[0].PublicKey) {
			t.Fatal("parties disagree on the public key")
		}
	}
	id := SessionID{Key: c.Key, Parties: c.Parties[1:]}
	d := digestOf("fresh")
	sig := runSign(t, NewTSS(), a, id, id.Parties, d, "fresh", LocalOptions{}).sig(t)
	verifyEd25519(t, a[0].PublicKey, d, sig)
}

// ECDSA keygen from the pool: a fresh ceremony for the hot signers makes a
// new key that signs and verifies (about 9 s; skipped with -short).
func TestKeygenECDSAFromPool(t *testing.T) {
	if testing.Short() {
		t.Skip("ECDSA keygen takes about 9 s")
	}
	pool, err := LoadDefaultPool()
	if err != nil {
		t.Fatal(err)
	}
	c := Committee{Key: "fresh", Algo: ECDSA, K: 2, Parties: HotParties()}
	shares := runKeygen(t, c, pool, "kg-ecdsa")
	old := loadKey(t, KeyHot)
	if bytes.Equal(shares[0].PublicKey, old[0].PublicKey) {
		t.Fatal("a fresh ceremony produced the test data's key")
	}
	id := SessionID{Key: c.Key, Parties: []PartyID{"signer-hot-1", "signer-hot-3"}}
	d := digestOf("fresh ecdsa")
	sig := runSign(t, NewTSS(), shares, id, id.Parties, d, "fresh-ecdsa", LocalOptions{}).sig(t)
	verifyBtcec(t, shares[0].PublicKey, d, sig)
}

func TestSecretFingerprintsFindTheMarshalledShare(t *testing.T) {
	shares, err := LoadDefaultKey(KeyHot)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range shares {
		b, err := MarshalShare(s)
		if err != nil {
			t.Fatal(err)
		}
		fps := s.SecretFingerprints()
		if len(fps) != 2 || len(fps[0]) < 16 {
			t.Fatalf("%s: fingerprints %d", s.Party, len(fps))
		}
		if !bytes.Contains(b, fps[1]) {
			t.Fatalf("%s: the marshalled share does not contain the decimal secret", s.Party)
		}
		for _, o := range shares {
			if o.Party != s.Party && bytes.Contains(b, o.SecretFingerprints()[1]) {
				t.Fatalf("%s's bytes contain %s's secret", s.Party, o.Party)
			}
		}
	}
}
