package checkers_test

import (
	"testing"

	"vaultdrill/checkers"
)

func TestRPO(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(h *hist) []int
		want  checkers.Verdict
		lost  int64
	}{
		{"everything survives", func(h *hist) []int {
			h.dep(0, 1, "a", 10)
			h.ok(1, 1)
			h.wd(2, 1, "a", 3)
			h.ok(3, 1)
			h.wd(4, 1, "a", 300)
			h.refused(5, 1)
			h.dep(6, 1, "a", 50)
			h.fail(7, 1)
			h.final(100, 9, "a")
			h.okBal(101, 9, 7)
			return nil
		}, checkers.Valid, 0},
		{"lost acknowledged deposit", func(h *hist) []int {
			h.dep(0, 1, "a", 10)
			h.ok(1, 1)
			d := h.dep(2, 1, "a", 5)
			h.ok(3, 1)
			h.final(100, 9, "a")
			h.okBal(101, 9, 10)
			return []int{d}
		}, checkers.Invalid, 1},
		{"lost acknowledged withdrawal: money back", func(h *hist) []int {
			h.dep(0, 1, "a", 10)
			h.ok(1, 1)
			w := h.wd(2, 1, "a", 4)
			h.ok(3, 1)
			h.final(100, 9, "a")
			h.okBal(101, 9, 10)
			return []int{w}
		}, checkers.Invalid, 1},
		{"two lost writes", func(h *hist) []int {
			h.dep(0, 1, "a", 1)
			h.ok(1, 1)
			d2 := h.dep(2, 1, "a", 2)
			h.ok(3, 1)
			d4 := h.dep(4, 1, "a", 4)
			h.ok(5, 1)
			h.final(100, 9, "a")
			h.okBal(101, 9, 1)
			return []int{d2, d4}
		}, checkers.Invalid, 2},
		{"money appeared", func(h *hist) []int {
			d := h.dep(0, 1, "a", 10)
			h.ok(1, 1)
			h.final(100, 9, "a")
			h.okBal(101, 9, 30)
			return []int{d}
		}, checkers.Invalid, 0},
		{"uncertain writes explain it", func(h *hist) []int {
			h.dep(0, 1, "a", 10)
			h.ok(1, 1)
			h.dep(2, 2, "a", 5)
			h.info(3, 2)
			h.wd(2, 3, "a", 3)
			h.info(3, 3)
			h.dep(4, 4, "a", 100)
			h.rd(4, 5, "a") // an ordinary read: not final
			h.okBal(5, 5, 10)
			h.final(100, 9, "a")
			h.ok(101, 4) // concurrent with the final read: may or may not show
			h.okBal(102, 9, 12)
			return nil
		}, checkers.Valid, 0},
		{"uncertain writes do not explain it", func(h *hist) []int {
			h.dep(0, 1, "a", 10)
			h.ok(1, 1)
			h.dep(2, 2, "a", 5)
			h.info(3, 2)
			h.wd(2, 3, "a", 3)
			h.info(3, 3)
			h.final(100, 9, "a")
			h.okBal(101, 9, 11)
			return nil
		}, checkers.Invalid, 0},
		{"writes after the final read do not count", func(h *hist) []int {
			h.dep(0, 1, "a", 10)
			h.ok(1, 1)
			h.final(100, 9, "a")
			h.okBal(101, 9, 10)
			h.dep(102, 1, "a", 5)
			h.ok(103, 1)
			return nil
		}, checkers.Valid, 0},
		{"idempotent retry counts once", func(h *hist) []int {
			i := h.dep(0, 1, "a", 10)
			h.idem(i, "k")
			h.info(1, 1)
			i = h.dep(2, 2, "a", 10)
			h.idem(i, "k")
			h.ok(3, 2)
			h.final(100, 9, "a")
			h.okBal(101, 9, 20)
			return nil
		}, checkers.Invalid, 0},
		{"many uncertain writes with few sums", func(h *hist) []int {
			for i := range 60 {
				h.dep(int64(i), i+1, "a", 2)
				h.info(int64(i+1), i+1)
			}
			f := h.final(100, 99, "a")
			h.okBal(101, 99, 3)
			return []int{f}
		}, checkers.Invalid, 0},
		{"no final read", func(h *hist) []int {
			h.dep(0, 1, "a", 10)
			h.ok(1, 1)
			h.rd(0, 2, "b") // no writes on b: nothing to judge
			h.okBal(1, 2, 0)
			return nil
		}, checkers.Unknown, 0},
		{"final read failed", func(h *hist) []int {
			h.dep(0, 1, "a", 10)
			h.ok(1, 1)
			h.final(100, 9, "a")
			h.info(101, 9)
			return nil
		}, checkers.Unknown, 0},
		{"too many uncertain writes", func(h *hist) []int {
			for i := range 21 { // distinct powers of two: 2^21 sums
				h.dep(int64(i), i+1, "a", 1<<i)
				h.info(int64(i+1), i+1)
			}
			h.final(100, 99, "a")
			h.okBal(101, 99, 3)
			return nil
		}, checkers.Unknown, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHist(t)
			lines := tc.build(h)
			r := checkers.RPO(h.input())
			expect(t, r, tc.want, lines)
			if r.Measured["lost_acked"] != tc.lost {
				t.Errorf("lost_acked %d, want %d (%s)", r.Measured["lost_acked"], tc.lost, r.Summary)
			}
		})
	}
}

func TestRPOLostNamesLatest(t *testing.T) {
	// Twelve acknowledged deposits of 1, final short by one: the one
	// named is the last to complete.
	h := newHist(t)
	var last int
	for i := range 12 {
		last = h.dep(int64(2*i), 1, "a", 1)
		h.ok(int64(2*i+1), 1)
	}
	h.final(100, 9, "a")
	h.okBal(101, 9, 11)
	r := checkers.RPO(h.input())
	expect(t, r, checkers.Invalid, []int{last})
}
