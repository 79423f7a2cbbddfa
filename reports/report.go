package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	"vaultdrill/checkers"
	"vaultdrill/system/topology"
)

// FormatVersion is the report.json format version.
const FormatVersion = 1

// Exit codes, shared by every command (ARCHITECTURE.md).
const (
	ExitValid       = 0
	ExitInvalid     = 1 // an invariant or linearizability violation
	ExitUsage       = 2 // bad input or usage
	ExitLiveness    = 3
	ExitUnknown     = 4 // a checker could not decide
	ExitHarness     = 5 // the harness itself failed
	ExitInterrupted = 130
)

// Report is the source of truth of a drill: a pure function of (commit,
// scenario, overrides, seed). Wall-clock facts live in Meta, never here.
type Report struct {
	Format   int          `json:"format"`
	DrillID  string       `json:"drill_id"`
	Seed     uint64       `json:"seed"`
	Commit   string       `json:"commit"`
	Scenario ScenarioInfo `json:"scenario"`
	// Deployment: in-process (sim) or containers.
	Deployment string            `json:"deployment"`
	Topology   topology.Topology `json:"topology"`
	Versions   map[string]string `json:"versions"`
	Workload   string            `json:"workload"`
	// SimDuration is the simulated time the run covered, in ns.
	SimDuration int64 `json:"sim_duration_ns"`

	FaultPlan   string         `json:"fault_plan"`
	FaultCounts map[string]int `json:"fault_counts"` // applied faults per kind
	Timeline    []TimelineItem `json:"timeline"`

	Verdict      checkers.Verdict `json:"verdict"`
	ExitCode     int              `json:"exit_code"`
	Interrupted  bool             `json:"interrupted,omitempty"`
	Expectations []Expectation    `json:"expectations"`

	RTO      *RTO      `json:"rto,omitempty"`
	RPO      *RPO      `json:"rpo,omitempty"`
	Failover *Failover `json:"failover,omitempty"`

	Signing []SigningStats `json:"signing,omitempty"`
	Custody *Custody       `json:"custody,omitempty"`
	Risk    *Risk          `json:"risk,omitempty"`
	// Attacks: one row per ATTACK:<id> expectation of the run.
	Attacks []AttackRow `json:"attacks,omitempty"`

	Ops   OpStats   `json:"ops"`
	World WorldInfo `json:"world"`

	Replay string `json:"replay"`
}

// ScenarioInfo identifies exactly what ran.
type ScenarioInfo struct {
	Name        string   `json:"name"`
	Type        string   `json:"type"`
	Description string   `json:"description"`
	Source      string   `json:"source"`
	Hash        string   `json:"hash"`
	Overrides   []string `json:"overrides,omitempty"`
}

// TimelineItem is one fault action as applied (or failed to apply).
type TimelineItem struct {
	At    int64  `json:"at_ns"`
	What  string `json:"what"`
	Error string `json:"error,omitempty"`
}

// Expectation is one demand of the scenario and its checker's result.
type Expectation struct {
	Name   string          `json:"name"`
	Pass   bool            `json:"pass"`
	Result checkers.Result `json:"result"`
}

// RTO: target against measured, in ns. Measured -1 when never recovered.
type RTO struct {
	Fault    string `json:"fault"`
	Target   int64  `json:"target_ns"`
	Measured int64  `json:"measured_ns"`
	Injected int64  `json:"injected_at_ns"`
	Restored int64  `json:"restored_at_ns"`
}

// RPO: acknowledged writes lost (target 0 for the replicated ledger).
type RPO struct {
	Target    int   `json:"target_ops"`
	LostAcked int64 `json:"lost_acked_ops"`
}

// Failover: the last write committed before the region loss and the first
// after, as the clients saw them.
type Failover struct {
	Region      string `json:"region"`
	InjectedAt  int64  `json:"injected_at_ns"`
	LastBefore  string `json:"last_committed_before"`
	FirstAfter  string `json:"first_committed_after"`
	RecoveredAt int64  `json:"recovered_at_ns"`
	HealedAt    int64  `json:"healed_at_ns"`
}

// Custody is the custody figures of a run with the withdrawal pipeline.
type Custody struct {
	// Holdings are the world's samples of the custody addresses' chain
	// balances, in time order.
	Holdings []HoldingsSample `json:"holdings"`
	// Withdrawals counts client withdrawals by outcome (settled, failed:
	// REASON, unknown) and the furthest pipeline state reached by those
	// that never completed.
	Withdrawals map[string]int `json:"withdrawals"`
	Approvals   int            `json:"approvals"` // approvals delivered to wallet nodes
	Deposits    int            `json:"deposits"`  // deposits credited
	Sweeps      []Transfer     `json:"sweeps"`    // sweeps and refills
	CourierHops int            `json:"courier_hops"`
	Refused     int            `json:"refused"` // signer refusals (WYSIWYS or approval re-check)
}

// HoldingsSample is one sample of hot and cold holdings.
type HoldingsSample struct {
	At   int64 `json:"at_ns"`
	Hot  int64 `json:"hot"`
	Cold int64 `json:"cold"`
}

// Transfer is one sweep (hot to cold) or refill (cold to hot).
type Transfer struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"`
	Amount int64  `json:"amount"`
	State  string `json:"state"`
	Start  int64  `json:"start_ns"`
	End    int64  `json:"end_ns"`
}

