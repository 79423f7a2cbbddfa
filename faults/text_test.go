package faults

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"vaultdrill/system/env"
	"vaultdrill/system/topology"
)

func ids(ss ...string) []env.NodeID {
	out := make([]env.NodeID, len(ss))
	for i, s := range ss {
		out[i] = env.NodeID(s)
	}
	return out
}

// everyKind has one action of each kind, valid on topology.Default(), with
// its canonical line.
var everyKind = []struct {
	line string
	a    Action
}{
	{"+0s links loss=10 dup=5 reorder=20 delay=50ms", Action{Kind: LinkFaults, Link: Link{LossPerMille: 10, DupPerMille: 5, ReorderPerMille: 20, DelayMax: 50 * time.Millisecond}}},
	{"+1m0s links loss=0 dup=0 reorder=1000 delay=0s", Action{At: time.Minute, Kind: LinkFaults, Link: Link{ReorderPerMille: 1000}}},
	{"+1m0s links off", Action{At: time.Minute, Kind: LinkFaults}},
	{"+2m0s crash ledger-1", Action{At: 2 * time.Minute, Kind: Crash, Nodes: ids("ledger-1")}},
	{"+2m0s restart ledger-1", Action{At: 2 * time.Minute, Kind: Restart, Nodes: ids("ledger-1")}},
	{"+3m0s pause ledger-2,ledger-3", Action{At: 3 * time.Minute, Kind: Pause, Nodes: ids("ledger-2", "ledger-3")}},
	{"+3m1.5s resume ledger-2,ledger-3", Action{At: 3*time.Minute + 1500*time.Millisecond, Kind: Resume, Nodes: ids("ledger-2", "ledger-3")}},
	{"+5m0s partition ledger-1,ledger-2 | ledger-3,ledger-4,ledger-5", Action{At: 5 * time.Minute, Kind: Partition, Groups: [][]env.NodeID{ids("ledger-1", "ledger-2"), ids("ledger-3", "ledger-4", "ledger-5")}}},
	{"+5m0s partition ledger-1 | ledger-2 | ledger-3", Action{At: 5 * time.Minute, Kind: Partition, Groups: [][]env.NodeID{ids("ledger-1"), ids("ledger-2"), ids("ledger-3")}}},
	{"+6m0s heal", Action{At: 6 * time.Minute, Kind: Heal}},
	{"+6m0s partition-oneway ledger-1,ledger-2 -> ledger-5", Action{At: 6 * time.Minute, Kind: PartitionOneWay, Nodes: ids("ledger-1", "ledger-2"), To: ids("ledger-5")}},
	{"+7m0s region-down primary", Action{At: 7 * time.Minute, Kind: RegionDown, Region: topology.Primary}},
	{"+8m0s region-up primary", Action{At: 8 * time.Minute, Kind: RegionUp, Region: topology.Primary}},
	{"+8m0s skew ledger-2 -1m30s", Action{At: 8 * time.Minute, Kind: Skew, Nodes: ids("ledger-2"), Duration: -90 * time.Second}},
	{"+8m0s skew ledger-2 0s", Action{At: 8 * time.Minute, Kind: Skew, Nodes: ids("ledger-2")}},
	{"+9m0s clock-jump ledger-3,ledger-4 1h0m0s", Action{At: 9 * time.Minute, Kind: ClockJump, Nodes: ids("ledger-3", "ledger-4"), Duration: time.Hour}},
	{"+9m0s disk-torn ledger-5", Action{At: 9 * time.Minute, Kind: DiskTorn, Nodes: ids("ledger-5")}},
	{"+10m0s heal-all", Action{At: 10 * time.Minute, Kind: HealAll}},
	{"+11m0s hsm ledger-1 device-error 2", Action{At: 11 * time.Minute, Kind: HSM, Nodes: ids("ledger-1"), Arg: "device-error 2"}},
	{"+11m0s hsm ledger-1,ledger-2 tamper", Action{At: 11 * time.Minute, Kind: HSM, Nodes: ids("ledger-1", "ledger-2"), Arg: "tamper"}},
	{"+12m0s mpc-tamper ledger-3", Action{At: 12 * time.Minute, Kind: MPCTamper, Nodes: ids("ledger-3")}},
	{"+12m0s mpc-withhold ledger-3", Action{At: 12 * time.Minute, Kind: MPCWithhold, Nodes: ids("ledger-3")}},
	{"+12m0s mpc-replay ledger-1,ledger-2", Action{At: 12 * time.Minute, Kind: MPCReplay, Nodes: ids("ledger-1", "ledger-2")}},
	{"+12m0s mpc-spoof ledger-4", Action{At: 12 * time.Minute, Kind: MPCSpoof, Nodes: ids("ledger-4")}},
	{"+13m0s mpc-clear", Action{At: 13 * time.Minute, Kind: MPCClear}},
	{"+14m0s chain-reorg 3", Action{At: 14 * time.Minute, Kind: ChainReorg, Count: 3}},
	{"+15m0s chain-fee-spike 20", Action{At: 15 * time.Minute, Kind: ChainFeeSpike, Count: 20}},
	{"+16m0s audit-outage ledger-1,ledger-2", Action{At: 16 * time.Minute, Kind: AuditOutage, Nodes: ids("ledger-1", "ledger-2")}},
	{"+17m0s audit-restore ledger-2", Action{At: 17 * time.Minute, Kind: AuditRestore, Nodes: ids("ledger-2")}},
}

