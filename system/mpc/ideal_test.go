package mpc

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"testing"
)

func TestIdealSignaturesVerify(t *testing.T) {
	e := NewIdealDefault(42)
	for _, c := range DefaultCommittees() {
		for _, sub := range [][]PartyID{c.Parties[:c.K], c.Parties[c.N()-c.K:], c.Parties} {
			name := fmt.Sprintf("%s/%v", c.Key, sub)
			id := SessionID{Key: c.Key, Session: 11, Parties: sub}
			d := digestOf(name)
			sig := runSign(t, e, nil, id, sub, d, name, LocalOptions{}).sig(t)
			pub, _ := e.PublicKey(c.Key)
			verifyAny(t, c.Algo, pub, d, sig)
		}
	}
	// Keys derive from the seed: same seed same key, another seed another.
	a, _ := NewIdealDefault(42).PublicKey(KeyHot)
	b, _ := e.PublicKey(KeyHot)
	c, _ := NewIdealDefault(43).PublicKey(KeyHot)
	if string(a) != string(b) || string(a) == string(c) {
		t.Fatal("ideal keys are not a function of the seed")
	}
	if len(a) != 33 {
		t.Fatalf("ideal ECDSA public key of %d bytes", len(a))
	}
}

func TestIdealReleasesNothingWithoutK(t *testing.T) {
	e := NewIdealDefault(1)
	c, _ := DefaultCommittee(KeyCold)
	// k-1 declared parties: refused.
	_, err := e.NewSession(SignRequest{ID: SessionID{Key: KeyCold, Parties: c.Parties[:c.K-1]}, Self: c.Parties[0], Digest: digestOf("x")})
	if !errors.Is(err, ErrTooFewParties) {
		t.Fatalf("k-1 parties: %v", err)
	}
	// k declared, k-1 running: stalls, no signature.
	id := SessionID{Key: KeyCold, Parties: c.Parties[:c.K]}
	r := runSign(t, e, nil, id, c.Parties[:c.K-1], digestOf("x"), "ideal-stall", LocalOptions{})
	if r.err != nil {
		t.Fatal(r.err)
	}
	for _, s := range r.sessions {
		if _, ok := s.Done(); ok {
			t.Fatal("ideal released a signature with k-1 parties")
		}
	}
}

func TestIdealDifferentDigests(t *testing.T) {
	e := NewIdealDefault(1)
	c, _ := DefaultCommittee(KeyHot)
	id := SessionID{Key: KeyHot, Parties: c.Parties[:2]}
	var members []Member
	var sessions []Session
	for i, p := range id.Parties {
		s, err := e.NewSession(SignRequest{ID: id, Self: p, Digest: digestOf(fmt.Sprint("digest ", i))})
		if err != nil {
			t.Fatal(err)
		}
		sessions = append(sessions, s)
		members = append(members, Member{ID: p, Proto: s})
	}
	err := RunLocal(members, LocalOptions{})
	b, ok := BlameOf(err)
	if !ok || b.Attributable {
		t.Fatalf("different digests: %v (blame %v), want a non-attributable fault", err, b)
	}
	for _, s := range sessions {
		if _, ok := s.Done(); ok {
			t.Fatal("a signature for mismatched digests")
		}
	}
}

// A party that forges its approval (or replays one from another session)
// is named, attributably: the functionality verified it.
func TestIdealForgedApproval(t *testing.T) {
	e := NewIdealDefault(1)
	c, _ := DefaultCommittee(KeyHotEd)
	id := SessionID{Key: KeyHotEd, Parties: c.Parties[:2]}
	r := runSign(t, e, nil, id, id.Parties, digestOf("forge"), "forge", LocalOptions{Intercept: func(env *Envelope) bool {
		if env.From == id.Parties[1] && env.Round == 3 {
			p := append([]byte(nil), env.Payload...)
			p[idealMsgSize-1] ^= 1
			env.Payload = p
		}
		return true
	}})
	checkFault(t, r, id.Parties[0], id.Parties[1], true)
}

// The ideal engine sends what tss-lib sends: per round, the same senders,
// receivers and fan-out.
func TestTraceTSSMatchesIdeal(t *testing.T) {
	cases := []struct {
		key     KeyID
		parties []PartyID
	}{
		{KeyHot, HotParties()[:2]},
		{KeyHotEd, HotParties()[:2]},
		{KeyHotEd, HotParties()},
		{KeyColdEd, ColdParties()[1:4]},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%s/%d", tc.key, len(tc.parties)), func(t *testing.T) {
			shares := loadKey(t, tc.key)
			id := SessionID{Key: tc.key, Parties: tc.parties}
			d := digestOf("trace")
			real := runSign(t, NewTSS(), shares, id, tc.parties, d, "trace", LocalOptions{})
			real.sig(t)
			ideal := runSign(t, NewIdealDefault(3), nil, id, tc.parties, d, "trace", LocalOptions{})
			ideal.sig(t)
			rt, it := canonical(real.traces()), canonical(ideal.traces())
			if strings.Join(rt, "\n") != strings.Join(it, "\n") {
				t.Fatalf("traces differ\ntss:\n%s\nideal:\n%s", strings.Join(rt, "\n"), strings.Join(it, "\n"))
			}
			t.Logf("%d messages, per round: %v", len(rt), perRound(real.traces()))
		})
	}
}

// canonical is a trace as sorted lines: the order of sends within a round
// is not part of the comparison, the multiset is.
func canonical(tr []Sent) []string {
	out := make([]string, len(tr))
	for i, s := range tr {
		out[i] = fmt.Sprintf("%02d %s", s.Round, s)
	}
	sort.Strings(out)
	return out
}

func perRound(tr []Sent) []int {
	var n []int
	for _, s := range tr {
		for len(n) < s.Round {
			n = append(n, 0)
		}
		n[s.Round-1]++
	}
	return n
}

// A re-signature must differ, as tss-lib's does: a fresh nonce per session
// attempt, yet the same bytes for the same session (determinism).
func TestIdealECDSASignaturesDifferPerSession(t *testing.T) {
	e := NewIdealDefault(7)
	c, _ := DefaultCommittee(KeyHot)
	pub, _ := e.PublicKey(KeyHot)
	d := digestOf("same digest")
	sigOf := func(session uint64, attempt uint32) []byte {
		id := SessionID{Key: KeyHot, Session: session, Attempt: attempt, Parties: c.Parties[:c.K]}
		sig := runSign(t, e, nil, id, c.Parties[:c.K], d, fmt.Sprintf("s%d/%d", session, attempt), LocalOptions{}).sig(t)
		verifyAny(t, c.Algo, pub, d, sig)
		return sig
	}
	a, b, again := sigOf(1, 0), sigOf(1, 1), sigOf(1, 0)
	if string(a) == string(b) {
		t.Fatal("two attempts over one digest gave the same ECDSA signature: re-signing is not exercised")
	}
	if string(a) != string(again) {
		t.Fatal("the same session gave two signatures: the ideal engine is not deterministic")
	}
}
