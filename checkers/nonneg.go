package checkers

import (
	"fmt"

	"vaultdrill/checkers/history"
)

// Observation kinds and fields the ledger checkers read.
const (
	ObsApply   = "ledger.apply"
	ObsRestore = "ledger.restore"
)

// NonNeg checks INV-NONNEG: no balance anyone saw is negative. Clients: an
// ok completion of a ledger operation carrying a balance (a read's result,
// or the balance a write returned; refused withdrawals included) below
// zero. Replicas: a ledger.apply observation reporting a balance below
// zero. An apply whose balance field is missing or unparsable makes the
// verdict at best Unknown.
func NonNeg(in Input) Result {
	res := Result{Checker: CheckNonNeg, Measured: map[string]int64{}}
	attempts, err := ledgerAttempts(in.History)
	if err != nil {
		res.Verdict = Unknown
		res.Summary = "history unusable: " + err.Error()
		return res
	}
	var seen, negClient int64
	var clientRefs []OpRef
	for _, o := range attempts {
		if (o.Outcome != outOK && o.Outcome != outRefused) || o.Result == nil {
			continue
		}
		seen++
		if *o.Result < 0 {
			negClient++
			clientRefs = append(clientRefs, o.ref())
		}
	}
	var applies, negObs, unreadable int64
	var obsRefs []OpRef
	for _, ob := range in.Observations {
		if ob.Kind != ObsApply {
			continue
		}
		applies++
		bal, err := obsInt(ob, "balance")
		if err != nil {
			unreadable++
			continue
		}
		if bal < 0 {
			negObs++
			obsRefs = append(obsRefs, obsRef(ob, fmt.Sprintf("balance %d after apply", bal)))
		}
	}
	res.Measured["balances_seen"] = seen
	res.Measured["applies_checked"] = applies - unreadable
	res.Measured["negative_client"] = negClient
	res.Measured["negative_replica"] = negObs
	// Keep room for both kinds: the replica's apply is usually the cause
	// and the clients' reads the symptom.
	clientRefs = historyOrder(clientRefs)
	if len(obsRefs) > 0 && len(clientRefs) > FirstMax/2 {
		clientRefs = clientRefs[:FirstMax/2]
	}
	res.First = dedupRefs(append(clientRefs, obsRefs...))
	switch {
	case negClient+negObs > 0:
		res.Verdict = Invalid
		res.Summary = fmt.Sprintf("negative balance: %d client-visible, %d in replica applies", negClient, negObs)
		if len(res.First) > 0 {
			res.Summary += "; first: " + res.First[0].Desc
		}
	case unreadable > 0:
		res.Verdict = Unknown
		res.Summary = fmt.Sprintf("%d ledger.apply observations carry no readable balance", unreadable)
	default:
		res.Verdict = Valid
		res.Summary = fmt.Sprintf("no negative balance: %d client-visible balances, %d replica applies", seen, applies)
	}
	return res
}

// obsRef names an observation in a report.
func obsRef(ob history.Observation, what string) OpRef {
	desc := fmt.Sprintf("%s %s", ob.Node, ob.Kind)
	if idx, ok := ob.Fields["index"]; ok {
		desc += " index " + idx
	}
	if op := ob.Fields["op"]; op != "" {
		desc += fmt.Sprintf(" (%s %s %s)", op, ob.Fields["amount"], ob.Fields["account"])
	}
	if what != "" {
		desc += ": " + what
	}
	return OpRef{
		Index:   -1,
		Process: -1, // no client process: the replica reported it
		Op:      ob.Fields["op"],
		Key:     ob.Fields["account"],
		Time:    ob.Time,
		Desc:    desc,
	}
}
