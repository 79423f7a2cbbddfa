package mpc

import (
	"errors"
	"testing"

	ecdsasigning "github.com/bnb-chain/tss-lib/v2/ecdsa/signing"
	eddsasigning "github.com/bnb-chain/tss-lib/v2/eddsa/signing"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// retype decodes a tss-lib payload, lets f change its content, and encodes
// it again: a malicious sender's well-formed but wrong message.
func retype(t *testing.T, payload []byte, f func(m proto.Message) bool) ([]byte, bool) {
	t.Helper()
	a := new(anypb.Any)
	if err := proto.Unmarshal(payload, a); err != nil {
		t.Fatal(err)
	}
	m, err := a.UnmarshalNew()
	if err != nil {
		t.Fatal(err)
	}
	if !f(m) {
		return payload, false
	}
	b, err := anypb.New(m)
	if err != nil {
		t.Fatal(err)
	}
	out, err := proto.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return out, true
}

func flipLast(b []byte) []byte {
	c := append([]byte(nil), b...)
	c[len(c)-1] ^= 0x01
	return c
}

// A tampered payload aborts the receiving party with a Blame; after that,
// every Deliver and Start returns ErrAborted, and nothing panics.
func TestTamperedPayloadBlame(t *testing.T) {
	cases := []struct {
		name         string
		key          KeyID
		round        int
		tamper       func(m proto.Message) bool
		attributable bool
	}{
		{"ecdsa-bad-gamma-proof", KeyHot, 4, func(m proto.Message) bool {
			x, ok := m.(*ecdsasigning.SignRound4Message)
			if ok {
				x.ProofT = flipLast(x.ProofT)
			}
			return ok
		}, true},
		{"eddsa-bad-schnorr-proof", KeyHotEd, 2, func(m proto.Message) bool {
			x, ok := m.(*eddsasigning.SignRound2Message)
			if ok {
				x.ProofT = flipLast(x.ProofT)
			}
			return ok
		}, true},
		// tss-lib names nobody when an EdDSA de-commitment fails: the
		// fault is real but not attributable.
		{"eddsa-bad-decommitment", KeyHotEd, 2, func(m proto.Message) bool {
			x, ok := m.(*eddsasigning.SignRound2Message)
			if ok {
				x.DeCommitment[0] = flipLast(x.DeCommitment[0])
			}
			return ok
		}, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			shares := loadKey(t, tc.key)
			ps := shares[0].Parties[:2]
			victim, culprit := ps[0], ps[1]
			id := SessionID{Key: tc.key, Parties: ps}
			tampered := false
			r := runSign(t, NewTSS(), shares, id, ps, digestOf(tc.name), tc.name, LocalOptions{Intercept: func(e *Envelope) bool {
				if e.From == culprit && e.To == victim && e.Round == tc.round && !tampered {
					e.Payload, tampered = retype(t, e.Payload, tc.tamper)
				}
				return true
			}})
			if !tampered {
				t.Fatal("nothing tampered")
			}
			checkFault(t, r, victim, culprit, tc.attributable)
		})
	}
}

// Bytes that are not a tss-lib message: the sender is named, not
// attributable (a malformed payload proves nothing to third parties).
func TestGarbagePayload(t *testing.T) {
	for _, e := range []Engine{NewTSS(), NewIdealDefault(9)} {
		t.Run(e.Name(), func(t *testing.T) {
			shares := loadKey(t, KeyHotEd)
			ps := shares[0].Parties[:2]
			id := SessionID{Key: KeyHotEd, Parties: ps}
			r := runSign(t, e, shares, id, ps, digestOf("garbage"), "garbage", LocalOptions{Intercept: func(env *Envelope) bool {
				if env.From == ps[1] && env.Round == 2 {
					env.Payload = []byte{0xff, 0x01, 0x02}
				}
				return true
			}})
			checkFault(t, r, ps[0], ps[1], false)
		})
	}
}