// SigningStats summarises one key's signing sessions.
type SigningStats struct {
	Key         string   `json:"key"`
	Engine      string   `json:"engine"`
	Requests    int      `json:"requests"`
	Signed      int      `json:"signed"`
	Failed      int      `json:"failed"`
	Unknown     int      `json:"unknown"`
	Attempts    int      `json:"attempts"`
	Aborts      int      `json:"aborts"`
	Rejected    int      `json:"messages_rejected"`
	Culprits    []string `json:"culprits,omitempty"`
	Quarantined []string `json:"quarantined,omitempty"`
	// Time from request to signature, ns.
	TimeMin    int64 `json:"time_to_signature_min_ns"`
	TimeMedian int64 `json:"time_to_signature_median_ns"`
	TimeMax    int64 `json:"time_to_signature_max_ns"`
	ChainTxs   int   `json:"chain_txs_verified"`
}

// OpStats counts client operations by kind and outcome.
type OpStats struct {
	Invoked int                       `json:"invoked"`
	ByOp    map[string]map[string]int `json:"by_op"` // op -> ok/fail/info/refused -> n
}

// WorldInfo is what the simulated world itself counted.
type WorldInfo struct {
	Events       uint64 `json:"events"`
	Steps        uint64 `json:"steps"`
	MsgSent      uint64 `json:"messages_sent"`
	MsgDelivered uint64 `json:"messages_delivered"`
	MsgDropped   uint64 `json:"messages_dropped"`
	MsgDup       uint64 `json:"messages_duplicated"`
	TraceHash    string `json:"trace_sha256"`
	Observations int    `json:"observations"`
}

// ExitCodeFor maps expectation results to an exit code: a safety violation
// beats a liveness failure, which beats an unknown.
func ExitCodeFor(exps []Expectation) int {
	invalid, live, unknown := false, false, false
	for _, e := range exps {
		switch e.Result.Verdict {
		case checkers.Invalid:
			if IsLiveness(e.Result.Checker) {
				live = true
			} else {
				invalid = true
			}
		case checkers.Unknown:
			unknown = true
		}
	}
	switch {
	case invalid:
		return ExitInvalid
	case live:
		return ExitLiveness
	case unknown:
		return ExitUnknown
	}
	return ExitValid
}

// IsLiveness tells the checkers whose failure means "did not recover in
// time" rather than "did something wrong".
func IsLiveness(checker string) bool {
	return strings.HasPrefix(checker, "LIVENESS") || checker == "INV-RTO"
}

// JSON renders the report with stable formatting.
func (r *Report) JSON() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		panic(fmt.Sprintf("reports: encode: %v", err))
	}
	return buf.Bytes()
}

// Decode parses a report.json.
func Decode(b []byte) (*Report, error) {
	var r Report
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&r); err != nil {
		return nil, fmt.Errorf("reports: report.json: %v", err)
	}
	if r.Format != FormatVersion {
		return nil, fmt.Errorf("reports: report.json format %d, this build reads %d", r.Format, FormatVersion)
	}
	return &r, nil
}

// Risk is the risk engine's figures in a run with the risk layer: what it
// scored and decided, per typology against the world's truth, and how the
// review queue kept up. Precision and recall are the RISK-QUALITY
// expectation's.
type Risk struct {
	Scored  int            `json:"scored"`  // operations scored (first answer per subject)
	Actions map[string]int `json:"actions"` // by action: allow, hold, limit, freeze
	// Typologies: per label of the world's truth (typologies, and benign
	// look-alikes as "benign look-alike"), how the engine met it.
	Typologies []RiskTypology `json:"typologies"`
	Cases      int            `json:"cases_opened"`
	Released   int            `json:"cases_released"`
	Confirmed  int            `json:"cases_confirmed"`
	BacklogMax int            `json:"backlog_max"` // most review cases open at once
	OpenAtEnd  int            `json:"open_at_end"`
	// ReviewMean and ReviewMax: case open to decision, ns.
	ReviewMean int64 `json:"review_mean_ns"`
	ReviewMax  int64 `json:"review_max_ns"`
}

// RiskTypology is one truth label's row: its users and operations, how
// many operations the engine flagged (anything but allow), how many of the
// users were frozen, and the mean time from a user's first labeled
// operation to their account's freeze.
type RiskTypology struct {
	Label        string `json:"label"`
	Users        int    `json:"users"`
	Ops          int    `json:"ops"`
	Flagged      int    `json:"flagged"`
	Frozen       int    `json:"users_frozen"`
	FreezeMeanNS int64  `json:"freeze_mean_ns"`
}

// AttackRow is one rehearsed attack (an ATTACK:<id> expectation's result):
// the control that stopped it, the time from its first try to that
// response (DetectNS, -1 when nothing answered), its bound, who the
// gateway's alerts notified, and the verdict.
type AttackRow struct {
	Attack   string           `json:"attack"`
	Number   int              `json:"domain_number"` // in DOMAIN.md's list
	Control  string           `json:"control"`       // "" when nothing answered
	DetectNS int64            `json:"detect_ns"`
	BoundNS  int64            `json:"bound_ns"`
	Tried    int64            `json:"tried"`
	Alerts   int64            `json:"alerts"`
	Notified map[string]int64 `json:"notified"` // user, security, admins: alerts notifying each
	Effects  int64            `json:"effects"`
	Verdict  checkers.Verdict `json:"verdict"`
}
