package checkers

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"vaultdrill/checkers/history"
)

// Once (INV-ONCE): no withdrawal id is paid twice. Payments are mined
// custody outflows whose memo is wd:ID, counted per distinct (from, nonce):
// a reorged-out block's copy mined again, or a fee bump replacing the
// transaction at its nonce, is one payment; the same id under a second
// nonce is a second payment, whether or not the first was later reorged
// out (it was paid on chain once already).
func Once(in Input) Result {
	res := Result{Checker: CheckOnce, Measured: map[string]int64{}}
	c := readCustody(in)
	if r, ok := needCustody(res, c); !ok {
		return r
	}
	type paid struct {
		first minedTx
		slots map[string]bool
	}
	byID := map[string]*paid{}
	var bad []OpRef
	for _, t := range c.payments() {
		id, _ := t.withdrawalOf()
		p := byID[id]
		switch {
		case p == nil:
			byID[id] = &paid{first: t, slots: map[string]bool{t.slot(): true}}
			res.Measured["payments"]++
		case p.slots[t.slot()]:
			res.Measured["replacements"]++ // same nonce: at most one of them stays on chain
		default:
			p.slots[t.slot()] = true
			res.Measured["payments"]++
			if len(p.slots) == 2 {
				res.Measured["paid_twice"]++
			}
			bad = append(bad, t.ref(fmt.Sprintf("withdrawal %s paid again by %s; first paid by %s", id, t, p.first)))
		}
	}
	res.Measured["withdrawals_paid"] = int64(len(byID))
	res.Measured["reorg_copies"] = c.copies
	return finishInTime(res, bad, "extra payments of an already-paid withdrawal",
		fmt.Sprintf("%d withdrawals paid on chain, each once (%d payments, %d same-nonce replacements, %d transactions mined again after a reorg)",
			len(byID), res.Measured["payments"], res.Measured["replacements"], c.copies))
}

// Outflow (INV-OUTFLOW): every mined transaction from a custody address
// is a withdrawal the client history requested (memo wd:ID), a sweep
// (memo sweep:ID) to a cold address, or a refill (memo refill:ID) to a hot
// address; anything else is an unmatched outflow.
func Outflow(in Input) Result {
	res := Result{Checker: CheckOutflow, Measured: map[string]int64{}}
	c := readCustody(in)
	if r, ok := needCustody(res, c); !ok {
		return r
	}
	var bad []OpRef
	var unmatchable int64 // withdrawals with no usable history to match against
	for _, t := range c.custodyOutflows() {
		res.Measured["outflows"]++
		from := c.wallets[t.from]
		switch {
		case strings.HasPrefix(t.memo, memoWithdrawal):
			id, _ := t.withdrawalOf()
			switch {
			case c.historyErr != nil || len(in.History) == 0:
				unmatchable++
			case c.withdrawals[id] == nil:
				bad = append(bad, t.ref(fmt.Sprintf("%s wallet pays withdrawal %q, which no client requested: %s", from, id, t)))
			default:
				res.Measured["withdrawals"]++
			}
		case strings.HasPrefix(t.memo, memoSweep):
			if c.wallets[t.to] != walletCold || from == walletCold {
				bad = append(bad, t.ref(fmt.Sprintf("%s wallet sends a sweep that does not go to a cold address: %s", from, t)))
			} else {
				res.Measured["sweeps"]++
			}
		case strings.HasPrefix(t.memo, memoRefill):
			if c.wallets[t.to] != walletHot || from == walletHot {
				bad = append(bad, t.ref(fmt.Sprintf("%s wallet sends a refill that does not go to a hot address: %s", from, t)))
			} else {
				res.Measured["refills"]++
			}
		default:
			bad = append(bad, t.ref(fmt.Sprintf("%s wallet sends an outflow that is no withdrawal, sweep or refill: %s", from, t)))
		}
	}
	res.Measured["unmatched"] = int64(len(bad))
	if len(bad) == 0 && unmatchable > 0 {
		why := "the history is empty"
		if c.historyErr != nil {
			why = "history unusable: " + c.historyErr.Error()
		}
		return unknown(res, fmt.Sprintf("%d withdrawal outflows cannot be matched to requests: %s", unmatchable, why))
	}
	return finishInTime(res, bad, "unmatched custody outflows",
		fmt.Sprintf("%d custody outflows, each matched: %d requested withdrawals, %d sweeps to cold, %d refills to hot",
			res.Measured["outflows"], res.Measured["withdrawals"], res.Measured["sweeps"], res.Measured["refills"]))
}

