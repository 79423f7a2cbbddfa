package checkers

import (
	"fmt"
	"strings"

	"vaultdrill/checkers/history"
)

// RiskQuality judges the risk engine's actions against the world's truth.
//
// The judged subjects are the world.truth subjects the engine could have
// scored: those with a risk.score, and the withdrawals and deposits the
// run shows (a withdraw key of the history, a chain.tx txid, a ledger
// idem dep:TXID) even if never scored. A subject is positive when any of
// its risk.score actions is other than allow, and labeled when any of its
// world.truth labels is other than benign; an unscored subject is
// negative (a labeled one the engine never scored was missed). Precision
// is true positives over positives and recall true positives over labeled
// subjects, both per mille and rounded down. Benign look-alikes
// (lookalike=1) stay in the count as the benign subjects they are and are
// reported apart too (lookalikes, lookalike_fp). Time to freeze: per
// world.truth user with a labeled op, from the first labeled op's time to
// the first risk.freeze at or after it of an account that is that user or
// one of its labeled subjects; mean and max over the users frozen.
//
// Invalid when precision is under minPrecision or recall under minRecall
// (per mille; 0 = no minimum), naming the first false positives or the
// first misses; Unknown when a minimum is set and the measure is undefined
// (nothing flagged, nothing labeled), or with no world.truth or no
// risk.score.
func RiskQuality(in Input, minPrecision, minRecall int64) Result {
	res := Result{Checker: CheckRiskQuality, Measured: map[string]int64{}}
	s := readSecurity(in)
	switch {
	case !s.any(obsTruth):
		return unknown(res, "no ground truth (world.truth): nothing to judge")
	case !s.any(obsScore):
		return unknown(res, "the risk engine scored nothing (no risk.score): nothing to judge")
	}
	type subject struct {
		id        string
		first     fact // its first world.truth
		label     string
		lookalike bool
		scored    bool
		flagged   *fact // the first non-allow risk.score
	}
	subs := map[string]*subject{}
	var order []string
	for _, f := range s.of(obsTruth) {
		id := f.get("subject")
		if id == "" {
			continue
		}
		u := subs[id]
		if u == nil {
			u = &subject{id: id, first: f, label: labelBenign}
			subs[id] = u
			order = append(order, id)
		}
		if l := f.get("label"); l != labelBenign && l != "" && u.label == labelBenign {
			u.label = l
		}
		u.lookalike = u.lookalike || f.get("lookalike") == "1"
	}
	for _, f := range s.of(obsScore) {
		u := subs[f.get("subject")]
		if u == nil {
			res.Measured["scored_without_truth"]++
			continue
		}
		u.scored = true
		if f.get("action") != decisionAllow && u.flagged == nil {
			f := f
			u.flagged = &f
		}
	}
	scorable := scorableSubjects(in)
	var fps, fns []OpRef
	for _, id := range order {
		u := subs[id]
		if !u.scored && !scorable[id] {
			res.Measured["truth_unjudged"]++
			continue
		}
		if !u.scored {
			res.Measured["unscored"]++
		}
		labeled := u.label != labelBenign
		switch {
		case labeled && u.flagged != nil:
			res.Measured["tp"]++
		case labeled:
			res.Measured["fn"]++
			how := "allowed"
			if !u.scored {
				how = "never scored"
			}
			fns = append(fns, u.first.ref(id, fmt.Sprintf("%s (user %s, labeled %s) %s by the risk engine",
				id, u.first.get("user"), u.label, how)))
		case u.flagged != nil:
			res.Measured["fp"]++
			fl := u.flagged
			kind := "benign"
			if u.lookalike {
				kind = "benign look-alike"
				res.Measured["lookalike_fp"]++
			}
			fps = append(fps, fl.ref(id, fmt.Sprintf("%s (user %s, %s) scored %s, action %s, typology %q",
				id, u.first.get("user"), kind, fl.get("score"), fl.get("action"), fl.get("typology"))))
		default:
			res.Measured["tn"]++
		}
		if u.lookalike && !labeled {
			res.Measured["lookalikes"]++
		}
	}
	m := res.Measured
	precision, recall := int64(-1), int64(-1)
	if m["tp"]+m["fp"] > 0 {
		precision = m["tp"] * 1000 / (m["tp"] + m["fp"])
		m["precision_permille"] = precision
	}
	if m["tp"]+m["fn"] > 0 {
		recall = m["tp"] * 1000 / (m["tp"] + m["fn"])
		m["recall_permille"] = recall
	}
	timeToFreeze(s, m)

	var bad []OpRef
	var what []string
	var undecided []string
	switch {
	case minPrecision <= 0:
	case precision < 0:
		undecided = append(undecided, "precision is undefined (nothing flagged)")
	case precision < minPrecision:
		what = append(what, fmt.Sprintf("precision %d‰ under %d‰", precision, minPrecision))
		bad = append(bad, fps...)
	}
	switch {
	case minRecall <= 0:
	case recall < 0:
		undecided = append(undecided, "recall is undefined (nothing labeled)")
	case recall < minRecall:
		what = append(what, fmt.Sprintf("recall %d‰ under %d‰", recall, minRecall))
		bad = append(bad, fns...)
	}
	counts := fmt.Sprintf("%d judged subjects: %d true and %d false positives, %d missed, %d true negatives; precision %s, recall %s; %d benign look-alikes, %d flagged; %s",
		m["tp"]+m["fp"]+m["fn"]+m["tn"], m["tp"], m["fp"], m["fn"], m["tn"], permille(precision), permille(recall),
		m["lookalikes"], m["lookalike_fp"], freezeNote(m))
	if len(what) > 0 {
		res = finishInTime(res, bad, "", "")
		res.Summary = strings.Join(what, ", ") + "; " + counts + "; first: " + res.First[0].Desc
		return res
	}
	if len(undecided) > 0 {
		return unknown(res, strings.Join(undecided, "; ")+": "+counts)
	}
	res.Verdict, res.Summary = Valid, counts
	return res
}

