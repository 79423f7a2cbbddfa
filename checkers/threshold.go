package checkers

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"vaultdrill/checkers/history"
)

// Checker ids of the MPC threshold checks.
const (
	CheckThreshold = "INV-MPC-THRESHOLD"
	CheckSignLive  = "LIVENESS-MPC"
)

// reachSpan is one stretch of a key's reachability ("world.reachable").
type reachSpan struct {
	from, to  int64 // [from, to); to = max at the end
	reachable int
	k         int
	cut       string
}

func reachSpans(in Input, key string) []reachSpan {
	var spans []reachSpan
	for _, o := range in.Observations {
		if o.Kind != "world.reachable" || o.Fields["key"] != key {
			continue
		}
		r, _ := strconv.Atoi(o.Fields["reachable"])
		k, _ := strconv.Atoi(o.Fields["k"])
		if n := len(spans); n > 0 {
			spans[n-1].to = o.Time
		}
		spans = append(spans, reachSpan{from: o.Time, to: 1<<63 - 1, reachable: r, k: k, cut: o.Fields["cut"]})
	}
	return spans
}

func signOps(in Input) ([]history.Op, error) {
	pairs, err := history.Pair(in.History)
	if err != nil {
		return nil, err
	}
	var out []history.Op
	for _, p := range pairs {
		if p.Invoke.Op == "sign" {
			out = append(out, p)
		}
	}
	return out, nil
}

func signRef(p history.Op, why string) OpRef {
	return OpRef{Index: p.InvokeIdx, Process: p.Process, Op: "sign", Key: p.Invoke.Key, Time: p.Invoke.Time,
		Desc: fmt.Sprintf("sign with key %s -> %s%s", p.Invoke.Key, p.Done.Kind, why)}
}

// Threshold checks safety: while fewer than k of a key's signers are
// reachable (after grace, the time a session already past its last
// exchange may still take to finish), no signer produces a signature for
// that key and no client gets one. Reachability comes from the world's
// "world.reachable" facts; signatures from "signer.signed" observations and
// ok "sign" completions.
func Threshold(in Input, key string, grace time.Duration) Result {
	res := Result{Checker: CheckThreshold, Measured: map[string]int64{}}
	spans := reachSpans(in, key)
	if len(spans) == 0 {
		res.Verdict, res.Summary = Unknown, fmt.Sprintf("no reachability facts for key %s: nothing to judge", key)
		return res
	}
	below := func(t int64) (reachSpan, bool) {
		for _, s := range spans {
			if t >= s.from+int64(grace) && t < s.to && s.reachable < s.k {
				return s, true
			}
		}
		return reachSpan{}, false
	}
	var bad []OpRef
	for _, o := range in.Observations {
		if o.Kind != "signer.signed" || o.Fields["key"] != key {
			continue
		}
		res.Measured["signed"]++
		if s, ok := below(o.Time); ok {
			bad = append(bad, OpRef{Index: -1, Process: -1, Op: "signed", Key: key, Time: o.Time,
				Desc: fmt.Sprintf("%s signed session %s with only %d of k=%d signers reachable (cut: %s)", o.Node, o.Fields["session"], s.reachable, s.k, s.cut)})
		}
	}
	ops, err := signOps(in)
	if err != nil {
		res.Verdict, res.Summary = Unknown, "history unusable: "+err.Error()
		return res
	}
	for _, p := range ops {
		if p.Invoke.Key != key || p.Done.Kind != history.OK {
			continue
		}
		res.Measured["ok"]++
		if s, ok := below(p.Invoke.Time); ok && p.Done.Time < s.to {
			bad = append(bad, signRef(p, fmt.Sprintf(": a signature with only %d of k=%d reachable", s.reachable, s.k)))
		}
	}
	minReach := spans[0].reachable
	for _, s := range spans {
		if s.reachable < minReach {
			minReach = s.reachable
		}
	}
	res.Measured["reachable_min"] = int64(minReach)
	res.Measured["k"] = int64(spans[0].k)
	if len(bad) > 0 {
		sort.SliceStable(bad, func(i, j int) bool { return bad[i].Time < bad[j].Time })
		if len(bad) > FirstMax {
			bad = bad[:FirstMax]
		}
		res.Verdict, res.First = Invalid, bad
		res.Summary = fmt.Sprintf("key %s signed below its threshold: %s", key, bad[0].Desc)
		return res
	}
	res.Verdict = Valid
	res.Summary = fmt.Sprintf("key %s: no signature while fewer than k=%d signers were reachable (minimum reachable %d); %d signed, %d requests answered", key, spans[0].k, minReach, res.Measured["signed"], res.Measured["ok"])
	return res
}

// SignLiveness checks that with k or more signers reachable for the whole
// of [invoke, invoke+bound], a signing request is answered ok within bound.
func SignLiveness(in Input, key string, bound time.Duration) Result {
	res := Result{Checker: CheckSignLive, Measured: map[string]int64{}}
	spans := reachSpans(in, key)
	ops, err := signOps(in)
	if err != nil || len(spans) == 0 {
		res.Verdict, res.Summary = Unknown, fmt.Sprintf("key %s: no reachability facts or an unusable history", key)
		return res
	}
	end := int64(0)
	for _, e := range in.History {
		if e.Time > end {
			end = e.Time
		}
	}
	healthy := func(from, to int64) bool {
		for _, s := range spans {
			if s.from < to && from < s.to && s.reachable < s.k {
				return false
			}
		}
		return true
	}
	var bad []OpRef
	var worst int64
	for _, p := range ops {
		if p.Invoke.Key != key {
			continue
		}
		t := p.Invoke.Time
		deadline := t + int64(bound)
		if deadline > end || !healthy(t, deadline) {
			continue
		}
		res.Measured["judged"]++
		if p.Done.Kind == history.OK && p.Done.Time <= deadline {
			if d := p.Done.Time - t; d > worst {
				worst = d
			}
			continue
		}
		bad = append(bad, signRef(p, fmt.Sprintf(" although k signers were reachable for all of %v", bound)))
	}
	res.Measured["slowest_ns"] = worst
	if len(bad) > 0 {
		if len(bad) > FirstMax {
			bad = bad[:FirstMax]
		}
		res.Verdict, res.First = Invalid, bad
		res.Summary = fmt.Sprintf("key %s: %d requests not signed within %v with k signers reachable; first: %s", key, len(bad), bound, bad[0].Desc)
		return res
	}
	if res.Measured["judged"] == 0 {
		res.Verdict, res.Summary = Unknown, fmt.Sprintf("key %s: no request had k signers reachable for a whole %v", key, bound)
		return res
	}
	res.Verdict = Valid
	res.Summary = fmt.Sprintf("key %s: %d requests with k reachable all signed within %v (slowest %v)", key, res.Measured["judged"], bound, time.Duration(worst))
	return res
}
