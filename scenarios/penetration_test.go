package scenarios

import (
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"vaultdrill/checkers"
)

// The penetration drill: every attack it rehearses is stopped by its
// control within its bound, with no effect, and the report's attack table
// (report.json and summary.md) shows each with the control and the time
// to detect.
func TestPenetrationAttacksStopped(t *testing.T) {
	out := runDrill(t, "penetration", 1)
	rep := out.Report
	if rep.Verdict != checkers.Valid {
		for _, e := range rep.Expectations {
			if e.Result.Verdict != checkers.Valid {
				t.Errorf("%s: %s %s", e.Result.Checker, e.Result.Verdict, e.Result.Summary)
			}
		}
		t.Fatalf("verdict %s", rep.Verdict)
	}
	want := []string{"exfiltration", "tampered-tx", "stale-delegation", "mpc-malicious", "abort-storm", "hsm", "audit-block", "sanctioned", "velocity-storm"}
	if len(rep.Attacks) != len(want) {
		t.Fatalf("attack table has %d rows, want %d: %+v", len(rep.Attacks), len(want), rep.Attacks)
	}
	md := string(rep.Markdown())
	js := string(rep.JSON())
	for i, a := range rep.Attacks {
		if a.Attack != want[i] || a.Number != checkers.AttackNumber(want[i]) || a.Number == 0 {
			t.Errorf("row %d: %s (number %d), want %s", i, a.Attack, a.Number, want[i])
		}
		if a.Control == "" || a.DetectNS < 0 || a.DetectNS > a.BoundNS || a.Tried == 0 || a.Effects != 0 || a.Verdict != checkers.Valid {
			t.Errorf("row %s: %+v", a.Attack, a)
		}
		if !strings.Contains(md, "| "+a.Attack+" | ") || !strings.Contains(js, `"attack": "`+a.Attack+`"`) && !strings.Contains(js, `"attack":"`+a.Attack+`"`) {
			t.Errorf("%s missing from summary.md or report.json", a.Attack)
		}
	}
	if !strings.Contains(md, "## Attacks") {
		t.Fatal("summary.md has no attack table")
	}
	t.Logf("%d attacks, e.g. %s answered by %q after %dns", len(rep.Attacks), rep.Attacks[0].Attack, rep.Attacks[0].Control, rep.Attacks[0].DetectNS)
}

// A signer that skips the approval re-check (a planted weakness) lets the
// compromised signer's session through: nobody refuses the exfiltration or
// the stale delegation, and their expectations fail. Cut to the first 60
// minutes, the HSM fault its only one (the later attacks are then not
// tried: Unknown).
func TestPenetrationCatchesSignerWithoutRecheck(t *testing.T) {
	out := runDrill(t, "penetration", 1, "duration=1h", "faults.plan=+15m hsm signer-hot-2 general-error", "mpc.bug=skip-approval-check")
	for _, id := range []string{"exfiltration", "stale-delegation"} {
		v := verdictOf(out, checkers.CheckAttack+":"+id)
		if v != checkers.Invalid {
			t.Errorf("%s with signers that do not re-check: %s, want invalid", id, v)
		}
	}
	// the control: the same cut without the bug answers both
	ok := runDrill(t, "penetration", 1, "duration=1h", "faults.plan=+15m hsm signer-hot-2 general-error")
	for _, id := range []string{"exfiltration", "stale-delegation"} {
		if v := verdictOf(ok, checkers.CheckAttack+":"+id); v != checkers.Valid {
			t.Errorf("%s with honest signers: %s, want valid", id, v)
		}
	}
}

// Every attack id of DOMAIN.md's list (checkers.AttackIDs) is rehearsed by
// some built-in drill: a `kind: attack` expectation naming it. (Other
// helpers' drills cover 4, 5 and 10-13; until they are merged this test
// lists what is missing.)
func TestEveryAttackHasADrill(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("drills", "*.yaml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no drill files: %v", err)
	}
	covered := map[string][]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var d struct {
			Expect []struct {
				Kind   string `yaml:"kind"`
				Params struct {
					Attack string `yaml:"attack"`
				} `yaml:"params"`
			} `yaml:"expect"`
		}
		if err := yaml.Unmarshal(b, &d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		for _, e := range d.Expect {
			if e.Kind == "attack" {
				covered[e.Params.Attack] = append(covered[e.Params.Attack], filepath.Base(f))
			}
		}
	}
	var missing []string
	for _, id := range strings.Split(checkers.AttackIDs(), ", ") {
		if len(covered[id]) == 0 {
			missing = append(missing, id)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("%d attack ids have no drill with a `kind: attack` expectation: %s", len(missing), strings.Join(missing, ", "))
	}
}
