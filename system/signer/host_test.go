package signer

import (
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"vaultdrill/system/env"
	"vaultdrill/system/env/envtest"
	"vaultdrill/system/mpc"
)

// A small deterministic host for the package's tests (system/ may not
// import sim): one event queue ordered by (virtual time, sequence number),
// one env.Env per node with a MemDisk, a math/rand/v2 stream and an entropy
// reader seeded from (root seed, node id), fixed-latency delivery with
// optional drop and rewrite hooks, timers that die with their incarnation,
// crash and restart, Charge honoured (a node is busy for what it charged
// and its effects leave after it) or ignored, and an observation log.
//
// Endpoints the host does not run (the requester, the harness, a stranger)
// get what is sent to them in an inbox, at the time it arrives.

const (
	testLatency  = time.Millisecond
	testSeed     = 20260101
	requester    = env.NodeID("driver")
	stranger     = env.NodeID("mallory")
	hostStepsMax = 500_000 // one run's bound: a livelock fails the test, it does not hang it
)

var (
	hot1 = mpc.PartyID("signer-hot-1")
	hot2 = mpc.PartyID("signer-hot-2")
	hot3 = mpc.PartyID("signer-hot-3")
)

// wireMsg is one message handed to the host: what the world saw on the wire.
type wireMsg struct {
	At       time.Time // when it left the sender (after the sender's charge)
	From, To env.NodeID
	Type     env.MsgType
	Payload  []byte
	Dropped  bool // the drop hook ate it
	Injected bool // the test put it on the wire, not a node
}

// obsRec is one observation with where and when it was made.
type obsRec struct {
	At   time.Time
	Node env.NodeID
	env.Observation
}

func (o obsRec) String() string {
	keys := make([]string, 0, len(o.Fields))
	for k := range o.Fields { // determinism: allowed (sorted below)
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	fmt.Fprintf(&b, "%v %s %s", o.At.Sub(env.Epoch), o.Node, o.Kind)
	for _, k := range keys {
		fmt.Fprintf(&b, " %s=%s", k, o.Fields[k])
	}
	return b.String()
}

type event struct {
	at  time.Time
	to  env.NodeID
	inc int // the incarnation a start or timer belongs to
	in  env.Input
}

type hostNode struct {
	id   env.NodeID
	cfg  Config
	node *Node
	disk *envtest.MemDisk
	rng  *rand.Rand
	ent  io.Reader
	inc  int
	up   bool
	busy time.Time // honoured charge: the node computes until then
}

type host struct {
	t       testing.TB
	seed    uint64
	now     time.Time
	q       envtest.Queue[event]
	nodes   map[env.NodeID]*hostNode // looked up, never ranged over
	ids     []env.NodeID             // the nodes, in the order added
	latency time.Duration
	// ignoreCharge delivers effects at the step's start time and never
	// keeps a node busy.
	ignoreCharge bool
	// drop, when set, decides whether a node's message is lost.
	drop func(m wireMsg) bool
	// rewrite, when set, may replace a node's message's bytes (nil keeps
	// them); the host-authenticated sender stays the real one.
	rewrite func(m wireMsg) []byte

	wire  []wireMsg
	obs   []obsRec
	inbox []wireMsg // arrivals at endpoints the host does not run
	steps int
	reqID uint64
}

func newHost(t testing.TB, seed uint64) *host {
	return &host{t: t, seed: seed, now: env.Epoch, nodes: map[env.NodeID]*hostNode{}, latency: testLatency}
}

// subSeed derives a node's stream seed from the root seed and its name, so
// adding a node shifts no other node's streams.
func subSeed(root uint64, name string) uint64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s", root, name)
	return h.Sum64()
}

// add places a signer on a fresh disk and queues its first start.
func (h *host) add(cfg Config) *hostNode {
	id := env.NodeID(cfg.ID)
	if h.nodes[id] != nil {
		h.t.Fatalf("node %s added twice", id)
	}
	var key [32]byte
	s := subSeed(h.seed, "entropy/"+string(id))
	for i := range key {
		key[i] = byte(s >> (8 * (i % 8)))
	}
	n := &hostNode{
		id: id, cfg: cfg, disk: envtest.NewMemDisk(),
		rng: rand.New(rand.NewPCG(subSeed(h.seed, "rand/"+string(id)), 1)),
		ent: rand.NewChaCha8(key),
	}
	h.nodes[id] = n
	h.ids = append(h.ids, id)
	h.start(n)
	return n
}

