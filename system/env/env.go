package env

import (
	"io"
	"math/rand/v2"
	"time"
)

// NodeID names one endpoint of the custody system or of the harness (a client
// actor). It is stable across restarts.
type NodeID string

// InputKind says what woke a node.
type InputKind uint8

const (
	// InputStart is the first input of every incarnation: a fresh start or a
	// restart after a crash. The node rebuilds its state from Disk.
	InputStart InputKind = iota + 1
	// InputMessage carries bytes from another endpoint. From is authenticated
	// by the host: a node may trust it.
	InputMessage
	// InputTimer is a timer set with After firing.
	InputTimer
)

func (k InputKind) String() string {
	switch k {
	case InputStart:
		return "start"
	case InputMessage:
		return "msg"
	case InputTimer:
		return "timer"
	}
	return "unknown"
}

// Input is one thing that happens to a node.
type Input struct {
	Kind    InputKind
	From    NodeID // InputMessage: the host-authenticated sender
	Payload []byte // InputMessage: the wire bytes (see Codec)
	Tag     string // InputTimer: the tag given to After
}

// Node is a deterministic state machine. It never touches the world directly:
// all effects go through the Env it is handed, and only during Step.
type Node interface {
	Step(e Env, in Input)
}

// Env is everything a node may see or do. The sim host implements it with
// virtual time and seeded streams; the live host with the real world.
// An Env is only valid during the Step call it was passed to.
type Env interface {
	// ID is the node's own identity.
	ID() NodeID
	// Now is the node's local clock: virtual time plus this node's skew.
	Now() time.Time
	// Rand is this node's seeded stream for decisions.
	Rand() *rand.Rand
	// Entropy is this node's seeded byte stream for crypto libraries.
	Entropy() io.Reader
	// Send hands bytes to the host for delivery. The host may drop, delay,
	// duplicate or reorder them; it never alters them.
	Send(to NodeID, payload []byte)
	// After asks for an InputTimer with tag after d of local time.
	After(d time.Duration, tag string)
	// Disk is this node's durable storage (see Disk for the fault model).
	Disk() Disk
	// Observe reports a fact for the checkers.
	Observe(o Observation)
	// Charge declares a fixed virtual CPU cost for the current step; effects
	// of the step (sends, timers) leave the node after the total charge.
	Charge(d time.Duration)
}

// Disk is a node's durable storage: named files replaced or appended whole.
//
// Fault model: Write and Append go to a volatile buffer and are visible to
// later reads at once; Sync makes every buffered change durable. A crash
// loses whatever was not synced, except that a torn-write fault may leave a
// prefix of the last unsynced Append of a file. Nodes therefore frame their
// records and verify them on start.
type Disk interface {
	Read(name string) ([]byte, bool)
	Write(name string, data []byte)
	Append(name string, data []byte)
	Delete(name string)
	// List returns the names with the prefix, sorted.
	List(prefix string) []string
	Sync()
}

// Observation is a fact reported for the checkers. Fields are sorted by the
// recorder; values are strings so the stream is one plain format.
type Observation struct {
	Kind   string
	Fields map[string]string
}

// Timer tags are plain strings; a node picks its own namespace.

// ObserveKV builds an Observation from alternating key, value pairs.
func ObserveKV(kind string, kv ...string) Observation {
	if len(kv)%2 != 0 {
		panic("env: ObserveKV needs key, value pairs")
	}
	f := make(map[string]string, len(kv)/2)
	for i := 0; i < len(kv); i += 2 {
		f[kv[i]] = kv[i+1]
	}
	return Observation{Kind: kind, Fields: f}
}

// Epoch is virtual time zero: every sim run starts its clocks here.
var Epoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
