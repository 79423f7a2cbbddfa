package wallet

import (
	"fmt"
	"time"

	"vaultdrill/system/approval"
	"vaultdrill/system/env"
	"vaultdrill/system/mpc"
)

// Info is what a wallet node knows of one custody wallet.
type Info struct {
	Name    string // "hot" or "cold": the policy's wallet name
	Key     mpc.KeyID
	PubKey  []byte
	Address string
	Signers []env.NodeID // the key's committee; a cold one is reached by courier only
	// ViaCourier: the committee is air-gapped; requests go through the
	// courier, one slow hop each way.
	ViaCourier bool
}

// Bug plants a known pipeline bug, so the checkers can show they catch it.
type Bug string

const (
	BugCountInitiator  Bug = "count-initiator"   // counts the initiator's own approval toward the quorum
	BugSweepShortfall  Bug = "sweep-shortfall"   // sweeps a tenth of the excess, so hot grows past its cap
	BugRetryNewNonce   Bug = "retry-new-nonce"   // after a broadcast timeout, re-signs with a fresh nonce (pays twice)
	BugZeroConf        Bug = "zero-conf"         // credits deposits at zero confirmations
	BugAirgapBypass    Bug = "airgap-bypass"     // sends cold signing requests over the network, not by courier
	BugNoClockCheck    Bug = "no-clock-check"    // the gateway trusts the node's clock: no check against the chain's (clock.go)
	BugSkipApproverMFA Bug = "skip-approver-mfa" // counts approvals without checking the approver's MFA
)

// ParseBug checks a bug name.
func ParseBug(s string) (Bug, error) {
	switch b := Bug(s); b {
	case "", BugCountInitiator, BugSweepShortfall, BugRetryNewNonce, BugZeroConf, BugAirgapBypass, BugAuditSkipField, BugNoClockCheck, BugSkipApproverMFA:
		return b, nil
	}
	return "", fmt.Errorf("wallet: unknown bug %q (count-initiator, sweep-shortfall, retry-new-nonce, zero-conf, airgap-bypass, audit-skip-field, no-clock-check, skip-approver-mfa)", s)
}

// Screening is a compliance decision: allow, hold or deny, why, and the
// sanctions list version it was made under.
type Screening struct {
	Decision    string // "allow", "hold", "deny"
	Reason      string
	ListVersion string
}

// Screener is the compliance decision hook of the pipeline (system/compliance
// behind an adapter). A nil Screener allows everything, recorded as the
// default.
type Screener interface {
	ScreenWithdrawal(to string, amount int64) Screening
	// ScreenDeposit screens a deposit's sender as of the deposit's block
	// height (deposit.go).
	ScreenDeposit(from string, amount int64, height uint64) DepositScreening
}

// Config configures one wallet node.
type Config struct {
	ID        env.NodeID
	Ledger    []env.NodeID // the ledger replicas
	Chain     env.NodeID
	Flavour   string
	Hot, Cold Info
	Courier   env.NodeID
	Approvers []env.NodeID
	Screener  Screener
	Policy    approval.Policy
	Registry  *approval.Registry
	// Risk is the risk node (system/risk) every withdrawal and credited
	// deposit is scored by; empty: no risk engine, every withdrawal
	// allowed and recorded as the default. Profiles are the users' homes,
	// devices and opening dates the risk features need.
	Risk     env.NodeID
	Profiles map[string]Profile
	// Confirmations: a deposit is credited, and a withdrawal settled, at
	// this many confirmations.
	Confirmations int
	Fee           int64
	// Sweeps and refills keep hot between RefillFloor and HotTarget at
	// each SweepWindow boundary. A Sweeper-eligible node runs them (and
	// the deposit scanner) while the ledger's leader is in its own Region,
	// as LedgerRegions places the replicas: the sweeper follows the
	// ledger's failover. Without LedgerRegions an eligible node always
	// sweeps.
	Sweeper       bool
	Region        string
	LedgerRegions map[env.NodeID]string
	SweepWindow   time.Duration
	HotTarget     int64
	RefillFloor   int64
	// Velocity: withdrawals requested inside one window (aligned to zero)
	// may total at most VelocityLimit.
	VelocityLimit  int64
	VelocityWindow time.Duration
	// Attack, for rehearsals: "tamper-destination" makes this wallet node
	// an insider who swaps the destination after approval (signers must
	// refuse); AttackAddress is where the insider wants the funds.
	Attack        string
	AttackAddress string
	Bug           Bug
	// Access: every client operation passes the zero-trust gateway
	// (gateway.go); nil: withdrawals come as bare WithdrawRequests.
	Access *AccessConfig
	// AuditTrail: where the audit log is replicated and anchored
	// (replicate.go, anchor.go).
	AuditTrail AuditTrailConfig
	// Governance (policy.go): the node whose pushes change the policy in
	// force; a withdrawal without quorum after ApprovalDeadline fails (0:
	// it waits); with WhitelistOnly, withdrawals go only to Whitelist and
	// addresses whitelisted since.
	Governor         env.NodeID
	ApprovalDeadline time.Duration
	WhitelistOnly    bool
	Whitelist        []string
	// Bounds and timeouts (defaults in withDefaults).
	LedgerAttempt  time.Duration // one ledger request attempt
	ChainAttempt   time.Duration // one chain request attempt
	SignAttempt    time.Duration // one hot signing request attempt
	ColdAttempt    time.Duration // one cold (courier) signing request attempt
	PollEvery      time.Duration // confirmation polling
	ApprovalResend time.Duration // re-ask approvers who did not answer
	ActiveMax      int           // withdrawals in progress at once
	RiskAttempt    time.Duration // resend a score request or status question
	HoldPoll       time.Duration // ask how a held withdrawal's review case stands
}

func (c Config) withDefaults() Config {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	def(&c.LedgerAttempt, time.Second)
	def(&c.ChainAttempt, 5*time.Second)
	def(&c.SignAttempt, 45*time.Second)
	def(&c.ColdAttempt, 12*time.Hour)
	def(&c.PollEvery, 10*time.Second)
	def(&c.ApprovalResend, 10*time.Minute)
	def(&c.RiskAttempt, 5*time.Second)
	def(&c.HoldPoll, time.Minute)
	def(&c.SweepWindow, time.Hour)
	def(&c.VelocityWindow, time.Hour)
	if c.Confirmations <= 0 {
		c.Confirmations = 3
	}
	if c.Fee <= 0 {
		c.Fee = 10
	}
	if c.ActiveMax <= 0 {
		c.ActiveMax = 1024
	}
	return c
}
