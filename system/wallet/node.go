package wallet

import (
	"strconv"
	"strings"
	"time"

	"vaultdrill/system/access"
	"vaultdrill/system/approval"
	"vaultdrill/system/chain"
	"vaultdrill/system/courier"
	"vaultdrill/system/env"
	"vaultdrill/system/governance"
	"vaultdrill/system/risk"
	"vaultdrill/system/signer"
)

// Virtual CPU cost of one step.
const CostStep = 20 * time.Microsecond

// Observation kinds.
const (
	ObsState  = "wallet.state"  // a withdrawal's step: withdrawal, state, reason
	ObsSweep  = "wallet.sweep"  // a sweep or refill's step: id, state, amount
	ObsCredit = "wallet.credit" // a deposit credited: txid, account, amount, height
	ObsScreen = "wallet.screen" // a compliance decision: withdrawal, decision, list, reason
	// ObsSweepTick: the sweeper of a window read hot and decided: window,
	// hot, decision (none, sweep, refill).
	ObsSweepTick = "wallet.sweep_tick"
	// ObsAuditHalt: no audit sink can record, so this node takes no
	// custody step until one can (reason).
	ObsAuditHalt = "audit.halt"
)

// Node is one wallet node: it runs the withdrawal pipeline for the requests
// it receives, and, if it is the Sweeper, the deposit scanner, sweeps and
// refills. It implements env.Node. Its state is in memory only: everything
// durable lives in the replicated ledger (reservations, nonces, fees,
// credits, by idempotency key) and on the chain, so a request retried at
// another wallet node, in another region, redoes each step and gets the
// same results (the same nonce, hence the same transaction).
type Node struct {
	cfg Config

	callSeq     uint64
	leaderGuess int
	leader      env.NodeID // the replica that answered the last write
	ledgerCalls map[uint64]*ledgerCall
	chainCalls  map[uint64]*chainCall
	signCalls   map[uint64]*signCall

	wds       map[string]*withdrawal
	wdOrder   []string // arrival order, for deterministic timers
	doneOrder []string // the finished ones kept, oldest first (finish)
	audit     *auditLog

	// deposit scores awaiting the risk node's answer, by txid, in order
	riskDeps     map[string]risk.ScoreRequest
	riskDepOrder []string
	riskDepTimer bool

	// auditDown: the harness cut this node off its audit sink (a fault);
	// halted: a halt has been reported and no entry recorded since.
	auditDown, halted bool
	// trail: replication and anchoring of the audit log (replicate.go)
	trail trailState
	pol   policyState // policy changes in effect, attack-5 alerts (policy.go)

	// the zero-trust gateway (gateway.go): nil without Config.Access
	gw          *access.Gateway
	accessReqs  map[string]*accessReq
	accessOrder []string
	mfaPending  map[string]bool // approvals whose MFA is being checked
	boot        string          // this incarnation: its start time (onceScope)
	clockHeight uint64          // the newest block the clock check measured (clock.go)

	// sweeper state
	scanned   uint64 // highest block height whose deposits are credited
	scanning  bool
	internal  map[string]*transfer // sweeps and refills in progress, by id
	seenTxs   map[string]bool      // deposits credited by this node (txid)
	depWait   map[string]bool      // deposits waiting for screening to answer, reported once (deposit.go)
	lastSweep int64                // window index of the last sweep decision
}

// New builds a wallet node.
func New(cfg Config) *Node { return &Node{cfg: cfg.withDefaults()} }

func (n *Node) Step(e env.Env, in env.Input) {
	e.Charge(CostStep)
	switch in.Kind {
	case env.InputStart:
		n.start(e)
	case env.InputTimer:
		n.timer(e, in.Tag)
	case env.InputMessage:
		n.receive(e, in.From, in.Payload)
	}
}

func (n *Node) start(e env.Env) {
	n.ledgerCalls, n.chainCalls, n.signCalls = map[uint64]*ledgerCall{}, map[uint64]*chainCall{}, map[uint64]*signCall{}
	n.wds, n.wdOrder, n.doneOrder = map[string]*withdrawal{}, nil, nil
	n.riskDeps, n.riskDepOrder, n.riskDepTimer = map[string]risk.ScoreRequest{}, nil, false
	n.internal, n.seenTxs = map[string]*transfer{}, map[string]bool{}
	n.scanned, n.scanning, n.lastSweep = 0, false, -1
	n.audit = openAudit(e, n.cfg.ID)
	n.loadPolicy(e)
	n.startAuditTrail(e)
	n.startGateway(e)
	if b, ok := e.Disk().Read(scannedFile); ok {
		n.scanned, _ = strconv.ParseUint(string(b), 10, 64)
	}
	if n.cfg.Sweeper {
		n.resumeTransfers(e)
		e.After(n.cfg.PollEvery, "scan")
		e.After(n.untilWindow(e), "sweep")
	}
}

