package sim

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"sort"
	"time"

	"vaultdrill/system/env"
	"vaultdrill/system/topology"
)

// Config sets up a world. Everything random is drawn from Seed.
type Config struct {
	Seed    uint64
	Latency Latency
	// Trace, if set, receives one readable line per event.
	Trace interface{ Write([]byte) (int, error) }
	// TraceContent, if set, picks the part of a message's bytes the trace
	// hash covers (default: all of it). Protocols whose message content is
	// not reproducible even from a seed (tss-lib's ECDSA round 2 reads its
	// reader from two goroutines) are traced by type, sender, receiver and
	// time only, per ARCHITECTURE.md.
	TraceContent func(payload []byte) []byte
	// Observe receives every observation, with virtual time since the epoch.
	// source is "node" (reported through env.Observe) or "world".
	Observe func(at time.Duration, node env.NodeID, source string, o env.Observation)
}

// World is the deterministic universe: one goroutine, one queue ordered by
// (virtual time, sequence), one root seed.
type World struct {
	seed    uint64
	now     time.Duration
	seq     uint64
	q       eventHeap
	hosts   map[env.NodeID]*host
	order   []env.NodeID
	net     *Network
	netRand *rand.Rand
	diskRnd *rand.Rand
	tr      *trace
	observe func(time.Duration, env.NodeID, string, env.Observation)

	Events uint64 // events processed
	Steps  uint64 // node steps run
}

// New makes an empty world.
func New(cfg Config) *World {
	installRouter()
	if cfg.Latency == (Latency{}) {
		cfg.Latency = DefaultLatency
	}
	w := &World{
		seed:    cfg.Seed,
		hosts:   map[env.NodeID]*host{},
		net:     newNetwork(cfg.Latency),
		netRand: NewRand(cfg.Seed, "sim/network"),
		diskRnd: NewRand(cfg.Seed, "sim/disk"),
		tr:      newTrace(cfg.Trace, cfg.TraceContent),
		observe: cfg.Observe,
	}
	return w
}

// Stream returns a seeded stream for harness code (an attacker, an
// interceptor) by a stable name: the same name gives the same stream for the
// same seed, and adding a stream shifts no other.
func (w *World) Stream(name string) *rand.Rand { return NewRand(w.seed, "harness/"+name) }

// Seed is the root seed.
func (w *World) Seed() uint64 { return w.seed }

// Now is virtual time since the epoch.
func (w *World) Now() time.Duration { return w.now }

// Network exposes the network's controls and counters.
func (w *World) Network() *Network { return w.net }

// TraceHash is the SHA-256 over every event so far.
func (w *World) TraceHash() string { return w.tr.sum() }

// Add places a node and starts it now. factory builds a fresh incarnation
// (on start and after every crash); the node's streams derive from its id.
func (w *World) Add(id env.NodeID, region topology.Region, factory func() env.Node) {
	if _, dup := w.hosts[id]; dup {
		panic(fmt.Sprintf("sim: node %s added twice", id))
	}
	ent := NewEntropy(w.seed, "node/"+string(id))
	h := &host{
		w: w, id: id, region: region, factory: factory,
		rand:    NewRand(w.seed, "node/"+string(id)),
		entropy: ent,
		box:     &readerBox{r: ent},
		disk:    newDisk(),
	}
	w.hosts[id] = h
	w.order = append(w.order, id)
	sort.Slice(w.order, func(i, j int) bool { return w.order[i] < w.order[j] })
	w.net.region[id] = region
	w.start(h)
}

func (w *World) start(h *host) {
	h.node = h.factory()
	h.up = true
	h.paused = false
	h.busyUntil = w.now
	w.tr.record(w.now, 'S', h.id, "", "start", nil)
	h.step(env.Input{Kind: env.InputStart})
}

func (w *World) host(id env.NodeID) *host {
	h, ok := w.hosts[id]
	if !ok {
		panic(fmt.Sprintf("sim: unknown node %s", id))
	}
	return h
}

// Has reports whether a node is in the world.
func (w *World) Has(id env.NodeID) bool { _, ok := w.hosts[id]; return ok }

// Nodes returns every node id, sorted.
func (w *World) Nodes() []env.NodeID { return append([]env.NodeID(nil), w.order...) }

// Up reports whether the node runs (not crashed; it may be paused).
func (w *World) Up(id env.NodeID) bool { return w.host(id).up }

// Paused reports whether the node is paused.
func (w *World) Paused(id env.NodeID) bool { return w.host(id).paused }

// Disk returns a node's simulated disk (for scans and tests).
func (w *World) Disk(id env.NodeID) *Disk { return w.host(id).disk }

