package checkers

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"vaultdrill/checkers/history"
)

// The custody checkers judge the withdrawal pipeline from the client
// history and the observation stream alone; docs/custody-vocabulary.md
// fixes every kind, field and rule they read. They share no code with
// system/wallet, system/approval or system/chain: the intent digest and the
// policy's tier rule are restated here from that page.

// Checker ids of the custody invariants. CheckCustodyConserve and
// CheckCustodyNonNeg name the same invariants as the ledger-level
// CheckConserve and CheckNonNeg, judged on the custody pipeline's evidence.
const (
	CheckOnce            = "INV-ONCE"
	CheckOutflow         = "INV-OUTFLOW"
	CheckQuorum          = "INV-QUORUM"
	CheckWYSIWYS         = "INV-WYSIWYS"
	CheckCold            = "INV-COLD"
	CheckVelocity        = "INV-VELOCITY"
	CheckDeposit         = "INV-DEPOSIT"
	CheckAirgap          = "INV-AIRGAP"
	CheckCustodyConserve = "INV-CONSERVE"
	CheckCustodyNonNeg   = "INV-NONNEG"
	CheckWithdrawLive    = "LIVENESS-WITHDRAW"
)

// Observation kinds of the custody vocabulary.
const (
	obsCustody  = "world.custody"
	obsPolicy   = "world.policy"
	obsDevice   = "world.device"
	obsHoldings = "world.holdings"
	obsApproval = "world.approval"
	obsDelivery = "world.delivery"
	obsChainTx  = "chain.tx"
	obsBlock    = "chain.block"
	obsReorg    = "chain.reorg"
	obsBegin    = "signer.begin"
)

// Memo and idempotency-key prefixes of the custody vocabulary.
const (
	memoWithdrawal = "wd:"
	memoSweep      = "sweep:"
	memoRefill     = "refill:"
	idemDeposit    = "dep:"
)

// Wallet names in world.custody and the policy's tiers.
const (
	walletHot  = "hot"
	walletCold = "cold"
)

