package checkers_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"vaultdrill/checkers"
)

func TestLinearizable(t *testing.T) {
	for _, tc := range []struct {
		name  string
		build func(h *hist) []int // returns the lines First must name
		opt   checkers.LinOptions
		want  checkers.Verdict
	}{
		{"sequential", func(h *hist) []int {
			h.dep(0, 1, "a", 10)
			h.ok(1, 1)
			h.wd(2, 1, "a", 3)
			h.okBal(3, 1, 7)
			h.rd(4, 1, "a")
			h.okBal(5, 1, 7)
			h.wd(6, 1, "a", 8)
			h.refused(7, 1)
			return nil
		}, checkers.LinOptions{}, checkers.Valid},
		{"stale read after a completed write", func(h *hist) []int {
			h.dep(0, 1, "a", 10)
			h.ok(1, 1)
			r := h.rd(2, 2, "a")
			h.okBal(3, 2, 0)
			return []int{r}
		}, checkers.LinOptions{}, checkers.Invalid},
		{"reads go back in time", func(h *hist) []int {
			h.dep(0, 1, "a", 10)
			h.rd(1, 2, "a")
			h.okBal(2, 2, 0)
			h.rd(3, 2, "a")
			h.okBal(4, 2, 10)
			r := h.rd(5, 2, "a")
			h.okBal(6, 2, 0)
			h.ok(10, 1)
			return []int{r}
		}, checkers.LinOptions{}, checkers.Invalid},
		{"concurrent with info writes applied or not", func(h *hist) []int {
			h.dep(0, 1, "a", 10)
			h.ok(1, 1)
			h.dep(2, 2, "a", 5)
			h.info(3, 2) // applied later
			h.wd(2, 3, "a", 100)
			h.info(4, 3) // never applied (would be refused anyway)
			h.dep(2, 4, "a", 7)
			h.info(4, 4) // never applied
			h.rd(5, 5, "a")
			h.okBal(6, 5, 10)
			h.rd(7, 6, "a")
			h.wd(7, 7, "a", 15)
			h.okBal(8, 6, 15)
			h.ok(9, 7)
			h.rd(10, 5, "a")
			h.okBal(11, 5, 0)
			h.rd(12, 8, "a")
			h.info(13, 8) // info read: constrains nothing
			return nil
		}, checkers.LinOptions{}, checkers.Valid},
		{"failed write must not show", func(h *hist) []int {
			h.dep(0, 1, "a", 10)
			h.fail(1, 1)
			r := h.rd(2, 2, "a")
			h.okBal(3, 2, 10)
			return []int{r}
		}, checkers.LinOptions{}, checkers.Invalid},
		{"overdraft accepted", func(h *hist) []int {
			h.dep(0, 1, "a", 10)
			h.ok(1, 1)
			w := h.wd(2, 1, "a", 20)
			h.ok(3, 1)
			return []int{w}
		}, checkers.LinOptions{}, checkers.Invalid},
		{"refused with funds available", func(h *hist) []int {
			h.dep(0, 1, "a", 10)
			h.ok(1, 1)
			w := h.wd(2, 1, "a", 5)
			h.refused(3, 1)
			return []int{w}
		}, checkers.LinOptions{}, checkers.Invalid},
		{"idempotent retry counts once", func(h *hist) []int {
			i := h.dep(0, 1, "a", 10)
			h.idem(i, "k1")
			h.info(1, 1)
			i = h.dep(2, 2, "a", 10)
			h.idem(i, "k1")
			h.ok(3, 2)
			h.rd(4, 3, "a")
			h.okBal(5, 3, 10)
			return nil
		}, checkers.LinOptions{}, checkers.Valid},
		{"idempotent retry applied twice", func(h *hist) []int {
			i := h.dep(0, 1, "a", 10)
			h.idem(i, "k1")
			h.info(1, 1)
			i = h.dep(2, 2, "a", 10)
			h.idem(i, "k1")
			h.ok(3, 2)
			r := h.rd(4, 3, "a")
			h.okBal(5, 3, 20)
			return []int{r}
		}, checkers.LinOptions{}, checkers.Invalid},
		{"one bad account among good ones", func(h *hist) []int {
			h.dep(0, 1, "a", 10)
			h.ok(1, 1)
			h.dep(0, 2, "b", 10)
			h.ok(1, 2)
			h.rd(2, 1, "a")
			h.okBal(3, 1, 10)
			r := h.rd(2, 2, "b")
			h.okBal(3, 2, 11)
			return []int{r}
		}, checkers.LinOptions{}, checkers.Invalid},
		{"over the ops cap", func(h *hist) []int {
			for i := range 3 {
				h.dep(int64(2*i), 1, "a", 1)
				h.ok(int64(2*i+1), 1)
			}
			return nil
		}, checkers.LinOptions{MaxOpsPerAccount: 2}, checkers.Unknown},
		{"over the concurrency cap", func(h *hist) []int {
			h.dep(0, 1, "a", 1)
			h.dep(0, 2, "a", 1)
			h.ok(1, 1)
			h.info(1, 2) // open forever
			h.rd(2, 3, "a")
			h.okBal(3, 3, 2)
			return nil
		}, checkers.LinOptions{MaxConcurrency: 1}, checkers.Unknown},
		{"malformed history", func(h *hist) []int {
			h.add(h.ev[0]) // an invoke by a busy process
			return nil
		}, checkers.LinOptions{}, checkers.Unknown},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHist(t)
			if tc.name == "malformed history" {
				h.dep(0, 1, "a", 1)
			}
			lines := tc.build(h)
			r := checkers.Linearizable(h.input(), tc.opt)
			if r.Checker != "INV-LINEARIZABLE" {
				t.Fatalf("checker %q", r.Checker)
			}
			expect(t, r, tc.want, lines)
			if tc.want == checkers.Unknown && tc.opt != (checkers.LinOptions{}) && !strings.Contains(r.Summary, "cap") {
				t.Errorf("summary does not name the cap: %s", r.Summary)
			}
		})
	}
}