// sweeping reports whether this node is the sweeper now: eligible, and in
// the ledger leader's region (as far as the last answered write tells).
func (n *Node) sweeping() bool {
	if !n.cfg.Sweeper {
		return false
	}
	if len(n.cfg.LedgerRegions) == 0 {
		return true
	}
	return n.leader != "" && n.cfg.LedgerRegions[n.leader] == n.cfg.Region
}

// untilWindow is the time to the next sweep-window boundary.
func (n *Node) untilWindow(e env.Env) time.Duration {
	w := n.cfg.SweepWindow
	since := e.Now().Sub(env.Epoch)
	return w - since%w
}

func (n *Node) timer(e env.Env, tag string) {
	kind, rest, _ := strings.Cut(tag, "/")
	switch kind {
	case "ledger":
		n.ledgerTimer(e, rest)
	case "chain":
		n.chainTimer(e, rest)
	case "sign":
		n.signTimer(e, rest)
	case "wd":
		n.wdTimer(e, rest)
	case "scan":
		n.scan(e)
	case "riskdep":
		n.riskDepResend(e)
	case "sweep":
		n.sweepTick(e)
	case "audit":
		n.auditTrailTimer(e, rest)
	case "clock":
		n.clockTick(e)
	case "xfer":
		n.transferTimer(e, rest)
	case "policy":
		n.policyTimer(e, rest)
	}
}

func (n *Node) receive(e env.Env, from env.NodeID, payload []byte) {
	if from == n.cfg.Courier && n.cfg.Courier != "" {
		f, ok := courier.Decode(payload)
		if !ok || f.To != n.cfg.ID {
			return
		}
		from, payload = f.From, f.Payload
	}
	t, body, err := env.Decode(payload)
	if err != nil {
		return
	}
	switch t {
	case env.MsgClientResponse:
		n.ledgerResponse(e, from, body)
	case chain.MsgSubmitResult, chain.MsgQueryResult:
		n.chainAnswer(e, t, body)
	case signer.MsgSignResponse:
		if r, ok := signer.DecodeSignResponse(payload); ok {
			n.signAnswer(e, r)
		}
	case MsgWithdraw:
		var r WithdrawRequest
		if !Decode(payload, MsgWithdraw, &r) {
			return
		}
		if n.cfg.Access != nil {
			// behind the gateway, only an allowed withdraw op enters
			e.Send(from, encode(MsgWithdrawStatus, WithdrawStatus{ID: r.ID, State: StateFailed,
				Err: "wallet: withdrawals pass the access gateway (login, step-up) here"}))
			return
		}
		n.withdrawRequest(e, from, r)
	case MsgAccess:
		n.accessRequest(e, from, payload)
	case MsgAccessShare:
		n.accessShared(e, from, payload)
	case MsgApprovalResponse:
		var r ApprovalResponse
		if Decode(payload, MsgApprovalResponse, &r) {
			n.approvalResponse(e, from, r)
		}
	case MsgControl:
		n.control(e, from, string(body))
	case MsgAuditBatch, MsgAuditAck:
		n.auditTrailMessage(e, from, t, payload)
	case risk.MsgScoreAnswer, risk.MsgStatusAnswer, risk.MsgCaseClosed:
		n.riskMessage(e, from, payload)
	case governance.MsgPush:
		n.policyPush(e, from, payload)
	}
}

// check runs the approval policy, with the planted bug if any.
func (n *Node) check(s approval.Subject, as []approval.Approval, now time.Time) error {
	var err error
	if n.cfg.Bug == BugCountInitiator {
		_, err = approval.CheckWithBug(approval.BugCountInitiator, n.cfg.Policy, n.cfg.Registry, s, as, now)
	} else {
		_, err = approval.Check(n.cfg.Policy, n.cfg.Registry, s, as, now)
	}
	return err
}
