package checkers

import (
	"fmt"
	"sort"

	"vaultdrill/checkers/history"
	"vaultdrill/system/api"
)

// outcome is how a ledger operation ended, as far as the client knows.
type outcome uint8

const (
	outOK      outcome = iota + 1 // happened (a read: saw the state)
	outRefused                    // a withdrawal refused: definite, no effect
	outFail                       // definitely did not happen
	outInfo                       // may or may not have happened
)

// ledgerOp is a client operation on one account: a single attempt, or
// (after logicalOps) all attempts that share an idempotency key.
type ledgerOp struct {
	Op      string
	Key     string
	Amount  int64
	Outcome outcome
	Result  *int64 // the balance an ok completion carried, if any
	Final   bool   // a final read (invoke Detail "final")
	Error   string
	Idem    string
	// Call is the earliest invoke among the attempts that may have taken
	// effect; Return the completion time of the attempt that decided the
	// outcome (for info: the time it was recorded).
	Call, Return int64
	// The deciding attempt, for naming it in a report.
	InvokeIdx  int
	InvokeTime int64
	Process    int
	Attempts   int
}

func isLedgerOp(op string) bool {
	switch api.Op(op) {
	case api.OpDeposit, api.OpWithdraw, api.OpBalance:
		return true
	}
	return false
}

func isWrite(op string) bool {
	return api.Op(op) == api.OpDeposit || api.Op(op) == api.OpWithdraw
}

// ledgerAttempts pairs the history and returns one ledgerOp per invoke of a
// ledger operation, in invoke order. Other operations are not the ledger
// checkers' business and are skipped.
func ledgerAttempts(h []history.Event) ([]ledgerOp, error) {
	pairs, err := history.Pair(h)
	if err != nil {
		return nil, err
	}
	out := make([]ledgerOp, 0, len(pairs))
	for _, p := range pairs {
		if isLedgerOp(p.Invoke.Op) {
			out = append(out, attemptOf(p))
		}
	}
	return out, nil
}

// attemptOf turns one paired invoke into a ledgerOp (any operation: the
// liveness checker names non-ledger operations the same way).
func attemptOf(p history.Op) ledgerOp {
	o := ledgerOp{
		Op:         p.Invoke.Op,
		Key:        p.Invoke.Key,
		Amount:     p.Invoke.Value,
		Final:      p.Invoke.Detail == "final",
		Idem:       p.Invoke.Idem,
		Call:       p.Invoke.Time,
		Return:     p.Done.Time,
		InvokeIdx:  p.InvokeIdx,
		InvokeTime: p.Invoke.Time,
		Process:    p.Process,
		Attempts:   1,
		Error:      p.Done.Error,
	}
	switch p.Done.Kind {
	case history.OK:
		o.Outcome = outOK
		if p.Done.Refused && isWrite(o.Op) {
			o.Outcome = outRefused
		}
		o.Result = p.Done.Result
	case history.Fail:
		o.Outcome = outFail
	default:
		o.Outcome = outInfo
	}
	if o.Return < o.Call {
		// A completion stamped before its invoke is a recording bug;
		// treat the operation as instantaneous rather than reorder it.
		o.Return = o.Call
	}
	return o
}

// logicalOps merges write attempts that share (account, idempotency key,
// op, amount) into one logical operation: the ledger applies such a write at
// most once, somewhere between the first attempt's invoke and the first
// definite answer. Reads and writes without a key pass through unchanged.
// The result is in invoke order of the deciding attempts.
func logicalOps(attempts []ledgerOp) []ledgerOp {
	type groupKey struct {
		key, idem, op string
		amount        int64
	}
	groups := map[groupKey][]int{}
	var order []groupKey
	var out []ledgerOp
	for i, a := range attempts {
		if !isWrite(a.Op) || a.Idem == "" {
			out = append(out, a)
			continue
		}
		k := groupKey{a.Key, a.Idem, a.Op, a.Amount}
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], i)
	}
	for _, k := range order {
		idx := groups[k]
		if len(idx) == 1 {
			out = append(out, attempts[idx[0]])
			continue
		}
		out = append(out, mergeAttempts(attempts, idx))
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].InvokeIdx < out[j].InvokeIdx })
	return out
}

func mergeAttempts(attempts []ledgerOp, idx []int) ledgerOp {
	decide := -1
	for _, i := range idx {
		a := attempts[i]
		if a.Outcome != outOK && a.Outcome != outRefused {
			continue
		}
		if decide < 0 || a.Return < attempts[decide].Return {
			decide = i
		}
	}
	if decide < 0 {
		for _, i := range idx {
			if attempts[i].Outcome == outInfo {
				decide = i
				break
			}
		}
	}
	if decide < 0 {
		decide = idx[0] // every attempt failed
	}
	m := attempts[decide]
	m.Attempts = len(idx)
	for _, i := range idx {
		a := attempts[i]
		// A failed attempt definitely did not take effect, so it cannot
		// pull the window earlier.
		if a.Outcome != outFail && a.Call < m.Call {
			m.Call = a.Call
		}
	}
	return m
}

// describe renders an operation for a report, e.g.
// "withdraw 30 from acct-3 -> ok balance 12".
func describe(o ledgerOp) string {
	var s string
	switch api.Op(o.Op) {
	case api.OpDeposit:
		s = fmt.Sprintf("deposit %d to %s", o.Amount, o.Key)
	case api.OpWithdraw:
		s = fmt.Sprintf("withdraw %d from %s", o.Amount, o.Key)
	case api.OpBalance:
		s = fmt.Sprintf("balance of %s", o.Key)
		if o.Final {
			s = "final " + s
		}
	default:
		s = o.Op
		if o.Amount != 0 {
			s += fmt.Sprintf(" %d", o.Amount)
		}
		if o.Key != "" {
			s += " " + o.Key
		}
	}
	switch o.Outcome {
	case outOK:
		switch {
		case api.Op(o.Op) == api.OpBalance && o.Result != nil:
			s += fmt.Sprintf(" -> %d", *o.Result)
		case o.Result != nil:
			s += fmt.Sprintf(" -> ok balance %d", *o.Result)
		default:
			s += " -> ok"
		}
	case outRefused:
		s += " -> refused"
	case outFail:
		s += " -> fail"
	default:
		s += " -> info"
	}
	if o.Outcome == outFail || o.Outcome == outInfo {
		if o.Error != "" {
			s += " (" + o.Error + ")"
		}
	}
	if o.Attempts > 1 {
		s += fmt.Sprintf(" [%d attempts, idem %s]", o.Attempts, o.Idem)
	}
	return s
}

func (o ledgerOp) ref() OpRef {
	return OpRef{
		Index:   o.InvokeIdx,
		Process: o.Process,
		Op:      o.Op,
		Key:     o.Key,
		Time:    o.InvokeTime,
		Desc:    describe(o),
	}
}

// sortedKeys returns a map's keys in order: reports iterate maps sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
