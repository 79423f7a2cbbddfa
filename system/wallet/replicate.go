package wallet

import (
	"encoding/hex"
	"errors"
	"time"

	"vaultdrill/system/audit"
	"vaultdrill/system/chain"
	"vaultdrill/system/env"
)

// Message types of the audit trail (env.MsgType 90-93; 92-93 reserved):
// replication of each wallet node's audit log to its peers.
const (
	MsgAuditBatch env.MsgType = 90 // wallet -> peer wallet: AuditBatch
	MsgAuditAck   env.MsgType = 91 // peer wallet -> wallet: AuditAck
)

// BugAuditSkipField (planted): the node's own decisions are recorded with
// Device and IP left empty, so the trail no longer says where a decision
// was taken (INV-AUDIT's missing_fields).
const BugAuditSkipField Bug = "audit-skip-field"

// Observation kinds of the audit trail.
const (
	// ObsReplicaReject: a peer's batch did not continue the replica this
	// node keeps of its log (origin, err); nothing of it was stored.
	ObsReplicaReject = "audit.replica_reject"
	// ObsReplicaMismatch: a peer acknowledged a head this node's log does
	// not have (peer, seq, hash).
	ObsReplicaMismatch = "audit.replica_mismatch"
	// ObsAnchor: an anchor transaction was admitted by the chain (seq,
	// hash, nonce, txid, fee).
	ObsAnchor = "audit.anchor"
)

// AuditTrailConfig: where the node's audit log is copied and anchored.
// The zero value replicates nothing and anchors nothing.
type AuditTrailConfig struct {
	// Peers are the wallet nodes (in other regions) that keep a replica of
	// this node's log, and whose logs this node keeps a replica of. The
	// node's own ID may be listed; it is skipped.
	Peers []env.NodeID
	// ReplicateEvery: each period, every peer behind this node's head is
	// sent one batch of at most BatchMax entries from the head it last
	// acknowledged.
	ReplicateEvery time.Duration
	BatchMax       int
	// AnchorKey signs the anchor transactions: a plain key of this node,
	// NOT a custody key (no MPC, no approvals): it holds nothing but fees
	// for anchoring, so losing it costs those fees and lets its thief
	// publish bogus anchors, which the verifier reports as mismatches
	// against the log. Nil: no anchoring.
	AnchorKey *chain.Key
	// AnchorSink is the address every anchor pays 1 unit to.
	AnchorSink string
	// AnchorEvery: each period, the log's head (if it moved) is anchored.
	AnchorEvery time.Duration
	// AnchorFeeMax bounds the fee bumps of one anchor (default 100 x Fee).
	AnchorFeeMax int64
	// Device and IP stamp the entries of this node's own decisions: the
	// machine it runs on (default: the node's ID, and "node:ID").
	Device, IP string
}

const (
	replicateEveryDefault = 10 * time.Second
	batchMaxDefault       = 64
	anchorEveryDefault    = 10 * time.Minute
	// replicaDir holds one replica file per origin.
	replicaDir = "wallet/replica/"
)

// ReplicaFile is the file on a wallet node's disk holding its replica of
// origin's audit log; OwnAuditFile is its own log.
func ReplicaFile(origin env.NodeID) string { return replicaDir + string(origin) }

// OwnAuditFile is the file of a wallet node's own audit log.
const OwnAuditFile = "wallet/audit"

func (c AuditTrailConfig) every() time.Duration {
	if c.ReplicateEvery <= 0 {
		return replicateEveryDefault
	}
	return c.ReplicateEvery
}

func (c AuditTrailConfig) batchMax() int {
	if c.BatchMax <= 0 {
		return batchMaxDefault
	}
	return min(c.BatchMax, audit.EntriesMax)
}

func (c AuditTrailConfig) anchorEvery() time.Duration {
	if c.AnchorEvery <= 0 {
		return anchorEveryDefault
	}
	return c.AnchorEvery
}

// AuditBatch carries consecutive entries of the sender's log (audit.Encode
// of each). The origin is the sender, as the host authenticates it.
type AuditBatch struct {
	Entries [][]byte `json:"entries"`
}

// AuditAck is the replica's head after a batch (hex hash), and why the
// batch was refused, if it was.
type AuditAck struct {
	Seq  uint64 `json:"seq"`
	Hash string `json:"hash"`
	Err  string `json:"err,omitempty"`
}

// trailState is the audit trail's soft state: replicas of the peers' logs,
// what each peer acknowledged, and the anchor in progress.
type trailState struct {
	replicas map[env.NodeID]*audit.Replica // by origin; nil: unreadable
	acked    map[env.NodeID]uint64         // by peer: its replica's head
	lastErr  map[env.NodeID]string         // by peer: the last mismatch reported
	anchor   *anchorNote                   // the last anchor submitted (on disk)
	querying bool                          // an anchor's account query is out
}

// auditStamp is the device and IP of the node's own decisions.
func (n *Node) auditStamp() (device, ip string) {
	if n.cfg.Bug == BugAuditSkipField {
		return "", ""
	}
	device, ip = n.cfg.AuditTrail.Device, n.cfg.AuditTrail.IP
	if device == "" {
		device = string(n.cfg.ID)
	}
	if ip == "" {
		ip = "node:" + string(n.cfg.ID)
	}
	return device, ip
}

