package checkers

import (
	"fmt"
	"sort"
	"time"

	"vaultdrill/checkers/history"
)

// WithdrawLiveness (LIVENESS-WITHDRAW): every withdraw the history invoked
// completes ok or fail within bound after the later of its invoke and
// healAt (ns of the last fault's heal; 0 if none). A completion past that
// deadline, or an info completion at any time (the client never learned
// the outcome), is Invalid. An invoke with no completion is Invalid when
// the history runs past its deadline; when the history ends first it was
// never given the whole bound, and the verdict is at best Unknown.
func WithdrawLiveness(in Input, healAt int64, bound time.Duration) Result {
	res := Result{Checker: CheckWithdrawLive, Measured: map[string]int64{
		"bound_ms": bound.Milliseconds(), "heal_ns": healAt}}
	ws, err := withdrawalRequests(in.History)
	if err != nil {
		return unknown(res, "history unusable: "+err.Error())
	}
	var ops []history.Op
	for _, w := range ws { // determinism: allowed (sorted below)
		ops = append(ops, w.ops...)
	}
	if len(ops) == 0 {
		return unknown(res, "no withdraw invoked in the history: nothing to judge")
	}
	sort.Slice(ops, func(i, j int) bool { return ops[i].InvokeIdx < ops[j].InvokeIdx })
	end := int64(0)
	for _, e := range in.History {
		end = max(end, e.Time)
	}
	var bad, open []OpRef
	var slowest int64
	for _, op := range ops {
		res.Measured["withdrawals"]++
		from := max(op.Invoke.Time, healAt)
		deadline := from + int64(bound)
		ref := OpRef{Index: op.InvokeIdx, Process: op.Process, Op: "withdraw", Key: op.Invoke.Key, Time: op.Invoke.Time}
		switch {
		case op.DoneIdx < 0:
			res.Measured["open"]++
			if end > deadline {
				ref.Desc = fmt.Sprintf("withdrawal %s of %d invoked at %v never completed; its deadline %v passed (history ends at %v)",
					op.Invoke.Key, op.Invoke.Value, time.Duration(op.Invoke.Time), time.Duration(deadline), time.Duration(end))
				bad = append(bad, ref)
			} else {
				ref.Desc = fmt.Sprintf("withdrawal %s invoked at %v still open when the history ended at %v, before its deadline %v",
					op.Invoke.Key, time.Duration(op.Invoke.Time), time.Duration(end), time.Duration(deadline))
				open = append(open, ref)
			}
		case op.Done.Kind == history.Info:
			res.Measured["info"]++
			ref.Desc = fmt.Sprintf("withdrawal %s invoked at %v ended info at %v: the client never learned the outcome",
				op.Invoke.Key, time.Duration(op.Invoke.Time), time.Duration(op.Done.Time))
			if op.Done.Error != "" {
				ref.Desc += " (" + op.Done.Error + ")"
			}
			bad = append(bad, ref)
		default:
			if op.Done.Kind == history.OK {
				res.Measured["ok"]++
			} else {
				res.Measured["failed"]++
			}
			took := op.Done.Time - from
			slowest = max(slowest, op.Done.Time-op.Invoke.Time)
			if op.Done.Time > deadline {
				ref.Desc = fmt.Sprintf("withdrawal %s invoked at %v answered %s at %v, %v after %s; bound %v",
					op.Invoke.Key, time.Duration(op.Invoke.Time), op.Done.Kind, time.Duration(op.Done.Time), time.Duration(took),
					sinceWhat(op.Invoke.Time, healAt), bound)
				bad = append(bad, ref)
			}
		}
	}
	res.Measured["slowest_ms"] = slowest / int64(time.Millisecond)
	if len(bad) == 0 && len(open) > 0 {
		res.First = open[:min(len(open), FirstMax)]
		return unknown(res, fmt.Sprintf("%d of %d withdrawals still open when the history ended before their deadline; first: %s",
			len(open), len(ops), open[0].Desc))
	}
	// ops run in invoke order, so bad is in history order already
	return finish(res, bad, "withdrawals not answered within the bound",
		fmt.Sprintf("%d withdrawals each answered within %v of its invoke or the last heal (%d ok, %d failed; slowest %v)",
			len(ops), bound, res.Measured["ok"], res.Measured["failed"], time.Duration(slowest)))
}

func sinceWhat(invoke, healAt int64) string {
	if healAt > invoke {
		return "the last heal"
	}
	return "its invoke"
}
