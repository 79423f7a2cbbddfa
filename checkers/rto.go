package checkers

import (
	"fmt"
	"time"

	"vaultdrill/checkers/history"
)

// firstFault returns the line index of the earliest fault line with the op
// (ties: the first in the history), or -1.
func firstFault(h []history.Event, op string) int {
	at := -1
	for i, e := range h {
		if e.Kind == history.Fault && e.Op == op && (at < 0 || e.Time < h[at].Time) {
			at = i
		}
	}
	return at
}

// lastFault returns the line index of the latest fault line with the op
// (ties: the last in the history), or -1.
func lastFault(h []history.Event, op string) int {
	at := -1
	for i, e := range h {
		if e.Kind == history.Fault && e.Op == op && (at < 0 || e.Time >= h[at].Time) {
			at = i
		}
	}
	return at
}

// RTO checks INV-RTO: the time from the first fault line whose Op is
// faultOp to the completion of the first ok write (a deposit or withdrawal
// answered ok; a refused withdrawal counts, it is a definite answer) invoked
// strictly after the fault. Attempts are taken one by one (a retry is a
// write of its own). Invalid when the measured time exceeds target (a zero
// target only measures); Unknown when the fault never happened or no such
// write completed.
func RTO(in Input, faultOp string, target time.Duration) Result {
	res := Result{Checker: CheckRTO, Measured: map[string]int64{}}
	if target > 0 {
		res.Measured["target_ns"] = int64(target)
	}
	fi := firstFault(in.History, faultOp)
	if fi < 0 {
		res.Verdict = Unknown
		res.Summary = fmt.Sprintf("no %q fault in the history: nothing to measure", faultOp)
		return res
	}
	fault := in.History[fi].Time
	res.Measured["fault_ns"] = fault
	attempts, err := ledgerAttempts(in.History)
	if err != nil {
		res.Verdict = Unknown
		res.Summary = "history unusable: " + err.Error()
		return res
	}
	best := -1
	for i, o := range attempts {
		if !isWrite(o.Op) || (o.Outcome != outOK && o.Outcome != outRefused) || o.InvokeTime <= fault {
			continue
		}
		if best < 0 || o.Return < attempts[best].Return {
			best = i
		}
	}
	if best < 0 {
		res.Verdict = Unknown
		res.Summary = fmt.Sprintf("no write invoked after %s at %v completed ok: service never observed restored", faultOp, time.Duration(fault))
		return res
	}
	w := attempts[best]
	rto := w.Return - fault
	res.Measured["recovered_ns"] = w.Return
	res.Measured["rto_ns"] = rto
	res.First = []OpRef{w.ref()}
	res.Summary = fmt.Sprintf("RTO %v after %s at %v (first ok write: %s)", time.Duration(rto), faultOp, time.Duration(fault), describe(w))
	switch {
	case target > 0 && rto > int64(target):
		res.Verdict = Invalid
		res.Summary += fmt.Sprintf(", over the target %v", target)
	default:
		res.Verdict = Valid
		if target > 0 {
			res.Summary += fmt.Sprintf(", within the target %v", target)
		}
	}
	return res
}
