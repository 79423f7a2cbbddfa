package ledger

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"time"

	"go.etcd.io/raft/v3"
	pb "go.etcd.io/raft/v3/raftpb"

	"vaultdrill/system/api"
	"vaultdrill/system/env"
)

// Virtual CPU costs, fixed per operation kind (never measured).
const (
	CostStep     = 20 * time.Microsecond  // every Step
	CostSync     = 1 * time.Millisecond   // every Disk().Sync
	CostApply    = 5 * time.Microsecond   // every applied command
	CostSnapshot = 500 * time.Microsecond // serializing a snapshot (its Sync is extra)
)

// Observation kinds this package emits.
const (
	ObsApply   = "ledger.apply"
	ObsRestore = "ledger.restore"
	ObsLeader  = "ledger.leader"
	// ObsTransfer: a leader outside the preferred region hands over.
	ObsTransfer = "ledger.transfer"
)

const tickTag = "tick"

// Bounds.
const (
	readyRoundsMax   = 1000 // Ready rounds per Step; the rest waits for the next input
	pendingWritesMax = 4096
	pendingReadsMax  = 4096
	maxSizePerMsg    = 1 << 20
	maxInflightMsgs  = 256
	// maxUncommittedBytes bounds what a leader cut off from its quorum
	// accepts before it steps down: beyond it, proposals are dropped.
	maxUncommittedBytes = 4 << 20
)

// Node is one ledger replica. It implements env.Node.
type Node struct {
	cfg    Config
	byRaft map[uint64]env.NodeID
	byNode map[env.NodeID]uint64
	voters []uint64 // sorted raft ids of all peers

	// Per incarnation; start resets all of it.
	started     bool
	incarnation uint64 // random: tells this incarnation's proposals apart
	rn          *raft.RawNode
	storage     *raft.MemoryStorage
	sm          *stateMachine
	confState   pb.ConfState
	applied     uint64
	snapIndex   uint64
	ticks       uint64
	leaderTerm  uint64 // the term this replica leads in, 0 when not leader
	leaderSince uint64 // tick leadership was won at
	seq         uint64
	writes      map[uint64]pendingWrite // by command Seq
	reads       readTracker
	snapSent    map[uint64]uint64 // raft id -> tick a MsgSnap left at
}

var _ env.Node = (*Node)(nil)

// New builds a replica. It does nothing until its first InputStart.
func New(cfg Config) *Node {
	cfg = cfg.withDefaults()
	n := &Node{cfg: cfg, byRaft: map[uint64]env.NodeID{}, byNode: map[env.NodeID]uint64{}}
	for _, p := range cfg.Peers {
		n.byRaft[p.RaftID] = p.ID
		n.byNode[p.ID] = p.RaftID
		n.voters = append(n.voters, p.RaftID)
	}
	sort.Slice(n.voters, func(i, j int) bool { return n.voters[i] < n.voters[j] })
	return n
}

// Step handles one input, then drives raft until it has nothing ready.
func (n *Node) Step(e env.Env, in env.Input) {
	e.Charge(CostStep)
	switch in.Kind {
	case env.InputStart:
		n.start(e)
	case env.InputTimer:
		if !n.started || in.Tag != tickTag {
			return
		}
		n.rn.Tick()
		n.ticks++
		n.retrySnapshots()
		n.preferLeader(e)
		e.After(n.cfg.TickInterval, tickTag)
	case env.InputMessage:
		if !n.started {
			return
		}
		n.receive(e, in)
	default:
		return
	}
	n.drain(e)
}

// start rebuilds the replica from its disk and starts ticking.
func (n *Node) start(e env.Env) {
	rec := loadDisk(e.Disk(), n.voters)
	n.storage = restoreStorage(rec)
	n.sm = newStateMachine(int64(n.cfg.IdemRetention))
	if err := n.sm.restore(rec.snap.Data); err != nil {
		panic(fmt.Sprintf("ledger: %s: restore from disk snapshot %d: %v", n.cfg.ID, rec.snap.Metadata.Index, err))
	}
	n.confState = rec.snap.Metadata.ConfState
	n.applied = rec.snap.Metadata.Index
	n.snapIndex = rec.snap.Metadata.Index
	n.ticks, n.leaderTerm, n.seq = 0, 0, 0
	n.writes = map[uint64]pendingWrite{}
	n.reads = newReadTracker()
	n.snapSent = map[uint64]uint64{}
	n.incarnation = e.Rand().Uint64()

	rn, err := raft.NewRawNode(&raft.Config{
		ID:                        n.cfg.RaftID,
		ElectionTick:              n.cfg.ElectionTicks,
		HeartbeatTick:             n.cfg.HeartbeatTicks,
		Storage:                   n.storage,
		Applied:                   n.applied,
		MaxSizePerMsg:             maxSizePerMsg,
		MaxUncommittedEntriesSize: maxUncommittedBytes,
		MaxInflightMsgs:           maxInflightMsgs,
		CheckQuorum:               true,
		PreVote:                   true,
		ReadOnlyOption:            raft.ReadOnlySafe,
		DisableProposalForwarding: true,
		Logger:                    discardLogger{},
	})
	if err != nil {
		panic(fmt.Sprintf("ledger: %s: raft: %v", n.cfg.ID, err))
	}
	n.rn = rn
	n.started = true
	if !rec.genesis {
		n.observeRestore(e)
	}
	e.After(n.cfg.TickInterval, tickTag)
}

