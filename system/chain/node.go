package chain

import (
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"time"

	"vaultdrill/system/env"
)

// Virtual CPU costs, fixed per operation kind (never measured).
const (
	CostStep            = 10 * time.Microsecond  // every Step
	CostVerifySecp256k1 = 100 * time.Microsecond // one ECDSA verification
	CostVerifyEd25519   = 50 * time.Microsecond  // one Ed25519 verification
	CostBlock           = 50 * time.Microsecond  // assembling and hashing a block
	CostTxApply         = 5 * time.Microsecond   // applying, undoing or replaying one transaction
	CostSync            = 1 * time.Millisecond   // every Disk().Sync
)

// Observation kinds this package emits (fields in doc.go).
const (
	ObsBlock   = "chain.block"
	ObsTx      = "chain.tx"
	ObsReorg   = "chain.reorg"
	ObsReject  = "chain.reject"
	ObsAccept  = "chain.accept"
	ObsControl = "chain.control"
	ObsRestore = "chain.restore"
)

// Stages of a chain.reject: where a transaction was turned away or dropped.
const (
	StageSubmit  = "submit"  // a submission refused
	StageMempool = "mempool" // a pending transaction dropped (fee bump, stale nonce)
	StageReorg   = "reorg"   // a transaction of an undone block not returned to the mempool
)

const blockTag = "chain/block"

// txLoc is where a mined transaction sits on the canonical chain.
type txLoc struct {
	height uint64
	index  int
}

// Node is one simulated chain. It implements env.Node.
type Node struct {
	cfg     Config
	genesis *block

	// Per incarnation; start resets all of it.
	started bool
	blocks  []*block // blocks[h] is the canonical block at height h; blocks[0] the genesis
	st      *state
	mined   map[string]txLoc // canonical transactions by TxID
	pool    *mempool
	arrival uint64
	feeMult int64
	stuck   map[string]bool
	dropped droppedSet
}

var _ env.Node = (*Node)(nil)

// New builds a chain node. It does nothing until its first InputStart. It
// panics on a configuration Config.Validate rejects.
func New(cfg Config) *Node {
	cfg = cfg.withDefaults()
	return &Node{cfg: cfg, genesis: genesisBlock(cfg.Flavour, cfg.Genesis)}
}

// GenesisHash is the hex hash of the genesis a configuration describes
// (block 0's hash, the parent of block 1).
func GenesisHash(cfg Config) string {
	return genesisBlock(cfg.Flavour, cfg.Genesis).hashHex()
}

// Step handles one input.
func (n *Node) Step(e env.Env, in env.Input) {
	e.Charge(CostStep)
	switch in.Kind {
	case env.InputStart:
		n.start(e)
	case env.InputTimer:
		if !n.started || in.Tag != blockTag {
			return
		}
		n.produce(e)
		e.After(n.cfg.BlockInterval, blockTag)
	case env.InputMessage:
		if !n.started {
			return
		}
		n.receive(e, in)
	}
}

// start rebuilds the chain from its disk and starts producing blocks.
func (n *Node) start(e env.Env) {
	rec := loadDisk(e.Disk(), n.genesis)
	n.st = newState(n.cfg.Genesis)
	n.blocks = []*block{n.genesis}
	n.mined = map[string]txLoc{}
	replayed := 0
	for _, b := range rec.blocks {
		for i, t := range b.txs {
			if err := n.st.check(t); err != nil {
				panic(fmt.Sprintf("chain: %s: replaying block %d: %s: %v", n.cfg.ID, b.height, b.ids[i], err))
			}
			n.st.apply(t)
			n.mined[b.ids[i]] = txLoc{height: b.height, index: i}
		}
		replayed += len(b.txs)
		n.blocks = append(n.blocks, b)
	}
	e.Charge(time.Duration(replayed) * CostTxApply)
	n.pool = newMempool()
	n.arrival = 0
	n.feeMult = rec.feeMult
	n.stuck = make(map[string]bool, len(rec.stuck))
	for _, id := range rec.stuck {
		n.stuck[id] = true
	}
	n.dropped = newDroppedSet()
	n.started = true
	tip := n.tipBlock()
	e.Observe(env.ObserveKV(ObsRestore,
		"chain", n.cfg.Flavour,
		"height", u64(tip.height),
		"hash", tip.hashHex(),
		"torn_bytes", strconv.Itoa(rec.tornBytes),
		"fee_multiplier", i64(n.feeMult),
		"stuck", strconv.Itoa(len(n.stuck)),
	))
	e.After(n.cfg.BlockInterval, blockTag)
}