func TestEveryKindHasARoundTripCase(t *testing.T) {
	seen := map[Kind]bool{}
	for _, c := range everyKind {
		seen[c.a.Kind] = true
	}
	for _, k := range KindNames() {
		if !seen[Kind(k)] {
			t.Errorf("kind %s has no case in everyKind", k)
		}
	}
}

func TestActionString(t *testing.T) {
	for _, c := range everyKind {
		if got := c.a.String(); got != c.line {
			t.Errorf("String() = %q, want %q", got, c.line)
		}
	}
}

func TestRoundTrip(t *testing.T) {
	var all Plan
	for _, c := range everyKind {
		all.Actions = append(all.Actions, c.a)
	}
	tests := []struct {
		name string
		p    Plan
	}{
		{"empty", Plan{}},
		{"every kind", all},
	}
	for _, c := range everyKind {
		tests = append(tests, struct {
			name string
			p    Plan
		}{c.line, Plan{Actions: []Action{c.a}}})
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.p.Validate(topology.Default()); err != nil {
				t.Fatalf("Validate: %v", err)
			}
			text := tt.p.String()
			got, err := ParsePlan(text)
			if err != nil {
				t.Fatalf("ParsePlan(%q): %v", text, err)
			}
			if !reflect.DeepEqual(got, tt.p) {
				t.Fatalf("ParsePlan(String(p)) = %#v, want %#v", got, tt.p)
			}
			if again := got.String(); again != text {
				t.Fatalf("String(Parse(String(p))) = %q, want %q", again, text)
			}
		})
	}
}

