package chain

import (
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"vaultdrill/system/env"
	"vaultdrill/system/env/envtest"
)

// A small deterministic host for the package's tests: one chain node, a
// manual virtual clock, one event queue ordered by (time, seq), a
// map-backed disk with the env.Disk crash semantics, fixed-latency
// delivery, crash and restart. Clients are plain node ids; their answers
// land in per-kind inboxes keyed by request id.

const (
	testLatency = time.Millisecond
	chainID     = env.NodeID("chain")
	userID      = env.NodeID("user")
	testSeed    = 7
	startFunds  = 1_000_000
)

// The parties funded at genesis, by name.
var parties = []string{"alice", "bob", "carol", "dave", "mallory", "merchant", "custody-hot"}

type event struct {
	at  time.Time
	to  env.NodeID
	inc int // the incarnation a timer or start belongs to
	in  env.Input
}

type world struct {
	t       *testing.T
	flavour string
	cfg     Config
	keys    map[string]Key
	now     time.Time
	q       envtest.Queue[event]
	node    *Node
	disk    *memDisk
	up      bool
	inc     int
	rng     *rand.Rand
	obs     []env.Observation
	charge  time.Duration

	reqID    uint64
	submits  map[uint64]SubmitResult
	queries  map[uint64]QueryResult
	controls map[uint64]ControlResult
	// ctlAnswers counts every ControlResult, id or not.
	ctlAnswers int
}

// newWorld starts a chain of the flavour with every party funded.
func newWorld(t *testing.T, flavour string, tweak func(*Config)) *world {
	t.Helper()
	w := &world{
		t: t, flavour: flavour, keys: map[string]Key{}, now: env.Epoch, disk: newMemDisk(),
		rng:     rand.New(rand.NewPCG(testSeed, 1)),
		submits: map[uint64]SubmitResult{}, queries: map[uint64]QueryResult{}, controls: map[uint64]ControlResult{},
	}
	cfg := Config{ID: chainID, Flavour: flavour}
	for _, p := range parties {
		k := MustExternalKey(testSeed, p, flavour)
		w.keys[p] = k
		cfg.Genesis = append(cfg.Genesis, Allocation{Address: k.Address, Amount: startFunds})
	}
	if tweak != nil {
		tweak(&cfg)
	}
	w.cfg = cfg
	w.restart()
	w.run(time.Millisecond)
	return w
}

func (w *world) key(name string) Key { return w.keys[name] }
func (w *world) addr(name string) string {
	k, ok := w.keys[name]
	if !ok {
		w.t.Fatalf("no party %q", name)
	}
	return k.Address
}

func (w *world) interval() time.Duration { return w.node.cfg.BlockInterval }

func (w *world) push(ev event) {
	w.q.Push(ev.at, ev)
}

// restart boots a fresh Node on the disk.
func (w *world) restart() {
	w.inc++
	w.up = true
	w.node = New(w.cfg)
	w.push(event{at: w.now, to: chainID, inc: w.inc, in: env.Input{Kind: env.InputStart}})
}

// crash stops the node; the disk loses what was not synced.
func (w *world) crash(torn bool) {
	w.up = false
	w.inc++
	w.disk.Crash(torn, w.rng)
}

func (w *world) run(d time.Duration) { w.runUntil(w.now.Add(d), func() bool { return false }) }

// runBlocks runs n block intervals.
func (w *world) runBlocks(n int) { w.run(time.Duration(n) * w.interval()) }

func (w *world) runUntil(deadline time.Time, done func() bool) bool {
	for !done() {
		if next, ok := w.q.Next(); !ok || next.After(deadline) {
			w.now = deadline
			return done()
		}
		ev := w.q.Pop()
		w.now = ev.at
		w.deliver(ev)
	}
	return true
}

func (w *world) deliver(ev event) {
	if ev.to != chainID {
		w.answer(ev.in.Payload)
		return
	}
	if !w.up || (ev.in.Kind != env.InputMessage && ev.inc != w.inc) {
		return
	}
	se := &stepEnv{w: w}
	w.node.Step(se, ev.in)
	w.charge += se.charge
	at := w.now.Add(se.charge)
	for _, s := range se.sends {
		w.push(event{at: at.Add(testLatency), to: s.to, in: env.Input{Kind: env.InputMessage, From: chainID, Payload: s.payload}})
	}
	for _, tm := range se.timers {
		w.push(event{at: at.Add(tm.d), to: chainID, inc: w.inc, in: env.Input{Kind: env.InputTimer, Tag: tm.tag}})
	}
}

// answer files a message the chain sent to a client.
func (w *world) answer(payload []byte) {
	t, body, err := env.Decode(payload)
	if err != nil {
		w.t.Fatalf("client got undecodable bytes: %v", err)
	}
	switch t {
	case MsgSubmitResult:
		r, err := DecodeSubmitResult(body)
		if err != nil {
			w.t.Fatalf("bad submit result: %v", err)
		}
		w.submits[r.ID] = r
	case MsgQueryResult:
		r, err := DecodeQueryResult(body)
		if err != nil {
			w.t.Fatalf("bad query result: %v", err)
		}
		w.queries[r.ID] = r
	case MsgControlResult:
		r, err := DecodeControlResult(body)
		if err != nil {
			w.t.Fatalf("bad control result: %v", err)
		}
		w.controls[r.ID] = r
		w.ctlAnswers++
	default:
		w.t.Fatalf("client got message type %d", t)
	}
}

