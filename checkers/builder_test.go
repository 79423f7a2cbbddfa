package checkers_test

import (
	"fmt"
	"testing"

	"vaultdrill/checkers"
	"vaultdrill/checkers/history"
)

// hist builds histories by hand: invokes and completions at given times,
// a completion copying its invoke's op, key and value.
type hist struct {
	t    testing.TB
	ev   []history.Event
	open map[int]history.Event
	obs  []history.Observation
}

func newHist(t testing.TB) *hist {
	return &hist{t: t, open: map[int]history.Event{}}
}

func (h *hist) add(e history.Event) int {
	e.V = history.Version
	h.ev = append(h.ev, e)
	return len(h.ev) - 1
}

// inv invokes op on key with value v by process p at time at; it returns
// the invoke's line index.
func (h *hist) inv(at int64, p int, op, key string, v int64) int {
	h.t.Helper()
	if _, busy := h.open[p]; busy {
		h.t.Fatalf("builder: process %d invoked twice", p)
	}
	e := history.Event{Kind: history.Invoke, Process: p, Op: op, Key: key, Value: v, Time: at}
	h.open[p] = e
	return h.add(e)
}

func (h *hist) dep(at int64, p int, key string, v int64) int { return h.inv(at, p, "deposit", key, v) }
func (h *hist) wd(at int64, p int, key string, v int64) int  { return h.inv(at, p, "withdraw", key, v) }
func (h *hist) rd(at int64, p int, key string) int           { return h.inv(at, p, "balance", key, 0) }

// final invokes the final read of key.
func (h *hist) final(at int64, p int, key string) int {
	i := h.inv(at, p, "balance", key, 0)
	h.ev[i].Detail = "final"
	return i
}

// idem sets the idempotency key of the invoke at line i (and of its
// completion, when recorded later).
func (h *hist) idem(i int, k string) {
	h.ev[i].Idem = k
	e := h.open[h.ev[i].Process]
	e.Idem = k
	h.open[h.ev[i].Process] = e
}

func (h *hist) done(at int64, p int, kind history.Kind, mut func(*history.Event)) int {
	h.t.Helper()
	inv, ok := h.open[p]
	if !ok {
		h.t.Fatalf("builder: process %d completes with nothing invoked", p)
	}
	delete(h.open, p)
	e := inv
	e.Kind, e.Time, e.Detail = kind, at, ""
	if mut != nil {
		mut(&e)
	}
	return h.add(e)
}

func (h *hist) ok(at int64, p int) int { return h.done(at, p, history.OK, nil) }

// okBal completes ok carrying a balance (a read's result, or what a write
// returned).
func (h *hist) okBal(at int64, p int, bal int64) int {
	return h.done(at, p, history.OK, func(e *history.Event) { e.Result = &bal })
}

func (h *hist) refused(at int64, p int) int {
	return h.done(at, p, history.OK, func(e *history.Event) { e.Refused = true })
}

func (h *hist) info(at int64, p int) int {
	return h.done(at, p, history.Info, func(e *history.Event) { e.Error = "timeout" })
}

func (h *hist) fail(at int64, p int) int {
	return h.done(at, p, history.Fail, func(e *history.Event) { e.Error = "unavailable" })
}

func (h *hist) fault(at int64, op string) int {
	return h.add(history.Event{Kind: history.Fault, Process: history.NemesisProcess, Op: op, Time: at})
}

// apply records a ledger.apply observation.
func (h *hist) apply(at int64, node string, index int64, op, acct string, amount int64, result string, bal int64, digest string) {
	h.obs = append(h.obs, history.Observation{
		V: history.Version, Time: at, Node: node, Source: "node", Kind: "ledger.apply",
		Fields: map[string]string{
			"index": fmt.Sprint(index), "term": "1", "op": op, "account": acct,
			"amount": fmt.Sprint(amount), "idem": "", "result": result,
			"balance": fmt.Sprint(bal), "digest": digest,
		},
	})
}

func (h *hist) restore(at int64, node string, index int64, digest string) {
	h.obs = append(h.obs, history.Observation{
		V: history.Version, Time: at, Node: node, Source: "node", Kind: "ledger.restore",
		Fields: map[string]string{"index": fmt.Sprint(index), "digest": digest},
	})
}

func (h *hist) input() checkers.Input {
	return checkers.Input{History: h.ev, Observations: h.obs}
}

// expect checks a verdict and, when lines is not nil, that First names
// exactly those history lines (in order).
func expect(t *testing.T, r checkers.Result, want checkers.Verdict, lines []int) {
	t.Helper()
	if r.Verdict != want {
		t.Fatalf("%s: verdict %s, want %s; summary: %s; first: %+v", r.Checker, r.Verdict, want, r.Summary, r.First)
	}
	if r.Summary == "" {
		t.Errorf("%s: empty summary", r.Checker)
	}
	if lines == nil {
		return
	}
	var got []int
	for _, f := range r.First {
		got = append(got, f.Index)
	}
	if fmt.Sprint(got) != fmt.Sprint(lines) {
		t.Fatalf("%s: first names lines %v, want %v; first: %+v", r.Checker, got, lines, r.First)
	}
}
