package scenarios

import (
	"errors"
	"strings"
	"testing"
)

const minimal = `schema: 1
name: t
duration: 1m
workload:
  kind: ledger-clients
  params: {clients: 2, accounts: 2, rate: 1}
expect:
  - kind: linearizable
`

func TestParseErrorsNameTheLine(t *testing.T) {
	cases := []struct {
		name, src, want string
	}{
		{"unknown top key", minimal + "colour: red\n", "t.yaml:9: unknown key \"colour\""},
		{"unknown param", strings.Replace(minimal, "rate: 1", "rat: 1", 1), "t.yaml:6: unknown key \"rat\""},
		{"unknown workload kind", strings.Replace(minimal, "ledger-clients", "llama", 1), "line 4: workload kind \"llama\" unknown"},
		{"unknown expectation", strings.Replace(minimal, "linearizable", "linearisable", 1), "line 8: expectation kind \"linearisable\" unknown"},
		{"bad duration", strings.Replace(minimal, "1m", "soon", 1), "line 3"},
		{"wrong schema", strings.Replace(minimal, "schema: 1", "schema: 9", 1), "schema 9"},
		{"bad plan", minimal + "faults:\n  plan: |\n    +1m crush ledger-1\n", "unknown kind \"crush\""},
		{"plan node unknown", minimal + "faults:\n  plan: |\n    +1s crash ledger-9\n", "ledger-9"},
		{"plan after end", minimal + "faults:\n  plan: |\n    +2m crash ledger-1\n", "after the scenario's duration"},
		{"duplicate key", minimal + "name: again\n", "given twice"},
		{"not yaml", "schema: [1\n", "t.yaml"},
		{"bad fault kind", minimal + "faults:\n  generate: {mean_gap: 1s, window_min: 1s, window_max: 2s, quiet: 1s, kinds: [meteor]}\n", "unknown fault kind \"meteor\""},
		{"bug", minimal + "ledger: {bug: nope}\n", "ledger.bug"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := Parse("t.yaml", []byte(c.src), nil)
			if err == nil || !errors.Is(err, ErrBadScenario) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an ErrBadScenario containing %q", err, c.want)
			}
		})
	}
}

func TestOverridesChangeHashAndValues(t *testing.T) {
	base, err := Parse("t.yaml", []byte(minimal), nil)
	if err != nil {
		t.Fatal(err)
	}
	o, err := Parse("t.yaml", []byte(minimal), []string{"duration=30s", "workload.params.clients=7", "ledger.bug=stale-reads"})
	if err != nil {
		t.Fatal(err)
	}
	if o.Duration.String() != "30s" || o.Ledger.Bug != "stale-reads" {
		t.Fatalf("overrides not applied: %v %q", o.Duration, o.Ledger.Bug)
	}
	if lc := o.NewWorkload().(*ledgerClients); lc.p.Clients != 7 {
		t.Fatalf("clients = %d, want 7", lc.p.Clients)
	}
	if base.Hash == o.Hash {
		t.Fatal("overrides did not change the scenario hash")
	}
	if got := ReplayCommand(o, 9); got != "vaultdrill run t.yaml --seed 9 --set duration=30s --set workload.params.clients=7 --set ledger.bug=stale-reads" {
		t.Fatalf("replay command: %s", got)
	}
	for _, bad := range []string{"noequals", "=x", "expect.5.kind=rpo", "workload.params.clients=many"} {
		if _, err := Parse("t.yaml", []byte(minimal), []string{bad}); err == nil {
			t.Errorf("override %q accepted", bad)
		}
	}
}

func TestBuiltinDrillsLoad(t *testing.T) {
	names := DrillNames()
	if len(names) < 2 {
		t.Fatalf("drills: %v", names)
	}
	for _, n := range names {
		if _, err := Load(n, nil); err != nil {
			t.Errorf("%s: %v", n, err)
		}
	}
}

func FuzzParseScenario(f *testing.F) {
	f.Add([]byte(minimal))
	for _, n := range DrillNames() {
		b, _ := DrillSource(n)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := Parse("fuzz.yaml", b, nil)
		if err != nil {
			if !errors.Is(err, ErrBadScenario) {
				t.Fatalf("error not wrapped as ErrBadScenario: %v", err)
			}
			return
		}
		if s.Duration <= 0 || len(s.Expects) == 0 || s.NewWorkload() == nil {
			t.Fatalf("accepted an invalid scenario: %+v", s.File)
		}
	})
}