// Cold (INV-COLD): every holdings sample the world took at a sweep
// window's end has cold*1000 >= total*cold_min_permille and hot <= hot_cap.
// The world also samples once at the end of the run, after the final
// reads; that sample ends no sweep window and is not judged here (it is
// INV-CONSERVE's): a sample taken after the last final read completed is
// the end-of-run one.
func Cold(in Input) Result {
	res := Result{Checker: CheckCold, Measured: map[string]int64{}}
	c := readCustody(in)
	if r, ok := needPolicy(res, c); !ok {
		return r
	}
	p := c.policy
	endAt, hasEnd := lastFinalRead(in.History)
	res.Measured["cold_min_permille"] = p.coldMinPermille
	res.Measured["hot_cap"] = p.hotCap
	lowest := int64(-1)
	var bad []OpRef
	for _, o := range in.Observations {
		if o.Kind != obsHoldings {
			continue
		}
		if hasEnd && o.Time > endAt {
			res.Measured["end_samples"]++
			continue
		}
		hot, errH := obsInt(o, "hot")
		cold, errC := obsInt(o, "cold")
		total, errT := obsInt(o, "total")
		if errH != nil || errC != nil || errT != nil {
			res.Measured["unreadable"]++
			continue
		}
		res.Measured["samples"]++
		permille := int64(1000)
		if total > 0 {
			permille = cold * 1000 / total
		}
		if lowest < 0 || permille < lowest {
			lowest = permille
		}
		res.Measured["hot_max"] = max(res.Measured["hot_max"], hot)
		var why []string
		if cold*1000 < total*p.coldMinPermille {
			why = append(why, fmt.Sprintf("cold %d is %d per mille of %d, floor %d", cold, permille, total, p.coldMinPermille))
		}
		if hot > p.hotCap {
			why = append(why, fmt.Sprintf("hot %d over its cap %d", hot, p.hotCap))
		}
		if len(why) > 0 {
			bad = append(bad, OpRef{Index: -1, Process: -1, Op: obsHoldings, Time: o.Time,
				Desc: fmt.Sprintf("holdings at %v: %s", time.Duration(o.Time), strings.Join(why, "; "))})
		}
	}
	res.Measured["cold_permille_lowest"] = lowest
	if len(bad) == 0 {
		switch {
		case res.Measured["unreadable"] > 0:
			return unknown(res, fmt.Sprintf("%d holdings samples unreadable", res.Measured["unreadable"]))
		case res.Measured["samples"] == 0:
			return unknown(res, "no holdings sample at a sweep window's end (world.holdings): nothing to judge")
		}
	}
	return finishInTime(res, bad, "sweep windows ending with cold under its floor or hot over its cap",
		fmt.Sprintf("%d sweep-window samples: cold never under %d per mille (lowest %d), hot never over %d (highest %d)",
			res.Measured["samples"], p.coldMinPermille, lowest, p.hotCap, res.Measured["hot_max"]))
}

// lastFinalRead is when the last final read (Detail "final", ok) of the
// history completed.
func lastFinalRead(h []history.Event) (int64, bool) {
	var at int64
	found := false
	for _, e := range h {
		if e.Op == "balance" && e.Kind == history.OK && e.Detail == "final" {
			at, found = max(at, e.Time), true
		}
	}
	return at, found
}

