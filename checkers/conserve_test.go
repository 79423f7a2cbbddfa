package checkers_test

import (
	"strings"
	"testing"

	"vaultdrill/checkers"
)

// twoReplicas applies the same three commands on ledger-1 and ledger-2.
func twoReplicas(h *hist) {
	for _, n := range []string{"ledger-1", "ledger-2"} {
		h.apply(1, n, 1, "deposit", "a", 10, "ok", 10, "d1")
		h.apply(2, n, 2, "withdraw", "a", 4, "ok", 6, "d2")
		h.apply(3, n, 3, "withdraw", "a", 40, "refused", 6, "d3")
		h.apply(4, n, 4, "deposit", "b", 5, "ok", 5, "d4")
		h.apply(5, n, 5, "deposit", "b", 5, "dup", 5, "d5")
	}
}

func TestConserve(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(h *hist)
		want  checkers.Verdict
		in    string // the first offence's description contains this
	}{
		{"consistent replicas", twoReplicas, checkers.Valid, ""},
		{"balance jumps", func(h *hist) {
			twoReplicas(h)
			h.apply(6, "ledger-1", 6, "deposit", "a", 1, "ok", 100, "d6")
		}, checkers.Invalid, "created 93"},
		{"withdrawal destroys more than its amount", func(h *hist) {
			h.apply(1, "ledger-1", 1, "deposit", "a", 10, "ok", 10, "d1")
			h.apply(2, "ledger-1", 2, "withdraw", "a", 3, "ok", 5, "d2")
		}, checkers.Invalid, "destroyed 2"},
		{"refused apply moves money", func(h *hist) {
			h.apply(1, "ledger-1", 1, "deposit", "a", 10, "ok", 10, "d1")
			h.apply(2, "ledger-1", 2, "withdraw", "a", 30, "refused", 0, "d2")
		}, checkers.Invalid, "destroyed 10"},
		{"first apply on a fresh replica starts at 0", func(h *hist) {
			h.apply(1, "ledger-1", 1, "deposit", "a", 10, "ok", 15, "d1")
		}, checkers.Invalid, "created 5"},
		{"replicas diverge", func(h *hist) {
			twoReplicas(h)
			h.apply(6, "ledger-1", 6, "deposit", "a", 1, "ok", 7, "d6")
			h.apply(6, "ledger-2", 6, "deposit", "a", 2, "ok", 8, "d6x")
		}, checkers.Invalid, "diverged"},
		{"restore resets tracking", func(h *hist) {
			twoReplicas(h)
			h.restore(7, "ledger-3", 5, "d5")
			h.apply(8, "ledger-3", 6, "deposit", "a", 1, "ok", 7, "d6")
			h.apply(8, "ledger-3", 7, "deposit", "a", 1, "ok", 8, "d7")
		}, checkers.Valid, ""},
		{"restore then a jump", func(h *hist) {
			h.restore(7, "ledger-3", 5, "d5")
			h.apply(8, "ledger-3", 6, "deposit", "a", 1, "ok", 7, "d6")
			h.apply(8, "ledger-3", 7, "deposit", "a", 1, "ok", 9, "d7")
		}, checkers.Invalid, "created 1"},
		{"restore with another digest", func(h *hist) {
			twoReplicas(h)
			h.restore(7, "ledger-3", 5, "zz")
		}, checkers.Invalid, "diverged"},
		{"replay after restart, same digests", func(h *hist) {
			twoReplicas(h)
			h.restore(9, "ledger-1", 2, "d2")
			h.apply(10, "ledger-1", 3, "withdraw", "a", 40, "refused", 6, "d3")
			h.apply(10, "ledger-1", 4, "deposit", "b", 5, "ok", 5, "d4")
		}, checkers.Valid, ""},
		{"replay after restart, another digest", func(h *hist) {
			twoReplicas(h)
			h.apply(10, "ledger-2", 4, "deposit", "b", 5, "ok", 5, "d4-again")
		}, checkers.Invalid, "same index before"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHist(t)
			tc.build(h)
			r := checkers.Conserve(h.input())
			expect(t, r, tc.want, nil)
			if tc.in != "" && (len(r.First) == 0 || !strings.Contains(r.First[0].Desc, tc.in)) {
				t.Errorf("first offence %+v does not say %q", r.First, tc.in)
			}
			if tc.want == checkers.Valid && !strings.Contains(r.Summary, "ledger-2 +15 -4 =11") && tc.name != "restore then a jump" {
				t.Errorf("summary without totals: %s", r.Summary)
			}
		})
	}
}

func TestConserveNeedsObservations(t *testing.T) {
	h := newHist(t)
	h.dep(0, 1, "a", 10)
	h.ok(1, 1)
	expect(t, checkers.Conserve(h.input()), checkers.Unknown, nil)
	expect(t, checkers.Conserve(checkers.Input{}), checkers.Valid, nil)
}
