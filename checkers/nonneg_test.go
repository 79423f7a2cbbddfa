package checkers_test

import (
	"strings"
	"testing"

	"vaultdrill/checkers"
)

func TestNonNeg(t *testing.T) {
	for _, tc := range []struct {
		name    string
		build   func(h *hist) []int
		want    checkers.Verdict
		obsRefs int // references to observations expected in First
	}{
		{"clean", func(h *hist) []int {
			h.dep(0, 1, "a", 10)
			h.okBal(1, 1, 10)
			h.wd(2, 1, "a", 10)
			h.okBal(3, 1, 0)
			h.rd(4, 1, "a")
			h.okBal(5, 1, 0)
			h.apply(1, "ledger-1", 1, "deposit", "a", 10, "ok", 10, "d1")
			h.apply(3, "ledger-1", 2, "withdraw", "a", 10, "ok", 0, "d2")
			return nil
		}, checkers.Valid, 0},
		{"negative read", func(h *hist) []int {
			r := h.rd(0, 1, "a")
			h.okBal(1, 1, -5)
			return []int{r}
		}, checkers.Invalid, 0},
		{"withdraw returns a negative balance", func(h *hist) []int {
			h.dep(0, 1, "a", 10)
			h.ok(1, 1)
			w := h.wd(2, 1, "a", 15)
			h.okBal(3, 1, -5)
			return []int{w}
		}, checkers.Invalid, 0},
		{"replica applies into the red", func(h *hist) []int {
			h.apply(1, "ledger-2", 7, "withdraw", "a", 15, "ok", -5, "d7")
			return []int{-1}
		}, checkers.Invalid, 1},
		{"info read carries nothing", func(h *hist) []int {
			h.rd(0, 1, "a")
			h.info(1, 1)
			return nil
		}, checkers.Valid, 0},
		{"unreadable apply", func(h *hist) []int {
			h.apply(1, "ledger-2", 7, "deposit", "a", 1, "ok", 1, "d7")
			h.obs[0].Fields["balance"] = "lots"
			return nil
		}, checkers.Unknown, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHist(t)
			lines := tc.build(h)
			r := checkers.NonNeg(h.input())
			expect(t, r, tc.want, lines)
			n := 0
			for _, f := range r.First {
				if f.Index == -1 {
					n++
					if !strings.Contains(f.Desc, "ledger-2") || !strings.Contains(f.Desc, "index 7") {
						t.Errorf("observation not named by node and index: %q", f.Desc)
					}
				}
			}
			if n != tc.obsRefs {
				t.Errorf("%d observation refs, want %d", n, tc.obsRefs)
			}
		})
	}
}