// Velocity (INV-VELOCITY): the withdrawal payments charged to each window
// of velocity_window_ms aligned to 0 total at most velocity_limit. A
// payment is charged to the window of its client's request (the first
// invoke in the history; its first inclusion when the history does not
// know it), as the pipeline charges it (docs/DECISIONS.md D19). A payment is counted once per (from,
// nonce, withdrawal): a reorg copy or a fee bump is the same payment, a
// second nonce is a second one. Amounts only; fees are the house's. A
// limit of 0 means no limit (as amount_max 0 means unbounded).
func Velocity(in Input) Result {
	res := Result{Checker: CheckVelocity, Measured: map[string]int64{}}
	c := readCustody(in)
	if r, ok := needPolicy(res, c); !ok {
		return r
	}
	if r, ok := needCustody(res, c); !ok {
		return r
	}
	p := c.policy
	if p.velocityWindow <= 0 {
		return unknown(res, fmt.Sprintf("policy %s has no velocity window", p.version))
	}
	res.Measured["limit"], res.Measured["window_ms"] = p.velocityLimit, p.velocityWindow/int64(time.Millisecond)
	counted := map[string]bool{}
	sum := map[int64]int64{}
	var bad []OpRef
	for _, t := range c.payments() {
		id, _ := t.withdrawalOf()
		if counted[t.slot()+"/"+id] {
			continue
		}
		counted[t.slot()+"/"+id] = true
		res.Measured["payments"]++
		// The window of the request (D19): the pipeline charges a
		// withdrawal to the window its client asked in, so slow
		// confirmations never push two windows into one.
		at := t.at
		if r := c.withdrawals[id]; r != nil && len(r.ops) > 0 {
			at = r.ops[0].Invoke.Time
		}
		win := at / p.velocityWindow
		if _, ok := sum[win]; !ok {
			res.Measured["windows"]++
		}
		before := sum[win]
		sum[win] += t.amount
		res.Measured["peak"] = max(res.Measured["peak"], sum[win])
		if p.velocityLimit > 0 && before <= p.velocityLimit && sum[win] > p.velocityLimit {
			res.Measured["windows_over"]++
			start := time.Duration(win * p.velocityWindow)
			bad = append(bad, t.ref(fmt.Sprintf("window [%v, %v) pays %d, over the limit %d, with withdrawal %s: %s",
				start, start+time.Duration(p.velocityWindow), sum[win], p.velocityLimit, id, t)))
		}
	}
	if p.velocityLimit <= 0 {
		res.Verdict = Valid
		res.Summary = fmt.Sprintf("policy %s sets no velocity limit; %d payments in %d windows, peak %d",
			p.version, res.Measured["payments"], res.Measured["windows"], res.Measured["peak"])
		return res
	}
	return finishInTime(res, bad, "velocity windows over the limit",
		fmt.Sprintf("%d payments in %d windows of %v, peak %d within the limit %d",
			res.Measured["payments"], res.Measured["windows"], time.Duration(p.velocityWindow), res.Measured["peak"], p.velocityLimit))
}

