package checkers_test

import (
	"testing"
	"time"

	"vaultdrill/checkers"
)

// rtoHistory: region-down at 100; the first write invoked after it and
// answered ok completes at 180 (invoke line returned).
func rtoHistory(t *testing.T) (*hist, int) {
	h := newHist(t)
	h.dep(90, 1, "a", 1) // invoked before the fault: does not count
	h.fault(100, "region-down")
	h.dep(110, 2, "a", 1)
	h.fail(115, 2)
	h.dep(120, 3, "a", 1)
	h.wd(130, 4, "a", 1)
	first := h.wd(140, 5, "a", 1000)
	h.ok(150, 1)
	h.info(160, 3) // info is not an answer
	h.refused(180, 5)
	h.ok(200, 4)
	h.fault(300, "region-down") // a second one: RTO is from the first
	return h, first
}

func TestRTO(t *testing.T) {
	h, first := rtoHistory(t)
	for _, tc := range []struct {
		name   string
		fault  string
		target time.Duration
		want   checkers.Verdict
	}{
		{"measure only", "region-down", 0, checkers.Valid},
		{"within target", "region-down", 80, checkers.Valid},
		{"over target", "region-down", 79, checkers.Invalid},
		{"fault never happened", "partition", 0, checkers.Unknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := checkers.RTO(h.input(), tc.fault, tc.target)
			if tc.want == checkers.Unknown {
				expect(t, r, tc.want, nil)
				return
			}
			expect(t, r, tc.want, []int{first})
			m := r.Measured
			if m["rto_ns"] != 80 || m["fault_ns"] != 100 || m["recovered_ns"] != 180 {
				t.Errorf("measured %v", m)
			}
		})
	}
}

func TestRTONoRecovery(t *testing.T) {
	h := newHist(t)
	h.fault(100, "region-down")
	h.dep(110, 1, "a", 1)
	h.info(150, 1)
	h.rd(120, 2, "a") // reads are not writes
	h.okBal(130, 2, 0)
	expect(t, checkers.RTO(h.input(), "region-down", time.Second), checkers.Unknown, nil)
}
