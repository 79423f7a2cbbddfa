package ledger

import (
	"fmt"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"vaultdrill/system/api"
	"vaultdrill/system/env"
	"vaultdrill/system/env/envtest"
	"vaultdrill/system/topology"
)

// A small deterministic host for the package's tests: a manual virtual
// clock, one event queue ordered by (time, seq), map-backed disks with the
// env.Disk crash semantics, fixed-latency delivery with directed cuts, and
// crash/restart. (raft's election jitter still comes from crypto/rand, so
// runs differ in detail; tests assert properties, not traces.)

const (
	testLatency = time.Millisecond
	clientID    = env.NodeID("client")
)

type event struct {
	at  time.Time
	to  env.NodeID
	inc int // the incarnation a timer belongs to
	in  env.Input
}

type obsRec struct {
	at   time.Time
	node env.NodeID
	env.Observation
}

type host struct {
	id   env.NodeID
	cfg  Config
	node *Node
	disk *memDisk
	up   bool
	inc  int
	rng  *rand.Rand
}

type world struct {
	t     *testing.T
	now   time.Time
	q     envtest.Queue[event]
	hosts map[env.NodeID]*host
	ids   []env.NodeID // ledger replicas in raft id order
	// cut holds directed links (from, to) that drop everything.
	cut   map[[2]env.NodeID]bool
	obs   []obsRec
	inbox map[uint64]api.Response // client responses by request id
	late  map[uint64]time.Time    // when each response arrived
	reqID uint64
	steps int
	// drop, when set, may discard a message between replicas.
	drop func(from, to env.NodeID, payload []byte) bool
}

// newWorld starts n replicas; tweak adjusts every replica's config.
func newWorld(t *testing.T, n int, tweak func(*Config)) *world {
	t.Helper()
	w := &world{
		t: t, now: env.Epoch, hosts: map[env.NodeID]*host{},
		cut: map[[2]env.NodeID]bool{}, inbox: map[uint64]api.Response{}, late: map[uint64]time.Time{},
	}
	topo := topology.Ledger([]topology.Region{topology.Primary}, []int{n})
	peers := topo.ByRole(topology.RoleLedger)
	for i, p := range peers {
		cfg := Config{ID: p.ID, RaftID: p.RaftID, Peers: peers}
		if tweak != nil {
			tweak(&cfg)
		}
		h := &host{id: p.ID, cfg: cfg, disk: newMemDisk(), rng: rand.New(rand.NewPCG(42, uint64(i)))}
		w.hosts[p.ID] = h
		w.ids = append(w.ids, p.ID)
		w.restart(p.ID)
	}
	return w
}

func (w *world) push(ev event) {
	w.q.Push(ev.at, ev)
}

// restart boots a fresh Node on the host's disk.
func (w *world) restart(id env.NodeID) {
	h := w.hosts[id]
	h.inc++
	h.up = true
	h.node = New(h.cfg)
	w.push(event{at: w.now, to: id, inc: h.inc, in: env.Input{Kind: env.InputStart}})
}

// crash stops a node; the disk loses what was not synced (and, when torn,
// keeps a random prefix of unsynced appends).
func (w *world) crash(id env.NodeID, torn bool) []string {
	h := w.hosts[id]
	h.up = false
	h.inc++
	return h.disk.Crash(torn, h.rng)
}

func (w *world) isolate(id env.NodeID) {
	for _, o := range w.ids {
		if o != id {
			w.cut[[2]env.NodeID{id, o}] = true
			w.cut[[2]env.NodeID{o, id}] = true
		}
	}
}

func (w *world) heal() { clear(w.cut) }

// run processes events up to now+d.
func (w *world) run(d time.Duration) { w.runUntil(w.now.Add(d), func() bool { return false }) }

// runUntil processes events until done() or the deadline; it reports done().
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
	if ev.to == clientID {
		_, body, err := env.Decode(ev.in.Payload)
		if err != nil {
			w.t.Fatalf("client got undecodable bytes: %v", err)
		}
		resp, err := api.DecodeResponse(body)
		if err != nil {
			w.t.Fatalf("client got a bad response: %v", err)
		}
		if _, dup := w.inbox[resp.ID]; !dup {
			w.inbox[resp.ID] = resp
			w.late[resp.ID] = w.now
		}
		return
	}
	h := w.hosts[ev.to]
	if h == nil || !h.up {
		return
	}
	if ev.in.Kind != env.InputMessage && ev.inc != h.inc {
		return // a timer or start of a dead incarnation
	}
	if ev.in.Kind == env.InputMessage && w.cut[[2]env.NodeID{ev.in.From, ev.to}] {
		return
	}
	if ev.in.Kind == env.InputMessage && w.drop != nil && w.drop(ev.in.From, ev.to, ev.in.Payload) {
		return
	}
	se := &stepEnv{w: w, h: h}
	w.steps++
	h.node.Step(se, ev.in)
	at := w.now.Add(se.charge)
	for _, s := range se.sends {
		w.push(event{at: at.Add(testLatency), to: s.to, in: env.Input{Kind: env.InputMessage, From: h.id, Payload: s.payload}})
	}
	for _, tm := range se.timers {
		w.push(event{at: at.Add(tm.d), to: h.id, inc: h.inc, in: env.Input{Kind: env.InputTimer, Tag: tm.tag}})
	}
}

