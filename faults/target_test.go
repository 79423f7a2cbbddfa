package faults

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"vaultdrill/system/env"
	"vaultdrill/system/topology"
)

// recorder is a Target that writes down every call.
type recorder struct {
	calls  []string
	failOn string // a call that returns an error
}

func (r *recorder) rec(format string, a ...any) error {
	c := fmt.Sprintf(format, a...)
	r.calls = append(r.calls, c)
	if c == r.failOn {
		return errors.New("injected")
	}
	return nil
}

func (r *recorder) Crash(n env.NodeID) error   { return r.rec("Crash(%s)", n) }
func (r *recorder) Restart(n env.NodeID) error { return r.rec("Restart(%s)", n) }
func (r *recorder) Pause(n env.NodeID) error   { return r.rec("Pause(%s)", n) }
func (r *recorder) Resume(n env.NodeID) error  { return r.rec("Resume(%s)", n) }
func (r *recorder) Partition(groups [][]env.NodeID) error {
	return r.rec("Partition(%v)", groups)
}
func (r *recorder) PartitionOneWay(from, to []env.NodeID) error {
	return r.rec("PartitionOneWay(%v, %v)", from, to)
}
func (r *recorder) Heal() error                          { return r.rec("Heal()") }
func (r *recorder) RegionDown(reg topology.Region) error { return r.rec("RegionDown(%s)", reg) }
func (r *recorder) RegionUp(reg topology.Region) error   { return r.rec("RegionUp(%s)", reg) }
func (r *recorder) Skew(n env.NodeID, d time.Duration) error {
	return r.rec("Skew(%s, %v)", n, d)
}
func (r *recorder) ClockJump(n env.NodeID, d time.Duration) error {
	return r.rec("ClockJump(%s, %v)", n, d)
}
func (r *recorder) SetLinks(l Link) error       { return r.rec("SetLinks(%s)", l) }
func (r *recorder) DiskTorn(n env.NodeID) error { return r.rec("DiskTorn(%s)", n) }
func (r *recorder) HealAll() error              { return r.rec("HealAll()") }
func (r *recorder) AuditSink(n env.NodeID, up bool) error {
	return r.rec("AuditSink(%s, %v)", n, up)
}

func (r *recorder) HSMFault(n env.NodeID, f string) error {
	return r.rec("HSMFault(%s, %s)", n, f)
}
func (r *recorder) MPCAttack(k Kind, ns []env.NodeID) error {
	return r.rec("MPCAttack(%s, %v)", k, ns)
}
func (r *recorder) ChainReorg(depth int) error { return r.rec("ChainReorg(%d)", depth) }
func (r *recorder) ChainFeeSpike(m int) error  { return r.rec("ChainFeeSpike(%d)", m) }

var _ Target = (*recorder)(nil)

