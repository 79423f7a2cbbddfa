package ledger

import (
	"errors"

	"go.etcd.io/raft/v3"

	"vaultdrill/system/api"
	"vaultdrill/system/env"
)

// ErrOverloaded fails a request the leader has no room to track (too many
// pending): it was not proposed, so it definitely did not happen.
var ErrOverloaded = errors.New("ledger: overloaded")

// pendingWrite is a client write this replica proposed and still owes an
// answer to, in this incarnation and leadership.
type pendingWrite struct {
	Client    env.NodeID
	RequestID uint64
}

func (n *Node) isLeader() bool { return n.rn.BasicStatus().RaftState == raft.StateLeader }

func (n *Node) reply(e env.Env, to env.NodeID, resp api.Response) {
	e.Send(to, api.EncodeResponse(resp))
}

func (n *Node) fail(e env.Env, to env.NodeID, id uint64, err error) {
	n.reply(e, to, api.Response{ID: id, Status: api.StatusFail, Err: err.Error()})
}

// redirect points the client at the leader this replica knows of, if any.
func (n *Node) redirect(e env.Env, to env.NodeID, id uint64) {
	resp := api.Response{ID: id, Status: api.StatusRedirect}
	if lead := n.rn.BasicStatus().Lead; lead != raft.None && lead != n.cfg.RaftID {
		resp.Leader = n.byRaft[lead]
	}
	n.reply(e, to, resp)
}

// notNow turns a write away without proposing it. Without an idempotency
// key that is a definite failure. With one it is not: an earlier attempt
// with the same key (sent here or to a former leader) may already be in the
// log and commit later, so "fail" (did not happen) could be a lie that the
// linearizability checker rightly catches. The client is told to retry
// instead; a retry that reaches the leader after the key committed gets the
// original result.
func (n *Node) notNow(e env.Env, to env.NodeID, req api.Request, err error) {
	if req.IdemKey == "" {
		n.fail(e, to, req.ID, err)
		return
	}
	resp := api.Response{ID: req.ID, Status: api.StatusRedirect, Err: err.Error()}
	if lead := n.rn.BasicStatus().Lead; lead != raft.None && lead != n.cfg.RaftID {
		resp.Leader = n.byRaft[lead]
	}
	n.reply(e, to, resp)
}

// request handles one client request.
func (n *Node) request(e env.Env, from env.NodeID, req api.Request) {
	n.noteRole(e)
	switch req.Op {
	case api.OpBalance:
		n.read(e, from, req)
	case api.OpDeposit, api.OpWithdraw:
		n.write(e, from, req)
	default:
		n.fail(e, from, req.ID, api.ErrBadRequest)
	}
}

// read answers a balance read once raft's ReadIndex confirmed leadership
// and the replica applied up to the read index (see answerReads).
func (n *Node) read(e env.Env, from env.NodeID, req api.Request) {
	if req.Account == "" {
		n.fail(e, from, req.ID, api.ErrBadRequest)
		return
	}
	if n.cfg.Bug == BugStaleReads {
		// Planted bug: whatever this replica has applied, leader or not.
		n.reply(e, from, api.Response{ID: req.ID, Status: api.StatusOK, Balance: n.sm.balance(req.Account), Index: n.applied})
		return
	}
	if !n.isLeader() {
		n.redirect(e, from, req.ID)
		return
	}
	if n.reads.len() >= pendingReadsMax {
		n.fail(e, from, req.ID, ErrOverloaded)
		return
	}
	ctx := n.reads.register(n.incarnation, pendingRead{Client: from, RequestID: req.ID, Account: req.Account})
	n.rn.ReadIndex(ctx)
}

// answerReads answers the confirmed reads whose index has been applied.
func (n *Node) answerReads(e env.Env) {
	for _, r := range n.reads.answerable(n.applied) {
		n.reply(e, r.Client, api.Response{ID: r.RequestID, Status: api.StatusOK, Balance: n.sm.balance(r.Account), Index: r.Index})
	}
}

// write proposes a deposit or withdrawal; the answer comes when it applies
// (completeWrite).
func (n *Node) write(e env.Env, from env.NodeID, req api.Request) {
	op, _ := opCode(req.Op)
	if req.Account == "" || req.Amount <= 0 {
		n.fail(e, from, req.ID, api.ErrBadRequest)
		return
	}
	if !n.isLeader() {
		n.redirect(e, from, req.ID)
		return
	}
	if len(n.writes) >= pendingWritesMax {
		n.notNow(e, from, req, ErrOverloaded)
		return
	}
	n.seq++
	c := command{
		Op:          op,
		Account:     req.Account,
		Amount:      req.Amount,
		IdemKey:     req.IdemKey,
		Time:        e.Now().UnixNano(),
		Proposer:    n.cfg.ID,
		Incarnation: n.incarnation,
		Seq:         n.seq,
		Client:      from,
		RequestID:   req.ID,
	}
	if err := n.rn.Propose(c.encode()); err != nil {
		// Dropped: raft is transferring leadership or lost it. This
		// attempt did not happen, but an earlier attempt with the same
		// key may be in the log already, so a retry is all we can say.
		n.notNow(e, from, req, api.ErrNotLeader)
		return
	}
	if n.cfg.Bug == BugEarlyAck {
		// Planted bug: acknowledge before commit, from the applied state.
		r := n.sm.preview(c)
		if r.Index == 0 {
			// Every earlier Ready was drained, so the proposal is the one
			// entry raft holds beyond storage.
			last, _ := n.storage.LastIndex()
			r.Index = last + 1
		}
		n.reply(e, from, api.Response{ID: req.ID, Status: api.StatusOK, Balance: r.Balance, Refused: r.Refused, Index: r.Index})
		return
	}
	n.writes[n.seq] = pendingWrite{Client: from, RequestID: req.ID}
}

// completeWrite answers the client of a command this incarnation proposed,
// if it is still waiting.
func (n *Node) completeWrite(e env.Env, c command, r reply) {
	if c.Proposer != n.cfg.ID || c.Incarnation != n.incarnation {
		return
	}
	w, ok := n.writes[c.Seq]
	if !ok {
		return
	}
	delete(n.writes, c.Seq)
	n.reply(e, w.Client, api.Response{ID: w.RequestID, Status: api.StatusOK, Balance: r.Balance, Refused: r.Refused, Index: r.Index})
}