func (h *host) node(id mpc.PartyID) *hostNode {
	n := h.nodes[env.NodeID(id)]
	if n == nil {
		h.t.Fatalf("no node %s", id)
	}
	return n
}

// start boots a new incarnation of the node on its disk.
func (h *host) start(n *hostNode) {
	n.inc++
	n.up = true
	n.busy = h.now
	n.node = New(n.cfg)
	h.push(event{at: h.now, to: n.id, inc: n.inc, in: env.Input{Kind: env.InputStart}})
}

// crash stops a node: its memory, timers and unsynced writes are lost.
func (h *host) crash(id mpc.PartyID, torn bool) {
	n := h.node(id)
	n.up = false
	n.inc++
	n.disk.Crash(torn, n.rng)
}

func (h *host) restart(id mpc.PartyID) { h.start(h.node(id)) }

func (h *host) push(ev event) {
	h.q.Push(ev.at, ev)
}

// inject puts bytes on the wire from any sender, past the hooks: the test
// is the attacker or the harness.
func (h *host) inject(from, to env.NodeID, payload []byte) {
	m := wireMsg{At: h.now, From: from, To: to, Type: msgType(payload), Payload: append([]byte(nil), payload...), Injected: true}
	h.wire = append(h.wire, m)
	h.push(event{at: h.now.Add(h.latency), to: to, in: env.Input{Kind: env.InputMessage, From: from, Payload: m.Payload}})
}

func msgType(p []byte) env.MsgType {
	t, _, err := env.Decode(p)
	if err != nil {
		return 0
	}
	return t
}

// send is a node's message leaving it at time at.
func (h *host) send(at time.Time, from, to env.NodeID, payload []byte) {
	m := wireMsg{At: at, From: from, To: to, Type: msgType(payload), Payload: payload}
	if h.drop != nil && h.drop(m) {
		m.Dropped = true
		h.wire = append(h.wire, m)
		return
	}
	if h.rewrite != nil {
		if p := h.rewrite(m); p != nil {
			m.Payload, m.Type = p, msgType(p)
		}
	}
	h.wire = append(h.wire, m)
	h.push(event{at: at.Add(h.latency), to: to, in: env.Input{Kind: env.InputMessage, From: from, Payload: m.Payload}})
}

// run advances virtual time by d.
func (h *host) run(d time.Duration) { h.runUntil(d, func() bool { return false }) }

// runUntil runs events until done holds or d of virtual time has passed;
// it reports done.
func (h *host) runUntil(d time.Duration, done func() bool) bool {
	h.t.Helper()
	deadline := h.now.Add(d)
	for !done() {
		if next, ok := h.q.Next(); !ok || next.After(deadline) {
			h.now = deadline
			return done()
		}
		ev := h.q.Pop()
		h.now = ev.at
		h.dispatch(ev)
		if h.steps++; h.steps > hostStepsMax {
			h.t.Fatalf("seed %d: more than %d events: livelock?", h.seed, hostStepsMax)
		}
	}
	return true
}

func (h *host) dispatch(ev event) {
	n := h.nodes[ev.to]
	if n == nil {
		h.inbox = append(h.inbox, wireMsg{At: h.now, From: ev.in.From, To: ev.to, Type: msgType(ev.in.Payload), Payload: ev.in.Payload})
		return
	}
	if !n.up || (ev.in.Kind != env.InputMessage && ev.inc != n.inc) {
		return // lost with the crash, or a timer of an earlier incarnation
	}
	if !h.ignoreCharge && n.busy.After(h.now) {
		ev.at = n.busy // the node is still computing: the input waits
		h.push(ev)
		return
	}
	se := &stepEnv{h: h, n: n}
	n.node.Step(se, ev.in)
	se.closed = true
	at := h.now
	if !h.ignoreCharge {
		at = at.Add(se.charge)
		n.busy = at
	}
	for _, s := range se.sends {
		h.send(at, n.id, s.to, s.payload)
	}
	for _, tm := range se.timers {
		h.push(event{at: at.Add(tm.d), to: n.id, inc: n.inc, in: env.Input{Kind: env.InputTimer, Tag: tm.tag}})
	}
}

type stepEnv struct {
	h      *host
	n      *hostNode
	closed bool
	charge time.Duration
	sends  []struct {
		to      env.NodeID
		payload []byte
	}
	timers []struct {
		d   time.Duration
		tag string
	}
}