func TestApply(t *testing.T) {
	tests := []struct {
		line  string
		calls []string
	}{
		{"+1s crash ledger-1", []string{"Crash(ledger-1)"}},
		{"+1s crash ledger-1,ledger-3", []string{"Crash(ledger-1)", "Crash(ledger-3)"}},
		{"+1s restart ledger-2", []string{"Restart(ledger-2)"}},
		{"+1s pause ledger-4,ledger-5", []string{"Pause(ledger-4)", "Pause(ledger-5)"}},
		{"+1s resume ledger-4", []string{"Resume(ledger-4)"}},
		{"+1s partition ledger-1,ledger-2 | ledger-3 | ledger-4,ledger-5", []string{"Partition([[ledger-1 ledger-2] [ledger-3] [ledger-4 ledger-5]])"}},
		{"+1s partition-oneway ledger-1 -> ledger-2,ledger-3", []string{"PartitionOneWay([ledger-1], [ledger-2 ledger-3])"}},
		{"+1s heal", []string{"Heal()"}},
		{"+1s region-down dr", []string{"RegionDown(dr)"}},
		{"+1s region-up secondary", []string{"RegionUp(secondary)"}},
		{"+1s skew ledger-2,ledger-3 -1m30s", []string{"Skew(ledger-2, -1m30s)", "Skew(ledger-3, -1m30s)"}},
		{"+1s clock-jump ledger-1 2h0m0s", []string{"ClockJump(ledger-1, 2h0m0s)"}},
		{"+1s links loss=10 dup=5 reorder=20 delay=50ms", []string{"SetLinks(loss=10 dup=5 reorder=20 delay=50ms)"}},
		{"+1s links off", []string{"SetLinks(off)"}},
		{"+1s disk-torn ledger-5", []string{"DiskTorn(ledger-5)"}},
		{"+1s heal-all", []string{"HealAll()"}},
		{"+1s hsm ledger-1,ledger-2 device-error 2", []string{"HSMFault(ledger-1, device-error 2)", "HSMFault(ledger-2, device-error 2)"}},
		{"+1s audit-outage wallet-1,wallet-2", []string{"AuditSink(wallet-1, false)", "AuditSink(wallet-2, false)"}},
		{"+1s audit-restore wallet-2", []string{"AuditSink(wallet-2, true)"}},
		{"+1s mpc-tamper ledger-3", []string{"MPCAttack(mpc-tamper, [ledger-3])"}},
		{"+1s mpc-withhold ledger-3", []string{"MPCAttack(mpc-withhold, [ledger-3])"}},
		{"+1s mpc-replay ledger-1,ledger-2", []string{"MPCAttack(mpc-replay, [ledger-1 ledger-2])"}},
		{"+1s mpc-spoof ledger-4", []string{"MPCAttack(mpc-spoof, [ledger-4])"}},
		{"+1s mpc-clear", []string{"MPCAttack(mpc-clear, [])"}},
		{"+1s chain-reorg 3", []string{"ChainReorg(3)"}},
		{"+1s chain-fee-spike 20", []string{"ChainFeeSpike(20)"}},
	}
	covered := map[Kind]bool{}
	for _, tt := range tests {
		t.Run(tt.line, func(t *testing.T) {
			p, err := ParsePlan(tt.line)
			if err != nil {
				t.Fatal(err)
			}
			covered[p.Actions[0].Kind] = true
			r := &recorder{}
			if err := Apply(r, p.Actions[0]); err != nil {
				t.Fatalf("Apply: %v", err)
			}
			if !reflect.DeepEqual(r.calls, tt.calls) {
				t.Fatalf("calls %q, want %q", r.calls, tt.calls)
			}
		})
	}
	for _, k := range KindNames() {
		if !covered[Kind(k)] {
			t.Errorf("kind %s has no Apply case", k)
		}
	}
}

func TestApplyErrors(t *testing.T) {
	r := &recorder{failOn: "Crash(ledger-2)"}
	err := Apply(r, Action{At: time.Second, Kind: Crash, Nodes: ids("ledger-1", "ledger-2", "ledger-3")})
	if err == nil || !strings.Contains(err.Error(), "faults: apply +1s crash ledger-1,ledger-2,ledger-3: ledger-2: injected") {
		t.Fatalf("error %v", err)
	}
	if want := []string{"Crash(ledger-1)", "Crash(ledger-2)"}; !reflect.DeepEqual(r.calls, want) {
		t.Fatalf("calls %q, want %q (stop at the first error)", r.calls, want)
	}
	r = &recorder{failOn: "Heal()"}
	if err := Apply(r, Action{Kind: Heal}); err == nil || !strings.Contains(err.Error(), "faults: apply +0s heal: injected") {
		t.Fatalf("error %v", err)
	}
	if err := Apply(&recorder{}, Action{Kind: "meteor"}); err == nil || !strings.Contains(err.Error(), `unknown kind "meteor"`) {
		t.Fatalf("error %v", err)
	}
}
