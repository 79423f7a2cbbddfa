package scenarios

import (
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"vaultdrill/checkers/history"
	"vaultdrill/system/api"
	"vaultdrill/system/env"
	"vaultdrill/system/topology"
)

// Workload puts harness actors into a run.
type Workload interface {
	// Describe says what load is offered, for the report.
	Describe() string
	// Install adds the actors to the run's world.
	Install(r *run)
	// Stop ends the issuing of new operations; outstanding ones finish.
	Stop()
	// Accounts lists the partition keys used, for the final reads.
	Accounts() []string
}

// clientRegion is where harness clients sit: outside every custody region, so
// losing a region cuts the replicas, not the users.
const clientRegion topology.Region = "clients"

type ledgerClientsParams struct {
	Clients  int     `yaml:"clients"`
	Accounts int     `yaml:"accounts"`
	Rate     float64 `yaml:"rate"` // operations offered per simulated second, all clients together
	Mix      struct {
		Deposit  int `yaml:"deposit"`
		Withdraw int `yaml:"withdraw"`
		Balance  int `yaml:"balance"`
	} `yaml:"mix"`
	AmountMax      int64         `yaml:"amount_max"`
	AttemptTimeout time.Duration `yaml:"attempt_timeout"`
	OpTimeout      time.Duration `yaml:"op_timeout"`
}

// ledgerClients: closed-loop clients. Each has one operation outstanding at a
// time and thinks for a random gap between operations, so that together they
// offer Rate operations per simulated second. A write carries an idempotency
// key and is retried on another replica when an attempt times out; an
// operation with no answer by OpTimeout completes as info and its client
// continues under a new process id (Jepsen's rule: an indeterminate process
// is retired).
type ledgerClients struct {
	p       ledgerClientsParams
	stopped bool
}

func newLedgerClients(file string, n *yaml.Node) (Workload, error) {
	w := &ledgerClients{}
	w.p.Clients, w.p.Accounts, w.p.Rate = 10, 5, 10
	w.p.Mix.Deposit, w.p.Mix.Withdraw, w.p.Mix.Balance = 40, 30, 30
	w.p.AmountMax = 100
	w.p.AttemptTimeout = 500 * time.Millisecond
	w.p.OpTimeout = 5 * time.Second
	if n.Kind != 0 {
		if err := decodeStrict(file, n, &w.p); err != nil {
			return nil, err
		}
	}
	p := w.p
	switch {
	case p.Clients < 1 || p.Clients > 10000:
		return nil, fmt.Errorf("%s:%d: workload clients %d: want 1 to 10000", file, n.Line, p.Clients)
	case p.Accounts < 1:
		return nil, fmt.Errorf("%s:%d: workload accounts must be at least 1", file, n.Line)
	case p.Rate <= 0:
		return nil, fmt.Errorf("%s:%d: workload rate must be positive (operations per simulated second)", file, n.Line)
	case p.Mix.Deposit < 0 || p.Mix.Withdraw < 0 || p.Mix.Balance < 0 || p.Mix.Deposit+p.Mix.Withdraw+p.Mix.Balance == 0:
		return nil, fmt.Errorf("%s:%d: workload mix needs non-negative weights, not all zero", file, n.Line)
	case p.AmountMax < 1:
		return nil, fmt.Errorf("%s:%d: workload amount_max must be at least 1", file, n.Line)
	case p.AttemptTimeout <= 0 || p.OpTimeout < p.AttemptTimeout:
		return nil, fmt.Errorf("%s:%d: workload needs 0 < attempt_timeout <= op_timeout", file, n.Line)
	}
	return w, nil
}

func (w *ledgerClients) Describe() string {
	return fmt.Sprintf("%d clients, %d accounts, %.4g ops/s offered (mix deposit %d, withdraw %d, balance %d), attempt timeout %v, op timeout %v",
		w.p.Clients, w.p.Accounts, w.p.Rate, w.p.Mix.Deposit, w.p.Mix.Withdraw, w.p.Mix.Balance, w.p.AttemptTimeout, w.p.OpTimeout)
}

func (w *ledgerClients) Stop() { w.stopped = true }

func (w *ledgerClients) Accounts() []string {
	out := make([]string, w.p.Accounts)
	for i := range out {
		out[i] = fmt.Sprintf("acct-%02d", i+1)
	}
	return out
}

func (w *ledgerClients) Install(r *run) {
	accounts := w.Accounts()
	// mean think time so that Clients together offer Rate ops per second
	think := time.Duration(float64(w.p.Clients) / w.p.Rate * float64(time.Second))
	for i := 0; i < w.p.Clients; i++ {
		id := env.NodeID(fmt.Sprintf("client-%03d", i+1))
		c := &client{
			run: r, w: w, id: id, idx: uint64(i + 1), accounts: accounts, think: think,
			replicas: r.topo.LedgerIDs(),
		}
		r.world.Add(id, clientRegion, func() env.Node { return c })
	}
}

// client is one closed-loop user. It is a harness actor hosted by the world
// like a node, so the network's faults reach it too.
type client struct {
	run      *run
	w        *ledgerClients
	id       env.NodeID
	idx      uint64
	accounts []string
	replicas []env.NodeID
	think    time.Duration

	proc    int
	seq     uint64 // operations issued
	reqID   uint64 // request ids (one per attempt)
	cur     *pending
	leader  env.NodeID
	attempt int
	// final: the harness asked for one final read of this account.
	finalQueue []string
}

type pending struct {
	op       api.Op
	account  string
	amount   int64
	idem     string
	reqID    uint64
	attempt  int
	target   env.NodeID
	final    bool
	deadline time.Duration
}