// live fails the test when a node keeps its Env past the step.
func (s *stepEnv) live(what string) {
	if s.closed {
		s.h.t.Fatalf("%s: %s used its Env after the step", s.n.id, what)
	}
}

func (s *stepEnv) ID() env.NodeID     { return s.n.id }
func (s *stepEnv) Now() time.Time     { s.live("Now"); return s.h.now }
func (s *stepEnv) Rand() *rand.Rand   { s.live("Rand"); return s.n.rng }
func (s *stepEnv) Entropy() io.Reader { s.live("Entropy"); return s.n.ent }
func (s *stepEnv) Disk() env.Disk     { s.live("Disk"); return s.n.disk }
func (s *stepEnv) Send(to env.NodeID, payload []byte) {
	s.live("Send")
	s.sends = append(s.sends, struct {
		to      env.NodeID
		payload []byte
	}{to, append([]byte(nil), payload...)})
}
func (s *stepEnv) After(d time.Duration, tag string) {
	s.live("After")
	s.timers = append(s.timers, struct {
		d   time.Duration
		tag string
	}{d, tag})
}
func (s *stepEnv) Observe(o env.Observation) {
	s.live("Observe")
	f := make(map[string]string, len(o.Fields))
	for k, v := range o.Fields { // determinism: allowed (a copy)
		f[k] = v
	}
	s.h.obs = append(s.h.obs, obsRec{At: s.h.now, Node: s.n.id, Observation: env.Observation{Kind: o.Kind, Fields: f}})
}
func (s *stepEnv) Charge(d time.Duration) {
	s.live("Charge")
	if d < 0 {
		s.h.t.Fatalf("%s charged %v", s.n.id, d)
	}
	s.charge += d
}

// ---- the requester's and the harness's side ----

// sign sends a SignRequest from a requester to a signer and returns its id.
func (h *host) sign(from env.NodeID, to mpc.PartyID, key mpc.KeyID, digest []byte) uint64 {
	h.reqID++
	h.inject(from, env.NodeID(to), EncodeSignRequest(SignRequest{ReqID: h.reqID, Key: key, Digest: digest}))
	return h.reqID
}

// arrivals returns the SignResponses addressed to an endpoint: from its
// inbox, or, for a node the host runs (it ignores them), from the wire.
func (h *host) arrivals(to env.NodeID) []SignResponse {
	msgs := h.inbox
	if h.nodes[to] != nil {
		msgs = nil
		for _, m := range h.wire {
			if !m.Dropped {
				msgs = append(msgs, m)
			}
		}
	}
	var out []SignResponse
	for _, m := range msgs {
		if m.To != to || m.Type != MsgSignResponse {
			continue
		}
		if r, ok := DecodeSignResponse(m.Payload); ok {
			out = append(out, r)
		}
	}
	return out
}

// response returns the SignResponse to a request, if one arrived.
func (h *host) response(to env.NodeID, reqID uint64) (SignResponse, bool) {
	for _, r := range h.arrivals(to) {
		if r.ReqID == reqID {
			return r, true
		}
	}
	return SignResponse{}, false
}

// responses counts the SignResponses to a request (there must be one).
func (h *host) responses(to env.NodeID, reqID uint64) int {
	c := 0
	for _, r := range h.arrivals(to) {
		if r.ReqID == reqID {
			c++
		}
	}
	return c
}

// await runs until the request is answered, within d of virtual time.
func (h *host) await(to env.NodeID, reqID uint64, d time.Duration) SignResponse {
	h.t.Helper()
	if !h.runUntil(d, func() bool { _, ok := h.response(to, reqID); return ok }) {
		h.t.Fatalf("seed %d: request %d: no answer within %v\n%s", h.seed, reqID, d, h.logText())
	}
	r, _ := h.response(to, reqID)
	return r
}

// control sends a control text to a signer.
func (h *host) control(from env.NodeID, to mpc.PartyID, text string) {
	h.inject(from, env.NodeID(to), env.Encode(MsgControl, []byte(text)))
}

// ---- the observation log ----

// observed returns the observations of a kind, by node ("" = any).
func (h *host) observed(node mpc.PartyID, kind string) []obsRec {
	var out []obsRec
	for _, o := range h.obs {
		if o.Kind == kind && (node == "" || o.Node == env.NodeID(node)) {
			out = append(out, o)
		}
	}
	return out
}

