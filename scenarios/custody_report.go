package scenarios

import (
	"sort"
	"strconv"
	"strings"

	"vaultdrill/checkers/history"
	"vaultdrill/reports"
)

// custodyStats computes the report's custody figures from the history and
// the observations.
func custodyStats(h []history.Event, obs []history.Observation) *reports.Custody {
	c := &reports.Custody{Withdrawals: map[string]int{}}
	pairs, _ := history.Pair(h)
	done := map[string]bool{}
	for _, p := range pairs {
		if p.Invoke.Op != "withdraw" {
			continue
		}
		switch p.Done.Kind {
		case history.OK:
			c.Withdrawals["settled"]++
			done[p.Invoke.Key] = true
		case history.Fail:
			why := strings.TrimPrefix(p.Done.Error, "wallet: ")
			c.Withdrawals["failed: "+why]++
			done[p.Invoke.Key] = true
		default:
			c.Withdrawals["unknown"]++
		}
	}
	last := map[string]string{} // furthest state of unfinished withdrawals
	xfers := map[string]*reports.Transfer{}
	credited := map[string]bool{}
	var order []string
	for _, o := range obs {
		f := o.Fields
		switch o.Kind {
		case "world.holdings":
			hot, _ := strconv.ParseInt(f["hot"], 10, 64)
			cold, _ := strconv.ParseInt(f["cold"], 10, 64)
			c.Holdings = append(c.Holdings, reports.HoldingsSample{At: o.Time, Hot: hot, Cold: cold})
		case "world.approval":
			c.Approvals++
		case "wallet.credit":
			if !credited[f["txid"]] { // every wallet node scans; a deposit is credited once
				credited[f["txid"]] = true
				c.Deposits++
			}
		case "courier.hop":
			c.CourierHops++
		case "signer.refuse":
			c.Refused++
		case "wallet.state":
			if !done[f["withdrawal"]] {
				last[f["withdrawal"]] = f["state"]
			}
		case "wallet.sweep":
			t := xfers[f["id"]]
			if t == nil {
				amt, _ := strconv.ParseInt(f["amount"], 10, 64)
				t = &reports.Transfer{ID: f["id"], Kind: f["kind"], Amount: amt, Start: o.Time}
				xfers[f["id"]] = t
				order = append(order, f["id"])
			}
			if rank(f["state"]) >= rank(t.State) {
				t.State = f["state"]
				if t.State == "settled" {
					t.End = o.Time
				}
			}
		}
	}
	var ids []string
	for id := range last { // determinism: allowed (sorted below)
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		if !done[id] {
			c.Withdrawals["in flight at the end: "+last[id]]++
		}
	}
	for _, id := range order {
		c.Sweeps = append(c.Sweeps, *xfers[id])
	}
	return c
}

func rank(state string) int {
	for i, s := range []string{"", "requested", "signing", "signed", "broadcast", "confirmed", "settled"} {
		if s == state {
			return i
		}
	}
	return 0
}
