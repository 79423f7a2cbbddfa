package checkers

import (
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"vaultdrill/checkers/history"
)

// Checker ids of the key invariants.
const (
	CheckShares     = "INV-SHARES"
	CheckSealed     = "INV-SEALED"
	CheckMPCBind    = "INV-MPCBIND"
	CheckQuarantine = "INV-QUARANTINE"
	CheckHSMUnknown = "INV-HSMUNKNOWN"
)

func keyRef(o history.Observation, desc string) OpRef {
	return OpRef{Index: -1, Process: -1, Op: o.Kind, Key: o.Fields["key"], Time: o.Time, Desc: desc}
}

func finish(res Result, bad []OpRef, what string, ok string) Result {
	if len(bad) > 0 {
		res.Verdict = Invalid
		res.Summary = fmt.Sprintf("%d %s; first: %s", len(bad), what, bad[0].Desc)
		if len(bad) > FirstMax {
			bad = bad[:FirstMax]
		}
		res.First = bad
		return res
	}
	res.Verdict, res.Summary = Valid, ok
	return res
}

// Shares (INV-SHARES): no single place (a node's disk, or what one node
// received on the wire) and no single region ever held k or more distinct
// clear shares of one key, and no complete key ("party" "*") was seen
// anywhere. Facts: the world's leak scanner ("world.share_seen") and the
// committees ("world.committee").
func Shares(in Input) Result {
	res := Result{Checker: CheckShares, Measured: map[string]int64{}}
	k := map[string]int{}
	for _, o := range in.Observations {
		if o.Kind == "world.committee" {
			k[o.Fields["key"]], _ = strconv.Atoi(o.Fields["k"])
		}
	}
	held := map[string]map[string]bool{} // key|place or key|region -> parties
	var bad []OpRef
	for _, o := range in.Observations {
		if o.Kind != "world.share_seen" {
			continue
		}
		f := o.Fields
		res.Measured["clear_seen"]++
		if f["party"] == "*" {
			bad = append(bad, keyRef(o, fmt.Sprintf("a complete %s key seen at %s", f["key"], f["place"])))
			continue
		}
		kk, ok := k[f["key"]]
		if !ok {
			res.Verdict, res.Summary = Unknown, fmt.Sprintf("clear shares of key %s seen, but its committee is unknown", f["key"])
			return res
		}
		place := f["place"]
		if f["where"] == "wire" {
			place = place[strings.Index(place, "->")+2:]
		}
		for _, scope := range []string{"node " + place, "region " + f["region"]} {
			id := f["key"] + "|" + scope
			if held[id] == nil {
				held[id] = map[string]bool{}
			}
			held[id][f["party"]] = true
			if len(held[id]) == kk {
				bad = append(bad, keyRef(o, fmt.Sprintf("%s held %d of the %d shares key %s needs", scope, kk, kk, f["key"])))
			}
		}
	}
	return finish(res, bad, "places holding k shares", fmt.Sprintf("no place or region ever held k shares (%d clear sightings)", res.Measured["clear_seen"]))
}

// Sealed (INV-SEALED): no clear share at rest (a "world.share_seen" on a
// disk, or a key file the scanner found unsealed), and no HSM export that
// did not fail with CKR_KEY_UNEXTRACTABLE.
func Sealed(in Input) Result {
	res := Result{Checker: CheckSealed, Measured: map[string]int64{}}
	var bad []OpRef
	signers := false
	for _, o := range in.Observations {
		f := o.Fields
		switch {
		case strings.HasPrefix(o.Kind, "signer."):
			signers = true
		case o.Kind == "world.share_seen" && f["where"] == "disk":
			bad = append(bad, keyRef(o, fmt.Sprintf("clear share of %s/%s at rest on %s in %s", f["key"], f["party"], f["place"], f["file"])))
		case o.Kind == "world.sealed_file":
			res.Measured["files"]++
			if f["sealed"] != "true" {
				bad = append(bad, keyRef(o, fmt.Sprintf("%s:%s holds key material not sealed by the HSM", f["node"], f["file"])))
			}
		case o.Kind == "hsm.op" && strings.HasPrefix(f["op"], "export") && f["rv"] != "CKR_KEY_UNEXTRACTABLE":
			bad = append(bad, keyRef(o, fmt.Sprintf("%s: HSM export answered %s", o.Node, f["rv"])))
		}
	}
	if len(bad) == 0 && signers && res.Measured["files"] == 0 {
		res.Verdict, res.Summary = Unknown, "signers ran but no key file was scanned"
		return res
	}
	return finish(res, bad, "clear key materials at rest", fmt.Sprintf("every key file sealed (%d scanned), no export", res.Measured["files"]))
}