// since keeps the records at or after t.
func since(recs []obsRec, t time.Time) []obsRec {
	var out []obsRec
	for _, o := range recs {
		if !o.At.Before(t) {
			out = append(out, o)
		}
	}
	return out
}

// logText is the whole observation log, one line a record.
func (h *host) logText() string {
	var b strings.Builder
	for _, o := range h.obs {
		b.WriteString(o.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// wireText is the wire log without payloads: time, route, type, fate.
func (h *host) wireText() string {
	var b strings.Builder
	for _, m := range h.wire {
		fate := ""
		if m.Dropped {
			fate = " dropped"
		}
		if m.Injected {
			fate += " injected"
		}
		fmt.Fprintf(&b, "%v %s->%s t%d %x%s\n", m.At.Sub(env.Epoch), m.From, m.To, m.Type, fnvOf(m.Payload), fate)
	}
	return b.String()
}

func fnvOf(b []byte) uint64 {
	h := fnv.New64a()
	h.Write(b)
	return h.Sum64()
}

// sent returns the messages of a type a node put on the wire (dropped
// ones included), in order.
func (h *host) sent(from mpc.PartyID, t env.MsgType) []wireMsg {
	var out []wireMsg
	for _, m := range h.wire {
		if m.From == env.NodeID(from) && m.Type == t && !m.Injected {
			out = append(out, m)
		}
	}
	return out
}

// ---- committees ----

var shareCache = map[mpc.KeyID][]*mpc.KeyShare{}

// defaultShares returns a default key's test-data shares, decoded once per
// test binary (the nodes only read them).
func defaultShares(t testing.TB, k mpc.KeyID) []*mpc.KeyShare {
	t.Helper()
	if s, ok := shareCache[k]; ok {
		return s
	}
	s, err := mpc.LoadDefaultKey(k)
	if err != nil {
		t.Fatalf("LoadDefaultKey(%s): %v", k, err)
	}
	shareCache[k] = s
	return s
}

// hotKeys are the keys the hot signers hold in these tests: ECDSA and
// EdDSA 2-of-3 over the same three signers.
var hotKeys = []mpc.KeyID{mpc.KeyHot, mpc.KeyHotEd}

// hotConfigs builds the three hot signers' configurations the way the
// in-process deployment does for the ideal engine: the default shares
// (sealed at first start), the engine's public keys, the requester.
func hotConfigs(t testing.TB, engine mpc.Engine, pubs map[mpc.KeyID][]byte, tweak func(*Config)) []Config {
	t.Helper()
	var cfgs []Config
	for i, p := range mpc.HotParties() {
		cfg := Config{ID: p, Shares: map[mpc.KeyID]*mpc.KeyShare{}, PublicKeys: pubs, Engine: engine,
			Requesters: []env.NodeID{requester}}
		for _, k := range hotKeys {
			c, _ := mpc.DefaultCommittee(k)
			sh := defaultShares(t, k)[i]
			if sh.Party != p {
				t.Fatalf("share %d of %s belongs to %s, not %s", i, k, sh.Party, p)
			}
			cfg.Committees = append(cfg.Committees, c)
			cfg.Shares[k] = sh
		}
		if tweak != nil {
			tweak(&cfg)
		}
		cfgs = append(cfgs, cfg)
	}
	return cfgs
}

// newHotHost starts the hot committee on the ideal engine and runs it
// until every signer has sealed its shares.
func newHotHost(t testing.TB, seed uint64, tweak func(*Config)) (*host, map[mpc.KeyID][]byte) {
	t.Helper()
	ideal := mpc.NewIdealDefault(seed)
	pubs := map[mpc.KeyID][]byte{}
	for _, k := range hotKeys {
		pubs[k], _ = ideal.PublicKey(k)
	}
	h := newHost(t, seed)
	for _, cfg := range hotConfigs(t, ideal, pubs, tweak) {
		h.add(cfg)
	}
	h.run(100 * time.Millisecond)
	return h, pubs
}

func hotCommittee(k mpc.KeyID) mpc.Committee {
	c, _ := mpc.DefaultCommittee(k)
	return c
}

// attemptTimeout is how long the coordinator gives one attempt of a key
// with the default round timeout.
func attemptTimeout(k mpc.KeyID) time.Duration {
	rounds := signRoundsECDS
	if hotCommittee(k).Algo == mpc.EdDSA {
		rounds = signRoundsEdDS
	}
	return time.Duration(rounds) * 2 * time.Second
}
