package checkers_test

import (
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"sort"
	"testing"

	"vaultdrill/checkers"
	"vaultdrill/checkers/history"
)

// genLedger simulates an atomic ledger from a seed: clients issue
// operations one after another, each taking effect at a point inside its
// interval; some end info (taking effect or not) and retire their process.
// Three replicas apply the same command log. Every run is correct by
// construction, so every checker must find it Valid.
func genLedger(seed uint64, accounts, clients, perClient int) (checkers.Input, map[int]bool) {
	rng := rand.New(rand.NewPCG(seed, 0x5eed))
	type gop struct {
		proc, seq        int
		op, key          string
		amt              int64
		call, lin, ret   int64
		kind             history.Kind
		refused, applied bool
		result           *int64
		final            bool
	}
	var ops []*gop
	nextProc := clients
	var end int64
	for c := range clients {
		proc := c
		t := int64(rng.IntN(10))
		for range perClient {
			o := &gop{proc: proc, key: fmt.Sprintf("acct-%d", rng.IntN(accounts)), kind: history.OK, applied: true}
			switch rng.IntN(3) {
			case 0:
				o.op, o.amt = "deposit", int64(1+rng.IntN(100))
			case 1:
				o.op, o.amt = "withdraw", int64(1+rng.IntN(100))
			default:
				o.op = "balance"
			}
			o.call = t + 1 + int64(rng.IntN(5))
			o.lin = o.call + int64(rng.IntN(10))
			o.ret = o.lin + int64(rng.IntN(10))
			t = o.ret
			if rng.IntN(20) == 0 {
				o.kind = history.Info
				o.applied = o.op != "balance" && rng.IntN(2) == 0
				proc, nextProc = nextProc, nextProc+1
			}
			ops = append(ops, o)
		}
		end = max(end, t)
	}
	for a := range accounts {
		t := end + 10 + int64(a)
		ops = append(ops, &gop{proc: nextProc, op: "balance", key: fmt.Sprintf("acct-%d", a), call: t, lin: t, ret: t, kind: history.OK, applied: true, final: true})
		nextProc++
	}
	for i, o := range ops {
		o.seq = i
	}
	// Take effect in linearization order.
	byLin := append([]*gop(nil), ops...)
	sort.SliceStable(byLin, func(i, j int) bool { return byLin[i].lin < byLin[j].lin })
	bal := map[string]int64{}
	var obs []history.Observation
	digest := fnv.New64a()
	index := int64(0)
	for _, o := range byLin {
		if !o.applied {
			continue
		}
		b := bal[o.key]
		result := "ok"
		switch o.op {
		case "deposit":
			b += o.amt
		case "withdraw":
			if o.amt > b {
				o.refused, result = true, "refused"
			} else {
				b -= o.amt
			}
		}
		bal[o.key] = b
		v := b
		if o.kind == history.OK {
			o.result = &v
		}
		if o.op == "balance" {
			continue
		}
		index++
		fmt.Fprintf(digest, "%d %s %s %d;", index, o.op, o.key, o.amt)
		for _, n := range []string{"ledger-1", "ledger-2", "ledger-3"} {
			obs = append(obs, history.Observation{V: history.Version, Time: o.lin, Node: n, Source: "node", Kind: "ledger.apply",
				Fields: map[string]string{"index": fmt.Sprint(index), "term": "1", "op": o.op, "account": o.key,
					"amount": fmt.Sprint(o.amt), "result": result, "balance": fmt.Sprint(b), "digest": fmt.Sprintf("%x", digest.Sum64())}})
		}
	}
	type line struct {
		t    int64
		done bool
		o    *gop
	}
	var lines []line
	for _, o := range ops {
		lines = append(lines, line{o.call, false, o}, line{o.ret, true, o})
	}
	sort.SliceStable(lines, func(i, j int) bool {
		if lines[i].t != lines[j].t {
			return lines[i].t < lines[j].t
		}
		return !lines[i].done && lines[j].done
	})
	var h []history.Event
	reads := map[int]bool{} // lines of ok non-final read completions
	for _, l := range lines {
		o := l.o
		e := history.Event{V: history.Version, Kind: history.Invoke, Process: o.proc, Op: o.op, Key: o.key, Value: o.amt, Time: l.t}
		if o.final {
			e.Detail = "final"
		}
		if l.done {
			e.Kind, e.Detail = o.kind, ""
			if o.kind == history.OK {
				e.Refused = o.refused
				if o.op != "deposit" {
					e.Result = o.result
				}
				if o.op == "balance" && !o.final {
					reads[len(h)] = true
				}
			} else {
				e.Error = "timeout"
			}
		}
		h = append(h, e)
	}
	return checkers.Input{History: h, Observations: obs}, reads
}

func TestPropertySeeds(t *testing.T) {
	for seed := uint64(1); seed <= 40; seed++ {
		t.Run(fmt.Sprintf("seed=%d", seed), func(t *testing.T) {
			replay := fmt.Sprintf("go test ./checkers -run 'TestPropertySeeds/seed=%d$'", seed)
			in, reads := genLedger(seed, 3, 5, 30)
			for _, r := range []checkers.Result{
				checkers.Linearizable(in, checkers.LinOptions{}),
				checkers.NonNeg(in),
				checkers.Conserve(in),
				checkers.RPO(in),
			} {
				if r.Verdict != checkers.Valid {
					t.Fatalf("seed %d: %s %s: %s %+v\nreplay: %s", seed, r.Checker, r.Verdict, r.Summary, r.First, replay)
				}
			}
			// Plant a read no ordering explains: it must be caught and named.
			var planted []int
			for i := range reads {
				planted = append(planted, i)
			}
			sort.Ints(planted)
			if len(planted) == 0 {
				return
			}
			at := planted[int(seed)%len(planted)]
			bad := *in.History[at].Result + 1_000_003
			in.History[at].Result = &bad
			r := checkers.Linearizable(in, checkers.LinOptions{})
			if r.Verdict != checkers.Invalid {
				t.Fatalf("seed %d: planted read at line %d: %s %s\nreplay: %s", seed, at, r.Verdict, r.Summary, replay)
			}
			// First names invokes; the planted line is the completion.
			inv := at - 1
			for in.History[inv].Process != in.History[at].Process || in.History[inv].Kind != history.Invoke {
				inv--
			}
			named := false
			for _, f := range r.First {
				named = named || f.Index == inv
			}
			if !named {
				t.Fatalf("seed %d: planted read at line %d not named: %+v\nreplay: %s", seed, at, r.First, replay)
			}
		})
	}
}