// MPCBind (INV-MPCBIND): every replayed or spoofed MPC message the world
// injected ("world.attack") was rejected by its receiver, naming the
// sender the host authenticated, within 5 s; every tampered one was
// rejected or blamed on its sender. Only the wire attacks count: a
// world.attack without a "kind" (an attack on something else: an HSM, the
// audit sinks, a withdrawal) is not an MPC message.
func MPCBind(in Input) Result {
	res := Result{Checker: CheckMPCBind, Measured: map[string]int64{}}
	var reacts []history.Observation
	for _, o := range in.Observations {
		if o.Kind == "signer.reject" || o.Kind == "signer.blame" {
			reacts = append(reacts, o)
		}
	}
	used := make([]bool, len(reacts))
	var bad []OpRef
	for _, a := range in.Observations {
		if a.Kind != "world.attack" || a.Fields["kind"] == "" || a.Fields["kind"] == "withhold" {
			// "" is a security-layer attack fact (attack, actor, target):
			// not an injected MPC message
			continue
		}
		res.Measured["attacks"]++
		from, kind := a.Fields["from"], a.Fields["kind"]
		found := false
		for i, r := range reacts {
			if used[i] || r.Node != a.Node || r.Time < a.Time || r.Time > a.Time+int64(5*time.Second) {
				continue
			}
			named := r.Fields["sender"] == from
			if kind == "tamper" && r.Kind == "signer.blame" {
				named = false
				for _, c := range strings.Split(r.Fields["culprits"], ",") {
					named = named || c == from
				}
			}
			if named {
				// a blame covers every tampered message of its session
				used[i] = r.Kind == "signer.reject"
				found = true
				break
			}
		}
		if !found {
			bad = append(bad, keyRef(a, fmt.Sprintf("%s message from %s to %s at %v was not rejected", kind, from, a.Node, time.Duration(a.Time))))
		} else {
			res.Measured["rejected"]++
		}
	}
	return finish(res, bad, "attacks accepted", fmt.Sprintf("all %d injected MPC attacks rejected, sender named", res.Measured["attacks"]))
}

// Quarantine (INV-QUARANTINE): a quarantined party was named by at least as
// many attributable blames as the strikes reported; a party named by three
// or more attributable blames is quarantined; and one (key, session,
// attempt) never began with two different party sets or digests.
func Quarantine(in Input) Result {
	res := Result{Checker: CheckQuarantine, Measured: map[string]int64{}}
	attributable := map[string]int{}
	begun := map[string]string{}
	quarantined := map[string]bool{}
	var bad []OpRef
	for _, o := range in.Observations {
		f := o.Fields
		switch o.Kind {
		case "signer.blame":
			if f["attributable"] == "true" {
				for _, c := range strings.Split(f["culprits"], ",") {
					if c != "" {
						attributable[c]++
					}
				}
			}
		case "signer.quarantine":
			res.Measured["quarantines"]++
			quarantined[f["party"]] = true
			strikes, _ := strconv.Atoi(f["strikes"])
			if attributable[f["party"]] < max(strikes, 1) {
				bad = append(bad, keyRef(o, fmt.Sprintf("%s quarantined %s on %d attributable blames (reports %d strikes): inconsistent blame", o.Node, f["party"], attributable[f["party"]], strikes)))
			}
		case "signer.begin":
			id := f["key"] + "/" + f["session"]
			material := f["parties"] + "|" + f["digest"]
			if prev, ok := begun[id]; ok && prev != material {
				bad = append(bad, keyRef(o, fmt.Sprintf("attempt %s began twice with different material", f["session"])))
			}
			begun[id] = material
		}
	}
	var parties []string
	for p := range attributable {
		parties = append(parties, p)
	}
	sort.Strings(parties)
	for _, p := range parties {
		if attributable[p] >= 3 && !quarantined[p] {
			bad = append(bad, OpRef{Index: -1, Process: -1, Op: "signer.blame", Desc: fmt.Sprintf("%s named by %d attributable blames, never quarantined", p, attributable[p])})
		}
	}
	return finish(res, bad, "quarantine violations", fmt.Sprintf("%d quarantines, each backed by attributable blame", res.Measured["quarantines"]))
}

// HSMUnknown (INV-HSMUNKNOWN): after an HSM operation answered
// CKR_GENERAL_ERROR (outcome unknown), the next operation on that HSM is the
// reconcile of that operation, never a blind retry; and a signer's
// reconcile agrees with what the HSM recorded as the truth.
func HSMUnknown(in Input) Result {
	res := Result{Checker: CheckHSMUnknown, Measured: map[string]int64{}}
	pending := map[string]string{} // node -> opid awaiting reconcile
	truth := map[string]string{}   // node|opid -> happened
	var bad []OpRef
	for _, o := range in.Observations {
		f := o.Fields
		switch o.Kind {
		case "hsm.truth":
			truth[o.Node+"|"+firstOf(f, "opid", "op_id")] = f["happened"]
		case "hsm.op":
			op := firstOf(f, "opid", "op_id")
			if want, ok := pending[o.Node]; ok {
				if f["op"] != "reconcile" || op != want {
					bad = append(bad, keyRef(o, fmt.Sprintf("%s: %s (op %s) after CKR_GENERAL_ERROR on op %s: a blind retry, not a reconcile", o.Node, f["op"], op, want)))
				}
				delete(pending, o.Node)
			}
			if f["rv"] == "CKR_GENERAL_ERROR" {
				res.Measured["unknown"]++
				pending[o.Node] = op
			}
		case "signer.reconcile":
			if t, ok := truth[o.Node+"|"+f["opid"]]; ok && f["known"] == "true" && f["happened"] != t {
				bad = append(bad, keyRef(o, fmt.Sprintf("%s reconciled op %s as happened=%s, the HSM recorded %s", o.Node, f["opid"], f["happened"], t)))
			}
		}
	}
	return finish(res, bad, "blind retries", fmt.Sprintf("%d unknown HSM outcomes, each reconciled first", res.Measured["unknown"]))
}

func firstOf(f map[string]string, keys ...string) string {
	for _, k := range keys {
		if v, ok := f[k]; ok {
			return v
		}
	}
	return ""
}
