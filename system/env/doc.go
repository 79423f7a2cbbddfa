// Package env is the boundary between a custody node and the host that runs it.
//
// It owns the Node interface (Step in, effects out), the Env a node sees during
// a step (clock, seeded randomness, sends, timers, disk, observations, virtual
// CPU cost) and the wire codec every message crosses a host in.
//
// Determinism contract: a node that only uses its Env, never globals, behaves
// identically for the same inputs. Two hosts implement Env: sim (deterministic)
// and system/live (real processes). Nodes never share pointers: only bytes.
package env