func checkFault(t *testing.T, r signRun, victim, culprit PartyID, attributable bool) {
	t.Helper()
	var le *LocalError
	if !errors.As(r.err, &le) || le.Party != victim {
		t.Fatalf("want a fault at %s, got %v", victim, r.err)
	}
	if !errors.Is(r.err, ErrFault) {
		t.Fatalf("not a fault: %v", r.err)
	}
	b, ok := BlameOf(r.err)
	if !ok {
		t.Fatalf("no blame in %v", r.err)
	}
	if b.Attributable != attributable {
		t.Fatalf("attributable %v, want %v: %v", b.Attributable, attributable, b)
	}
	if attributable && (len(b.Culprits) != 1 || b.Culprits[0] != culprit) {
		t.Fatalf("culprits %v, want [%s]", b.Culprits, culprit)
	}
	t.Logf("blame: %v", b)
	s := r.sessions[0]
	if _, ok := s.Done(); ok {
		t.Fatal("a faulted session produced a signature")
	}
	// The party is discarded: everything after is a clean error.
	for i := 0; i < 2; i++ {
		if _, err := s.Deliver(culprit, 1, []byte{1, 2, 3}); !errors.Is(err, ErrAborted) {
			t.Fatalf("deliver after fault: %v, want ErrAborted", err)
		}
	}
	if _, err := s.Start(testRand("again")); !errors.Is(err, ErrAborted) {
		t.Fatalf("start after fault: %v, want ErrAborted", err)
	}
}

// Duplicates, wrong rounds, unknown senders and early messages are clean
// rejections: the session goes on and signs.
func TestDeliverRejections(t *testing.T) {
	for _, tc := range []struct {
		e   Engine
		key KeyID
	}{{NewTSS(), KeyHotEd}, {NewTSS(), KeyHot}, {NewIdealDefault(5), KeyHot}} {
		t.Run(tc.e.Name()+"/"+string(tc.key), func(t *testing.T) {
			shares := loadKey(t, tc.key)
			ps := shares[0].Parties[:2]
			a, b := ps[0], ps[1]
			id := SessionID{Key: tc.key, Parties: ps}
			d := digestOf("rejections")
			mk := func(p PartyID) Session {
				s, err := tc.e.NewSession(SignRequest{ID: id, Self: p, Digest: d, Share: shareOf(shares, p)})
				if err != nil {
					t.Fatal(err)
				}
				return s
			}
			sa, sb := mk(a), mk(b)
			outsA, err := sa.Start(testRand("rej/a"))
			if err != nil {
				t.Fatal(err)
			}
			// b has not started: its messages are held, and duplicates
			// are already refused.
			for _, o := range outsA {
				if _, err := sb.Deliver(a, o.Round, o.Payload); err != nil {
					t.Fatalf("early deliver: %v", err)
				}
				if _, err := sb.Deliver(a, o.Round, o.Payload); !errors.Is(err, ErrDuplicate) {
					t.Fatalf("early duplicate: %v, want ErrDuplicate", err)
				}
			}
			outsB, err := sb.Start(testRand("rej/b"))
			if err != nil {
				t.Fatal(err)
			}
			// Wrong round, unknown sender, self, duplicate: all clean.
			o := outsB[0]
			if _, err := sa.Deliver(b, o.Round+1, o.Payload); !errors.Is(err, ErrWrongRound) {
				t.Fatalf("wrong round: %v", err)
			}
			if _, err := sa.Deliver("signer-hot-3", o.Round, o.Payload); !errors.Is(err, ErrNotInSession) {
				t.Fatalf("outsider: %v", err)
			}
			if _, err := sa.Deliver(a, o.Round, o.Payload); !errors.Is(err, ErrNotInSession) {
				t.Fatalf("self: %v", err)
			}
			if _, err := sb.Start(testRand("rej/b")); !errors.Is(err, ErrStarted) {
				t.Fatalf("second start: %v", err)
			}
			// Finish the run by hand, delivering every message twice.
			queue := []struct {
				from, to PartyID
				o        Out
			}{}
			for _, o := range outsB {
				queue = append(queue, struct {
					from, to PartyID
					o        Out
				}{b, a, o})
			}
			for len(queue) > 0 {
				q := queue[0]
				queue = queue[1:]
				dst := sa
				if q.to == b {
					dst = sb
				}
				outs, err := dst.Deliver(q.from, q.o.Round, q.o.Payload)
				if err != nil {
					t.Fatalf("deliver r%d %s->%s: %v", q.o.Round, q.from, q.to, err)
				}
				if _, err := dst.Deliver(q.from, q.o.Round, q.o.Payload); !errors.Is(err, ErrDuplicate) {
					t.Fatalf("duplicate r%d: %v, want ErrDuplicate", q.o.Round, err)
				}
				for _, o := range outs {
					queue = append(queue, struct {
						from, to PartyID
						o        Out
					}{q.to, q.from, o})
				}
			}
			sigA, okA := sa.Done()
			sigB, okB := sb.Done()
			if !okA || !okB || string(sigA) != string(sigB) {
				t.Fatalf("no common signature after rejections (a %v, b %v)", okA, okB)
			}
			verifyAny(t, shares[0].Algo, pubOf(t, tc.e, shares, tc.key), d, sigA)
			if _, err := sa.Deliver(b, o.Round, o.Payload); !errors.Is(err, ErrDuplicate) {
				t.Fatalf("late duplicate: %v", err)
			}
		})
	}
}

