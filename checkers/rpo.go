package checkers

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"vaultdrill/system/api"
)

// RPOSumsMax bounds the distinct subset sums of an account's uncertain
// writes that RPO enumerates; past it the account is Unknown. Up to 20
// uncertain writes always fit; more fit when their sums coincide (small or
// repeated amounts). rpoWorkMax bounds the enumeration's total work.
const (
	RPOSumsMax = 1 << 20
	rpoWorkMax = 1 << 26
)

// rpoPairBudget bounds the search for two lost writes (pairs x sums).
const rpoPairBudget = 4_000_000

// RPO checks INV-RPO: no acknowledged write is lost. For every account with
// an ok final read (invoke Detail "final"), the balance it saw must equal the
// sum of the acknowledged writes (ok deposits +v, ok withdrawals -v, refused
// withdrawals 0) plus the effect of some subset of the uncertain ones. Against
// a final read R:
//   - acknowledged: ok writes that completed before R was invoked;
//   - uncertain: info writes invoked before R completed (a withdrawal may
//     also have been refused, so {0, -v}), and ok writes concurrent with R
//     (their distinct subset sums at most RPOSumsMax, else Unknown);
//   - writes invoked after R completed are not counted.
//
// Writes sharing an idempotency key count once (see logicalOps).
//
// Measured["lost_acked"] is a lower bound on the acknowledged writes
// missing, summed over the failing accounts. Per account it is the least k
// such that removing k acknowledged writes (with some subset of the
// uncertain ones) explains the final balance, found exactly for k <= 2 and
// naming those writes. When no k <= 2 works it counts 3 if the account has
// at least 3 acknowledged writes (if losses explain the balance at all, at
// least 3 are lost) and 0 otherwise (no loss explains it: money appeared or
// a write applied twice); when the pair search is over its budget, 2.
func RPO(in Input) Result {
	res := Result{Checker: CheckRPO, Measured: map[string]int64{}}
	attempts, err := ledgerAttempts(in.History)
	if err != nil {
		res.Verdict = Unknown
		res.Summary = "history unusable: " + err.Error()
		return res
	}
	type account struct {
		writes []ledgerOp
		finals []ledgerOp
	}
	accts := map[string]*account{}
	for _, o := range logicalOps(attempts) {
		a := accts[o.Key]
		if a == nil {
			a = &account{}
			accts[o.Key] = a
		}
		switch {
		case isWrite(o.Op) && o.Outcome != outFail:
			a.writes = append(a.writes, o)
		case !isWrite(o.Op) && o.Final && o.Outcome == outOK && o.Result != nil:
			a.finals = append(a.finals, o)
		}
	}
	var verdicts []Verdict
	var refs []OpRef
	var lost, checked int64
	var bad, unknown []string
	for _, key := range sortedKeys(accts) {
		a := accts[key]
		if len(a.writes) == 0 {
			continue
		}
		if len(a.finals) == 0 {
			verdicts = append(verdicts, Unknown)
			unknown = append(unknown, key+" (no final read)")
			continue
		}
		checked++
		for _, f := range a.finals {
			v := rpoAccount(a.writes, f)
			verdicts = append(verdicts, v.verdict)
			switch v.verdict {
			case Invalid:
				bad = append(bad, key+" "+v.note)
				lost += v.lost
				refs = append(refs, v.refs...)
			case Unknown:
				unknown = append(unknown, key+" ("+v.note+")")
			}
		}
	}
	res.Verdict = Compose(verdicts...)
	res.First = historyOrder(refs)
	res.Measured["accounts_checked"] = checked
	res.Measured["accounts_lost"] = int64(len(bad))
	res.Measured["accounts_unknown"] = int64(len(unknown))
	res.Measured["lost_acked"] = lost
	switch res.Verdict {
	case Valid:
		res.Summary = fmt.Sprintf("no acknowledged write lost: %d accounts match their final reads", checked)
	case Invalid:
		res.Summary = fmt.Sprintf("acknowledged writes lost on %d accounts (at least %d writes): %s", len(bad), lost, joinMax(bad, 3))
		if len(unknown) > 0 {
			res.Summary += fmt.Sprintf("; %d undecided: %s", len(unknown), joinMax(unknown, 3))
		}
	default:
		res.Summary = fmt.Sprintf("undecided on %d accounts: %s", len(unknown), joinMax(unknown, 3))
	}
	return res
}

type rpoVerdict struct {
	verdict Verdict
	note    string
	lost    int64
	refs    []OpRef
}

func delta(o ledgerOp) int64 {
	if api.Op(o.Op) == api.OpWithdraw {
		return -o.Amount
	}
	return o.Amount
}

