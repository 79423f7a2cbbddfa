// Package compliance is the on-chain compliance layer of the custody
// pipeline: address tags, the versioned sanctions list that carries them,
// fund-flow taint over the simulated chain, and the screening decision for
// deposits and withdrawals (INV-SANCTIONS; attacks 13 and 14 of DOMAIN.md).
//
// # What it owns
//
//   - Tags (tags.go): sanctioned, mixer, scam, exchange, and Normalize, which
//     maps an address written in a formatting variant (upper case, "0x"
//     after the prefix, '-', ':', '_' or blanks inside the hex, surrounding
//     blanks) to the chain's one canonical form. A sanctioned address must
//     not get through because someone typed it as "K1-AB:CD...".
//   - The list (list.go): a text file a compliance officer can read and
//     diff, parsed strictly, because a list that half-loads fails open. The
//     format is in ParseList's comment; String renders it canonically.
//   - Taint (taint.go): a Graph of the chain's transfers and the question
//     "did money reach this address from a tagged one within N hops?",
//     with the shortest path as evidence.
//   - Peel chains (peel.go): Graph.PeelHops, the length of the row of peel
//     hops (one transfer in, two out split between 90:10 and 99:1, the
//     chain running on through the larger) that ends at an address, for
//     the risk engine's peel-chain typology; Screener.Exposure gives it
//     with the hops from the nearest mixer.
//   - Screening (screen.go): Allow, Hold or Deny for one counterparty, with
//     the reason, the tags, the path and the list version used, so the
//     report can show which list version let what through.
//
// # Fail closed
//
// Whatever keeps the screener from answering the question (no list, a
// counterparty that is not an address, a non-positive amount, taint asked
// for without a chain graph, a graph that overflowed its bound) gives Hold
// with a Reason starting "screening error: ", never Allow. A hold is
// recoverable by a human; a payment to a sanctioned address is not.
//
// # Determinism contract
//
// Pure logic: no nodes, no I/O, no clock, no randomness, no goroutines.
// Maps are only looked up, never ranged over: the list keeps its addresses
// in a sorted slice, the graph its transfers in insertion order, and every
// choice between equals (which path, which source) breaks ties by address
// order, then by height. The same list, the same transfers in any order
// and the same question give the same Result.
//
// # Planted bug
//
// Screener.WithBug(BugFailOpen) turns a screening error into Allow, for the
// harness to prove its INV-SANCTIONS checker notices a screener that fails
// open.
//
// Checkers judge from the observation stream and do not import this
// package; they restate the rules they need.
package compliance
