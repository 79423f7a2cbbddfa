package mpc

import (
	"errors"
	"fmt"
	"math/big"
	"testing"

	"github.com/bnb-chain/tss-lib/v2/common"
	eddsasigning "github.com/bnb-chain/tss-lib/v2/eddsa/signing"
	"github.com/bnb-chain/tss-lib/v2/tss"
)

func TestTSSSignDefaultKeys(t *testing.T) {
	cases := []struct {
		key     KeyID
		parties []PartyID
	}{
		{KeyHot, []PartyID{"signer-hot-1", "signer-hot-2"}},
		{KeyHotEd, []PartyID{"signer-hot-1", "signer-hot-2"}},
		{KeyCold, []PartyID{"signer-cold-1", "signer-cold-3", "signer-cold-5"}},
		{KeyColdEd, []PartyID{"signer-cold-2", "signer-cold-4", "signer-cold-5"}},
	}
	for _, tc := range cases {
		t.Run(string(tc.key), func(t *testing.T) {
			shares := loadKey(t, tc.key)
			id := SessionID{Key: tc.key, Session: 7, Attempt: 1, Parties: tc.parties}
			d := digestOf("withdrawal 1 " + string(tc.key))
			sig := runSign(t, NewTSS(), shares, id, tc.parties, d, "basic/"+string(tc.key), LocalOptions{}).sig(t)
			verifyAny(t, shares[0].Algo, shares[0].PublicKey, d, sig)
			// Another digest does not verify under this signature.
			if Verify(shares[0].Algo, shares[0].PublicKey, digestOf("other"), sig) {
				t.Fatal("signature verifies for another digest")
			}
		})
	}
}

// Every k-subset signs. ECDSA hot: the three pairs; EdDSA (cheap): every
// subset of k or more of both committees.
func TestTSSAnyKSubsetSigns(t *testing.T) {
	for _, key := range []KeyID{KeyHot, KeyHotEd, KeyColdEd} {
		shares := loadKey(t, key)
		c := shares[0].Committee()
		for _, sub := range subsets(c.Parties, c.K) {
			if key == KeyHot && len(sub) > c.K {
				continue // a 3-of-3 ECDSA run adds time and nothing new
			}
			name := fmt.Sprintf("%s/%v", key, sub)
			id := SessionID{Key: key, Session: 1, Parties: sub}
			d := digestOf(name)
			sig := runSign(t, NewTSS(), shares, id, sub, d, name, LocalOptions{}).sig(t)
			verifyAny(t, c.Algo, shares[0].PublicKey, d, sig)
		}
	}
}

// subsets lists the subsets of ps with at least k members, in a fixed order.
func subsets(ps []PartyID, k int) [][]PartyID {
	var out [][]PartyID
	for mask := 1; mask < 1<<len(ps); mask++ {
		var s []PartyID
		for i, p := range ps {
			if mask&(1<<i) != 0 {
				s = append(s, p)
			}
		}
		if len(s) >= k {
			out = append(out, s)
		}
	}
	return out
}

// With k-1 parties nothing is ever produced: a session of k-1 parties is
// refused, a session of k where one party never shows up stalls without a
// signature, and tss-lib itself refuses a (k-1)-party signing.
func TestTSSKMinusOneNeverSigns(t *testing.T) {
	for _, key := range []KeyID{KeyHot, KeyColdEd} {
		shares := loadKey(t, key)
		c := shares[0].Committee()
		few := c.Parties[:c.K-1]
		_, err := NewTSS().NewSession(SignRequest{ID: SessionID{Key: key, Parties: few}, Self: few[0], Digest: digestOf("x"), Share: shares[0]})
		if !errors.Is(err, ErrTooFewParties) {
			t.Fatalf("%s: session of k-1: %v, want ErrTooFewParties", key, err)
		}
		id := SessionID{Key: key, Parties: c.Parties[:c.K]}
		r := runSign(t, NewTSS(), shares, id, few, digestOf("stall"), "stall", LocalOptions{})
		if r.err != nil {
			t.Fatalf("%s: stalled run errored: %v", key, r.err)
		}
		for _, s := range r.sessions {
			if _, ok := s.Done(); ok {
				t.Fatalf("%s: a signature without k parties", key)
			}
		}
	}
	// Below the adapter: tss-lib refuses t+1 > the number of signers.
	sh := loadKey(t, KeyHotEd)[0]
	pid := tss.NewPartyID(string(sh.Party), string(sh.Party), partyKey(0))
	ids := tss.SortPartyIDs(tss.UnSortedPartyIDs{pid})
	params := tss.NewParameters(tss.Edwards(), tss.NewPeerContext(ids), ids[0], 1, sh.K-1)
	params.SetRand(testRand("lib-k-1"))
	params.SetPartialKeyRand(testRand("lib-k-1"))
	out := make(chan tss.Message, 16)
	end := make(chan *common.SignatureData, 1)
	p := eddsasigning.NewLocalParty(new(big.Int).SetBytes(digestOf("x")), params, *sh.eddsa, out, end, DigestSize)
	if err := p.Start(); err == nil {
		t.Fatal("tss-lib started a signing with k-1 parties")
	}
}

func TestTSSDeterminism(t *testing.T) {
	for _, key := range []KeyID{KeyHot, KeyHotEd} {
		t.Run(string(key), func(t *testing.T) {
			shares := loadKey(t, key)
			ps := shares[0].Parties[:2]
			id := SessionID{Key: key, Session: 3, Attempt: 2, Parties: ps}
			d := digestOf("determinism")
			type rec struct {
				e       Envelope
				payload string
			}
			run := func(seed string) ([]byte, []rec, []Sent) {
				var log []rec
				r := runSign(t, NewTSS(), shares, id, ps, d, seed, LocalOptions{Intercept: func(e *Envelope) bool {
					log = append(log, rec{*e, string(e.Payload)})
					return true
				}})
				return r.sig(t), log, r.traces()
			}
			sig1, log1, tr1 := run("same")
			sig2, log2, tr2 := run("same")
			if string(sig1) != string(sig2) {
				t.Fatalf("same seed, different signatures:\n%x\n%x", sig1, sig2)
			}
			if fmt.Sprint(tr1) != fmt.Sprint(tr2) || len(log1) != len(log2) {
				t.Fatalf("same seed, different message traces")
			}
			// Payloads: EdDSA reads its reader from one goroutine only,
			// so every message is byte-identical. ECDSA signing round 2
			// reads it from two goroutines per peer, so from round 2 on a
			// payload may differ between runs; round 1 (and the final
			// signature, a function of round-1 randomness alone) may not.
			differ := map[int]int{}
			for i := range log1 {
				a, b := log1[i], log2[i]
				if a.e.From != b.e.From || a.e.To != b.e.To || a.e.Round != b.e.Round {
					t.Fatalf("delivery %d differs in routing", i)
				}
				if a.payload != b.payload {
					differ[a.e.Round]++
				}
			}
			if shares[0].Algo == EdDSA && len(differ) > 0 {
				t.Fatalf("EdDSA payloads differ between runs: %v", differ)
			}
			if differ[1] > 0 {
				t.Fatalf("round-1 payloads differ between runs: %v", differ)
			}
			t.Logf("%s: payloads differing between two same-seed runs, by round: %v", key, differ)
			sig3, _, _ := run("other")
			if string(sig3) == string(sig1) {
				t.Fatal("another seed gave the same signature")
			}
		})
	}
}
