package sim

import (
	"time"

	"vaultdrill/system/env"
	"vaultdrill/system/topology"
)

// Latency is the network's delay model. Delays never depend on a message's
// size or content, only on where it goes and on the network's own stream.
type Latency struct {
	SameRegion  time.Duration // one way, inside a region
	CrossRegion time.Duration // one way, between regions (and to clients)
	JitterMax   time.Duration // uniform extra in [0, JitterMax]
}

// DefaultLatency is a plausible three-region deployment.
var DefaultLatency = Latency{SameRegion: time.Millisecond, CrossRegion: 30 * time.Millisecond, JitterMax: 5 * time.Millisecond}

// LinkFaults are network-wide faults, integer ratios per mille.
type LinkFaults struct {
	LossPerMille    int
	DupPerMille     int
	ReorderPerMille int           // a message gets an extra delay in [0, DelayMax]
	DelayMax        time.Duration // extra delay for reordered messages
}

type link struct{ from, to env.NodeID }

// Network decides, for every send, whether and when it arrives.
type Network struct {
	lat     Latency
	faults  LinkFaults
	blocked map[link]bool
	cut     map[topology.Region]bool
	region  map[env.NodeID]topology.Region
	// intercept, when set, sees every message as it is sent and may
	// replace or drop it (attacks on the wire, a malicious party's
	// outbox). tap sees every message delivered. Both are harness code and
	// must draw randomness only from World.Stream.
	intercept Interceptor
	tap       func(from, to env.NodeID, payload []byte)
	// reliable endpoints are not hit by link faults (loss, duplication,
	// reordering): a courier carries media by hand. Partitions, crashes
	// and region cuts still apply.
	reliable map[env.NodeID]bool

	Sent, Delivered, Dropped, Duplicated uint64
}

func newNetwork(lat Latency) *Network {
	return &Network{
		lat:      lat,
		blocked:  map[link]bool{},
		cut:      map[topology.Region]bool{},
		region:   map[env.NodeID]topology.Region{},
		reliable: map[env.NodeID]bool{},
	}
}

// SetReliable exempts every link of id from the link faults.
func (n *Network) SetReliable(id env.NodeID) { n.reliable[id] = true }

// Partition cuts every link between nodes of different groups, both ways.
// Nodes in no group keep their links.
func (n *Network) Partition(groups [][]env.NodeID) {
	for i, a := range groups {
		for j, b := range groups {
			if i == j {
				continue
			}
			for _, x := range a {
				for _, y := range b {
					n.blocked[link{x, y}] = true
				}
			}
		}
	}
}

// PartitionOneWay cuts from -> to only.
func (n *Network) PartitionOneWay(from, to []env.NodeID) {
	for _, x := range from {
		for _, y := range to {
			n.blocked[link{x, y}] = true
		}
	}
}

// Interceptor may rewrite (return other bytes) or drop a message in flight.
type Interceptor func(from, to env.NodeID, payload []byte) (out []byte, drop bool)

// SetInterceptor installs f (nil removes it).
func (n *Network) SetInterceptor(f Interceptor) { n.intercept = f }

// SetTap installs a function that sees every delivered message (nil
// removes it): how the world observes the wire for the checkers.
func (n *Network) SetTap(f func(from, to env.NodeID, payload []byte)) { n.tap = f }

// Heal removes every partition (region cuts stay; see CutRegion).
func (n *Network) Heal() { clear(n.blocked) }

// CutRegion isolates a region from every other place, or restores it.
func (n *Network) CutRegion(r topology.Region, cut bool) {
	if cut {
		n.cut[r] = true
	} else {
		delete(n.cut, r)
	}
}

// SetFaults sets the network-wide link faults.
func (n *Network) SetFaults(f LinkFaults) { n.faults = f }

// Blocked reports whether from -> to is cut now.
func (n *Network) Blocked(from, to env.NodeID) bool {
	if n.blocked[link{from, to}] {
		return true
	}
	if len(n.cut) > 0 {
		rf, rt := n.region[from], n.region[to]
		if rf != rt && (n.cut[rf] || n.cut[rt]) {
			return true
		}
	}
	return false
}

func (n *Network) delay(w *World, from, to env.NodeID) time.Duration {
	d := n.lat.CrossRegion
	if rf, ok := n.region[from]; ok && rf == n.region[to] {
		d = n.lat.SameRegion
	}
	if n.lat.JitterMax > 0 {
		d += time.Duration(w.netRand.Int64N(int64(n.lat.JitterMax) + 1))
	}
	if !n.reliable[from] && !n.reliable[to] && n.faults.ReorderPerMille > 0 && n.faults.DelayMax > 0 && w.netRand.IntN(1000) < n.faults.ReorderPerMille {
		d += time.Duration(w.netRand.Int64N(int64(n.faults.DelayMax) + 1))
	}
	return d
}

// send schedules delivery (or drops) one message.
func (n *Network) send(w *World, from, to env.NodeID, payload []byte, after time.Duration) {
	n.Sent++
	if n.intercept != nil {
		out, drop := n.intercept(from, to, payload)
		if drop {
			n.Dropped++
			w.tr.drop(w.now, from, to, "intercepted")
			return
		}
		payload = out
	}
	if n.Blocked(from, to) {
		n.Dropped++
		w.tr.drop(w.now, from, to, "partition")
		return
	}
	rel := n.reliable[from] || n.reliable[to]
	if !rel && n.faults.LossPerMille > 0 && w.netRand.IntN(1000) < n.faults.LossPerMille {
		n.Dropped++
		w.tr.drop(w.now, from, to, "loss")
		return
	}
	copies := 1
	if !rel && n.faults.DupPerMille > 0 && w.netRand.IntN(1000) < n.faults.DupPerMille {
		copies = 2
		n.Duplicated++
	}
	for i := 0; i < copies; i++ {
		w.push(&event{at: w.now + after + n.delay(w, from, to), kind: evDeliver, to: to, from: from, payload: payload})
	}
}