func permille(v int64) string {
	if v < 0 {
		return "undefined"
	}
	return fmt.Sprintf("%d‰", v)
}

func freezeNote(m map[string]int64) string {
	if m["frozen_users"] == 0 {
		return fmt.Sprintf("no labeled user frozen (%d not frozen)", m["labeled_users_not_frozen"])
	}
	return fmt.Sprintf("time to freeze mean %s, max %s over %d users (%d not frozen)",
		nsStr(m["freeze_mean_ns"]), nsStr(m["freeze_max_ns"]), m["frozen_users"], m["labeled_users_not_frozen"])
}

// scorableSubjects are the withdrawals and deposits the run shows: the
// keys of the history's withdraw operations, mined txids and the txids of
// ledger deposit credits.
func scorableSubjects(in Input) map[string]bool {
	out := map[string]bool{}
	for _, e := range in.History {
		if e.Kind == history.Invoke && e.Op == opWithdraw && e.Key != "" {
			out[e.Key] = true
		}
	}
	for _, o := range in.Observations {
		switch o.Kind {
		case obsChainTx:
			if id := o.Fields["txid"]; id != "" {
				out[id] = true
			}
		case obsApply:
			if id, ok := strings.CutPrefix(o.Fields["idem"], idemDeposit); ok && id != "" {
				out[id] = true
			}
		}
	}
	return out
}

// timeToFreeze fills in the freeze measures: per user with a labeled op,
// the first labeled op's time to the first freeze at or after it of the
// user's account or one of its labeled subjects.
func timeToFreeze(s *secFacts, m map[string]int64) {
	type labeled struct {
		first    int64
		subjects map[string]bool
	}
	users := map[string]*labeled{}
	for _, f := range s.of(obsTruth) {
		if l := f.get("label"); l == labelBenign || l == "" {
			continue
		}
		u := f.get("user")
		if users[u] == nil {
			users[u] = &labeled{first: f.Time, subjects: map[string]bool{}}
		}
		users[u].subjects[f.get("subject")] = true
	}
	var sum int64
	for _, u := range sortedKeys(users) {
		l := users[u]
		frozen := false
		for _, f := range s.of(obsFreeze) {
			a := f.get("account")
			if f.Time >= l.first && (a == u || l.subjects[a]) {
				d := f.Time - l.first
				sum += d
				m["freeze_max_ns"] = max(m["freeze_max_ns"], d)
				frozen = true
				break
			}
		}
		if frozen {
			m["frozen_users"]++
		} else {
			m["labeled_users_not_frozen"]++
		}
	}
	if n := m["frozen_users"]; n > 0 {
		m["freeze_mean_ns"] = sum / n
	}
}