func TestParseLenient(t *testing.T) {
	// Hand-written forms that parse to the same plan as the canonical text.
	tests := []struct {
		name, text, want string
	}{
		{"comments and blanks", "# header\n\n  +5m crash ledger-1   # the leader, probably\n\n", "+5m0s crash ledger-1\n"},
		{"no plus, CRLF, tabs", "90s\tcrash\tledger-1\r\n", "+1m30s crash ledger-1\n"},
		{"groups without spaces", "+1m partition ledger-1|ledger-2,ledger-3", "+1m0s partition ledger-1 | ledger-2,ledger-3\n"},
		{"links any order, omitted zero", "+1m links delay=1s loss=3", "+1m0s links loss=3 dup=0 reorder=0 delay=1s\n"},
		{"links all zero is off", "+1m links loss=0", "+1m0s links off\n"},
		{"sorted stably by time", "+2m crash ledger-2\n+1m crash ledger-1\n+2m restart ledger-1\n", "+1m0s crash ledger-1\n+2m0s crash ledger-2\n+2m0s restart ledger-1\n"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := ParsePlan(tt.text)
			if err != nil {
				t.Fatalf("ParsePlan: %v", err)
			}
			if got := p.String(); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, text, want string
	}{
		{"unknown kind", "+1m crash ledger-1\n# ok\n+2m crush ledger-1\n", `line 3: unknown kind "crush"`},
		{"bad time", "soon crash ledger-1", `line 1: time "soon": not a duration`},
		{"negative time", "+-5s crash ledger-1", `line 1: time "+-5s" is negative`},
		{"missing kind", "\n+5s", "line 2: missing kind"},
		{"no nodes", "+5s crash", "line 1: crash: 0 arguments (want: crash NODES)"},
		{"empty name", "+5s crash ledger-1,,ledger-2", `line 1: crash: empty name in node list "ledger-1,,ledger-2"`},
		{"bad name", "+5s pause ledger-1,le*dger", `line 1: pause: bad node name "le*dger"`},
		{"spaces in list", "+5s crash ledger-1, ledger-2", "line 1: crash: 2 arguments"},
		{"skew no duration", "+5s skew ledger-1", "line 1: skew: 1 arguments (want: skew NODES DURATION)"},
		{"skew bad duration", "+5s skew ledger-1 lots", `line 1: skew: duration "lots": not a duration`},
		{"one group", "+5s partition ledger-1,ledger-2", "line 1: partition: needs at least two groups"},
		{"empty group", "+5s partition ledger-1 | | ledger-2", "line 1: partition: group 2 is empty"},
		{"group with spaces", "+5s partition ledger-1 ledger-2 | ledger-3", `line 1: partition: group 1: "ledger-1 ledger-2" has spaces`},
		{"oneway no arrow", "+5s partition-oneway ledger-1 ledger-2", "line 1: partition-oneway: want two node lists separated by ->"},
		{"region missing", "+5s region-down", "line 1: region-down: 0 arguments"},
		{"heal with args", "+5s heal ledger-1", `line 1: heal takes no arguments, got "ledger-1"`},
		{"links nothing", "+5s links", "line 1: links: missing settings"},
		{"links unknown", "+5s links jitter=5", `line 1: links: unknown setting "jitter"`},
		{"links twice", "+5s links loss=1 loss=2", "line 1: links: loss given twice"},
		{"links range", "+5s links loss=1001", "line 1: links: loss=1001: want an integer per mille in 0..1000"},
		{"links float", "+5s links dup=0.5", "line 1: links: dup=0.5: want an integer"},
		{"links negative delay", "+5s links delay=-1ms", `line 1: links: delay "-1ms" is negative`},
		{"links not kv", "+5s links lossy", `line 1: links: "lossy" is not key=value`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePlan(tt.text)
			if err == nil {
				t.Fatalf("ParsePlan(%q) succeeded, want error containing %q", tt.text, tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
			if !errors.Is(err, ErrBadPlan) {
				t.Fatalf("error %q does not wrap ErrBadPlan", err)
			}
			var pe *PlanError
			if !errors.As(err, &pe) || pe.Line == 0 {
				t.Fatalf("error %q is not a *PlanError with a line", err)
			}
		})
	}
}

// FuzzParsePlan: whatever ParsePlan accepts, printing it parses back to an
// equal plan, and printing is then a fixed point.
func FuzzParsePlan(f *testing.F) {
	for _, c := range everyKind {
		f.Add(c.line)
	}
	f.Add("# comment\n\n+1m crash a,b # trailing\n+30s partition x|y | z\n")
	f.Add("+1h2m3.5s links delay=0 reorder=+7\n+0 heal-all")
	f.Add("++5s skew n -0s\n+5s clock-jump n:1,n.2,n_3 -2562047h47m16.854775808s")
	f.Fuzz(func(t *testing.T, text string) {
		p, err := ParsePlan(text)
		if err != nil {
			if !errors.Is(err, ErrBadPlan) {
				t.Fatalf("error %q does not wrap ErrBadPlan", err)
			}
			return
		}
		out := p.String()
		q, err := ParsePlan(out)
		if err != nil {
			t.Fatalf("ParsePlan(String(p)) failed: %v\ninput: %q\nprinted: %q", err, text, out)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("round trip differs\ninput: %q\nprinted: %q\nfirst: %#v\nsecond: %#v", text, out, p, q)
		}
		if again := q.String(); again != out {
			t.Fatalf("String not a fixed point: %q then %q", out, again)
		}
	})
}
