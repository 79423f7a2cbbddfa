package mpc

import (
	"crypto/ed25519"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	btcecdsa "github.com/btcsuite/btcd/btcec/v2/ecdsa"
)

// testRand is a seeded reader for one party of one attempt, named like the
// seed tree names streams (the tests do not import sim: system never does).
func testRand(name string) io.Reader {
	return rand.NewChaCha8(sha256.Sum256([]byte("mpc-test/" + name)))
}

func digestOf(s string) []byte {
	d := sha256.Sum256([]byte(s))
	return d[:]
}

func loadKey(t testing.TB, key KeyID) []*KeyShare {
	t.Helper()
	shares, err := LoadDefaultKey(key)
	if err != nil {
		t.Fatalf("load %s: %v", key, err)
	}
	return shares
}

func shareOf(shares []*KeyShare, p PartyID) *KeyShare {
	for _, s := range shares {
		if s.Party == p {
			return s
		}
	}
	return nil
}

// signRun is one signing attempt with every listed party in process.
type signRun struct {
	sessions []Session
	err      error
}

func (r signRun) sig(t testing.TB) []byte {
	t.Helper()
	if r.err != nil {
		t.Fatalf("signing failed: %v", r.err)
	}
	var first []byte
	for i, s := range r.sessions {
		sig, ok := s.Done()
		if !ok {
			t.Fatalf("party %d produced no signature", i)
		}
		if i == 0 {
			first = sig
		} else if string(sig) != string(first) {
			t.Fatalf("parties disagree on the signature: %x vs %x", first, sig)
		}
	}
	return first
}

func (r signRun) traces() []Sent {
	var all []Sent
	for _, s := range r.sessions {
		all = append(all, s.Trace()...)
	}
	return all
}

// runSign builds one session per party in running (a subset of id.Parties
// may run, to model absent parties) and runs them with RunLocal.
func runSign(t testing.TB, e Engine, shares []*KeyShare, id SessionID, running []PartyID, digest []byte, seed string, opt LocalOptions) signRun {
	t.Helper()
	var r signRun
	var members []Member
	for _, p := range running {
		s, err := e.NewSession(SignRequest{ID: id, Self: p, Digest: digest, Share: shareOf(shares, p)})
		if err != nil {
			t.Fatalf("new session for %s: %v", p, err)
		}
		r.sessions = append(r.sessions, s)
		members = append(members, Member{ID: p, Proto: s, Rand: testRand(seed + "/" + string(p))})
	}
	r.err = RunLocal(members, opt)
	return r
}

// verifyBtcec checks an ECDSA signature with btcec directly (not through
// Verify, so the package does not grade its own homework).
func verifyBtcec(t testing.TB, pub, digest, sig []byte) {
	t.Helper()
	if len(sig) != 65 {
		t.Fatalf("ECDSA signature of %d bytes, want 65", len(sig))
	}
	pk, err := btcec.ParsePubKey(pub)
	if err != nil {
		t.Fatalf("parse pub: %v", err)
	}
	var r, s btcec.ModNScalar
	r.SetByteSlice(sig[:32])
	s.SetByteSlice(sig[32:64])
	if !btcecdsa.NewSignature(&r, &s).Verify(digest, pk) {
		t.Fatalf("btcec rejects the signature")
	}
	if s.IsOverHalfOrder() {
		t.Fatalf("signature is high-S")
	}
	// The recovery byte recovers the same key (compact header 27 + 4 + v).
	compact := append([]byte{27 + 4 + sig[64]}, sig[:64]...)
	rec, compressed, err := btcecdsa.RecoverCompact(compact, digest)
	if err != nil || !compressed || !rec.IsEqual(pk) {
		t.Fatalf("recovery byte %d does not recover the key (err %v)", sig[64], err)
	}
}

func verifyEd25519(t testing.TB, pub, digest, sig []byte) {
	t.Helper()
	if len(pub) != ed25519.PublicKeySize || !ed25519.Verify(ed25519.PublicKey(pub), digest, sig) {
		t.Fatalf("crypto/ed25519 rejects the signature")
	}
}

func verifyAny(t testing.TB, a Algo, pub, digest, sig []byte) {
	t.Helper()
	if a == ECDSA {
		verifyBtcec(t, pub, digest, sig)
	} else {
		verifyEd25519(t, pub, digest, sig)
	}
	if !Verify(a, pub, digest, sig) {
		t.Fatalf("mpc.Verify disagrees with the reference library")
	}
}