// IntentDigest is what approvers approve, restated from the vocabulary
// page: lowercase hex of sha256("vaultdrill/intent/v1" 0x00 wallet 0x00
// withdrawal 0x00 to 0x00 decimal amount).
func IntentDigest(wallet, withdrawal, to string, amount int64) string {
	h := sha256.New()
	h.Write([]byte("vaultdrill/intent/v1"))
	for _, part := range []string{wallet, withdrawal, to, strconv.FormatInt(amount, 10)} {
		h.Write([]byte{0})
		h.Write([]byte(part))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// custodyTier is one row of world.policy's tiers.
type custodyTier struct {
	Name      string `json:"name"`
	Wallet    string `json:"wallet"`
	AmountMax int64  `json:"amount_max"`
	Approvers int    `json:"approvers"`
	ExpiryMS  int64  `json:"expiry_ms"`
}

// custodyPolicy is world.policy, parsed (parsePolicy: every field
// required).
type custodyPolicy struct {
	version         string
	tiers           []custodyTier
	hotCap          int64
	coldMinPermille int64
	velocityLimit   int64
	velocityWindow  int64 // ns
	confirmations   int64
	sweepWindow     int64 // ns
}

// tierFor is the first tier whose wallet matches (a tier wallet "*"
// matches any) and whose amount_max (0: unbounded) bounds the amount.
func (p *custodyPolicy) tierFor(wallet string, amount int64) (custodyTier, bool) {
	for _, t := range p.tiers {
		if (t.Wallet == wallet || t.Wallet == "*") && (t.AmountMax == 0 || amount <= t.AmountMax) {
			return t, true
		}
	}
	return custodyTier{}, false
}

// parsePolicy reads one world.policy fact strictly: every numeric field
// must be present and decimal, and the tiers must be a JSON list.
func parsePolicy(o history.Observation) (*custodyPolicy, error) {
	p := &custodyPolicy{version: o.Fields["version"]}
	for _, f := range []struct {
		name  string
		into  *int64
		scale int64
	}{
		{"hot_cap", &p.hotCap, 1},
		{"cold_min_permille", &p.coldMinPermille, 1},
		{"velocity_limit", &p.velocityLimit, 1},
		{"velocity_window_ms", &p.velocityWindow, 1e6},
		{"confirmations", &p.confirmations, 1},
		{"sweep_window_ms", &p.sweepWindow, 1e6},
	} {
		v, err := obsInt(o, f.name)
		if err != nil {
			return nil, err
		}
		*f.into = v * f.scale
	}
	dec := json.NewDecoder(strings.NewReader(o.Fields["tiers"]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&p.tiers); err != nil {
		return nil, fmt.Errorf("world.policy %s: tiers: %v", p.version, err)
	}
	return p, nil
}

// deviceReg is one world.device fact: device registered to human, whose
// approvals the host authenticates as sent by node.
type deviceReg struct{ device, human, node string }

// minedTx is one transaction the chain reported mined, at its first
// inclusion. A reorged-out block's copy that is mined again has the same
// txid and is the same minedTx; a replacement at the same (from, nonce)
// has another txid.
type minedTx struct {
	idx                                 int // index in the observation stream
	at                                  int64
	chain, txid, from, to, memo, digest string
	nonce                               string
	amount, fee, height                 int64
}

// withdrawalOf is the withdrawal id the memo names, if it names one.
func (t minedTx) withdrawalOf() (string, bool) {
	id, ok := strings.CutPrefix(t.memo, memoWithdrawal)
	return id, ok && id != ""
}

// slot is the transaction's (from, nonce): a reorg or a fee bump reuses
// it, a second payment cannot.
func (t minedTx) slot() string { return t.from + "/" + t.nonce }

func (t minedTx) ref(desc string) OpRef {
	id, _ := t.withdrawalOf()
	if id == "" {
		id = t.memo
	}
	return OpRef{Index: -1, Process: -1, Op: obsChainTx, Key: id, Time: t.at, Desc: desc}
}

// String names the transaction for a human: txid, sender and nonce,
// destination, amount, memo and block.
func (t minedTx) String() string {
	return fmt.Sprintf("tx %s (from %s nonce %s, %d to %s, memo %q, height %d)",
		abbrev(t.txid), abbrev(t.from), t.nonce, t.amount, abbrev(t.to), t.memo, t.height)
}

// abbrev shortens a hex id or address for a one-line description.
func abbrev(s string) string {
	if len(s) > 16 {
		return s[:16] + "…"
	}
	return s
}

// withdrawalReq is one withdrawal as the client history tells it: what was
// asked (from its first invoke) and every attempt under its id.
type withdrawalReq struct {
	id, user, to, wallet, initiator string
	amount                          int64
	ops                             []history.Op
}

// custodyFacts is everything the custody checkers read, gathered in one
// pass in stream order.
type custodyFacts struct {
	policy    *custodyPolicy
	policyErr error // the last world.policy fact that did not parse
	// wallets: custody address -> wallet name (world.custody).
	wallets map[string]string
	devices []deviceReg
	// mined: every distinct transaction (by txid), at its first inclusion,
	// in stream order.
	mined []minedTx
	// begins: signing digest -> stream index and time of its first
	// signer.begin.
	begins map[string]obsAt
	// approvals: withdrawal id -> world.approval facts, in stream order.
	approvals map[string][]approvalFact
	// withdrawals: id -> the client's request (nil when the history is
	// unusable: historyErr says why).
	withdrawals map[string]*withdrawalReq
	historyErr  error
	// copies counts chain.tx facts of a transaction already seen mined
	// (its block was reorged out and it was mined again).
	copies int64
}

type obsAt struct {
	idx int
	at  int64
}

// approvalFact is one world.approval: an approval message delivered to a
// wallet node, as the network tap saw it.
type approvalFact struct {
	obsAt
	from, to, withdrawal, digest, device, human string
}

func readCustody(in Input) *custodyFacts {
	c := &custodyFacts{wallets: map[string]string{}, begins: map[string]obsAt{},
		approvals: map[string][]approvalFact{}}
	seen := map[string]bool{}
	for i, o := range in.Observations {
		f := o.Fields
		switch o.Kind {
		case obsPolicy:
			if p, err := parsePolicy(o); err != nil {
				c.policyErr = err
			} else {
				c.policy = p
			}
		case obsCustody:
			if f["address"] != "" {
				c.wallets[f["address"]] = f["wallet"]
			}
		case obsDevice:
			c.devices = append(c.devices, deviceReg{device: f["device"], human: f["human"], node: f["node"]})
		case obsChainTx:
			if seen[f["txid"]] {
				c.copies++ // the same transaction mined again after a reorg
				continue
			}
			seen[f["txid"]] = true
			amount, _ := strconv.ParseInt(f["amount"], 10, 64)
			fee, _ := strconv.ParseInt(f["fee"], 10, 64)
			height, _ := strconv.ParseInt(f["height"], 10, 64)
			c.mined = append(c.mined, minedTx{idx: i, at: o.Time, chain: f["chain"], txid: f["txid"], from: f["from"],
				to: f["to"], memo: f["memo"], digest: strings.ToLower(f["digest"]), nonce: f["nonce"],
				amount: amount, fee: fee, height: height})
		case obsBegin:
			d := strings.ToLower(f["digest"])
			if _, ok := c.begins[d]; !ok {
				c.begins[d] = obsAt{idx: i, at: o.Time}
			}
		case obsApproval:
			id := f["withdrawal"]
			c.approvals[id] = append(c.approvals[id], approvalFact{obsAt: obsAt{idx: i, at: o.Time}, from: f["from"], to: f["to"],
				withdrawal: id, digest: strings.ToLower(f["digest"]), device: f["device"], human: f["human"]})
		}
	}
	c.withdrawals, c.historyErr = withdrawalRequests(in.History)
	return c
}

// withdrawalRequests pairs the history and groups the withdraw operations
// by withdrawal id; the first invoke's detail tells what was asked.
func withdrawalRequests(h []history.Event) (map[string]*withdrawalReq, error) {
	pairs, err := history.Pair(h)
	if err != nil {
		return nil, err
	}
	out := map[string]*withdrawalReq{}
	for _, p := range pairs {
		if p.Invoke.Op != "withdraw" {
			continue
		}
		id := p.Invoke.Key
		w := out[id]
		if w == nil {
			w = &withdrawalReq{id: id, amount: p.Invoke.Value}
			for _, kv := range strings.Fields(p.Invoke.Detail) {
				k, v, _ := strings.Cut(kv, "=")
				switch k {
				case "user":
					w.user = v
				case "to":
					w.to = v
				case "wallet":
					w.wallet = v
				case "initiator":
					w.initiator = v
				case "amount":
					if a, err := strconv.ParseInt(v, 10, 64); err == nil {
						w.amount = a
					}
				}
			}
			out[id] = w
		}
		w.ops = append(w.ops, p)
	}
	return out, nil
}

// custodyOutflows are the mined transactions that spend from a custody
// address, in stream order.
func (c *custodyFacts) custodyOutflows() []minedTx {
	var out []minedTx
	for _, t := range c.mined {
		if _, ok := c.wallets[t.from]; ok {
			out = append(out, t)
		}
	}
	return out
}

// payments are the custody outflows whose memo names a withdrawal.
func (c *custodyFacts) payments() []minedTx {
	var out []minedTx
	for _, t := range c.custodyOutflows() {
		if _, ok := t.withdrawalOf(); ok {
			out = append(out, t)
		}
	}
	return out
}

// unknown fills in an Unknown result.
func unknown(res Result, why string) Result {
	res.Verdict, res.Summary = Unknown, why
	return res
}

// finishInTime sorts the offending references by time (stable, so stream
// order breaks ties) and hands them to finish.
func finishInTime(res Result, bad []OpRef, what, ok string) Result {
	sort.SliceStable(bad, func(i, j int) bool { return bad[i].Time < bad[j].Time })
	return finish(res, bad, what, ok)
}

// needCustody is the Unknown answer when the run registered no custody
// address: without world.custody no outflow can be told from any other
// transaction.
func needCustody(res Result, c *custodyFacts) (Result, bool) {
	if len(c.wallets) == 0 {
		return unknown(res, "no custody addresses (world.custody): nothing to judge"), false
	}
	return res, true
}

// needPolicy is the Unknown answer when world.policy is missing or did not
// parse.
func needPolicy(res Result, c *custodyFacts) (Result, bool) {
	switch {
	case c.policy != nil:
		return res, true
	case c.policyErr != nil:
		return unknown(res, "world.policy unreadable: "+c.policyErr.Error()), false
	default:
		return unknown(res, "no custody policy (world.policy): nothing to judge"), false
	}
}