// receive dispatches one message. Anything undecodable is ignored: a
// client that sent garbage gets no answer, as from a real node.
func (n *Node) receive(e env.Env, in env.Input) {
	t, body, err := env.Decode(in.Payload)
	if err != nil {
		return
	}
	switch t {
	case MsgSubmit:
		s, err := DecodeSubmit(body)
		if err != nil {
			return
		}
		e.Send(in.From, EncodeSubmitResult(n.submit(e, s)))
	case MsgQuery:
		q, err := DecodeQuery(body)
		if err != nil {
			return
		}
		e.Send(in.From, EncodeQueryResult(n.query(q)))
	case MsgControl:
		// From is host-authenticated: only the harness orders faults.
		if in.From != n.cfg.ControlSender {
			return
		}
		c, err := DecodeControl(body)
		if err != nil {
			e.Send(in.From, EncodeControlResult(ControlResult{OK: false, Err: err.Error(), Tip: n.tip()}))
			return
		}
		e.Send(in.From, EncodeControlResult(n.control(e, c)))
	}
}

func (n *Node) tip() uint64 { return uint64(len(n.blocks) - 1) }

func (n *Node) tipBlock() *block { return n.blocks[len(n.blocks)-1] }

// confirmations of a transaction mined at height h.
func (n *Node) confirmations(h uint64) uint64 { return n.tip() - h + 1 }

// minFee is the current minimum fee: MinFee times the fee-spike multiplier.
func (n *Node) minFee() int64 {
	if n.cfg.MinFee > 0 && n.feeMult > math.MaxInt64/n.cfg.MinFee {
		return math.MaxInt64
	}
	return n.cfg.MinFee * n.feeMult
}

func (n *Node) verifyCost() time.Duration {
	if n.cfg.Flavour == Secp256k1 {
		return CostVerifySecp256k1
	}
	return CostVerifyEd25519
}

// reasonDetail splits a rejection into its sentinel text and the detail.
func reasonDetail(err error) (reason, detail string) {
	var r *rejection
	if errors.As(err, &r) {
		return r.reason.Error(), r.detail
	}
	return err.Error(), ""
}

// observeReject reports a transaction turned away or dropped. t may be the
// zero Tx when the bytes did not decode.
func (n *Node) observeReject(e env.Env, id string, t Tx, err error, stage, by string) {
	reason, detail := reasonDetail(err)
	kv := []string{
		"chain", n.cfg.Flavour,
		"txid", id,
		"reason", reason,
		"detail", detail,
		"stage", stage,
		"from", t.From,
		"nonce", u64(t.Nonce),
		"fee", i64(t.Fee),
	}
	if by != "" {
		kv = append(kv, "by", by)
	}
	e.Observe(env.ObserveKV(ObsReject, kv...))
}

// txFields are the observation fields describing a transaction: all of its
// signed fields, so a checker can recompute SigningDigest and TxID.
func (n *Node) txFields(id string, t Tx) []string {
	d := t.SigningDigest()
	return []string{
		"chain", t.Chain,
		"txid", id,
		"from", t.From,
		"to", t.To,
		"amount", i64(t.Amount),
		"fee", i64(t.Fee),
		"nonce", u64(t.Nonce),
		"memo", t.Memo,
		"pubkey", hex.EncodeToString(t.PubKey),
		"sig", hex.EncodeToString(t.Sig),
		"digest", hex.EncodeToString(d[:]),
	}
}

func u64(v uint64) string { return strconv.FormatUint(v, 10) }
func i64(v int64) string  { return strconv.FormatInt(v, 10) }

// droppedSet remembers why recent transactions left the mempool unmined,
// for status queries: at most droppedMax, oldest forgotten first.
type droppedSet struct {
	reason map[string]string
	seq    map[string]uint64
	order  []droppedRec
	next   uint64
}

type droppedRec struct {
	id  string
	seq uint64
}

func newDroppedSet() droppedSet {
	return droppedSet{reason: map[string]string{}, seq: map[string]uint64{}}
}

func (d *droppedSet) add(id, reason string) {
	d.next++
	d.reason[id], d.seq[id] = reason, d.next
	d.order = append(d.order, droppedRec{id: id, seq: d.next})
	for len(d.order) > droppedMax {
		old := d.order[0]
		d.order = d.order[1:]
		if d.seq[old.id] == old.seq {
			delete(d.reason, old.id)
			delete(d.seq, old.id)
		}
	}
}

func (d *droppedSet) forget(id string) {
	delete(d.reason, id)
	delete(d.seq, id)
}
