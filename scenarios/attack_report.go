package scenarios

import (
	"strings"

	"vaultdrill/checkers"
	"vaultdrill/reports"
)

// attackTable is the report's attack table: one row per ATTACK:<id>
// expectation result, in the scenario's order; nil when the run rehearsed
// no attack.
func attackTable(exps []reports.Expectation) []reports.AttackRow {
	var rows []reports.AttackRow
	for _, e := range exps {
		r := e.Result
		id, ok := strings.CutPrefix(r.Checker, checkers.CheckAttack+":")
		if !ok {
			continue
		}
		m := r.Measured
		row := reports.AttackRow{Attack: id, Number: checkers.AttackNumber(id), Control: r.Notes["control"], DetectNS: -1,
			BoundNS: m["bound_ns"], Tried: m["attacks"], Alerts: m["alerts"], Effects: m["effects"], Verdict: r.Verdict,
			Notified: map[string]int64{"user": m["notified_user"], "security": m["notified_security"], "admins": m["notified_admins"]}}
		if m["detected"] == 1 {
			row.DetectNS = m["detect_ns"]
		}
		rows = append(rows, row)
	}
	return rows
}