// rpoAccount judges one account against one final read.
func rpoAccount(writes []ledgerOp, f ledgerOp) rpoVerdict {
	final := *f.Result
	var base int64
	var acked []ledgerOp // acknowledged writes that moved money
	var uncertain []int64
	for _, w := range writes {
		switch {
		case w.Call > f.Return:
			// invoked after the final read completed
		case w.Outcome == outInfo:
			uncertain = append(uncertain, delta(w))
		case w.Outcome == outRefused:
		case w.Return < f.Call:
			base += delta(w)
			acked = append(acked, w)
		default: // ok, concurrent with the read
			uncertain = append(uncertain, delta(w))
		}
	}
	sums, ok := subsetSums(uncertain)
	if !ok {
		return rpoVerdict{verdict: Unknown, note: fmt.Sprintf("%d uncertain writes: their subset sums are over the cap of %d", len(uncertain), RPOSumsMax)}
	}
	if has(sums, final-base) {
		return rpoVerdict{verdict: Valid}
	}
	v := rpoVerdict{verdict: Invalid}
	v.note = fmt.Sprintf("final %d, acknowledged writes sum to %d", final, base)
	if len(uncertain) > 0 {
		v.note += fmt.Sprintf(" (+ a subset of %d uncertain)", len(uncertain))
	}
	// Latest completion first: the likeliest lost.
	sort.SliceStable(acked, func(i, j int) bool { return acked[i].Return > acked[j].Return })
	// Removing writes R explains the balance when base - sum(R) + s = final
	// for some uncertain subset sum s, i.e. sum(R) is in base + sums - final.
	explains := func(removed int64) bool { return has(sums, final-base+removed) }
	var found []ledgerOp
	for _, w := range acked {
		if explains(delta(w)) {
			found = []ledgerOp{w}
			break
		}
	}
	searchedPairs := false
	if found == nil && len(acked) > 1 && len(acked)*len(sums) <= rpoPairBudget {
		searchedPairs = true
		byDelta := map[int64][]int{}
		for j, w := range acked {
			byDelta[delta(w)] = append(byDelta[delta(w)], j)
		}
	pairs:
		for i, w := range acked {
			for _, s := range sums {
				// need delta(w) + delta(x) = base + s - final
				for _, j := range byDelta[base+s-final-delta(w)] {
					if j != i {
						found = []ledgerOp{w, acked[j]}
						break pairs
					}
				}
			}
		}
	}
	switch {
	case found != nil:
		v.lost = int64(len(found))
	case !searchedPairs && len(acked) > 1:
		v.lost = 2 // over the pair budget: the least k is at least 2
	case len(acked) >= 3:
		v.lost = 3
		v.note += "; no one or two lost writes explain it"
	default:
		v.lost = 0
		v.note += "; losing acknowledged writes does not explain it"
	}
	why := "acknowledged but missing from"
	if found == nil {
		found = acked[:min(len(acked), FirstMax)]
		why = "acknowledged; does not add up to"
	}
	for _, w := range found {
		r := w.ref()
		r.Desc += fmt.Sprintf("; %s the final balance %d (final read at line %d)", why, final, f.InvokeIdx)
		v.refs = append(v.refs, r)
	}
	if len(found) == 0 {
		// Nothing acknowledged to blame: name the final read itself.
		v.refs = append(v.refs, f.ref())
	}
	return v
}

// subsetSums returns the sorted distinct sums of the subsets of ds, or
// false when they exceed RPOSumsMax or take more than rpoWorkMax steps.
func subsetSums(ds []int64) ([]int64, bool) {
	sums := []int64{0}
	work := 0
	for _, d := range ds {
		if d == 0 {
			continue
		}
		work += len(sums)
		if work > rpoWorkMax {
			return nil, false
		}
		shifted := make([]int64, len(sums))
		for i, s := range sums {
			shifted[i] = s + d
		}
		sums = mergeSorted(sums, shifted)
		if len(sums) > RPOSumsMax {
			return nil, false
		}
	}
	return sums, true
}

func mergeSorted(a, b []int64) []int64 {
	out := make([]int64, 0, len(a)+len(b))
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		var x int64
		if j == len(b) || (i < len(a) && a[i] <= b[j]) {
			x, i = a[i], i+1
		} else {
			x, j = b[j], j+1
		}
		if len(out) == 0 || out[len(out)-1] != x {
			out = append(out, x)
		}
	}
	return out
}

func has(sorted []int64, x int64) bool {
	_, ok := slices.BinarySearch(sorted, x)
	return ok
}

func joinMax(xs []string, n int) string {
	if len(xs) <= n {
		return strings.Join(xs, "; ")
	}
	return strings.Join(xs[:n], "; ") + fmt.Sprintf("; and %d more", len(xs)-n)
}
