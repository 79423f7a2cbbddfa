package checkers

import (
	"fmt"
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/anishathalye/porcupine"

	"vaultdrill/checkers/history"
	"vaultdrill/system/api"
)

// LinOptions bound the linearizability check. Zero fields take defaults.
type LinOptions struct {
	// TimeLimit is porcupine's wall-clock budget per account (default 10s).
	TimeLimit time.Duration
	// MaxOpsPerAccount: an account with more checkable operations is
	// Unknown rather than checked (default 5000).
	MaxOpsPerAccount int
	// MaxConcurrency: an account with more operations open at one instant
	// (info writes stay open forever) is Unknown (default 32).
	MaxConcurrency int
}

// Defaults for LinOptions.
const (
	DefaultLinTimeLimit        = 10 * time.Second
	DefaultLinMaxOpsPerAccount = 5000
	DefaultLinMaxConcurrency   = 32
)

func (o LinOptions) withDefaults() LinOptions {
	if o.TimeLimit <= 0 {
		o.TimeLimit = DefaultLinTimeLimit
	}
	if o.MaxOpsPerAccount <= 0 {
		o.MaxOpsPerAccount = DefaultLinMaxOpsPerAccount
	}
	if o.MaxConcurrency <= 0 {
		o.MaxConcurrency = DefaultLinMaxConcurrency
	}
	return o
}

// linInput and linOutput are what porcupine sees of one operation.
type linInput struct {
	op     api.Op
	amount int64
}

type linOutput struct {
	outcome outcome // outOK, outRefused or outInfo
	read    int64   // the balance an ok read saw
}

// linStep is the sequential specification of one account. The state is
// its balance (int64). Deterministic on purpose: an info write is modelled
// as applied wherever porcupine places it, and "never applied" is the
// linearization that places it after everything else (its return time is
// after every other event), where it constrains nothing. So both outcomes
// are explored without a nondeterministic (power-set) model.
func linStep(state, input, output interface{}) (bool, interface{}) {
	bal := state.(int64)
	in := input.(linInput)
	out := output.(linOutput)
	switch in.op {
	case api.OpDeposit:
		// There is no refusing a deposit.
		return out.outcome != outRefused, bal + in.amount
	case api.OpWithdraw:
		switch out.outcome {
		case outRefused:
			return in.amount > bal, bal
		case outOK:
			return in.amount <= bal, bal - in.amount
		default: // info: applied, or refused if funds were short
			if in.amount > bal {
				return true, bal
			}
			return true, bal - in.amount
		}
	default: // balance
		return out.read == bal, bal
	}
}

func linDescribe(input, output interface{}) string {
	in := input.(linInput)
	out := output.(linOutput)
	var s string
	switch in.op {
	case api.OpDeposit:
		s = fmt.Sprintf("deposit(%d)", in.amount)
	case api.OpWithdraw:
		s = fmt.Sprintf("withdraw(%d)", in.amount)
	default:
		return fmt.Sprintf("balance() -> %d", out.read)
	}
	switch out.outcome {
	case outRefused:
		return s + " -> refused"
	case outInfo:
		return s + " -> ?"
	}
	return s + " -> ok"
}

// ledgerModel is one account's model; accounts are checked separately,
// so it has no partition functions.
var ledgerModel = porcupine.Model{
	Init:              func() interface{} { return int64(0) },
	Step:              linStep,
	Hash:              func(state interface{}) uint64 { return uint64(state.(int64)) },
	DescribeOperation: linDescribe,
	DescribeState:     func(state interface{}) string { return fmt.Sprintf("%d", state.(int64)) },
}

// linAccount is one account's checkable operations, in invoke order, and
// the same operations as porcupine sees them.
type linAccount struct {
	key  string
	ops  []ledgerOp
	pops []porcupine.Operation
}

