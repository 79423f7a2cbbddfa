package checkers

import (
	"testing"
	"time"

	"vaultdrill/checkers/history"
)

// The ceremony check passes a clean ceremony and catches each planted
// violation: a member left holding another key, a key that never signs on
// chain, a ceremony that never completes, one over its bound.
func TestCeremonyCatchesPlantedViolations(t *testing.T) {
	s := time.Second
	hist := func(kind history.Kind, done time.Duration, detail string) []history.Event {
		return []history.Event{
			{V: 1, Kind: history.Invoke, Process: 0, Op: "keygen", Key: "k2", Time: 0},
			{V: 1, Kind: kind, Process: 0, Op: "keygen", Key: "k2", Time: int64(done), Detail: detail},
		}
	}
	committee := ob(0, "", "world.committee", "key", "k2", "k", "2", "n", "3", "parties", "a,b,c")
	done := func(node, pub string) history.Observation {
		return ob(2*s, node, "signer.keygen_done", "key", "k2", "public_key", pub)
	}
	mined := ob(60*s, "chain", "chain.tx", "pubkey", "aa")
	good := []history.Observation{committee, done("a", "aa"), done("b", "aa"), done("c", "aa"), mined}
	cases := []struct {
		name string
		h    []history.Event
		obs  []history.Observation
		want Verdict
	}{
		{"clean", hist(history.OK, 3*s, "public key aa"), good, Valid},
		{"member holds another key", hist(history.OK, 3*s, "public key aa"),
			[]history.Observation{committee, done("a", "aa"), done("b", "bb"), done("c", "aa"), mined}, Invalid},
		{"member never finished", hist(history.OK, 3*s, "public key aa"),
			[]history.Observation{committee, done("a", "aa"), done("c", "aa"), mined}, Invalid},
		{"later attempt overrides an earlier share", hist(history.OK, 3*s, "public key aa"),
			[]history.Observation{committee, done("a", "zz"), done("a", "aa"), done("b", "aa"), done("c", "aa"), mined}, Valid},
		{"never signs on chain", hist(history.OK, 3*s, "public key aa"), good[:4], Invalid},
		{"ceremony timed out", hist(history.Info, 3*s, ""), good, Invalid},
		{"over its bound", hist(history.OK, 10*time.Minute, "public key aa"), good, Invalid},
		{"no request", nil, good, Unknown},
	}
	for _, tc := range cases {
		got := Ceremony(Input{History: tc.h, Observations: tc.obs}, "k2", 5*time.Minute)
		if got.Verdict != tc.want {
			t.Errorf("%s: %s (%s), want %s", tc.name, got.Verdict, got.Summary, tc.want)
		}
	}
}
