package wallet

import (
	"strconv"

	"vaultdrill/system/api"
	"vaultdrill/system/chain"
	"vaultdrill/system/env"
)

// Deposit screening (INV-SANCTIONS, the inflow half). Before the scanner
// credits a deposit it asks the Screener about the sender, as of the
// deposit's block height, and acts on the decision alone:
//
//	allow        credited to the user's account (dep:TXID)
//	deny, hold   credited to HoldAccount under the same key dep:TXID: the
//	             funds are in custody and in the books (INV-CONSERVE), not
//	             the user's; a review may release them later (not yet
//	             built: they stay held)
//	hold + Error the screener could not answer: nothing is credited, the
//	             scan stops at this deposit and asks again at its next tick
//	             (fail closed); a deposit waits as long as screening is out
//
// One idempotency key for both outcomes means a deposit is credited at
// most once, to one account, however many scanners decide it (after a
// failover) and even if they decide differently (a list update between
// them): the ledger applies the first and answers the other as a
// duplicate. Every decision is on the audit log before its credit, and
// reported as a wallet.screen fact (deposit, from, decision, list, reason,
// error, account). A deposit is scored by the risk node whether credited
// or held, with the chain evidence the screener found (mixer hops, peel
// hops), so a held deposit still names its typology and opens a case.

// HoldAccount is the house's ledger account for deposits compliance holds
// or denies.
const HoldAccount = "house-held"

// DepositScreening is the decision on a deposit's sender, with the chain
// evidence the risk engine's typologies take.
type DepositScreening struct {
	Screening
	// Error: the screener could not answer. A correct screener then says
	// hold; the wallet acts on Decision, so a screener that fails open
	// (says allow) gets its deposit credited, and the fact says error=1.
	Error bool
	// MixerHops: the sender is this many hops from a mixer-tagged address
	// (0: none found); PeelHops: a peel chain this many hops long ends at
	// it (0: none).
	MixerHops, PeelHops int
}

// screenDeposit asks the screener; without one every deposit is allowed,
// recorded as the default.
func (n *Node) screenDeposit(tx chain.TxInfo, height uint64) DepositScreening {
	if n.cfg.Screener == nil {
		return DepositScreening{Screening: Screening{Decision: "allow", Reason: "default: no compliance engine"}}
	}
	return n.cfg.Screener.ScreenDeposit(tx.From, tx.Amount, height)
}

// creditDeposit screens deposit tx (to account acct) and credits it where
// the decision says; it reports false when the deposit must wait (a
// screening error or no audit sink), and the scan stops there.
func (n *Node) creditDeposit(e env.Env, tx chain.TxInfo, acct string, height uint64, then func(e env.Env)) bool {
	sc := n.screenDeposit(tx, height)
	errFlag := "0"
	if sc.Error {
		errFlag = "1"
	}
	to := acct
	switch {
	case sc.Decision == "allow":
	case sc.Error:
		if n.depWait == nil {
			n.depWait = map[string]bool{}
		}
		if !n.depWait[tx.TxID] && n.record(e, "deposit.screen", tx.TxID, sc.Decision, tx.Digest, "list="+sc.ListVersion+" wait: "+sc.Reason) {
			n.depWait[tx.TxID] = true
			e.Observe(env.ObserveKV(ObsScreen, "deposit", tx.TxID, "from", tx.From, "decision", sc.Decision, "list", sc.ListVersion,
				"reason", sc.Reason, "error", errFlag, "account", ""))
		}
		return false
	default:
		to = HoldAccount
	}
	if !n.record(e, "deposit.screen", tx.TxID, sc.Decision, tx.Digest, "list="+sc.ListVersion+" account="+to+" "+sc.Reason) {
		return false
	}
	delete(n.depWait, tx.TxID)
	e.Observe(env.ObserveKV(ObsScreen, "deposit", tx.TxID, "from", tx.From, "decision", sc.Decision, "list", sc.ListVersion,
		"reason", sc.Reason, "error", errFlag, "account", to))
	amount := strconv.FormatInt(tx.Amount, 10)
	if !n.record(e, "deposit.credit", tx.TxID, "apply", tx.Digest, "account="+to+" amount="+amount+" height="+strconv.FormatUint(height, 10)) {
		return false
	}
	n.ledgerWrite(e, api.OpDeposit, to, tx.Amount, MemoDeposit+tx.TxID, func(e env.Env, _ api.Response) {
		n.seenTxs[tx.TxID] = true
		e.Observe(env.ObserveKV(ObsCredit, "txid", tx.TxID, "account", to, "amount", amount, "height", strconv.FormatUint(height, 10)))
		n.scoreDeposit(e, tx.TxID, acct, tx.From, tx.Amount, sc.MixerHops, sc.PeelHops)
		then(e)
	})
	return true
}
