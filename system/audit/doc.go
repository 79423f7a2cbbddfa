// Package audit owns the custody system's decision log (INV-AUDIT): an
// append-only, hash-chained record of every decision of the withdrawal
// pipeline (who decided what about which subject, under which policy
// version, over which transaction digest, from which device and IP). The
// caller appends the entry and only then performs the effect it records, so
// an effect the log does not show never happened.
//
// Usage: a node opens its log on start, appends one Entry per decision, and
// acts only when Append has returned without error:
//
//	l, err := audit.Open(e.Disk(), "wallet/audit") // replays and verifies
//	...
//	if _, err := l.Append(audit.Entry{Time: e.Now(), Actor: id, ...}); err != nil {
//		// do not act: the decision is not on record
//	}
//
// # Record format
//
// The log is one file of the node's env.Disk holding one env.Record frame
// (length, checksum, body) per entry. The body is Encode's canonical
// encoding, all integers big-endian:
//
//	version  1 byte, 1
//	Seq      8 bytes
//	Time     8 bytes signed seconds since the Unix epoch, 4 bytes nanoseconds (< 1e9)
//	text     Actor, Action, Subject, Decision, PolicyVersion, Digest, Device, IP,
//	         Detail, each a 4-byte length then the bytes (at most FieldMax,
//	         DetailMax for Detail)
//	Prev     32 bytes
//	Hash     32 bytes
//
// Hash is sha256 over a domain tag followed by every byte before Hash, so
// it commits to every field, Prev included, and the length prefixes make
// the field boundaries part of what is hashed. The same bytes are what a
// replica receives and what an anchor commits to: there is one encoding,
// and Decode accepts nothing else (no trailing bytes, no over-long fields,
// no second spelling of a time).
//
// # Fault model
//
// The disk may tear the last unsynced Append on a crash, keeping a prefix
// of it. Append syncs every record, so at most one record can be torn, and
// Open cuts such a tail off (and syncs the cut): the entry it held was
// never acknowledged, so its effect never happened. Any other damage (a
// record with a bad checksum that is not a torn prefix, a record that does
// not decode, a chain that does not verify) is ErrCorrupt and Open leaves
// the file untouched: an audit log never repairs its own history.
//
// # What verification shows
//
// Verify names the first altered, removed, reordered, duplicated or forked
// entry of a chain. A hash chain alone cannot show that entries were cut
// off its end, nor that someone rewrote and rehashed everything from some
// point on; a head (Seq, Hash) kept elsewhere can, which is what
// VerifyHead checks and what replication and on-chain anchoring provide.
// VerifyFrom checks a batch that continues a known head.
//
// # Replicas and anchors
//
// A Replica (replica.go) is another node's copy of a log, in a file of the
// same format (ParseFile reads either without touching the disk). It only
// grows: Accept stores a batch that continues its head (a resent overlap
// is checked against what it holds), and refuses a gap (ErrGap: resend
// from Head), a second history (ErrFork) or a batch that is not a chain
// (a *VerifyError), writing nothing; it syncs a batch before its holder
// acknowledges it, and opens like a Log, a torn tail cut. An anchor
// (anchor.go) is a head published in a chain transaction's memo,
// "audit1:ORIGIN:SEQ:HASH" (ParseAnchor accepts that one spelling, at most
// AnchorMax bytes, under the chain's memo bound); VerifyAnchors checks that
// a log verifies and reaches every anchor of its origin, which shows a cut
// end or a rewrite after the fact that the chain alone cannot.
//
// # Determinism
//
// The package reads no clock (Time comes from the caller's env.Now), uses
// no randomness, starts no goroutines and ranges over no maps: the same
// appends give the same bytes and the same hashes in every run.
package audit
