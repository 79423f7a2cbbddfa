package checkers

import (
	"fmt"
	"time"

	"vaultdrill/checkers/history"
)

// Liveness checks LIVENESS after the last fault line whose Op is after
// (e.g. "heal-all"), at time H, with deadline D = H + bound:
//
//   - some write (deposit or withdrawal) completes ok (refused counts: it
//     is a definite answer) at a time in [H, D];
//   - no operation of any kind invoked after D ends info. An operation
//     still pending when the history ends counts as ending info only if it
//     was invoked more than bound before the history's last event (it had
//     the whole bound to answer).
//
// Invalid when either fails, naming the operations: the writes that were
// in flight in [H, D] without an ok answer in time, and the late info
// operations. Unknown when there is no such fault, or no write completed
// in [H, D] and either the history ends before D or no write was even
// attempted in that window.
func Liveness(in Input, after string, bound time.Duration) Result {
	res := Result{Checker: CheckLiveness, Measured: map[string]int64{"bound_ns": int64(bound)}}
	hi := lastFault(in.History, after)
	if hi < 0 {
		res.Verdict = Unknown
		res.Summary = fmt.Sprintf("no %q fault in the history: nothing to judge", after)
		return res
	}
	heal := in.History[hi].Time
	deadline := heal + int64(bound)
	res.Measured["heal_ns"] = heal
	pairs, err := history.Pair(in.History)
	if err != nil {
		res.Verdict = Unknown
		res.Summary = "history unusable: " + err.Error()
		return res
	}
	end := int64(0)
	for _, e := range in.History {
		end = max(end, e.Time)
	}

	firstOK := int64(-1) // earliest ok write completion at or after heal
	var stalled []OpRef  // writes in flight in [heal, deadline], no timely ok
	var late []OpRef     // operations invoked after deadline that ended info
	attempted := false
	for _, p := range pairs {
		o := attemptOf(p)
		definite := o.Outcome == outOK || o.Outcome == outRefused
		if isWrite(o.Op) {
			if definite && o.Return >= heal && (firstOK < 0 || o.Return < firstOK) {
				firstOK = o.Return
			}
			inWindow := o.InvokeTime <= deadline && (p.DoneIdx < 0 || o.Return >= heal)
			if inWindow {
				attempted = true
				if !definite || o.Return > deadline {
					stalled = append(stalled, o.ref())
				}
			}
		}
		if o.InvokeTime > deadline && o.Outcome == outInfo {
			if p.DoneIdx >= 0 || end-o.InvokeTime > int64(bound) {
				late = append(late, o.ref())
			}
		}
	}
	if firstOK >= 0 {
		res.Measured["first_ok_after_heal_ns"] = firstOK - heal
	}
	res.Measured["info_after_bound"] = int64(len(late))
	progressed := firstOK >= 0 && firstOK <= deadline

	var problems []string
	var refs []OpRef
	undecided := ""
	switch {
	case progressed:
	case end < deadline:
		undecided = fmt.Sprintf("the history ends %v after %s, before the bound %v, with no write answered", time.Duration(end-heal), after, bound)
	case !attempted:
		undecided = fmt.Sprintf("no write attempted within %v after %s", bound, after)
	default:
		problems = append(problems, fmt.Sprintf("no write completed ok within %v after %s (%d in flight)", bound, after, len(stalled)))
		refs = append(refs, stalled...)
	}
	if len(late) > 0 {
		problems = append(problems, fmt.Sprintf("%d operations invoked more than %v after %s ended info", len(late), bound, after))
		refs = append(refs, late...)
	}
	res.First = historyOrder(refs)
	switch {
	case len(problems) > 0:
		res.Verdict = Invalid
		res.Summary = joinMax(problems, 2)
	case undecided != "":
		res.Verdict = Unknown
		res.Summary = undecided
	default:
		res.Verdict = Valid
		res.Summary = fmt.Sprintf("live: first write answered %v after %s (bound %v); no info after the bound", time.Duration(firstOK-heal), after, bound)
	}
	return res
}
