package scenarios

import (
	"embed"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"vaultdrill/checkers"
)

//go:embed drills/*.yaml
var drillFS embed.FS

// DrillNames lists the built-in drills, sorted.
func DrillNames() []string {
	ents, _ := drillFS.ReadDir("drills")
	var out []string
	for _, e := range ents {
		out = append(out, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(out)
	return out
}

// DrillSource returns a built-in drill's YAML.
func DrillSource(name string) ([]byte, error) {
	return drillFS.ReadFile("drills/" + name + ".yaml")
}

// WorkloadKind builds a workload from its parameters.
type WorkloadKind struct {
	Doc string
	New func(file string, params *yaml.Node) (Workload, error)
}

// ExpectKind builds an expectation from its parameters.
type ExpectKind struct {
	Doc string
	New func(file string, params *yaml.Node) (Expectation, error)
}

// Expectation is one thing a scenario demands of a run, judged by a checker
// from the recorded history and observations only.
type Expectation interface {
	// Name is what the report lists, e.g. "rto <= 30s after region-down".
	Name() string
	Check(in checkers.Input) checkers.Result
}

var workloadKinds = map[string]WorkloadKind{
	"custody": {
		Doc: "users depositing on chain and withdrawing through the pipeline, approvers, wallet nodes, the courier (params: users, approvers, deposit_every, withdraw_every, staff_every, amount_max, courier_hop, confirmations, sweep_window, sweep_settle, velocity_limit, velocity_window, attempt_timeout, op_timeout, quiet, hot_genesis, cold_genesis, deposit_max, user_genesis, sanctioned_every, sanctions_update, screening_outage_at, screening_outage_for, bug, attack)",
		New: newCustodyWorkload,
	},
	"ledger-clients": {
		Doc: "closed-loop bank clients: deposits, withdrawals and balance reads over a set of accounts, with idempotent retries and time-outs",
		New: newLedgerClients,
	},
	"signing-driver": {
		Doc: "requests threshold signatures for real chain transactions from a key's committee, one at a time, and submits them to the chain",
		New: newSigningDriver,
	},
}

var expectKinds = map[string]ExpectKind{
	"linearizable":  {Doc: "INV-LINEARIZABLE: porcupine, one partition per account", New: newLinExpect},
	"nonneg":        {Doc: "INV-NONNEG: no balance is ever negative", New: simpleExpect("nonneg", checkers.NonNeg)},
	"conserve":      {Doc: "INV-CONSERVE (ledger level): every replica's applies conserve money; replicas agree", New: simpleExpect("conserve", checkers.Conserve)},
	"rpo":           {Doc: "INV-RPO: every acknowledged write is in the final state", New: simpleExpect("rpo", checkers.RPO)},
	"rto":           {Doc: "INV-RTO: service restored within max after the named fault (params: fault, max)", New: newRTOExpect},
	"mpc-threshold": {Doc: "INV-MPC-THRESHOLD: no signature while fewer than k signers are reachable (params: key, grace)", New: newThresholdExpect},
	"mpc-liveness":  {Doc: "LIVENESS-MPC: with k signers reachable, requests are signed within bound (params: key, bound)", New: newSignLiveExpect},
	"shares":        {Doc: "INV-SHARES: no node or region ever holds k clear shares of a key", New: simpleExpect("shares", checkers.Shares)},
	"sealed":        {Doc: "INV-SEALED: key shares at rest are HSM-sealed; exports fail", New: simpleExpect("sealed", checkers.Sealed)},
	"mpcbind":       {Doc: "INV-MPCBIND: replayed, spoofed and tampered MPC messages are rejected, sender named", New: simpleExpect("mpcbind", checkers.MPCBind)},
	"quarantine":    {Doc: "INV-QUARANTINE: quarantine only on attributable blame; repeat offenders quarantined", New: simpleExpect("quarantine", checkers.Quarantine)},
	"ceremony":      {Doc: "INV-CEREMONY: a key ceremony over the network completes within bound, every member holds the client's key, and it signs on chain (params: key, bound)", New: newCeremonyExpect},
	"hsmunknown":    {Doc: "INV-HSMUNKNOWN: CKR_GENERAL_ERROR is reconciled, never blindly retried", New: simpleExpect("hsmunknown", checkers.HSMUnknown)},
	"liveness":      {Doc: "LIVENESS: after the last named fault (default heal-all), writes complete within bound (params: after, bound)", New: newLivenessExpect},
}

// KindDocs returns "kind: doc" lines of both registries, for --help.
func KindDocs() (workloads, expects []string) {
	for _, k := range sortedKeys(workloadKinds) {
		workloads = append(workloads, fmt.Sprintf("%-16s %s", k, workloadKinds[k].Doc))
	}
	for _, k := range sortedKeys(expectKinds) {
		expects = append(expects, fmt.Sprintf("%-16s %s", k, expectKinds[k].Doc))
	}
	return
}

type funcExpect struct {
	name string
	fn   func(checkers.Input) checkers.Result
}

func (e funcExpect) Name() string                            { return e.name }
func (e funcExpect) Check(in checkers.Input) checkers.Result { return e.fn(in) }

func simpleExpect(name string, fn func(checkers.Input) checkers.Result) func(string, *yaml.Node) (Expectation, error) {
	return func(file string, p *yaml.Node) (Expectation, error) {
		if p.Kind != 0 && len(p.Content) > 0 {
			return nil, fmt.Errorf("%s:%d: expectation %s takes no params", file, p.Line, name)
		}
		return funcExpect{name: name, fn: fn}, nil
	}
}

type linParams struct {
	TimeLimit        time.Duration `yaml:"time_limit"`
	MaxOpsPerAccount int           `yaml:"max_ops_per_account"`
}

func newLinExpect(file string, p *yaml.Node) (Expectation, error) {
	var lp linParams
	if p.Kind != 0 {
		if err := decodeStrict(file, p, &lp); err != nil {
			return nil, err
		}
	}
	opt := checkers.LinOptions{TimeLimit: lp.TimeLimit, MaxOpsPerAccount: lp.MaxOpsPerAccount}
	return funcExpect{name: "linearizable", fn: func(in checkers.Input) checkers.Result { return checkers.Linearizable(in, opt) }}, nil
}

type rtoParams struct {
	Fault string        `yaml:"fault"`
	Max   time.Duration `yaml:"max"`
}

func newRTOExpect(file string, p *yaml.Node) (Expectation, error) {
	var rp rtoParams
	if err := decodeStrict(file, p, &rp); err != nil {
		return nil, err
	}
	if rp.Fault == "" {
		return nil, fmt.Errorf("%s:%d: rto needs params.fault (the fault kind whose injection starts the clock, e.g. region-down)", file, p.Line)
	}
	if rp.Max < 0 {
		return nil, errors.New("rto: max must not be negative")
	}
	return rtoExpect{p: rp}, nil
}

type rtoExpect struct{ p rtoParams }

func (e rtoExpect) Name() string {
	if e.p.Max == 0 {
		return fmt.Sprintf("rto measured after %s", e.p.Fault)
	}
	return fmt.Sprintf("rto <= %v after %s", e.p.Max, e.p.Fault)
}

func (e rtoExpect) Check(in checkers.Input) checkers.Result {
	return checkers.RTO(in, e.p.Fault, e.p.Max)
}

type livenessParams struct {
	After string        `yaml:"after"`
	Bound time.Duration `yaml:"bound"`
}

func newLivenessExpect(file string, p *yaml.Node) (Expectation, error) {
	lp := livenessParams{After: "heal-all", Bound: 30 * time.Second}
	if p.Kind != 0 {
		if err := decodeStrict(file, p, &lp); err != nil {
			return nil, err
		}
	}
	if lp.Bound <= 0 {
		return nil, fmt.Errorf("%s:%d: liveness bound must be positive", file, p.Line)
	}
	return funcExpect{
		name: fmt.Sprintf("liveness: writes complete within %v after %s", lp.Bound, lp.After),
		fn:   func(in checkers.Input) checkers.Result { return checkers.Liveness(in, lp.After, lp.Bound) },
	}, nil
}

type thresholdParams struct {
	Key   string        `yaml:"key"`
	Grace time.Duration `yaml:"grace"`
	Bound time.Duration `yaml:"bound"`
}

func newThresholdExpect(file string, p *yaml.Node) (Expectation, error) {
	tp := thresholdParams{Key: "hot", Grace: 10 * time.Second}
	if p.Kind != 0 {
		if err := decodeStrict(file, p, &tp); err != nil {
			return nil, err
		}
	}
	return funcExpect{name: fmt.Sprintf("no %s signature below k (grace %v)", tp.Key, tp.Grace),
		fn: func(in checkers.Input) checkers.Result { return checkers.Threshold(in, tp.Key, tp.Grace) }}, nil
}

func newSignLiveExpect(file string, p *yaml.Node) (Expectation, error) {
	tp := thresholdParams{Key: "hot", Bound: 2 * time.Minute}
	if p.Kind != 0 {
		if err := decodeStrict(file, p, &tp); err != nil {
			return nil, err
		}
	}
	if tp.Bound <= 0 {
		return nil, fmt.Errorf("%s:%d: mpc-liveness bound must be positive", file, p.Line)
	}
	return funcExpect{name: fmt.Sprintf("%s signed within %v with k reachable", tp.Key, tp.Bound),
		fn: func(in checkers.Input) checkers.Result { return checkers.SignLiveness(in, tp.Key, tp.Bound) }}, nil
}

func newCeremonyExpect(file string, p *yaml.Node) (Expectation, error) {
	tp := thresholdParams{Bound: 5 * time.Minute}
	if p.Kind != 0 {
		if err := decodeStrict(file, p, &tp); err != nil {
			return nil, err
		}
	}
	if tp.Key == "" || tp.Bound <= 0 {
		return nil, fmt.Errorf("%s:%d: ceremony needs a key and a positive bound", file, p.Line)
	}
	return funcExpect{name: fmt.Sprintf("key ceremony %s within %v", tp.Key, tp.Bound),
		fn: func(in checkers.Input) checkers.Result { return checkers.Ceremony(in, tp.Key, tp.Bound) }}, nil
}
