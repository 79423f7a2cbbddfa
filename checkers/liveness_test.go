package checkers_test

import (
	"testing"

	"vaultdrill/checkers"
)

func TestLiveness(t *testing.T) {
	const bound = 100
	for _, tc := range []struct {
		name  string
		build func(h *hist) []int
		want  checkers.Verdict
	}{
		{"recovers in time", func(h *hist) []int {
			h.fault(500, "heal-all") // an earlier heal: the last one counts
			h.fault(900, "partition")
			h.fault(1000, "heal-all")
			h.dep(1010, 1, "a", 1)
			h.ok(1090, 1)
			h.dep(1200, 1, "a", 1)
			h.ok(1210, 1)
			h.rd(1300, 2, "a") // pending at the end, but not for a whole bound
			return nil
		}, checkers.Valid},
		{"ops after the bound end info", func(h *hist) []int {
			h.fault(1000, "heal-all")
			h.dep(1010, 1, "a", 1)
			h.ok(1050, 1)
			a := h.dep(1200, 2, "a", 1)
			h.info(1250, 2)
			b := h.rd(1201, 3, "a")
			h.info(1260, 3)
			c := h.wd(1300, 4, "a", 1) // pending at the end for over a bound
			h.dep(1300, 5, "a", 1)
			h.ok(1500, 5)
			return []int{a, b, c}
		}, checkers.Invalid},
		{"no write answered within the bound", func(h *hist) []int {
			h.fault(1000, "heal-all")
			a := h.dep(990, 1, "a", 1) // in flight at the heal
			b := h.dep(1050, 2, "a", 1)
			h.info(1080, 2)
			h.ok(1150, 1) // answered, but late
			h.rd(1200, 3, "a")
			h.okBal(1210, 3, 1)
			return []int{a, b}
		}, checkers.Invalid},
		{"history ends before the bound", func(h *hist) []int {
			h.fault(1000, "heal-all")
			h.dep(1010, 1, "a", 1)
			h.info(1050, 1)
			return nil
		}, checkers.Unknown},
		{"no heal", func(h *hist) []int {
			h.fault(1000, "partition")
			h.dep(1010, 1, "a", 1)
			h.ok(1050, 1)
			return nil
		}, checkers.Unknown},
		{"no write attempted", func(h *hist) []int {
			h.fault(1000, "heal-all")
			h.rd(1010, 1, "a")
			h.okBal(1500, 1, 0)
			return nil
		}, checkers.Unknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHist(t)
			lines := tc.build(h)
			r := checkers.Liveness(h.input(), "heal-all", bound)
			expect(t, r, tc.want, lines)
		})
	}
}