func pubOf(t *testing.T, e Engine, shares []*KeyShare, key KeyID) []byte {
	if id, ok := e.(*Ideal); ok {
		pub, ok := id.PublicKey(key)
		if !ok {
			t.Fatalf("ideal holds no %s", key)
		}
		return pub
	}
	return shares[0].PublicKey
}

func TestBadRequests(t *testing.T) {
	shares := loadKey(t, KeyHot)
	ok := SessionID{Key: KeyHot, Parties: []PartyID{"signer-hot-1", "signer-hot-2"}}
	cases := map[string]SignRequest{
		"no share":       {ID: ok, Self: "signer-hot-1", Digest: digestOf("x")},
		"other's share":  {ID: ok, Self: "signer-hot-1", Digest: digestOf("x"), Share: shares[1]},
		"short digest":   {ID: ok, Self: "signer-hot-1", Digest: []byte{1}, Share: shares[0]},
		"unsorted":       {ID: SessionID{Key: KeyHot, Parties: []PartyID{"signer-hot-2", "signer-hot-1"}}, Self: "signer-hot-1", Digest: digestOf("x"), Share: shares[0]},
		"outsider":       {ID: SessionID{Key: KeyHot, Parties: []PartyID{"signer-cold-1", "signer-hot-1"}}, Self: "signer-hot-1", Digest: digestOf("x"), Share: shares[0]},
		"self not in":    {ID: SessionID{Key: KeyHot, Parties: []PartyID{"signer-hot-2", "signer-hot-3"}}, Self: "signer-hot-1", Digest: digestOf("x"), Share: shares[0]},
		"wrong key id":   {ID: SessionID{Key: KeyCold, Parties: ok.Parties}, Self: "signer-hot-1", Digest: digestOf("x"), Share: shares[0]},
		"duplicate part": {ID: SessionID{Key: KeyHot, Parties: []PartyID{"signer-hot-1", "signer-hot-1"}}, Self: "signer-hot-1", Digest: digestOf("x"), Share: shares[0]},
	}
	for name, req := range cases {
		if _, err := NewTSS().NewSession(req); !errors.Is(err, ErrBadRequest) {
			t.Errorf("%s: %v, want ErrBadRequest", name, err)
		}
	}
	s, err := NewTSS().NewSession(SignRequest{ID: ok, Self: "signer-hot-1", Digest: digestOf("x"), Share: shares[0]})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Start(nil); !errors.Is(err, ErrBadRequest) {
		t.Errorf("nil reader: %v", err)
	}
}
