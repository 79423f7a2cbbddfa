package ledger

import (
	"fmt"
	"time"

	"vaultdrill/system/env"
	"vaultdrill/system/topology"
)

// Bug names a planted bug for the harness's self-tests: the checkers must
// catch each one. BugNone is the correct ledger.
type Bug string

const (
	BugNone Bug = ""
	// BugStaleReads: every replica, leader or not, answers balance reads at
	// once from its own applied state, with no ReadIndex and no redirect.
	BugStaleReads Bug = "stale-reads"
	// BugEarlyAck: the leader acknowledges a write right after proposing it,
	// before commit, computing the result from its current applied state.
	BugEarlyAck Bug = "early-ack"
)

// Bugs lists the planted bugs, BugNone excluded, in a fixed order.
var Bugs = []Bug{BugStaleReads, BugEarlyAck}

// ParseBug parses a bug name; "" and "none" are BugNone.
func ParseBug(s string) (Bug, error) {
	switch Bug(s) {
	case BugNone, "none":
		return BugNone, nil
	case BugStaleReads, BugEarlyAck:
		return Bug(s), nil
	}
	return BugNone, fmt.Errorf("ledger: unknown bug %q (known: none, %s, %s)", s, BugStaleReads, BugEarlyAck)
}

// Defaults for the zero fields of Config.
const (
	DefaultTickInterval    = 100 * time.Millisecond
	DefaultElectionTicks   = 10
	DefaultHeartbeatTicks  = 2
	DefaultSnapshotEntries = 1000
	DefaultIdemRetention   = 24 * time.Hour
)

// Config configures one ledger replica.
type Config struct {
	ID     env.NodeID
	RaftID uint64
	// Peers are all ledger replicas (Role ledger, RaftID set), self included.
	Peers []topology.Node
	// TickInterval is the raft tick period (default 100ms).
	TickInterval time.Duration
	// ElectionTicks and HeartbeatTicks are raft's timeouts in ticks
	// (defaults 10 and 2).
	ElectionTicks, HeartbeatTicks int
	// SnapshotEntries: take a snapshot and compact the log every this many
	// applied entries (default 1000).
	SnapshotEntries uint64
	// IdemRetention is how long an idempotency key is remembered, measured
	// between proposal times recorded in the log (default 24h).
	IdemRetention time.Duration
	// PreferredRegion, when set, is where leadership belongs: a leader
	// elsewhere hands it to an up-to-date replica there (see leadership.go).
	// Empty: wherever an election puts it.
	PreferredRegion topology.Region
	Bug             Bug
}

// withDefaults fills zero fields and panics on a configuration that cannot
// run: a missing self, a duplicate or zero raft id.
func (c Config) withDefaults() Config {
	if c.TickInterval <= 0 {
		c.TickInterval = DefaultTickInterval
	}
	if c.ElectionTicks <= 0 {
		c.ElectionTicks = DefaultElectionTicks
	}
	if c.HeartbeatTicks <= 0 {
		c.HeartbeatTicks = DefaultHeartbeatTicks
	}
	if c.SnapshotEntries == 0 {
		c.SnapshotEntries = DefaultSnapshotEntries
	}
	if c.IdemRetention <= 0 {
		c.IdemRetention = DefaultIdemRetention
	}
	if c.ElectionTicks <= c.HeartbeatTicks {
		panic(fmt.Sprintf("ledger: %s: election ticks %d must exceed heartbeat ticks %d", c.ID, c.ElectionTicks, c.HeartbeatTicks))
	}
	if _, err := ParseBug(string(c.Bug)); err != nil {
		panic(err.Error())
	}
	if c.RaftID == 0 {
		panic(fmt.Sprintf("ledger: %s: raft id 0", c.ID))
	}
	self := false
	ids := map[uint64]bool{}
	names := map[env.NodeID]bool{}
	for _, p := range c.Peers {
		if p.RaftID == 0 || ids[p.RaftID] || names[p.ID] {
			panic(fmt.Sprintf("ledger: %s: peer %s has raft id %d: zero or duplicate", c.ID, p.ID, p.RaftID))
		}
		ids[p.RaftID], names[p.ID] = true, true
		if p.ID == c.ID {
			if p.RaftID != c.RaftID {
				panic(fmt.Sprintf("ledger: %s: raft id %d, but the peer list says %d", c.ID, c.RaftID, p.RaftID))
			}
			self = true
		}
	}
	if !self {
		panic(fmt.Sprintf("ledger: %s: not among its own peers", c.ID))
	}
	return c
}
