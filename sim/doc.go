// Package sim is the deterministic world the custody system runs in: a
// virtual clock, one event queue ordered by (virtual time, sequence number)
// processed by one goroutine, a seed tree, a simulated network (latency,
// loss, duplication, reordering, symmetric and one-way partitions, region
// cuts), simulated disks (see Disk for the fault model), node crash, restart
// and pause, per-node clock skew, and a trace whose hash proves two runs
// identical.
//
// Determinism contract: the world draws every random choice from streams
// derived from one root seed by stable names (Derive), never iterates a map
// where order reaches the outcome, never reads the wall clock and starts no
// goroutine. During a node's step crypto/rand.Reader is routed to that node's
// entropy stream (entropy.go, the one file allowed to touch crypto/rand); a
// read outside any step panics. The router is process-wide, so a process runs
// one world at a time.
//
// sim knows no custody logic: it imports system/env and system/topology only.
package sim
