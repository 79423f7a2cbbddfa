package checkers

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"vaultdrill/checkers/history"
)

// CheckCeremony is the key-ceremony check.
const CheckCeremony = "INV-CEREMONY"

// Ceremony judges a key ceremony run over the network: the client's keygen
// request completed ok within bound; every committee member ("world.committee"
// of the key, which the world learns when a share forms) finished the
// ceremony whose key the client was given, so all n hold a share of that key
// and no member was left holding another; and the chain mined at least one
// transaction signed under that key, which the chain verified with a real
// library. A missing ceremony, a disagreeing member, or a key that never
// signs on chain is Invalid.
func Ceremony(in Input, key string, bound time.Duration) Result {
	res := Result{Checker: CheckCeremony, Measured: map[string]int64{}}
	pairs, err := history.Pair(in.History)
	if err != nil {
		res.Verdict, res.Summary = Unknown, "history unusable: "+err.Error()
		return res
	}
	var op *history.Op
	for i := range pairs {
		if pairs[i].Invoke.Op == "keygen" && pairs[i].Invoke.Key == key {
			op = &pairs[i]
			break
		}
	}
	fail := func(ref OpRef, why string) Result {
		res.Verdict, res.First, res.Summary = Invalid, []OpRef{ref}, fmt.Sprintf("key ceremony %s: %s", key, why)
		return res
	}
	if op == nil {
		res.Verdict, res.Summary = Unknown, fmt.Sprintf("no keygen request for %s in the history", key)
		return res
	}
	ref := OpRef{Index: op.InvokeIdx, Process: op.Process, Op: "keygen", Key: key, Time: op.Invoke.Time,
		Desc: fmt.Sprintf("keygen %s -> %s %s", key, op.Done.Kind, op.Done.Error)}
	took := op.Done.Time - op.Invoke.Time
	res.Measured["keygen_ms"] = took / int64(time.Millisecond)
	if op.Done.Kind != history.OK {
		return fail(ref, "the ceremony did not complete: "+string(op.Done.Kind)+" "+op.Done.Error)
	}
	if took > int64(bound) {
		return fail(ref, fmt.Sprintf("the ceremony took %v, bound %v", time.Duration(took), bound))
	}
	pub, ok := strings.CutPrefix(op.Done.Detail, "public key ")
	if !ok || pub == "" {
		return fail(ref, "the client was given no public key")
	}
	var members []string
	last := map[string]string{} // member -> the key of its last finished ceremony
	for _, o := range in.Observations {
		switch {
		case o.Kind == "world.committee" && o.Fields["key"] == key && members == nil:
			members = strings.Split(o.Fields["parties"], ",")
		case o.Kind == "signer.keygen_done" && o.Fields["key"] == key:
			last[o.Node] = o.Fields["public_key"]
		case o.Kind == "chain.tx" && o.Fields["pubkey"] == pub:
			res.Measured["mined"]++
		}
	}
	if members == nil {
		// The ideal engine's shares carry no secret, so the world learns
		// the committee from the members' own reports.
		for m := range last { // determinism: allowed (sorted below)
			members = append(members, m)
		}
		sort.Strings(members)
	}
	res.Measured["members"] = int64(len(members))
	for _, m := range members {
		if last[m] != pub {
			return fail(ref, fmt.Sprintf("member %s holds %q, the client was given %s", m, last[m], pub))
		}
	}
	if res.Measured["mined"] == 0 {
		return fail(ref, "no transaction signed under the new key was mined")
	}
	res.Verdict = Valid
	res.Summary = fmt.Sprintf("key %s made in %v by %d members, all holding the key the client was given; %d transactions under it mined", key, time.Duration(took), len(members), res.Measured["mined"])
	return res
}
