package scenarios

import (
	"testing"

	"vaultdrill/checkers"
)

// Seeds that once found a bug, replayed on every commit. Each entry says
// what it found; the run must now be valid.
var regressionSeeds = []struct {
	drill     string
	seed      uint64
	overrides []string
	found     string
}{
	{"ledger-chaos", 341, []string{"duration=2m"},
		"a retried idempotent write answered fail (did not happen) while its first attempt committed: the proposal was dropped during a leadership transfer"},
	{"account-takeover", 2, []string{"duration=150m"},
		"impossible travel let through: the attacker logged in at another region's gateway, which did not know the victim's login (now shared between the wallet nodes)"},
}

func TestRegressionSeeds(t *testing.T) {
	for _, rs := range regressionSeeds {
		s, err := Load(rs.drill, rs.overrides)
		if err != nil {
			t.Fatal(err)
		}
		out, err := Run(s, Options{Seed: rs.seed, Commit: "test"})
		if err != nil {
			t.Fatal(err)
		}
		if out.Report.Verdict != checkers.Valid {
			for _, e := range out.Report.Expectations {
				if !e.Pass {
					t.Errorf("%s: %s", e.Result.Checker, e.Result.Summary)
				}
			}
			t.Fatalf("seed %d regressed (it once found: %s)\nreplay: %s", rs.seed, rs.found, out.Report.Replay)
		}
	}
}