func (c *client) Step(e env.Env, in env.Input) {
	switch in.Kind {
	case env.InputStart:
		c.proc = c.run.newProcess()
		e.After(c.gap(e), "next")
	case env.InputTimer:
		c.timer(e, in.Tag)
	case env.InputMessage:
		c.message(e, in)
	}
}

func (c *client) gap(e env.Env) time.Duration {
	if c.think <= 0 {
		return 0
	}
	return time.Duration(e.Rand().Int64N(int64(2*c.think) + 1))
}

func (c *client) timer(e env.Env, tag string) {
	switch {
	case tag == "next":
		if c.cur != nil {
			return
		}
		if len(c.finalQueue) > 0 {
			acct := c.finalQueue[0]
			c.finalQueue = c.finalQueue[1:]
			c.begin(e, api.OpBalance, acct, 0, true)
			return
		}
		if c.w.stopped {
			return
		}
		c.begin(e, c.pickOp(e), c.accounts[e.Rand().IntN(len(c.accounts))], 1+e.Rand().Int64N(c.w.p.AmountMax), false)
	case len(tag) > 8 && tag[:8] == "attempt/":
		if c.cur == nil || tag != fmt.Sprintf("attempt/%d", c.cur.reqID) {
			return // an answered attempt's timer
		}
		if c.run.world.Now() >= c.cur.deadline {
			c.complete(e, history.Info, api.Response{}, "timeout")
			return
		}
		// try the next replica; writes keep their idempotency key
		c.leader = ""
		c.send(e, c.nextReplica(c.cur.target))
	}
}

func (c *client) pickOp(e env.Env) api.Op {
	m := c.w.p.Mix
	x := e.Rand().IntN(m.Deposit + m.Withdraw + m.Balance)
	switch {
	case x < m.Deposit:
		return api.OpDeposit
	case x < m.Deposit+m.Withdraw:
		return api.OpWithdraw
	}
	return api.OpBalance
}

func (c *client) begin(e env.Env, op api.Op, acct string, amount int64, final bool) {
	c.seq++
	p := &pending{op: op, account: acct, final: final, deadline: c.run.world.Now() + c.w.p.OpTimeout}
	if op != api.OpBalance {
		p.amount = amount
		p.idem = fmt.Sprintf("%s-%d", c.id, c.seq)
	}
	c.cur = p
	ev := history.Event{Kind: history.Invoke, Process: c.proc, Op: string(op), Key: acct, Value: p.amount, Idem: p.idem}
	if final {
		ev.Detail = "final"
	}
	c.run.record(ev)
	target := c.leader
	if target == "" {
		target = c.replicas[e.Rand().IntN(len(c.replicas))]
	}
	c.send(e, target)
}

func (c *client) nextReplica(after env.NodeID) env.NodeID {
	for i, r := range c.replicas {
		if r == after {
			return c.replicas[(i+1)%len(c.replicas)]
		}
	}
	return c.replicas[0]
}

func (c *client) send(e env.Env, to env.NodeID) {
	p := c.cur
	c.reqID++
	p.reqID = c.idx<<32 | c.reqID
	p.attempt++
	p.target = to
	e.Send(to, api.EncodeRequest(api.Request{ID: p.reqID, Op: p.op, Account: p.account, Amount: p.amount, IdemKey: p.idem}))
	e.After(c.w.p.AttemptTimeout, fmt.Sprintf("attempt/%d", p.reqID))
}

func (c *client) message(e env.Env, in env.Input) {
	if in.From == finalSender {
		// the harness asks for a final read of one account
		if acct, ok := strings.CutPrefix(string(in.Payload), finalPrefix); ok {
			c.finalQueue = append(c.finalQueue, acct)
			if c.cur == nil {
				e.After(0, "next")
			}
		}
		return
	}
	t, body, err := env.Decode(in.Payload)
	if err != nil || t != env.MsgClientResponse || c.cur == nil {
		return
	}
	resp, err := api.DecodeResponse(body)
	if err != nil || resp.ID != c.cur.reqID {
		return // garbage or an answer to an abandoned attempt
	}
	switch resp.Status {
	case api.StatusOK:
		c.leader = in.From
		c.complete(e, history.OK, resp, "")
	case api.StatusFail:
		c.complete(e, history.Fail, resp, resp.Err)
	case api.StatusRedirect:
		if c.run.world.Now() >= c.cur.deadline {
			c.complete(e, history.Info, resp, "timeout")
			return
		}
		if resp.Leader != "" && resp.Leader != in.From {
			c.leader = resp.Leader
			c.send(e, resp.Leader)
			return
		}
		// no leader known yet: let the attempt timer move us on
	}
}

func (c *client) complete(e env.Env, kind history.Kind, resp api.Response, why string) {
	p := c.cur
	ev := history.Event{Kind: kind, Process: c.proc, Op: string(p.op), Key: p.account, Value: p.amount, Idem: p.idem, Node: string(p.target), Error: why}
	if p.final {
		ev.Detail = "final"
	}
	if kind == history.OK {
		if p.op == api.OpBalance {
			b := resp.Balance
			ev.Result = &b
		} else {
			ev.Refused = resp.Refused != ""
			b := resp.Balance
			ev.Result = &b
		}
	}
	c.run.record(ev)
	if kind == history.Info {
		c.proc = c.run.newProcess() // retire the process
		c.leader = ""
		if p.final {
			c.finalQueue = append(c.finalQueue, p.account) // a final read is retried until it answers
		}
	}
	c.cur = nil
	if len(c.finalQueue) > 0 {
		e.After(0, "next")
		return
	}
	e.After(c.gap(e), "next")
}