type stepEnv struct {
	w      *world
	h      *host
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

func (s *stepEnv) ID() env.NodeID     { return s.h.id }
func (s *stepEnv) Now() time.Time     { return s.w.now }
func (s *stepEnv) Rand() *rand.Rand   { return s.h.rng }
func (s *stepEnv) Entropy() io.Reader { return rand.NewChaCha8([32]byte{byte(s.h.inc)}) }
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
func (s *stepEnv) Disk() env.Disk { return s.h.disk }
func (s *stepEnv) Observe(o env.Observation) {
	s.w.obs = append(s.w.obs, obsRec{at: s.w.now, node: s.h.id, Observation: o})
}
func (s *stepEnv) Charge(d time.Duration) { s.charge += d }

// submit sends a client request and returns its id.
func (w *world) submit(to env.NodeID, req api.Request) uint64 {
	w.reqID++
	req.ID = w.reqID
	w.push(event{at: w.now.Add(testLatency), to: to, in: env.Input{Kind: env.InputMessage, From: clientID, Payload: api.EncodeRequest(req)}})
	return req.ID
}

// call sends one request and waits for its response.
func (w *world) call(to env.NodeID, req api.Request, timeout time.Duration) (api.Response, bool) {
	id := w.submit(to, req)
	ok := w.runUntil(w.now.Add(timeout), func() bool { _, ok := w.inbox[id]; return ok })
	return w.inbox[id], ok
}

// leader returns the one up replica that is leader in the highest term.
func (w *world) leader() (env.NodeID, bool) {
	var best env.NodeID
	var term uint64
	for _, id := range w.ids {
		h := w.hosts[id]
		if !h.up || h.node.rn == nil {
			continue
		}
		st := h.node.rn.BasicStatus()
		if h.node.isLeader() && st.Term > term {
			best, term = id, st.Term
		}
	}
	return best, best != ""
}

// awaitLeader runs until a leader is known to every up replica.
func (w *world) awaitLeader(timeout time.Duration) env.NodeID {
	w.t.Helper()
	var lead env.NodeID
	ok := w.runUntil(w.now.Add(timeout), func() bool {
		l, ok := w.leader()
		if !ok {
			return false
		}
		rid := w.hosts[l].cfg.RaftID
		for _, id := range w.ids {
			h := w.hosts[id]
			if h.up && h.node.rn.BasicStatus().Lead != rid {
				return false
			}
		}
		lead = l
		return true
	})
	if !ok {
		w.t.Fatalf("no leader within %v", timeout)
	}
	return lead
}

// do sends a request to the leader, following redirects and retrying until
// a definite answer or the timeout.
func (w *world) do(req api.Request, timeout time.Duration) (api.Response, bool) {
	deadline := w.now.Add(timeout)
	to := w.ids[0]
	for w.now.Before(deadline) {
		resp, ok := w.call(to, req, 500*time.Millisecond)
		switch {
		case !ok:
			if l, ok := w.leader(); ok {
				to = l
			}
		case resp.Status == api.StatusRedirect && resp.Leader != "":
			to = resp.Leader
		case resp.Status == api.StatusRedirect:
			w.run(100 * time.Millisecond)
		default:
			return resp, true
		}
	}
	return api.Response{}, false
}

func (w *world) mustDo(req api.Request) api.Response {
	w.t.Helper()
	resp, ok := w.do(req, 10*time.Second)
	if !ok {
		w.t.Fatalf("%+v: no definite answer", req)
	}
	return resp
}

// observed returns the observations of a kind, optionally of one node.
func (w *world) observed(kind string, node env.NodeID) []obsRec {
	var out []obsRec
	for _, o := range w.obs {
		if o.Kind == kind && (node == "" || o.node == node) {
			out = append(out, o)
		}
	}
	return out
}

// checkDigests fails if two observations name different digests for one
// log index (apply or restore), across or within replicas.
func (w *world) checkDigests() int {
	w.t.Helper()
	seen := map[string]string{}
	where := map[string]env.NodeID{}
	for _, o := range w.obs {
		if o.Kind != ObsApply && o.Kind != ObsRestore {
			continue
		}
		idx, d := o.Fields["index"], o.Fields["digest"]
		if old, ok := seen[idx]; ok && old != d {
			w.t.Fatalf("index %s: %s reports digest %s, %s reported %s", idx, o.node, d, where[idx], old)
		}
		seen[idx], where[idx] = d, o.node
	}
	return len(seen)
}

// balances returns each up replica's applied balance of an account after
// letting replication settle.
func (w *world) settledBalances(account string) map[env.NodeID]int64 {
	w.run(2 * time.Second)
	out := map[env.NodeID]int64{}
	for _, id := range w.ids {
		if h := w.hosts[id]; h.up {
			out[id] = h.node.sm.balance(account)
		}
	}
	return out
}

func acct(i int) string { return fmt.Sprintf("acct-%d", i) }

type memDisk = envtest.MemDisk

func newMemDisk() *memDisk { return envtest.NewMemDisk() }
