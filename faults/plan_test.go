package faults

import (
	"errors"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"

	"vaultdrill/system/env"
	"vaultdrill/system/topology"
)

func TestValidate(t *testing.T) {
	topo := topology.Default()
	ok := Action{At: time.Minute, Kind: Crash, Nodes: ids("ledger-1")}
	tests := []struct {
		name string
		acts []Action
		want string // "" means valid
	}{
		{"valid", []Action{ok, {At: 2 * time.Minute, Kind: Restart, Nodes: ids("ledger-1")}}, ""},
		{"unknown node", []Action{ok, {At: time.Minute, Kind: Crash, Nodes: ids("ledger-9")}}, `action 1 (+1m0s crash ledger-9): nodes: unknown node "ledger-9"`},
		{"unknown region", []Action{{Kind: RegionDown, Region: "mars"}}, `action 0 (+0s region-down mars): unknown region "mars"`},
		{"missing region", []Action{{Kind: RegionUp}}, "action 0 (+0s region-up): missing region"},
		{"unknown kind", []Action{{Kind: "crush", Nodes: ids("ledger-1")}}, `action 0 (+0s crush): unknown kind "crush"`},
		{"negative time", []Action{{At: -time.Second, Kind: Heal}}, "action 0 (+-1s heal): negative time -1s"},
		{"unsorted", []Action{{At: 2 * time.Minute, Kind: Heal}, ok}, "action 1 (+1m0s crash ledger-1): at 1m0s is before the previous action's 2m0s"},
		{"empty nodes", []Action{{Kind: Pause}}, "action 0 (+0s pause): empty nodes"},
		{"node twice", []Action{{Kind: Pause, Nodes: ids("ledger-1", "ledger-1")}}, `nodes: node "ledger-1" named twice`},
		{"unwritable node", []Action{{Kind: Pause, Nodes: ids("ledger 1")}}, `nodes: node "ledger 1" cannot be written in a plan`},
		{"overlapping groups", []Action{{Kind: Partition, Groups: [][]env.NodeID{ids("ledger-1", "ledger-2"), ids("ledger-2", "ledger-3")}}}, `node "ledger-2" is in groups 1 and 2`},
		{"empty group", []Action{{Kind: Partition, Groups: [][]env.NodeID{ids("ledger-1"), {}}}}, "empty group 2"},
		{"one group", []Action{{Kind: Partition, Groups: [][]env.NodeID{ids("ledger-1")}}}, "partition needs at least two groups, got 1"},
		{"group unknown node", []Action{{Kind: Partition, Groups: [][]env.NodeID{ids("ledger-1"), ids("x")}}}, `group 2: unknown node "x"`},
		{"oneway both sides", []Action{{Kind: PartitionOneWay, Nodes: ids("ledger-1"), To: ids("ledger-2", "ledger-1")}}, `node "ledger-1" is on both sides`},
		{"oneway empty to", []Action{{Kind: PartitionOneWay, Nodes: ids("ledger-1")}}, "empty to"},
		{"links range", []Action{{Kind: LinkFaults, Link: Link{DupPerMille: -1}}}, "dup=-1 is outside 0..1000 per mille"},
		{"links delay", []Action{{Kind: LinkFaults, Link: Link{DelayMax: -time.Millisecond}}}, "negative delay -1ms"},
		{"extra field", []Action{{Kind: Crash, Nodes: ids("ledger-1"), Duration: time.Second}}, "crash takes no duration"},
		{"extra groups", []Action{{Kind: Heal, Groups: [][]env.NodeID{ids("ledger-1")}}}, "heal takes no groups"},
		{"extra nodes", []Action{{Kind: RegionDown, Region: topology.DR, Nodes: ids("ledger-5")}}, "region-down takes no node list"},
		{"extra link", []Action{{Kind: HealAll, Link: Link{LossPerMille: 1}}}, "heal-all takes no link setting"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := Plan{Actions: tt.acts}.Validate(topo)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("Validate: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Validate succeeded, want error containing %q", tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not contain %q", err, tt.want)
			}
			if !errors.Is(err, ErrBadPlan) {
				t.Fatalf("error %q does not wrap ErrBadPlan", err)
			}
		})
	}
}

func TestCountsAndSortedKinds(t *testing.T) {
	p, err := ParsePlan("+1m crash ledger-1\n+2m restart ledger-1\n+3m crash ledger-2,ledger-3\n+4m heal-all\n")
	if err != nil {
		t.Fatal(err)
	}
	c := p.Counts()
	want := map[Kind]int{Crash: 2, Restart: 1, HealAll: 1}
	if !reflect.DeepEqual(c, want) {
		t.Fatalf("Counts = %v, want %v", c, want)
	}
	if got := SortedKinds(c); !reflect.DeepEqual(got, []Kind{Crash, HealAll, Restart}) {
		t.Fatalf("SortedKinds = %v", got)
	}
}

func TestMergeKeepsArgumentOrderForEqualTimes(t *testing.T) {
	a := Plan{Actions: []Action{{At: time.Minute, Kind: Heal}, {At: 3 * time.Minute, Kind: HealAll}}}
	b := Plan{Actions: []Action{{At: time.Minute, Kind: LinkFaults}, {At: 2 * time.Minute, Kind: Heal}}}
	got := Merge(a, b).String()
	want := "+1m0s heal\n+1m0s links off\n+2m0s heal\n+3m0s heal-all\n"
	if got != want {
		t.Fatalf("Merge = %q, want %q", got, want)
	}
}

func TestCatalog(t *testing.T) {
	names := KindNames()
	if !sort.StringsAreSorted(names) {
		t.Fatalf("KindNames not sorted: %v", names)
	}
	if len(names) != 24 {
		t.Fatalf("KindNames has %d kinds: %v", len(names), names)
	}
	for _, ki := range Catalog() {
		if ki.Start {
			if _, ok := Info(ki.Undo); !ok {
				t.Errorf("%s: undo %q is not a kind", ki.Kind, ki.Undo)
			}
		} else if ki.Undo != "" {
			t.Errorf("%s is not a start kind but has an undo", ki.Kind)
		}
		if ki.Summary == "" {
			t.Errorf("%s has no summary", ki.Kind)
		}
	}
	want := []Kind{ClockJump, Crash, DiskTorn, LinkFaults, Partition, PartitionOneWay, Pause, RegionDown, Skew}
	if got := StartKinds(); !reflect.DeepEqual(got, want) {
		t.Fatalf("StartKinds = %v, want %v", got, want)
	}
}