// Crash stops a node at once: its volatile disk state, pending timers and
// held inputs are lost; messages to it are dropped until it restarts.
func (w *World) Crash(id env.NodeID) {
	h := w.host(id)
	if !h.up {
		return
	}
	h.up = false
	h.paused = false
	h.node = nil
	h.inc++
	h.held = nil
	torn := h.disk.crash(w.diskRnd)
	w.tr.record(w.now, 'C', id, "", "crash", nil)
	w.worldObserve(id, "world.crash")
	for _, f := range torn {
		w.worldObserve(id, "world.disk_torn", "file", f)
	}
}

// Restart starts a fresh incarnation of a crashed node from its disk.
func (w *World) Restart(id env.NodeID) {
	h := w.host(id)
	if h.up {
		return
	}
	w.worldObserve(id, "world.restart")
	w.start(h)
}

// Pause freezes a node: inputs wait until Resume (a stopped process).
func (w *World) Pause(id env.NodeID) {
	h := w.host(id)
	if h.up {
		h.paused = true
		w.tr.record(w.now, 'P', id, "", "pause", nil)
	}
}

// Resume releases a paused node; held inputs arrive now, in order.
func (w *World) Resume(id env.NodeID) {
	h := w.host(id)
	if !h.paused {
		return
	}
	h.paused = false
	w.tr.record(w.now, 'R', id, "", "resume", nil)
	held := h.held
	h.held = nil
	for _, e := range held {
		e.at = w.now
		w.push(e)
	}
}

// SetSkew sets a node's clock offset: only its Now moves; timers measure
// intervals and are unaffected, like a monotonic clock.
func (w *World) SetSkew(id env.NodeID, d time.Duration) { w.host(id).skew = d }

// Skew returns a node's clock offset.
func (w *World) Skew(id env.NodeID) time.Duration { return w.host(id).skew }

// ArmTornWrite makes the node's next crash tear its unsynced appends.
func (w *World) ArmTornWrite(id env.NodeID) { w.host(id).disk.tornArmed = true }

// At schedules harness code (a fault, a workload tick) at virtual time t.
// It runs outside any node step: it must not read crypto/rand.
func (w *World) At(t time.Duration, name string, fn func()) {
	if t < w.now {
		t = w.now
	}
	w.push(&event{at: t, kind: evCall, call: fn, name: name})
}

// Inject delivers bytes to a node as if sent by from, now (harness actors
// that are not nodes use it; nodes use Send).
func (w *World) Inject(from, to env.NodeID, payload []byte) {
	w.net.send(w, from, to, payload, 0)
}

func (w *World) worldObserve(id env.NodeID, kind string, kv ...string) {
	if w.observe != nil {
		w.observe(w.now, id, "world", env.ObserveKV(kind, kv...))
	}
}

// RunUntil processes events up to and including virtual time t.
func (w *World) RunUntil(t time.Duration) {
	for len(w.q) > 0 && w.q[0].at <= t {
		w.runOne(heap.Pop(&w.q).(*event))
	}
	if w.now < t {
		w.now = t
	}
}

// RunFor advances virtual time by d.
func (w *World) RunFor(d time.Duration) { w.RunUntil(w.now + d) }

// Pending is the number of queued events.
func (w *World) Pending() int { return len(w.q) }

func (w *World) runOne(e *event) {
	if e.at < w.now {
		panic(fmt.Sprintf("sim: time went backwards: event at %v, now %v", e.at, w.now))
	}
	w.now = e.at
	w.Events++
	switch e.kind {
	case evCall:
		w.tr.record(w.now, 'F', "", "", e.name, nil)
		e.call()
		return
	case evDeliver:
		h, ok := w.hosts[e.to]
		if !ok {
			w.tr.drop(w.now, e.from, e.to, "no such node")
			return
		}
		if !h.up {
			w.net.Dropped++
			w.tr.drop(w.now, e.from, e.to, "down")
			return
		}
		if w.net.Blocked(e.from, e.to) {
			w.net.Dropped++
			w.tr.drop(w.now, e.from, e.to, "partition")
			return
		}
		if w.defer_(h, e) {
			return
		}
		w.net.Delivered++
		w.tr.record(w.now, 'M', e.to, e.from, "", e.payload)
		if w.net.tap != nil {
			w.net.tap(e.from, e.to, e.payload)
		}
		w.Steps++
		h.step(env.Input{Kind: env.InputMessage, From: e.from, Payload: e.payload})
	case evTimer:
		h := w.hosts[e.to]
		if !h.up || e.inc != h.inc {
			return // a timer of a dead incarnation
		}
		if w.defer_(h, e) {
			return
		}
		w.tr.record(w.now, 'T', e.to, "", e.tag, nil)
		w.Steps++
		h.step(env.Input{Kind: env.InputTimer, Tag: e.tag})
	}
}

// defer_ holds inputs of paused nodes and delays inputs of busy ones.
func (w *World) defer_(h *host, e *event) bool {
	if h.paused {
		h.held = append(h.held, e)
		return true
	}
	if h.busyUntil > w.now {
		e.at = h.busyUntil
		w.push(e)
		return true
	}
	return false
}
