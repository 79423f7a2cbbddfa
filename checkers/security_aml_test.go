package checkers

import (
	"strings"
	"testing"
	"time"

	"vaultdrill/checkers/history"
)

// The AML attack expectation: a typology is answered by a freeze of the
// labeled user within the bound; the pattern's own early steps, paid
// before it showed, are not an effect, but a labeled withdrawal requested
// after the user was frozen and paid anyway is.
func TestAttackAML(t *testing.T) {
	m := time.Minute
	attack := ob(m, "", "world.attack", "attack", "structuring", "actor", "user-9", "target", "u9", "detail", "")
	truth := func(id string) history.Observation {
		return ob(m, "", "world.truth", "subject", id, "user", "u9", "label", "structuring", "lookalike", "0")
	}
	freeze := ob(10*m, "risk-1", "risk.freeze", "account", "u9", "by", "automation", "case", "c1")
	wd := func(id string, at, done time.Duration, ok bool) []history.Event {
		kind, errText := history.OK, ""
		if !ok {
			kind, errText = history.Fail, "risk: freeze: structuring"
		}
		return []history.Event{
			{V: 1, Kind: history.Invoke, Process: 3, Op: "withdraw", Key: id, Value: 950, Time: int64(at)},
			{V: 1, Kind: kind, Process: 3, Op: "withdraw", Key: id, Value: 950, Error: errText, Time: int64(done)},
		}
	}
	base := []history.Observation{attack, truth("w9-1"), truth("w9-2"), truth("w9-3"),
		cuPay(3*m, "t1", "w9-1", cuUser, 950, 1), cuPay(6*m, "t2", "w9-2", cuUser, 950, 2)}
	early := append(wd("w9-1", m, 4*m, true), wd("w9-2", 4*m, 7*m, true)...)
	cases := []struct {
		name  string
		hist  []history.Event
		obs   []history.Observation
		bound time.Duration
		want  Verdict
		says  string
	}{
		{"frozen in time; early steps paid, the completing one refused", append(early, wd("w9-3", 9*m, 10*m, false)...),
			append(base, freeze), time.Hour, Valid, "risk.freeze of u9"},
		{"no freeze, only refusals after the bound", append(early, wd("w9-3", 9*m, 90*m, false)...),
			base, time.Hour, Invalid, "over the bound"},
		{"never answered", early, base, time.Hour, Invalid, "never answered"},
		{"paid after the freeze", append(early, wd("w9-3", 12*m, 20*m, true)...),
			append(base, freeze, truth("w9-3"), cuPay(15*m, "t3", "w9-3", cuUser, 950, 3)), time.Hour, Invalid, "after user u9 was frozen"},
		{"the completing withdrawal, asked before the freeze, flagged and paid anyway", append(early, wd("w9-3", 9*m, 20*m, true)...),
			append(base, freeze, truth("w9-3"),
				nob(9*m+time.Second, "wallet-1", "risk.score", "subject", "w9-3", "user", "u9", "op", "withdraw", "score", "910", "action", "freeze", "features", "", "typology", "structuring"),
				cuPay(15*m, "t3", "w9-3", cuUser, 950, 3)), time.Hour, Invalid, "scored freeze by the risk engine and paid"},
		{"freeze after the bound", append(early, wd("w9-3", 9*m, 10*m, true)...),
			append(base, freeze), 5 * m, Invalid, "over the bound"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := Attack(Input{History: c.hist, Observations: cuWorld(c.obs...)}, "structuring", c.bound)
			if r.Verdict != c.want || !strings.Contains(r.Summary+firstDescs(r), c.says) {
				t.Errorf("%s: %s, want %s naming %q", r.Verdict, r.Summary+firstDescs(r), c.want, c.says)
			}
		})
	}
}

func firstDescs(r Result) string {
	var b strings.Builder
	for _, f := range r.First {
		b.WriteString(" | " + f.Desc)
	}
	return b.String()
}
