package compliance

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// Decision is a screening outcome.
type Decision string

const (
	// Allow: the operation may proceed.
	Allow Decision = "allow"
	// Hold: the operation waits for a human review (mixer or scam exposure,
	// or a screening error). A held deposit is not credited yet.
	Hold Decision = "hold"
	// Deny: the operation must not happen (a sanctioned counterparty, or
	// money from one). A denied deposit is never credited; its funds stay
	// held on the custody address, frozen for the authorities.
	Deny Decision = "deny"
)

// ReasonErrorPrefix starts the Reason of every screening error.
const ReasonErrorPrefix = "screening error: "

// Result is one screening's evidence.
type Result struct {
	Decision Decision
	// Reason says why, for people; a screening error starts with
	// ReasonErrorPrefix.
	Reason string
	// ListVersion is the version of the list screened against ("" when
	// there was none), as INV-SANCTIONS asks to record.
	ListVersion string
	// Address is the counterparty, normalized ("" when it did not normalize).
	Address string
	// Tags are the counterparty's own tags, sorted.
	Tags []Tag
	// Path is the taint path behind a decision, from the tagged source to
	// the counterparty; nil when the decision does not rest on taint.
	Path []string
}

// IsError reports whether the result is a screening error (whatever its
// decision, which the planted bug may have turned into Allow).
func (r Result) IsError() bool { return strings.HasPrefix(r.Reason, ReasonErrorPrefix) }

// Bug names a planted screening bug for the harness's self-tests. BugNone
// is the correct screener.
type Bug string

const (
	BugNone Bug = ""
	// BugFailOpen: a screening error allows the operation instead of
	// holding it (a violation of INV-SANCTIONS's fail-closed rule).
	BugFailOpen Bug = "fail-open"
)

// Bugs lists the planted bugs, BugNone excluded.
var Bugs = []Bug{BugFailOpen}

// ParseBug parses a bug name; "" and "none" are BugNone.
func ParseBug(s string) (Bug, error) {
	switch Bug(s) {
	case BugNone, "none":
		return BugNone, nil
	case BugFailOpen:
		return BugFailOpen, nil
	}
	return BugNone, fmt.Errorf("compliance: unknown bug %q (known: none, %s)", s, BugFailOpen)
}

// Screener decides deposits and withdrawals against a list and, for
// taint, the chain's fund flow. It is a value the caller owns: one
// goroutine, no locks; SetList swaps the list between calls.
type Screener struct {
	list  *List
	graph *Graph
	hops  int
	bug   Bug
}

// NewScreener screens against list l and, when hops > 0, taint within hops
// transfers over g. A nil l or, with hops > 0, a nil g is allowed here and
// fails closed at every screening. Negative hops are 0 (no taint).
func NewScreener(l *List, g *Graph, hops int) *Screener {
	return &Screener{list: l, graph: g, hops: max(hops, 0)}
}

// WithBug returns a copy of s with a planted bug; it panics on a bug
// ParseBug does not know, a harness configuration error.
func (s *Screener) WithBug(b Bug) *Screener {
	if _, err := ParseBug(string(b)); err != nil {
		panic(err.Error())
	}
	var c Screener
	if s != nil {
		c = *s
	}
	c.bug = b
	return &c
}

// SetList swaps the list (a sanctions list update mid-run); every later
// Result is decided by, and carries the version of, the new one. A nil
// list makes every later screening fail closed.
func (s *Screener) SetList(l *List) { s.list = l }

// List returns the list in use.
func (s *Screener) List() *List {
	if s == nil {
		return nil
	}
	return s.list
}

// ScreenWithdrawal screens a withdrawal's destination: Deny when it is
// sanctioned (in any formatting variant) or received money from a
// sanctioned address within the screener's hops; Hold when it is a mixer
// or scam address or received money from one; Allow otherwise. A screening
// error holds (fail closed).
func (s *Screener) ScreenWithdrawal(to string, amount int64) Result {
	return s.screen("destination", to, amount, math.MaxUint64)
}

// ScreenDeposit screens a deposit's source by the same rules. Deny means
// do not credit: the funds stay held on the custody address. Hold means do
// not credit until a human review releases it.
func (s *Screener) ScreenDeposit(from string, amount int64) Result {
	return s.screen("source", from, amount, math.MaxUint64)
}

