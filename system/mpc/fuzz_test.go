package mpc

import (
	"errors"
	"testing"
)

// Decoders never panic, whatever the bytes.

func FuzzUnmarshalShare(f *testing.F) {
	s, err := LoadDefaultKey(KeyHotEd)
	if err != nil {
		f.Fatal(err)
	}
	b, _ := MarshalShare(s[0])
	f.Add(b)
	f.Add([]byte(`{"version":1,"algo":"eddsa-ed25519"}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		if sh, err := UnmarshalShare(b); err == nil {
			if _, err := MarshalShare(sh); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func FuzzUnmarshalPool(f *testing.F) {
	f.Add([]byte(`{"version":1,"slots":[]}`))
	f.Add([]byte(`{"version":1,"slots":[{"party":"a","params":{}}]}`))
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = UnmarshalPool(b) })
}

// Deliver of arbitrary bytes to a started session: a clean error or
// acceptance, never a panic; after a fault, ErrAborted.
func FuzzDeliver(f *testing.F) {
	shares, err := LoadDefaultKey(KeyHotEd)
	if err != nil {
		f.Fatal(err)
	}
	ps := shares[0].Parties[:2]
	id := SessionID{Key: KeyHotEd, Parties: ps}
	d := digestOf("fuzz")
	// Seed with real payloads of both engines.
	for _, e := range []Engine{NewTSS(), NewIdealDefault(1)} {
		s, err := e.NewSession(SignRequest{ID: id, Self: ps[1], Digest: d, Share: shares[1]})
		if err != nil {
			f.Fatal(err)
		}
		outs, err := s.Start(testRand("fuzz-seed"))
		if err != nil {
			f.Fatal(err)
		}
		for _, o := range outs {
			f.Add(true, o.Round, o.Payload)
			f.Add(false, o.Round, o.Payload)
		}
	}
	f.Fuzz(func(t *testing.T, ideal bool, round int, payload []byte) {
		var e Engine = NewTSS()
		if ideal {
			e = NewIdealDefault(1)
		}
		s, err := e.NewSession(SignRequest{ID: id, Self: ps[0], Digest: d, Share: shares[0]})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Start(testRand("fuzz")); err != nil {
			t.Fatal(err)
		}
		_, err = s.Deliver(ps[1], round, payload)
		if errors.Is(err, ErrFault) {
			if _, err := s.Deliver(ps[1], round, payload); !errors.Is(err, ErrAborted) {
				t.Fatalf("after a fault: %v", err)
			}
		}
	})
}
