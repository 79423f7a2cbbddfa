package scenarios

import (
	"sort"

	"vaultdrill/checkers/history"
	"vaultdrill/reports"
)

// riskStats computes the report's risk figures from the observations: the
// risk node's scores, cases and freezes against the world's truth. Nil for
// a run without the risk layer.
func riskStats(obs []history.Observation) *reports.Risk {
	k := &reports.Risk{Actions: map[string]int{}}
	type subj struct {
		label, user string
		flagged     bool
	}
	subjects := map[string]*subj{}
	type userRow struct {
		label   string
		first   int64 // first labeled op
		frozen  int64 // first freeze at or after it (0: none)
		counted bool
	}
	users := map[string]*userRow{}
	var userOrder []string
	seen := map[string]bool{}
	opened := map[string]int64{}
	open := 0
	var reviewSum int64
	reviews := 0
	for _, o := range obs {
		f := o.Fields
		switch o.Kind {
		case "world.truth":
			label := f["label"]
			if f["lookalike"] == "1" {
				label = "benign look-alike"
			}
			if _, ok := subjects[f["subject"]]; !ok {
				subjects[f["subject"]] = &subj{label: label, user: f["user"]}
			}
			u := users[f["user"]]
			if u == nil {
				u = &userRow{label: label, first: o.Time}
				users[f["user"]] = u
				userOrder = append(userOrder, f["user"])
			}
			if u.label == labelBenign && label != labelBenign {
				u.label, u.first = label, o.Time // a user is what its worst op is
			}
		case "risk.score":
			if seen[f["subject"]] {
				continue
			}
			seen[f["subject"]] = true
			k.Scored++
			k.Actions[f["action"]]++
			if s := subjects[f["subject"]]; s != nil && f["action"] != "allow" {
				s.flagged = true
			}
		case "risk.freeze":
			if u := users[f["account"]]; u != nil && u.frozen == 0 && o.Time >= u.first {
				u.frozen = o.Time
			}
		case "risk.case":
			id := f["case"]
			switch f["state"] {
			case "open":
				if _, ok := opened[id]; !ok {
					opened[id] = o.Time
					k.Cases++
					open++
					k.BacklogMax = max(k.BacklogMax, open)
				}
			case "closed":
				at, ok := opened[id]
				if !ok || at < 0 {
					continue
				}
				opened[id] = -1 // closed once
				open--
				if f["decision"] == "release" {
					k.Released++
				} else {
					k.Confirmed++
				}
				d := o.Time - at
				reviewSum += d
				reviews++
				k.ReviewMax = max(k.ReviewMax, d)
			}
		}
	}
	if k.Scored == 0 && len(subjects) == 0 {
		return nil
	}
	k.OpenAtEnd = open
	if reviews > 0 {
		k.ReviewMean = reviewSum / int64(reviews)
	}
	rows := map[string]*reports.RiskTypology{}
	row := func(label string) *reports.RiskTypology {
		r := rows[label]
		if r == nil {
			r = &reports.RiskTypology{Label: label}
			rows[label] = r
		}
		return r
	}
	for _, s := range subjects {
		r := row(s.label)
		r.Ops++
		if s.flagged {
			r.Flagged++
		}
	}
	sums := map[string]int64{}
	for _, name := range userOrder {
		u := users[name]
		r := row(u.label)
		r.Users++
		if u.frozen > 0 {
			r.Frozen++
			sums[u.label] += u.frozen - u.first
		}
	}
	for label, r := range rows { // determinism: allowed (rows are sorted below)
		if r.Frozen > 0 {
			r.FreezeMeanNS = sums[label] / int64(r.Frozen)
		}
		k.Typologies = append(k.Typologies, *r)
	}
	sort.Slice(k.Typologies, func(i, j int) bool { return k.Typologies[i].Label < k.Typologies[j].Label })
	return k
}