// linAccounts groups the checkable operations by account: failed operations
// are dropped (they did not happen), so are info reads and reads without a
// value (they constrain nothing); info writes stay open until after every
// other event of the history.
func linAccounts(h []history.Event) (map[string]*linAccount, int, error) {
	attempts, err := ledgerAttempts(h)
	if err != nil {
		return nil, 0, err
	}
	ops := logicalOps(attempts)
	never := int64(math.MinInt64)
	for _, e := range h {
		if e.Time > never {
			never = e.Time
		}
	}
	if never < math.MaxInt64 {
		never++
	}
	accts := map[string]*linAccount{}
	clients := map[string]map[int]int{}
	dropped := 0
	for _, o := range ops {
		if o.Outcome == outFail || (!isWrite(o.Op) && (o.Outcome != outOK || o.Result == nil)) {
			dropped++
			continue
		}
		a := accts[o.Key]
		if a == nil {
			a = &linAccount{key: o.Key}
			accts[o.Key] = a
			clients[o.Key] = map[int]int{}
		}
		cid, ok := clients[o.Key][o.Process]
		if !ok {
			cid = len(clients[o.Key])
			clients[o.Key][o.Process] = cid
		}
		in := linInput{op: api.Op(o.Op), amount: o.Amount}
		out := linOutput{outcome: o.Outcome}
		ret := o.Return
		if o.Outcome == outInfo {
			ret = never
		}
		if !isWrite(o.Op) {
			out.read = *o.Result
		}
		a.ops = append(a.ops, o)
		a.pops = append(a.pops, porcupine.Operation{
			ClientId: cid,
			Input:    in,
			Call:     o.Call,
			Output:   out,
			Return:   ret,
			Metadata: fmt.Sprintf("history line %d", o.InvokeIdx),
		})
	}
	return accts, dropped, nil
}

// maxConcurrency is the most operations open at one instant. Intervals are
// closed, as porcupine reads them: a call and a return at the same time
// overlap.
func maxConcurrency(pops []porcupine.Operation) int {
	type edge struct {
		t    int64
		call bool
	}
	edges := make([]edge, 0, 2*len(pops))
	for _, p := range pops {
		edges = append(edges, edge{p.Call, true}, edge{p.Return, false})
	}
	sort.Slice(edges, func(i, j int) bool {
		if edges[i].t != edges[j].t {
			return edges[i].t < edges[j].t
		}
		return edges[i].call && !edges[j].call
	})
	open, most := 0, 0
	for _, e := range edges {
		if e.call {
			open++
			most = max(most, open)
		} else {
			open--
		}
	}
	return most
}

// linVerdict is one account's outcome.
type linVerdict struct {
	key     string
	verdict Verdict
	reason  string
	refs    []OpRef
	checked int
}

func checkAccount(a *linAccount, opt LinOptions) linVerdict {
	v := linVerdict{key: a.key}
	if n := len(a.pops); n > opt.MaxOpsPerAccount {
		v.verdict = Unknown
		v.reason = fmt.Sprintf("%d operations, over the cap of %d", n, opt.MaxOpsPerAccount)
		return v
	}
	if c := maxConcurrency(a.pops); c > opt.MaxConcurrency {
		v.verdict = Unknown
		v.reason = fmt.Sprintf("%d operations open at once, over the cap of %d", c, opt.MaxConcurrency)
		return v
	}
	v.checked = len(a.pops)
	// The verbose check costs more per backtrack, so it is only paid for
	// histories already known to be illegal.
	switch porcupine.CheckOperationsTimeout(ledgerModel, a.pops, opt.TimeLimit) {
	case porcupine.Ok:
		v.verdict = Valid
		return v
	case porcupine.Unknown:
		v.verdict = Unknown
		v.reason = fmt.Sprintf("time limit %v reached", opt.TimeLimit)
		return v
	}
	v.verdict = Invalid
	res, info := porcupine.CheckOperationsVerbose(ledgerModel, a.pops, opt.TimeLimit)
	if res != porcupine.Illegal {
		v.reason = "not linearizable (time limit reached while naming the operations)"
		return v
	}
	v.refs = culprits(a, info)
	v.reason = "not linearizable"
	return v
}

