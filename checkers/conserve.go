package checkers

import (
	"fmt"
	"strings"

	"vaultdrill/checkers/history"
	"vaultdrill/system/api"
)

// Apply results a replica reports.
const (
	applyOK      = "ok"
	applyRefused = "refused"
	applyDup     = "dup"
)

// replica is what Conserve tracks of one replica's apply stream.
type replica struct {
	node string
	// bal holds the accounts whose balance on this replica is known.
	bal map[string]int64
	// fromGenesis: no restore or replay has reset the tracking, so every
	// account started at 0 and the totals are comparable.
	fromGenesis bool
	// totalled: fromGenesis, and every apply was of a kind this checker
	// knows, so the totals are comparable.
	totalled    bool
	deposits    int64 // applied since genesis
	withdrawals int64
	lastIndex   int64
	seen        bool
	resets      int
	digests     map[int64]string
	applies     int64
}

type digestAt struct {
	digest string
	node   string
}

// Conserve checks INV-CONSERVE at the ledger level, from the replicas'
// ledger.apply and ledger.restore observations alone:
//
//   - every apply is arithmetically consistent with the replica's previous
//     balance of the account (ok deposit: +amount, ok withdrawal: -amount,
//     refused or dup: unchanged), accounts starting at 0;
//   - each replica tracked from genesis ends with its balances summing to
//     its applied deposits minus applied withdrawals;
//   - replicas agree: one digest per log index across all replicas, and a
//     replica never reports two digests for one index.
//
// A restore (or a replay: an index not above the last one the replica
// applied) resets the replica's tracking: the snapshot's contents are not
// observed, so the first apply of each account after it is taken as the
// starting balance, and that replica's totals are no longer compared.
func Conserve(in Input) Result {
	res := Result{Checker: CheckConserve, Measured: map[string]int64{}}
	reps := map[string]*replica{}
	global := map[int64]digestAt{}
	reported := map[int64]bool{}
	var refs []OpRef
	var arith, conflicts, unreadable, unchecked, applies int64
	var firstUnreadable string

	get := func(node string) *replica {
		r := reps[node]
		if r == nil {
			r = &replica{node: node, bal: map[string]int64{}, fromGenesis: true, totalled: true, digests: map[int64]string{}}
			reps[node] = r
		}
		return r
	}
	checkDigest := func(r *replica, ob history.Observation, idx int64) {
		d := ob.Fields["digest"]
		if d == "" {
			return
		}
		if old, ok := r.digests[idx]; ok && old != d {
			conflicts++
			refs = append(refs, obsRef(ob, fmt.Sprintf("digest %s, but this replica reported %s for the same index before", d, old)))
			return
		}
		r.digests[idx] = d
		g, ok := global[idx]
		if !ok {
			global[idx] = digestAt{d, r.node}
			return
		}
		if g.digest != d && g.node != r.node && !reported[idx] {
			reported[idx] = true
			conflicts++
			refs = append(refs, obsRef(ob, fmt.Sprintf("digest %s, but %s reported %s: replicas diverged", d, g.node, g.digest)))
		}
	}
	reset := func(r *replica) {
		r.bal = map[string]int64{}
		r.fromGenesis, r.totalled = false, false
		r.resets++
	}

	for _, ob := range in.Observations {
		switch ob.Kind {
		case ObsRestore:
			r := get(ob.Node)
			idx, err := obsInt(ob, "index")
			if err != nil {
				unreadable++
				firstUnreadable = first(firstUnreadable, err.Error())
				reset(r)
				continue
			}
			checkDigest(r, ob, idx)
			reset(r)
			r.lastIndex, r.seen = idx, true
		case ObsApply:
			r := get(ob.Node)
			a, err := parseApply(ob)
			if err != nil {
				unreadable++
				firstUnreadable = first(firstUnreadable, err.Error())
				continue
			}
			applies++
			r.applies++
			checkDigest(r, ob, a.index)
			if r.seen && a.index <= r.lastIndex {
				reset(r) // replaying after a restart
			}
			r.lastIndex, r.seen = a.index, true

			prev, known := r.bal[a.account]
			if !known && r.fromGenesis {
				prev, known = 0, true
			}
			want := prev
			switch a.result {
			case applyOK:
				switch api.Op(a.op) {
				case api.OpDeposit:
					want = prev + a.amount
					r.deposits += a.amount
				case api.OpWithdraw:
					want = prev - a.amount
					r.withdrawals += a.amount
				default:
					// Not a balance-moving command this checker knows.
					unchecked++
					known, r.totalled = false, false
				}
			case applyRefused, applyDup:
			default:
				unchecked++
				known, r.totalled = false, false
			}
			if known && a.balance != want {
				arith++
				refs = append(refs, obsRef(ob, fmt.Sprintf("balance %d, expected %d (was %d): money %s", a.balance, want, prev, createdOrDestroyed(a.balance-want))))
			}
			r.bal[a.account] = a.balance
		}
	}

	var totals []string
	var totalErrs int64
	for _, node := range sortedKeys(reps) {
		r := reps[node]
		if !r.totalled {
			why := "applies of unknown kind"
			if r.resets > 0 {
				why = fmt.Sprintf("reset by %d restores or replays", r.resets)
			}
			totals = append(totals, fmt.Sprintf("%s not totalled (%s)", node, why))
			continue
		}
		var sum int64
		for _, b := range r.bal {
			sum += b
		}
		totals = append(totals, fmt.Sprintf("%s +%d -%d =%d", node, r.deposits, r.withdrawals, sum))
		if sum != r.deposits-r.withdrawals {
			totalErrs++
			refs = append(refs, OpRef{Index: -1, Process: -1, Time: 0, Desc: fmt.Sprintf(
				"%s: balances sum to %d, applied deposits %d - withdrawals %d = %d", node, sum, r.deposits, r.withdrawals, r.deposits-r.withdrawals)})
		}
	}
	res.First = dedupRefs(refs)
	res.Measured["replicas"] = int64(len(reps))
	res.Measured["applies_checked"] = applies
	res.Measured["log_indexes"] = int64(len(global))
	res.Measured["arith_errors"] = arith
	res.Measured["digest_conflicts"] = conflicts
	res.Measured["total_errors"] = totalErrs
	res.Measured["unreadable"] = unreadable
	res.Measured["unchecked"] = unchecked
	tot := strings.Join(totals, "; ")
	switch {
	case arith+conflicts+totalErrs > 0:
		res.Verdict = Invalid
		res.Summary = fmt.Sprintf("%d inconsistent applies, %d digest conflicts, %d replica totals off; totals: %s", arith, conflicts, totalErrs, tot)
	case unreadable > 0:
		res.Verdict = Unknown
		res.Summary = fmt.Sprintf("%d unreadable ledger observations (first: %s); totals: %s", unreadable, firstUnreadable, tot)
	case applies == 0 && hasAckedWrite(in.History):
		res.Verdict = Unknown
		res.Summary = "no ledger.apply observations, though clients saw writes succeed"
	default:
		res.Verdict = Valid
		res.Summary = fmt.Sprintf("conserved: %d replicas agree on %d log indexes; totals: %s", len(reps), len(global), tot)
		if unchecked > 0 {
			res.Summary += fmt.Sprintf(" (%d applies of unknown kind not checked)", unchecked)
		}
		if applies == 0 {
			res.Summary = "nothing applied, nothing acknowledged"
		}
	}
	return res
}

type applyObs struct {
	index, amount, balance int64
	op, account, result    string
}

func parseApply(ob history.Observation) (applyObs, error) {
	var a applyObs
	var err error
	if a.index, err = obsInt(ob, "index"); err != nil {
		return a, err
	}
	if a.balance, err = obsInt(ob, "balance"); err != nil {
		return a, err
	}
	if _, ok := ob.Fields["amount"]; ok {
		if a.amount, err = obsInt(ob, "amount"); err != nil {
			return a, err
		}
	}
	a.op, a.account, a.result = ob.Fields["op"], ob.Fields["account"], ob.Fields["result"]
	return a, nil
}

func createdOrDestroyed(d int64) string {
	if d > 0 {
		return fmt.Sprintf("created %d", d)
	}
	return fmt.Sprintf("destroyed %d", -d)
}

func first(cur, s string) string {
	if cur == "" {
		return s
	}
	return cur
}

// hasAckedWrite reports whether any client saw a write take effect.
func hasAckedWrite(h []history.Event) bool {
	for _, e := range h {
		if e.Kind == history.OK && isWrite(e.Op) && !e.Refused {
			return true
		}
	}
	return false
}