// Deposit (INV-DEPOSIT): a deposit's ledger credit (the first ledger.apply
// with idem dep:TXID and result ok, on any replica) comes only once the
// chain's tip is at least the deposit's height + confirmations - 1. The
// tip is the latest chain.block height of the deposit's chain before the
// credit, lowered by any chain.reorg since (its new_tip); a reorg also
// takes the deposit out of the chain until it is mined again, at the
// height of that inclusion. A credit for a transaction not on chain at
// that moment is credited at zero confirmations.
func Deposit(in Input) Result {
	res := Result{Checker: CheckDeposit, Measured: map[string]int64{}}
	c := readCustody(in)
	if r, ok := needPolicy(res, c); !ok {
		return r
	}
	conf := c.policy.confirmations
	res.Measured["confirmations"] = conf
	type onChain struct {
		chain  string
		height int64
	}
	tip := map[string]int64{}  // chain -> tip height
	at := map[string]onChain{} // txid -> where it is now
	credited := map[string]bool{}
	least := int64(-1)
	var bad []OpRef
	for _, o := range in.Observations {
		f := o.Fields
		switch o.Kind {
		case obsBlock:
			if h, err := obsInt(o, "height"); err == nil {
				tip[f["chain"]] = h
			}
		case obsReorg:
			ch := f["chain"]
			newTip, err := obsInt(o, "new_tip")
			if err != nil {
				depth, _ := strconv.ParseInt(f["depth"], 10, 64)
				newTip = tip[ch] - depth
			}
			tip[ch] = newTip
			for id, loc := range at { // determinism: allowed (deletes only)
				if loc.chain == ch && loc.height > newTip {
					delete(at, id)
				}
			}
		case obsChainTx:
			if h, err := obsInt(o, "height"); err == nil {
				at[f["txid"]] = onChain{chain: f["chain"], height: h}
			}
		case ObsApply:
			txid, ok := strings.CutPrefix(f["idem"], idemDeposit)
			if !ok || f["result"] != applyOK || credited[txid] {
				continue
			}
			credited[txid] = true
			res.Measured["credits"]++
			ref := OpRef{Index: -1, Process: -1, Op: ObsApply, Key: txid, Time: o.Time}
			loc, mined := at[txid]
			if !mined {
				ref.Desc = fmt.Sprintf("%s credited deposit tx %s to %s (entry %s, amount %s) while the transaction is not on chain",
					o.Node, abbrev(txid), f["account"], f["index"], f["amount"])
				bad = append(bad, ref)
				least = 0
				continue
			}
			got := max(tip[loc.chain]-loc.height+1, 0)
			if least < 0 || got < least {
				least = got
			}
			if got < conf {
				ref.Desc = fmt.Sprintf("%s credited deposit tx %s to %s (entry %s, amount %s) at %d confirmations (block %d, tip %d), needs %d",
					o.Node, abbrev(txid), f["account"], f["index"], f["amount"], got, loc.height, tip[loc.chain], conf)
				bad = append(bad, ref)
			}
		}
	}
	res.Measured["fewest_confirmations"] = least
	if res.Measured["credits"] == 0 {
		res.Verdict, res.Summary = Valid, "no deposit credited"
		return res
	}
	return finishInTime(res, bad, "deposits credited too early",
		fmt.Sprintf("%d deposits credited, each at %d or more confirmations (fewest %d)", res.Measured["credits"], conf, least))
}

// userAccount is the ledger's user account form: u + decimal.
var userAccount = regexp.MustCompile(`^u[0-9]+$`)

// houseHeld is the house's account for deposits compliance held or denied:
// funds in custody that are nobody's to withdraw.
const houseHeld = "house-held"

