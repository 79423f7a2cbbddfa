package risk

import (
	"slices"
	"time"

	"vaultdrill/system/geo"
)

// Op is the kind of operation scored.
type Op string

const (
	OpWithdraw Op = "withdraw"
	OpDeposit  Op = "deposit"
)

func validOp(o Op) bool { return o == OpWithdraw || o == OpDeposit }

// Action is what the engine asks the caller to do with the operation.
// They are ordered by severity: when several rules apply, the most severe
// wins.
type Action string

const (
	// ActionAllow: proceed.
	ActionAllow Action = "allow"
	// ActionHold: a review case is open; the operation waits for its
	// decision (release: proceed; confirm: refuse).
	ActionHold Action = "hold"
	// ActionLimit: refused, because it is above a limit (velocity); no case.
	ActionLimit Action = "limit"
	// ActionFreeze: refused, and the account moves no funds until a reviewer
	// releases the freeze case.
	ActionFreeze Action = "freeze"
)

func validAction(a Action) bool {
	return a == ActionAllow || a == ActionHold || a == ActionLimit || a == ActionFreeze
}

func severity(a Action) int {
	switch a {
	case ActionHold:
		return 1
	case ActionLimit:
		return 2
	case ActionFreeze:
		return 3
	}
	return 0
}

func worse(a, b Action) Action {
	if severity(b) > severity(a) {
		return b
	}
	return a
}

// Typology is an AML pattern the engine names.
type Typology string

const (
	TypologyMixer           Typology = "mixer"
	TypologyPeelChain       Typology = "peel-chain"
	TypologyStructuring     Typology = "structuring"
	TypologySmurfing        Typology = "smurfing"
	TypologyRapidInOut      Typology = "rapid-in-out"
	TypologyNewAccountDrain Typology = "new-account-drain"
)

// Typologies lists them in the order the engine names them when several
// match: the caller-computed chain evidence first, then the history
// patterns, the most specific first.
var Typologies = []Typology{TypologyMixer, TypologyPeelChain, TypologyStructuring, TypologySmurfing,
	TypologyRapidInOut, TypologyNewAccountDrain}

func validTypology(t Typology) bool { return t == "" || slices.Contains(Typologies, t) }

// Point is a position in microdegrees (system/geo); the zero Point is
// "unknown".
type Point = geo.Point

// Event is one operation shown to the engine. The caller computes what
// needs the chain or other components (taint and peel hops from
// compliance's graph, whether the device is new from access, the balance
// from the ledger); the engine computes the rest from its own history.
type Event struct {
	Op      Op
	Subject string // withdrawal id or deposit txid: the operation's key
	User    string // who acts: velocity, amounts, addresses and geo are per user
	Account string // the ledger account: deposits and freezes are per account
	Amount  int64  // > 0, smallest units
	// Address is the destination of a withdrawal or the sender of a deposit.
	Address string
	// Balance is the account's available balance before the operation (0:
	// unknown; the drain features then stay unknown).
	Balance   int64
	DeviceNew bool
	Geo, Home Point
	// AccountAge is the account's age at the operation.
	AccountAge time.Duration
	// TaintHops: the counterparty is within this many hops of a
	// mixer-tagged address (1: it received from one directly); 0: no
	// exposure known.
	TaintHops int
	// PeelHops: the caller found the counterparty at the end of a peel
	// pattern (1 input -> 2 outputs split between 90:10 and 99:1) this many
	// hops long; 0: none.
	PeelHops int
	Time     time.Time
}
