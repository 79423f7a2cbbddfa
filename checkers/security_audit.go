package checkers

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// sinkOutages judges custody progress while the audit sinks are down:
// from each world.audit_sinks up=0 until the next up=1 (the end of the
// run when none comes), no wallet.state other than requested and no
// withdrawal reservation (the first ledger.apply ok under idem wd:ID).
// It returns the offending facts and the number of outages and halts.
func sinkOutages(in Input, s *secFacts) (bad []OpRef, outages, halts int64) {
	reserveAt := map[int]reserve{}
	for _, r := range s.reserves() {
		reserveAt[r.idx] = r
	}
	down := false
	var since int64
	last := map[string]string{} // node, withdrawal -> its last wallet.state there
	for i, o := range in.Observations {
		f := fact{idx: i, Observation: o}
		switch o.Kind {
		case obsAuditSinks:
			switch f.get("up") {
			case "0":
				if !down {
					down, since = true, o.Time
					outages++
				}
			case "1":
				down = false
			}
		case obsAuditHalt:
			if down {
				halts++
			}
		case obsWallet:
			// a withdrawal's step on a node; repeating the state it is
			// already in (a retry noted) is no progress
			k := o.Node + "\x00" + f.get("withdrawal")
			prev, seen := last[k]
			last[k] = f.get("state")
			if down && f.get("state") != "requested" && (!seen || prev != f.get("state")) {
				bad = append(bad, f.ref(f.get("withdrawal"), fmt.Sprintf("withdrawal %s moved to %s on %s at %s while every audit sink was down (since %s)",
					f.get("withdrawal"), f.get("state"), o.Node, nsStr(o.Time), nsStr(since))))
			}
		case obsApply:
			if r, ok := reserveAt[i]; ok && down {
				bad = append(bad, f.ref(r.id, fmt.Sprintf("withdrawal %s reserved (%s ledger.apply wd:%s ok) at %s while every audit sink was down (since %s)",
					r.id, o.Node, r.id, nsStr(o.Time), nsStr(since))))
			}
		}
	}
	return bad, outages, halts
}

// Audit (INV-AUDIT): every audit replica the world read at the end
// (world.audit, the last one per node) verifies ok and left no field
// empty; replicas of the same log (the same origin field; facts without
// one are all copies of one log) holding the same number of entries have
// the same head; and while the audit sinks are down no custody operation
// progresses (sinkOutages). Replicas of one log holding different numbers
// of entries may be a prefix of one another or a fork: world.audit carries
// only the last hash, so that cannot be told and the verdict is Unknown
// unless something else is Invalid. Copies of different logs are never
// compared.
func Audit(in Input) Result {
	res := Result{Checker: CheckAudit, Measured: map[string]int64{}}
	s := readSecurity(in)
	if !s.any(obsAudit, obsAuditSinks) {
		return unknown(res, "no audit facts (world.audit, world.audit_sinks): nothing to judge")
	}
	last := map[string]fact{}
	for _, f := range s.of(obsAudit) {
		last[f.get("node")] = f
	}
	type replica struct {
		node, head string
		entries    int64
		f          fact
	}
	logs := map[string][]replica{} // by origin
	var bad []OpRef
	var undecided []string
	for _, node := range sortedKeys(last) {
		f := last[node]
		res.Measured["replicas"]++
		if v := f.get("verify"); v != "ok" {
			bad = append(bad, f.ref(node, fmt.Sprintf("audit replica %s does not verify: %s", node, orNone(v))))
		}
		if m := f.get("missing_fields"); m != "" {
			bad = append(bad, f.ref(node, fmt.Sprintf("audit replica %s has entries with empty fields: %s", node, m)))
		}
		n, err := strconv.ParseInt(f.get("entries"), 10, 64)
		if err != nil {
			undecided = append(undecided, fmt.Sprintf("replica %s: entries %q", node, f.get("entries")))
			continue
		}
		res.Measured["entries_max"] = max(res.Measured["entries_max"], n)
		o := f.get("origin")
		logs[o] = append(logs[o], replica{node: node, head: strings.ToLower(f.get("head")), entries: n, f: f})
	}
	res.Measured["logs"] = int64(len(logs))
	for _, o := range sortedKeys(logs) {
		reps := logs[o]
		sort.SliceStable(reps, func(i, j int) bool { return reps[i].entries > reps[j].entries })
		for i := 1; i < len(reps); i++ {
			a, b := reps[0], reps[i]
			for j := 0; j < i; j++ {
				if reps[j].entries == b.entries {
					a = reps[j]
					break
				}
			}
			switch {
			case a.entries == b.entries && a.head != b.head:
				res.Measured["forks"]++
				bad = append(bad, b.f.ref(b.node, fmt.Sprintf("audit replicas %s and %s both hold %d entries but end in different heads %s and %s",
					a.node, b.node, b.entries, abbrev(a.head), abbrev(b.head))))
			case a.entries != b.entries:
				res.Measured["shorter"]++
				undecided = append(undecided, fmt.Sprintf("replica %s holds %d entries, %s holds %d: a prefix cannot be told from a fork by the heads alone",
					b.node, b.entries, a.node, a.entries))
			}
		}
	}
	ob, outages, halts := sinkOutages(in, s)
	bad = append(bad, ob...)
	res.Measured["sink_outages"], res.Measured["halts"] = outages, halts
	res.Measured["progress_while_down"] = int64(len(ob))
	if len(bad) == 0 && len(undecided) > 0 {
		return unknown(res, fmt.Sprintf("%d audit replicas could not be compared (first: %s)", len(undecided), undecided[0]))
	}
	if len(bad) == 0 && len(last) == 0 {
		return unknown(res, fmt.Sprintf("no audit replica read (world.audit); %d sink outages with no custody progress", outages))
	}
	return finishInTime(res, bad, "audit trail violations",
		fmt.Sprintf("%d audit replicas verify, are complete and agree on the head (%d entries); %d sink outages with no custody progress (%d halts reported)",
			res.Measured["replicas"], res.Measured["entries_max"], outages, halts))
}