// receive dispatches one message: raft traffic from an authenticated peer,
// or a client request. Anything undecodable is ignored.
func (n *Node) receive(e env.Env, in env.Input) {
	t, body, err := env.Decode(in.Payload)
	if err != nil {
		return
	}
	switch t {
	case env.MsgRaft:
		from, ok := n.byNode[in.From]
		if !ok {
			return
		}
		var m pb.Message
		if err := m.Unmarshal(body); err != nil {
			return
		}
		// The host authenticated in.From; a message claiming another raft
		// sender, or meant for another replica, is dropped.
		if m.From != from || m.To != n.cfg.RaftID {
			return
		}
		_ = n.rn.Step(m) // errors: local or unknown-peer messages, dropped
	case env.MsgClientRequest:
		req, err := api.DecodeRequest(body)
		if err != nil {
			return
		}
		n.request(e, in.From, req)
	}
}

// drain handles Ready batches until raft has nothing more to say.
func (n *Node) drain(e env.Env) {
	for i := 0; i < readyRoundsMax && n.rn.HasReady(); i++ {
		n.handleReady(e, n.rn.Ready())
	}
}

// handleReady follows raft's contract in order: persist (hard state,
// entries, snapshot) and sync; send; apply; advance. Snapshotting of our
// own state comes after Advance.
func (n *Node) handleReady(e env.Env, rd raft.Ready) {
	n.noteRole(e)

	d := e.Disk()
	mustSync := persistReady(d, rd)
	if !raft.IsEmptySnap(rd.Snapshot) {
		if err := n.storage.ApplySnapshot(rd.Snapshot); err != nil {
			panic(fmt.Sprintf("ledger: %s: apply received snapshot %d: %v", n.cfg.ID, rd.Snapshot.Metadata.Index, err))
		}
	}
	if err := n.storage.Append(rd.Entries); err != nil {
		panic(fmt.Sprintf("ledger: %s: append entries: %v", n.cfg.ID, err))
	}
	if !raft.IsEmptyHardState(rd.HardState) {
		if err := n.storage.SetHardState(rd.HardState); err != nil {
			panic(fmt.Sprintf("ledger: %s: set hard state: %v", n.cfg.ID, err))
		}
	}
	if mustSync {
		d.Sync()
		e.Charge(CostSync)
	}

	for _, m := range rd.Messages {
		n.send(e, m)
	}

	if !raft.IsEmptySnap(rd.Snapshot) {
		n.restoreSnapshot(e, rd.Snapshot)
	}
	n.reads.confirm(rd.ReadStates)
	for _, ent := range rd.CommittedEntries {
		n.applyEntry(e, ent)
	}
	n.answerReads(e)

	n.rn.Advance(rd)
	n.maybeSnapshot(e)
}

// noteRole notices leadership won or lost. Losing it (or a new term)
// drops every pending client request: their clients time out, a correct
// "unknown" outcome, whereas answering them would need a leader.
func (n *Node) noteRole(e env.Env) {
	st := n.rn.BasicStatus()
	switch {
	case st.RaftState == raft.StateLeader && n.leaderTerm != st.Term:
		n.dropPending()
		n.leaderTerm = st.Term
		n.leaderSince = n.ticks
		e.Observe(env.ObserveKV(ObsLeader, "term", strconv.FormatUint(st.Term, 10)))
	case st.RaftState != raft.StateLeader && n.leaderTerm != 0:
		n.dropPending()
		n.leaderTerm = 0
	}
}

func (n *Node) dropPending() {
	clear(n.writes)
	n.reads.drop()
	clear(n.snapSent)
}

func (n *Node) send(e env.Env, m pb.Message) {
	to, ok := n.byRaft[m.To]
	if !ok || m.To == n.cfg.RaftID {
		return
	}
	e.Send(to, env.Encode(env.MsgRaft, mustMarshal(&m)))
	if m.Type == pb.MsgSnap {
		n.snapSent[m.To] = n.ticks
	}
}

