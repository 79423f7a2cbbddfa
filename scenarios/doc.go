// Package scenarios owns drills as data and the machinery that runs them.
//
//   - The scenario format (format.go, strict.go): YAML with a schema version,
//     decoded strictly (an unknown key is an error naming file and line);
//     workloads and expectations are named by kinds looked up in registries
//     (registry.go), so later components add kinds without changing the
//     format. Command-line overrides (--set key=value) edit the document
//     before decoding and are part of the scenario hash and the replay
//     command.
//   - The built-in drills (drills/*.yaml, embedded).
//   - The runner (run.go): one run wires a sim world, the in-process
//     deployment of the custody system, the workload's actors, the fault plan
//     (generated from the seed and/or written) and the checkers, and returns
//     the report and its evidence.
//   - The in-process deployment (inprocess.go), which implements
//     faults.Target on the simulator.
//   - Workload actors (workload.go): closed-loop ledger clients that record
//     the history Jepsen-style (invoke, then ok, fail or info).
//
// Determinism: everything a run does is driven by the world's event queue;
// the harness code here runs inside it (client actors as world nodes, faults
// as scheduled calls) and draws randomness only from streams derived from
// the seed. The only wall-clock reads are the interrupt poll and the
// bench-only phase timings, neither of which reaches the report.
package scenarios