// CustodyConserve (INV-CONSERVE, custody): at the end, the users' and the
// house's balances (house and house-held; their last final reads: Detail
// "final", ok) add up to
// the total of the world's last holdings sample, which must come after the
// last final read. Other accounts (the pipeline's own bookkeeping) are
// not part of the sum.
func CustodyConserve(in Input) Result {
	res := Result{Checker: CheckCustodyConserve, Measured: map[string]int64{}}
	pairs, err := history.Pair(in.History)
	if err != nil {
		return unknown(res, "history unusable: "+err.Error())
	}
	final := map[string]int64{}
	var lastRead int64
	for _, p := range pairs {
		d := p.Done
		if p.Invoke.Op != "balance" || d.Kind != history.OK || d.Result == nil || (p.Invoke.Detail != "final" && d.Detail != "final") {
			continue
		}
		if p.Invoke.Key != "house" && p.Invoke.Key != houseHeld && !userAccount.MatchString(p.Invoke.Key) {
			res.Measured["other_accounts"]++
			continue
		}
		final[p.Invoke.Key] = *d.Result // pairs are in invoke order: the last read wins
		lastRead = max(lastRead, d.Time)
	}
	var sample *history.Observation
	for i := range in.Observations {
		if in.Observations[i].Kind == obsHoldings {
			sample = &in.Observations[i]
		}
	}
	house, hasHouse := final["house"]
	switch {
	case len(final) == 0:
		return unknown(res, "no final balance reads in the history: nothing to judge")
	case !hasHouse:
		return unknown(res, fmt.Sprintf("final reads of %d accounts but not of the house", len(final)))
	case sample == nil:
		return unknown(res, "no holdings sample (world.holdings): nothing to compare with")
	case sample.Time < lastRead:
		return unknown(res, fmt.Sprintf("the last holdings sample (at %v) precedes the last final read (at %v)",
			time.Duration(sample.Time), time.Duration(lastRead)))
	}
	total, err := obsInt(*sample, "total")
	if err != nil {
		return unknown(res, "last holdings sample unreadable: "+err.Error())
	}
	var users, nUsers int64
	for acct, b := range final { // determinism: allowed (a sum)
		if userAccount.MatchString(acct) {
			users += b
			nUsers++
		}
	}
	held := final[houseHeld]
	ledger := users + house + held
	res.Measured["users"], res.Measured["user_total"], res.Measured["house"], res.Measured["house_held"] = nUsers, users, house, held
	res.Measured["ledger_total"], res.Measured["chain_total"], res.Measured["difference"] = ledger, total, ledger-total
	heldNote := ""
	if held != 0 {
		heldNote = fmt.Sprintf(" (and %d held by compliance)", held)
	}
	desc := fmt.Sprintf("%d users hold %d and the house %d%s: %d in the ledger; the custody addresses hold %d on chain (hot %s, cold %s)",
		nUsers, users, house, heldNote, ledger, total, sample.Fields["hot"], sample.Fields["cold"])
	if ledger != total {
		verb := "created"
		if ledger < total {
			verb = "unaccounted on chain"
		}
		bad := []OpRef{{Index: -1, Process: -1, Op: obsHoldings, Time: sample.Time,
			Desc: fmt.Sprintf("%s; %d %s", desc, abs64(ledger-total), verb)}}
		return finish(res, bad, "end-of-run imbalance between ledger and chain", "")
	}
	res.Verdict, res.Summary = Valid, "at the end "+desc
	return res
}

func abs64(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// CustodyNonNeg (INV-NONNEG, custody): no replica ever reports a
// ledger.apply leaving a negative balance. Each offending log entry is
// named once, by the first replica that reported it; an apply whose
// balance is missing or unparsable makes the verdict at best Unknown.
func CustodyNonNeg(in Input) Result {
	res := Result{Checker: CheckCustodyNonNeg, Measured: map[string]int64{}}
	named := map[string]bool{}
	var bad []OpRef
	for _, o := range in.Observations {
		if o.Kind != ObsApply {
			continue
		}
		res.Measured["applies"]++
		b, err := obsInt(o, "balance")
		if err != nil {
			res.Measured["unreadable"]++
			continue
		}
		if b >= 0 {
			continue
		}
		res.Measured["negative"]++
		f := o.Fields
		entry := f["index"] + "/" + f["account"]
		if named[entry] {
			continue
		}
		named[entry] = true
		bad = append(bad, OpRef{Index: -1, Process: -1, Op: ObsApply, Key: f["account"], Time: o.Time,
			Desc: fmt.Sprintf("%s applied entry %s (%s %s on %s, idem %s, result %s): balance %d",
				o.Node, f["index"], f["op"], f["amount"], f["account"], f["idem"], f["result"], b)})
	}
	if len(bad) == 0 {
		switch {
		case res.Measured["applies"] == 0:
			return unknown(res, "no ledger applies observed (ledger.apply): nothing to judge")
		case res.Measured["unreadable"] > 0:
			return unknown(res, fmt.Sprintf("%d of %d ledger applies carry no readable balance", res.Measured["unreadable"], res.Measured["applies"]))
		}
	}
	return finishInTime(res, bad, "ledger entries leaving a negative balance",
		fmt.Sprintf("%d ledger applies, no balance ever negative", res.Measured["applies"]))
}
