package checkers

import (
	"sort"

	"vaultdrill/checkers/history"
)

// Verdict is a checker's answer.
type Verdict string

const (
	Valid   Verdict = "valid"
	Invalid Verdict = "invalid"
	// Unknown: the checker could not decide (time limit, cap, missing
	// evidence). It is never rounded up to Valid.
	Unknown Verdict = "unknown"
)

// Compose merges verdicts: Invalid beats Unknown beats Valid. No verdicts
// compose to Valid (nothing was violated).
func Compose(vs ...Verdict) Verdict {
	out := Valid
	for _, v := range vs {
		switch v {
		case Invalid:
			return Invalid
		case Valid:
		default:
			// Unknown, and anything unrecognised: not evidence of validity.
			out = Unknown
		}
	}
	return out
}

// OpRef names one operation in a report.
type OpRef struct {
	// Index is the 0-based line index in the history of the operation's
	// invoke; -1 when the reference is to an observation.
	Index   int    `json:"index"`
	Process int    `json:"process"`
	Op      string `json:"op"`
	Key     string `json:"key,omitempty"`
	// Time is the invoke time (for an observation, its time), ns since the
	// run's epoch.
	Time int64  `json:"time"`
	Desc string `json:"desc"`
}

// Result is what one checker found.
type Result struct {
	Checker string  `json:"checker"` // invariant id, e.g. "INV-LINEARIZABLE"
	Verdict Verdict `json:"verdict"`
	Summary string  `json:"summary"` // one line a human reads
	// First: the first offending operations, at most FirstMax, in history
	// order.
	First    []OpRef          `json:"first,omitempty"`
	Measured map[string]int64 `json:"measured,omitempty"`
	// Notes: named facts in words a report shows beside the figures
	// (ATTACK:<id> sets "control", the response that answered it).
	Notes map[string]string `json:"notes,omitempty"`
}

// Input is everything a checker may look at: the recorded client history
// and the observation stream. Never the system's internals.
type Input struct {
	History      []history.Event
	Observations []history.Observation
}

// FirstMax bounds Result.First.
const FirstMax = 10

// Checker ids.
const (
	CheckLinearizable = "INV-LINEARIZABLE"
	CheckNonNeg       = "INV-NONNEG"
	CheckConserve     = "INV-CONSERVE"
	CheckRPO          = "INV-RPO"
	CheckRTO          = "INV-RTO"
	CheckLiveness     = "LIVENESS"
)

// historyOrder sorts history references by line index and keeps at most
// FirstMax of them. Observation references (Index -1) keep their relative
// order after the history ones.
func historyOrder(refs []OpRef) []OpRef {
	sort.SliceStable(refs, func(i, j int) bool {
		a, b := refs[i].Index, refs[j].Index
		if a < 0 || b < 0 {
			return a >= 0 && b < 0
		}
		return a < b
	})
	return dedupRefs(refs)
}

// dedupRefs drops repeated references to the same history line and caps
// the list at FirstMax.
func dedupRefs(refs []OpRef) []OpRef {
	var out []OpRef
	seen := map[int]bool{}
	for _, r := range refs {
		if r.Index >= 0 {
			if seen[r.Index] {
				continue
			}
			seen[r.Index] = true
		}
		out = append(out, r)
		if len(out) == FirstMax {
			break
		}
	}
	return out
}
