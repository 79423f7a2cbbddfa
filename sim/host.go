package sim

import (
	"io"
	"math/rand/v2"
	"time"

	"vaultdrill/system/env"
	"vaultdrill/system/topology"
)

// host runs one node inside the world and is the Env it sees during a step.
type host struct {
	w       *World
	id      env.NodeID
	region  topology.Region
	factory func() env.Node
	node    env.Node

	up     bool
	paused bool
	inc    uint64 // incarnation: bumped by every crash, so old timers die
	skew   time.Duration

	rand    *rand.Rand
	entropy io.Reader
	box     *readerBox
	disk    *Disk

	// During a step: the CPU charge so far and the effects, released after it.
	charge time.Duration
	sends  []pendingSend
	timers []pendingTimer
	// busyUntil: a node works one step at a time; inputs wait for it.
	busyUntil time.Duration
	// held are inputs that arrived while paused, replayed on resume.
	held []*event

	steps uint64
}

type pendingSend struct {
	to      env.NodeID
	payload []byte
}

type pendingTimer struct {
	d   time.Duration
	tag string
}

func (h *host) ID() env.NodeID     { return h.id }
func (h *host) Now() time.Time     { return env.Epoch.Add(h.w.now + h.skew) }
func (h *host) Rand() *rand.Rand   { return h.rand }
func (h *host) Entropy() io.Reader { return h.entropy }
func (h *host) Disk() env.Disk     { return h.disk }

func (h *host) Send(to env.NodeID, payload []byte) {
	h.sends = append(h.sends, pendingSend{to: to, payload: payload})
}

func (h *host) After(d time.Duration, tag string) {
	if d < 0 {
		d = 0
	}
	h.timers = append(h.timers, pendingTimer{d: d, tag: tag})
}

func (h *host) Observe(o env.Observation) {
	if h.w.observe != nil {
		h.w.observe(h.w.now, h.id, "node", o)
	}
}

func (h *host) Charge(d time.Duration) {
	if d > 0 {
		h.charge += d
	}
}

// step runs one input through the node and releases its effects.
func (h *host) step(in env.Input) {
	w := h.w
	h.charge = 0
	h.sends = h.sends[:0]
	h.timers = h.timers[:0]
	h.steps++
	routeTo(h.box)
	h.node.Step(h, in)
	routeTo(nil)
	done := h.charge
	h.busyUntil = w.now + done
	for _, s := range h.sends {
		w.net.send(w, h.id, s.to, s.payload, done)
	}
	for _, t := range h.timers {
		w.push(&event{at: w.now + done + t.d, kind: evTimer, to: h.id, tag: t.tag, inc: h.inc})
	}
}