// retrySnapshots reports a snapshot as failed when its follower has not
// caught up within an election timeout. Delivery is fire-and-forget, and
// raft holds a follower in snapshot state until told, so a lost MsgSnap
// would otherwise stall it for the rest of this leadership.
func (n *Node) retrySnapshots() {
	if len(n.snapSent) == 0 {
		return
	}
	ids := make([]uint64, 0, len(n.snapSent))
	for id := range n.snapSent { // determinism: allowed (sorted below)
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		if n.ticks-n.snapSent[id] >= uint64(n.cfg.ElectionTicks) {
			delete(n.snapSent, id)
			// Ignored by raft unless the follower is still waiting on it.
			n.rn.ReportSnapshot(id, raft.SnapshotFailure)
		}
	}
}

// applyEntry applies one committed entry, in index order.
func (n *Node) applyEntry(e env.Env, ent pb.Entry) {
	if ent.Index != n.applied+1 {
		panic(fmt.Sprintf("ledger: %s: applying index %d after %d: the apply order broke", n.cfg.ID, ent.Index, n.applied))
	}
	n.applied = ent.Index
	switch ent.Type {
	case pb.EntryNormal:
		if len(ent.Data) == 0 {
			return // a new leader's empty entry
		}
		c, err := decodeCommand(ent.Data)
		if err != nil {
			panic(fmt.Sprintf("ledger: %s: committed entry %d: %v", n.cfg.ID, ent.Index, err))
		}
		out := n.sm.apply(ent.Index, ent.Data, c)
		e.Charge(CostApply)
		e.Observe(env.ObserveKV(ObsApply,
			"index", strconv.FormatUint(ent.Index, 10),
			"term", strconv.FormatUint(ent.Term, 10),
			"op", opName(c.Op),
			"account", c.Account,
			"amount", strconv.FormatInt(c.Amount, 10),
			"idem", c.IdemKey,
			"result", out.Result,
			"balance", strconv.FormatInt(out.Balance, 10),
			"digest", n.sm.digestHex(),
		))
		n.completeWrite(e, c, out.Reply)
	case pb.EntryConfChange:
		var cc pb.ConfChange
		if err := cc.Unmarshal(ent.Data); err != nil {
			panic(fmt.Sprintf("ledger: %s: conf change at %d: %v", n.cfg.ID, ent.Index, err))
		}
		n.confState = *n.rn.ApplyConfChange(cc)
	case pb.EntryConfChangeV2:
		var cc pb.ConfChangeV2
		if err := cc.Unmarshal(ent.Data); err != nil {
			panic(fmt.Sprintf("ledger: %s: conf change at %d: %v", n.cfg.ID, ent.Index, err))
		}
		n.confState = *n.rn.ApplyConfChange(cc)
	}
}

// restoreSnapshot replaces the state machine with a snapshot raft handed
// over (a follower too far behind the leader's log).
func (n *Node) restoreSnapshot(e env.Env, snap pb.Snapshot) {
	if snap.Metadata.Index <= n.applied {
		panic(fmt.Sprintf("ledger: %s: snapshot at %d would move applied index %d backwards", n.cfg.ID, snap.Metadata.Index, n.applied))
	}
	if err := n.sm.restore(snap.Data); err != nil {
		panic(fmt.Sprintf("ledger: %s: received snapshot %d: %v", n.cfg.ID, snap.Metadata.Index, err))
	}
	n.applied = snap.Metadata.Index
	n.snapIndex = snap.Metadata.Index
	n.confState = snap.Metadata.ConfState
	n.observeRestore(e)
}

func (n *Node) observeRestore(e env.Env) {
	e.Observe(env.ObserveKV(ObsRestore,
		"index", strconv.FormatUint(n.applied, 10),
		"digest", n.sm.digestHex(),
	))
}

// maybeSnapshot snapshots the state machine and compacts the log every
// SnapshotEntries applied entries, keeping memory and disk bounded.
func (n *Node) maybeSnapshot(e env.Env) {
	if n.applied-n.snapIndex < n.cfg.SnapshotEntries {
		return
	}
	snap, err := n.storage.CreateSnapshot(n.applied, &n.confState, n.sm.marshal())
	if err != nil {
		panic(fmt.Sprintf("ledger: %s: create snapshot at %d: %v", n.cfg.ID, n.applied, err))
	}
	if err := n.storage.Compact(n.applied); err != nil {
		panic(fmt.Sprintf("ledger: %s: compact at %d: %v", n.cfg.ID, n.applied, err))
	}
	var tail []pb.Entry
	if last, _ := n.storage.LastIndex(); last > n.applied {
		tail, err = n.storage.Entries(n.applied+1, last+1, math.MaxUint64)
		if err != nil {
			panic(fmt.Sprintf("ledger: %s: entries after snapshot %d: %v", n.cfg.ID, n.applied, err))
		}
	}
	persistCompaction(e.Disk(), snap, tail)
	e.Charge(CostSnapshot + CostSync)
	n.snapIndex = n.applied
}