// ScreenDepositAt is ScreenDeposit as of the deposit's height: taint
// counts only money that reached the source in transfers at that height
// or before (Graph.TaintAt), so that every node that screens the deposit,
// at any time after it is mined, decides it alike under one list.
func (s *Screener) ScreenDepositAt(from string, amount int64, height uint64) Result {
	return s.screen("source", from, amount, height)
}

// Exposure is the chain evidence the risk engine's AML typologies take
// about a deposit's source, as of the deposit's height: the hops from the
// nearest mixer-tagged address within hops (0: none found; a source that
// is itself a mixer is 0 here, as its own tag is screening's business),
// and the peel-chain hops that end at the source (Graph.PeelHops). ok is
// false when the screener cannot tell (no list, no graph, a full graph,
// not an address): the caller then reports no evidence, and screening,
// which fails closed on the same causes, holds the deposit.
func (s *Screener) Exposure(from string, height uint64, hops int) (mixer, peel int, ok bool) {
	if s == nil || s.list == nil || s.graph == nil || s.graph.Full() {
		return 0, 0, false
	}
	if _, why := normalize(from); why != "" {
		return 0, 0, false
	}
	if tainted, path := s.graph.TaintAt(s.list, from, hops, height, TagMixer); tainted {
		mixer = len(path) - 1
	}
	return mixer, s.graph.PeelHops(from, height), true
}

func (s *Screener) screen(role, addr string, amount int64, at uint64) Result {
	var res Result
	if s != nil && s.list != nil {
		res.ListVersion = s.list.Version
	}
	if why := s.cannot(addr, amount); why != "" {
		res.Decision, res.Reason = Hold, ReasonErrorPrefix+why
		if s != nil && s.bug == BugFailOpen {
			res.Decision = Allow
		}
		return res
	}
	a, _ := normalize(addr)
	res.Address = a
	res.Tags = slices.Clone(s.list.tagsOf(a))
	own := func(tags ...Tag) (Tag, bool) {
		for _, t := range tags {
			if slices.Contains(res.Tags, t) {
				return t, true
			}
		}
		return "", false
	}
	tainted := func(tags ...Tag) (bool, []string) {
		if s.hops == 0 {
			return false, nil
		}
		return s.graph.TaintAt(s.list, a, s.hops, at, tags...)
	}
	if _, ok := own(TagSanctioned); ok {
		res.Decision, res.Reason = Deny, role+" is sanctioned"
		return res
	}
	if ok, path := tainted(TagSanctioned); ok {
		res.Decision, res.Path = Deny, path
		res.Reason = fmt.Sprintf("%s received funds from sanctioned %s (%s)", role, path[0], hopsText(len(path)-1))
		return res
	}
	if t, ok := own(TagMixer, TagScam); ok {
		res.Decision, res.Reason = Hold, fmt.Sprintf("%s is tagged %s: review", role, t)
		return res
	}
	if ok, path := tainted(TagMixer, TagScam); ok {
		res.Decision, res.Path = Hold, path
		res.Reason = fmt.Sprintf("%s received funds from %s %s (%s): review",
			role, strings.Join(tagNames(s.list.tagsOf(path[0]), TagMixer, TagScam), "+"), path[0], hopsText(len(path)-1))
		return res
	}
	res.Decision, res.Reason = Allow, "no sanctioned, mixer or scam exposure"
	if len(res.Tags) > 0 {
		res.Reason += fmt.Sprintf(" (tagged %s)", strings.Join(tagNames(res.Tags, AllTags...), "+"))
	}
	return res
}

// cannot says what keeps s from screening addr, or "" when nothing does.
func (s *Screener) cannot(addr string, amount int64) string {
	switch {
	case s == nil:
		return "no screener"
	case s.list == nil:
		return "no sanctions list"
	case s.hops > 0 && s.graph == nil:
		return fmt.Sprintf("taint within %d hops asked for but no chain graph", s.hops)
	case s.hops > 0 && s.graph.Full():
		return fmt.Sprintf("chain graph full (%d transfers kept): taint unknown", s.graph.Len())
	case amount <= 0:
		return fmt.Sprintf("amount %d is not positive", amount)
	}
	if _, why := normalize(addr); why != "" {
		return "not an address: " + why
	}
	return ""
}

// tagNames returns the names of those tags that are among want, in order.
func tagNames(tags []Tag, want ...Tag) []string {
	var out []string
	for _, t := range tags {
		if slices.Contains(want, t) {
			out = append(out, string(t))
		}
	}
	return out
}

func hopsText(n int) string {
	if n == 1 {
		return "1 hop"
	}
	return fmt.Sprintf("%d hops", n)
}