func (n *Node) peers() []env.NodeID {
	var out []env.NodeID
	for _, p := range n.cfg.AuditTrail.Peers {
		if p != n.cfg.ID {
			out = append(out, p)
		}
	}
	return out
}

// startAuditTrail opens the replicas this node keeps and arms the
// replication and anchoring timers.
func (n *Node) startAuditTrail(e env.Env) {
	n.trail = trailState{replicas: map[env.NodeID]*audit.Replica{}, acked: map[env.NodeID]uint64{}, lastErr: map[env.NodeID]string{}}
	peers := n.peers()
	for _, p := range peers {
		r, err := audit.OpenReplica(e.Disk(), ReplicaFile(p))
		if err != nil {
			// Left as found for the drill to see; batches from p are
			// refused until someone looks.
			e.Observe(env.ObserveKV(ObsReplicaReject, "origin", string(p), "err", err.Error()))
			continue
		}
		n.trail.replicas[p] = r
	}
	if len(peers) > 0 {
		e.After(n.cfg.AuditTrail.every(), "audit/replicate")
	}
	if n.cfg.AuditTrail.AnchorKey != nil {
		n.trail.anchor = readAnchorNote(e)
		e.After(n.cfg.AuditTrail.anchorEvery(), "audit/anchor")
	}
}

func (n *Node) auditTrailTimer(e env.Env, rest string) {
	switch rest {
	case "replicate":
		e.After(n.cfg.AuditTrail.every(), "audit/replicate")
		n.replicate(e)
	case "anchor":
		e.After(n.cfg.AuditTrail.anchorEvery(), "audit/anchor")
		n.anchorTick(e)
	}
}

// replicate sends every peer behind the head one batch, from the head it
// last acknowledged (from the start after a restart: the overlap is
// checked and acknowledged with the replica's true head).
func (n *Node) replicate(e env.Env) {
	if !n.sinkUp() {
		return
	}
	head, _ := n.audit.log.Head()
	for _, p := range n.peers() {
		from := n.trail.acked[p] + 1
		if from > head {
			continue
		}
		batch := n.audit.log.Entries(from)
		if len(batch) > n.cfg.AuditTrail.batchMax() {
			batch = batch[:n.cfg.AuditTrail.batchMax()]
		}
		msg := AuditBatch{Entries: make([][]byte, len(batch))}
		for i, x := range batch {
			msg.Entries[i] = audit.Encode(x)
		}
		e.Send(p, encode(MsgAuditBatch, msg))
	}
}

// auditTrailMessage handles a batch from a peer, or a peer's ack.
func (n *Node) auditTrailMessage(e env.Env, from env.NodeID, t env.MsgType, payload []byte) {
	switch t {
	case MsgAuditBatch:
		var b AuditBatch
		if Decode(payload, MsgAuditBatch, &b) {
			n.storeBatch(e, from, b)
		}
	case MsgAuditAck:
		var a AuditAck
		if Decode(payload, MsgAuditAck, &a) {
			n.acknowledged(e, from, a)
		}
	}
}

func (n *Node) storeBatch(e env.Env, from env.NodeID, b AuditBatch) {
	r := n.trail.replicas[from]
	if r == nil || n.auditDown || len(b.Entries) > audit.EntriesMax {
		return // not a peer, its replica unreadable, or the sink cut off: no ack
	}
	batch := make([]audit.Entry, 0, len(b.Entries))
	var err error
	for _, raw := range b.Entries {
		x, derr := audit.Decode(raw)
		if derr != nil {
			err = derr
			break
		}
		batch = append(batch, x)
	}
	if err == nil {
		_, err = r.Accept(batch)
	}
	seq, hash := r.Head()
	ack := AuditAck{Seq: seq, Hash: hex.EncodeToString(hash[:])}
	if err != nil && !errors.Is(err, audit.ErrGap) {
		// A gap only means the sender must resend from our head; anything
		// else is a second history or damage, and the drill must see it.
		ack.Err = err.Error()
		e.Observe(env.ObserveKV(ObsReplicaReject, "origin", string(from), "err", err.Error()))
	}
	e.Send(from, encode(MsgAuditAck, ack))
}

func (n *Node) acknowledged(e env.Env, from env.NodeID, a AuditAck) {
	if !n.sinkUp() || !hasNode(n.peers(), from) {
		return
	}
	mine, ok := n.audit.log.At(a.Seq)
	if a.Seq == 0 {
		n.trail.acked[from] = 0
		return
	}
	if !ok || hex.EncodeToString(mine.Hash[:]) != a.Hash {
		if key := a.Hash + a.Err; n.trail.lastErr[from] != key {
			n.trail.lastErr[from] = key
			e.Observe(env.ObserveKV(ObsReplicaMismatch, "peer", string(from), "seq", u64s(a.Seq), "hash", a.Hash, "err", a.Err))
		}
		return
	}
	n.trail.acked[from] = a.Seq
}
