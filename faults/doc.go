// Package faults owns the fault catalog as data, fault plans, their text form,
// their generation from a seed, and Target: the interface every deployment
// implements (in-process on the simulator, containers later) so one scenario
// runs against both.
//
// # What it owns
//
//   - kinds.go: Kind and the catalog (KindInfo: whether a kind starts a fault
//     or undoes one, its undo, its argument syntax, a summary for --help).
//   - plan.go: Action, Link and Plan (actions sorted by time, written order
//     kept for equal times), Validate against a topology, Counts, Merge.
//   - text.go: Plan.String and ParsePlan, its inverse.
//   - generate.go: GenSpec and Generate, a plan drawn from a *rand.Rand.
//   - target.go: Target and Apply, which performs one action on a Target.
//
// Faults are data: a plan is generated from a seed or written by hand,
// printed in full in the report, and round-trips through text, so a failing
// run's faults can be read, edited and replayed. Probabilities are integer
// ratios per mille, never floats, so a plan prints and compares exactly.
//
// # Text grammar
//
// One action per line. Blank lines are skipped; # starts a comment that runs
// to the end of the line. Tokens are separated by spaces or tabs.
//
//	line     = [ action ] [ "#" comment ]
//	action   = time kind args
//	time     = ["+"] duration          since the run's start; not negative
//	duration = a Go duration: 5m0s, 90s, 1h30m, 250ms, -1m30s
//	name     = 1*( letter | digit | "-" | "_" | "." | ":" )   ASCII
//	nodes    = name { "," name }       no spaces inside a list
//
//	crash | restart | pause | resume | disk-torn   nodes
//	skew | clock-jump                              nodes duration   (may be negative)
//	partition                                      nodes "|" nodes { "|" nodes }
//	partition-oneway                               nodes "->" nodes   (from -> to)
//	region-down | region-up                        name
//	heal | heal-all | mpc-clear                    (no arguments)
//	hsm                                            nodes fault-text   (the HSM's fault, e.g. device-error 2)
//	mpc-tamper | mpc-withhold | mpc-replay | mpc-spoof   nodes
//	chain-reorg                                    1..1000   (blocks undone)
//	chain-fee-spike                                1..1000   (minimum-fee multiplier; 1 ends it)
//	links                                          "off" | setting { setting }
//	setting  = ("loss" | "dup" | "reorder") "=" 0..1000  |  "delay=" duration (>= 0)
//
// In links, each setting appears at most once and an omitted one is zero;
// "off" is the zero setting. Spaces around "|" are optional. Lines may come in
// any order: ParsePlan sorts actions by time, keeping written order for equal
// times. ParsePlan checks syntax; Plan.Validate checks a plan against a
// topology (known nodes and regions, disjoint non-empty groups, sorted times).
//
// String writes the canonical form: "+" and Go's Duration.String for times,
// single spaces, " | " between groups, and for links either "off" or all four
// settings in the order loss, dup, reorder, delay. For every plan p that
// Validate accepts, ParsePlan(p.String()) equals p, and for every text that
// ParsePlan accepts, printing and parsing again gives the same plan.
//
// A plan's text:
//
//	+0s links loss=10 dup=5 reorder=20 delay=50ms
//	+1m0s partition ledger-1,ledger-2 | ledger-3,ledger-4,ledger-5
//	+2m0s region-down primary
//	+2m30s heal
//	+3m0s skew ledger-4 -1m30s
//	+3m0s partition-oneway ledger-3 -> ledger-4,ledger-5
//	+4m0s region-up primary
//	+4m0s disk-torn ledger-2
//	+4m0s crash ledger-2
//	+5m0s restart ledger-2
//	+9m0s heal-all
//
// # Generation and determinism
//
// Generate draws a plan from the *rand.Rand it is given and from nothing
// else: no globals, no clock, no map iteration order. The same generator
// state, topology and GenSpec give the same plan, byte for byte. Callers
// should pass a stream of its own, derived from the run's root seed and a
// stable name (such as "faults"), so adding another component does not shift
// the plan and drawing the plan shifts no other stream. Gaps between fault
// starts are drawn uniformly in [MeanGap/2, 3*MeanGap/2]; each fault's length
// in [WindowMin, WindowMax], cut short so its undo (restart, resume, heal,
// region-up, skew 0, links off) lands inside the chaos window; the plan ends
// with heal-all at Duration-Quiet. Kinds are drawn by integer weight among
// those possible at that moment: no more than MaxDown system nodes crashed,
// paused or in a down region at once; one partition and one links setting at
// a time; one clock fault per node. Partitions are a random majority/minority
// split of the ledger replicas or a region cut.
//
// Applying a plan is the caller's loop: at each action's time, Apply(target,
// action). Apply itself holds no state.
package faults