type stepEnv struct {
	w      *world
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

func (s *stepEnv) ID() env.NodeID     { return chainID }
func (s *stepEnv) Now() time.Time     { return s.w.now }
func (s *stepEnv) Rand() *rand.Rand   { return s.w.rng }
func (s *stepEnv) Entropy() io.Reader { return rand.NewChaCha8([32]byte{byte(s.w.inc)}) }
func (s *stepEnv) Send(to env.NodeID, payload []byte) {
	s.sends = append(s.sends, struct {
		to      env.NodeID
		payload []byte
	}{to, append([]byte(nil), payload...)})
}
func (s *stepEnv) After(d time.Duration, tag string) {
	s.timers = append(s.timers, struct {
		d   time.Duration
		tag string
	}{d, tag})
}
func (s *stepEnv) Disk() env.Disk            { return s.w.disk }
func (s *stepEnv) Observe(o env.Observation) { s.w.obs = append(s.w.obs, o) }
func (s *stepEnv) Charge(d time.Duration)    { s.charge += d }

// send delivers a payload from a client to the chain after the latency.
func (w *world) send(from env.NodeID, payload []byte) {
	w.push(event{at: w.now.Add(testLatency), to: chainID, in: env.Input{Kind: env.InputMessage, From: from, Payload: payload}})
}

func (w *world) nextID() uint64 { w.reqID++; return w.reqID }

// submitRaw submits bytes and waits for the answer.
func (w *world) submitRaw(raw []byte) SubmitResult {
	w.t.Helper()
	id := w.nextID()
	w.send(userID, EncodeSubmit(Submit{ID: id, Raw: raw}))
	if !w.runUntil(w.now.Add(time.Second), func() bool { _, ok := w.submits[id]; return ok }) {
		w.t.Fatalf("submit %d: no answer", id)
	}
	return w.submits[id]
}

func (w *world) submit(t Tx) SubmitResult { w.t.Helper(); return w.submitRaw(EncodeTx(t)) }

// mustSubmit submits and fails unless accepted.
func (w *world) mustSubmit(t Tx) string {
	w.t.Helper()
	r := w.submit(t)
	if !r.Accepted {
		w.t.Fatalf("tx %+v refused: %s: %s", t, r.Reason, r.Detail)
	}
	return r.TxID
}

func (w *world) query(q Query) QueryResult {
	w.t.Helper()
	q.ID = w.nextID()
	w.send(userID, EncodeQuery(q))
	if !w.runUntil(w.now.Add(time.Second), func() bool { _, ok := w.queries[q.ID]; return ok }) {
		w.t.Fatalf("query %+v: no answer", q)
	}
	return w.queries[q.ID]
}

func (w *world) txStatus(id string) QueryResult {
	w.t.Helper()
	return w.query(Query{Kind: QueryTx, TxID: id})
}

func (w *world) account(name string) QueryResult {
	w.t.Helper()
	return w.query(Query{Kind: QueryAccount, Address: w.addr(name)})
}

func (w *world) tip() uint64 { w.t.Helper(); return w.query(Query{Kind: QueryTip}).Tip }

// control sends a control message from a sender and reports its answer.
func (w *world) control(from env.NodeID, c Control) (ControlResult, bool) {
	w.t.Helper()
	c.ID = w.nextID()
	w.send(from, EncodeControl(c))
	ok := w.runUntil(w.now.Add(time.Second), func() bool { _, ok := w.controls[c.ID]; return ok })
	return w.controls[c.ID], ok
}

func (w *world) mustControl(c Control) ControlResult {
	w.t.Helper()
	r, ok := w.control(ControlSender, c)
	if !ok || !r.OK {
		w.t.Fatalf("control %+v: answered %v, %+v", c, ok, r)
	}
	return r
}

// observed returns the observations of a kind.
func (w *world) observed(kind string) []env.Observation {
	var out []env.Observation
	for _, o := range w.obs {
		if o.Kind == kind {
			out = append(out, o)
		}
	}
	return out
}

// canonical replays chain.tx and chain.reorg observations the way a checker
// would, returning the txids mined on the canonical chain now, by height.
func (w *world) canonical() map[string]string {
	type inc struct{ id, height string }
	var mined []inc
	for _, o := range w.obs {
		switch o.Kind {
		case ObsTx:
			mined = append(mined, inc{o.Fields["txid"], o.Fields["height"]})
		case ObsReorg:
			tip := atoi(w.t, o.Fields["new_tip"])
			kept := mined[:0]
			for _, m := range mined {
				if atoi(w.t, m.height) <= tip {
					kept = append(kept, m)
				}
			}
			mined = kept
		}
	}
	out := map[string]string{}
	for _, m := range mined {
		if _, dup := out[m.id]; dup {
			w.t.Fatalf("tx %s mined twice on the canonical chain", m.id)
		}
		out[m.id] = m.height
	}
	return out
}

func atoi(t *testing.T, s string) uint64 {
	t.Helper()
	var n uint64
	if s == "" {
		t.Fatalf("empty number")
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			t.Fatalf("not a number: %q", s)
		}
		n = n*10 + uint64(c-'0')
	}
	return n
}

type memDisk = envtest.MemDisk

func newMemDisk() *memDisk { return envtest.NewMemDisk() }