func TestLinearizableNamesDescribed(t *testing.T) {
	h := newHist(t)
	h.dep(0, 1, "acct-3", 42)
	h.ok(1, 1)
	h.wd(2, 1, "acct-3", 30)
	h.okBal(3, 1, 12)
	h.rd(4, 2, "acct-3")
	h.okBal(5, 2, 42)
	r := checkers.Linearizable(h.input(), checkers.LinOptions{})
	expect(t, r, checkers.Invalid, []int{4})
	if got := r.First[0].Desc; !strings.HasPrefix(got, "balance of acct-3 -> 42") || !strings.Contains(got, "balance is 12") {
		t.Errorf("desc %q", got)
	}
	if r.Measured["ops_checked"] != 3 || r.Measured["accounts"] != 1 {
		t.Errorf("measured %v", r.Measured)
	}
}

// hardHistory is linearizable, but only by placing the read before n
// concurrent info deposits of distinct powers of two: porcupine walks
// through every subset of them first.
func hardHistory(t *testing.T, n int) *hist {
	h := newHist(t)
	for i := range n {
		h.dep(int64(i), i+1, "a", 1<<i)
		h.info(int64(n+i), i+1)
	}
	h.rd(int64(3*n), 1000, "a")
	h.okBal(int64(3*n+1), 1000, 0)
	return h
}

func TestLinearizableTimeLimitIsUnknown(t *testing.T) {
	h := hardHistory(t, 24)
	for range 3 {
		start := time.Now()
		r := checkers.Linearizable(h.input(), checkers.LinOptions{TimeLimit: time.Nanosecond})
		expect(t, r, checkers.Unknown, nil)
		if !strings.Contains(r.Summary, "time limit") {
			t.Errorf("summary %q", r.Summary)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("time limit not honoured: %v", d)
		}
	}
	// The same shape, small enough to finish: valid.
	expect(t, checkers.Linearizable(hardHistory(t, 6).input(), checkers.LinOptions{}), checkers.Valid, nil)
}

func TestLinearizabilityViz(t *testing.T) {
	h := newHist(t)
	h.fault(0, "partition")
	h.dep(1, 1, "a", 10)
	h.ok(2, 1)
	h.rd(3, 2, "a")
	h.okBal(4, 2, 0)
	var buf bytes.Buffer
	if err := checkers.LinearizabilityViz(h.input(), "a", &buf); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "<html") || !strings.Contains(buf.String(), "partition") {
		t.Errorf("not a visualization with the fault annotated (%d bytes)", buf.Len())
	}
	if err := checkers.LinearizabilityViz(h.input(), "nope", &buf); err == nil {
		t.Error("no error for an account without operations")
	}
}