// culprits names the operations that cannot extend the longest partial
// linearization porcupine found: of the operations left out of it, those
// that could come next in real-time order (called before any of the others
// returned) and that the model rejects from the balance that prefix leaves.
func culprits(a *linAccount, info porcupine.LinearizationInfo) []OpRef {
	// No partial linearization at all means not even one operation could
	// go first: the longest prefix is empty.
	var best []int
	parts := info.PartialLinearizations()
	if len(parts) == 0 {
		parts = [][][]int{nil}
	}
	// The set's order is not deterministic: choose the longest, then the
	// lexicographically smallest.
	for i, p := range parts[0] {
		if i == 0 {
			best = p
			continue
		}
		if len(p) > len(best) || (len(p) == len(best) && lexLess(p, best)) {
			best = p
		}
	}
	done := make([]bool, len(a.pops))
	var state interface{} = int64(0)
	for _, id := range best {
		_, state = linStep(state, a.pops[id].Input, a.pops[id].Output)
		done[id] = true
	}
	next := int64(math.MaxInt64)
	for id, p := range a.pops {
		if !done[id] && p.Return < next {
			next = p.Return
		}
	}
	var cands, rejected []int
	for id, p := range a.pops {
		if done[id] || p.Call > next {
			continue
		}
		cands = append(cands, id)
		if ok, _ := linStep(state, p.Input, p.Output); !ok {
			rejected = append(rejected, id)
		}
	}
	if len(rejected) == 0 {
		rejected = cands
	}
	var refs []OpRef
	for _, id := range rejected {
		r := a.ops[id].ref()
		r.Desc += fmt.Sprintf("; balance is %d after the longest linearizable prefix (%d ops)", state.(int64), len(best))
		refs = append(refs, r)
	}
	return historyOrder(refs)
}

func lexLess(a, b []int) bool {
	for i := range min(len(a), len(b)) {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}

// Linearizable checks INV-LINEARIZABLE: each account's deposits,
// withdrawals and reads, as clients saw them, are linearizable against a
// single balance starting at 0. Accounts are checked separately, on up to
// GOMAXPROCS accounts at a time, each with its own time limit.
func Linearizable(in Input, opt LinOptions) Result {
	opt = opt.withDefaults()
	res := Result{Checker: CheckLinearizable, Measured: map[string]int64{}}
	accts, dropped, err := linAccounts(in.History)
	if err != nil {
		res.Verdict = Unknown
		res.Summary = "history unusable: " + err.Error()
		return res
	}
	keys := sortedKeys(accts)
	out := make([]linVerdict, len(keys))
	work := make(chan int)
	var wg sync.WaitGroup
	for range min(runtime.GOMAXPROCS(0), max(len(keys), 1)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				out[i] = checkAccount(accts[keys[i]], opt)
			}
		}()
	}
	for i := range keys {
		work <- i
	}
	close(work)
	wg.Wait()

	var bad, unknown []linVerdict
	var verdicts []Verdict
	var refs []OpRef
	checked := 0
	for _, v := range out {
		verdicts = append(verdicts, v.verdict)
		checked += v.checked
		switch v.verdict {
		case Invalid:
			bad = append(bad, v)
			refs = append(refs, v.refs...)
		case Unknown:
			unknown = append(unknown, v)
		}
	}
	res.Verdict = Compose(verdicts...)
	res.First = historyOrder(refs)
	res.Measured["accounts"] = int64(len(keys))
	res.Measured["ops_checked"] = int64(checked)
	res.Measured["ops_dropped"] = int64(dropped)
	res.Measured["accounts_invalid"] = int64(len(bad))
	res.Measured["accounts_unknown"] = int64(len(unknown))
	switch res.Verdict {
	case Valid:
		res.Summary = fmt.Sprintf("linearizable: %d accounts, %d operations", len(keys), checked)
	case Invalid:
		res.Summary = fmt.Sprintf("not linearizable on %d of %d accounts: %s", len(bad), len(keys), listAccounts(bad, false))
		if len(res.First) > 0 {
			res.Summary += "; first: " + res.First[0].Desc
		}
		if len(unknown) > 0 {
			res.Summary += fmt.Sprintf("; %d undecided: %s", len(unknown), listAccounts(unknown, true))
		}
	default:
		res.Summary = fmt.Sprintf("undecided on %d of %d accounts: %s", len(unknown), len(keys), listAccounts(unknown, true))
	}
	return res
}

// listAccounts names up to three accounts, with reasons if asked.
func listAccounts(vs []linVerdict, reasons bool) string {
	var parts []string
	for i, v := range vs {
		if i == 3 {
			parts = append(parts, fmt.Sprintf("and %d more", len(vs)-3))
			break
		}
		if reasons {
			parts = append(parts, v.key+" ("+v.reason+")")
		} else {
			parts = append(parts, v.key)
		}
	}
	return strings.Join(parts, ", ")
}
