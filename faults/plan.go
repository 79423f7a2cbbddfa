package faults

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"vaultdrill/system/env"
	"vaultdrill/system/topology"
)

// PerMille is the denominator of every probability in this package: faults
// are integer ratios, never floats, so a plan prints and compares exactly.
const PerMille = 1000

// ActionsMax bounds a plan's length, written or generated.
const ActionsMax = 100_000

// Link is the network-wide link fault setting. The zero Link is "off".
type Link struct {
	LossPerMille    int // a message is dropped
	DupPerMille     int // a message is delivered twice
	ReorderPerMille int // a message gets up to DelayMax extra delay, so later ones overtake it
	DelayMax        time.Duration
}

// IsZero reports whether l turns every link fault off.
func (l Link) IsZero() bool { return l == Link{} }

// Action is one step of a plan. Which fields a kind uses is in its catalog
// entry; Validate rejects the others when set.
type Action struct {
	At       time.Duration // since the run's start
	Kind     Kind
	Nodes    []env.NodeID   // crash/restart/pause/resume/skew/clock-jump/disk-torn targets; partition-oneway "from"
	To       []env.NodeID   // partition-oneway "to"
	Groups   [][]env.NodeID // partition
	Region   topology.Region
	Duration time.Duration // skew/clock-jump amount
	Link     Link
	Arg      string // hsm: the HSM fault's text
	Count    int    // chain-reorg: depth
}

// Plan is a fault schedule: actions sorted by At, written order kept for
// equal times.
type Plan struct {
	Actions []Action
}

// ErrBadPlan is wrapped by every parse and validation error.
var ErrBadPlan = errors.New("faults: bad plan")

// PlanError says where a plan is wrong: a text line (ParsePlan) or an action
// index (Validate).
type PlanError struct {
	Line   int    // 1-based line of the text; 0 when not parsing
	Index  int    // 0-based action index; -1 when parsing
	Action string // the action's text, for Validate
	Msg    string
}

func (e *PlanError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("line %d: %s", e.Line, e.Msg)
	}
	return fmt.Sprintf("action %d (%s): %s", e.Index, e.Action, e.Msg)
}

// Unwrap makes errors.Is(err, ErrBadPlan) true.
func (e *PlanError) Unwrap() error { return ErrBadPlan }

// Sort orders the actions by At, keeping written order for equal times.
func (p *Plan) Sort() {
	sort.SliceStable(p.Actions, func(i, j int) bool { return p.Actions[i].At < p.Actions[j].At })
}

// Merge joins plans (a written one and a generated one, say) into one sorted
// plan; for equal times, earlier arguments come first.
func Merge(plans ...Plan) Plan {
	var out Plan
	for _, p := range plans {
		out.Actions = append(out.Actions, p.Actions...)
	}
	out.Sort()
	return out
}

// Counts returns the number of actions of each kind.
func (p Plan) Counts() map[Kind]int {
	m := map[Kind]int{}
	for _, a := range p.Actions {
		m[a.Kind]++
	}
	return m
}

// Validate checks the plan against a topology: known kinds, nodes and
// regions; each kind's fields present and no others; non-empty, disjoint
// partition groups; non-negative, sorted times; per-mille values in range;
// names writable in the text form. The error names the action's index and
// text. Validate does not check that actions make sense in sequence (a
// restart of a running node is a no-op for a Target).
func (p Plan) Validate(t topology.Topology) error {
	if len(p.Actions) > ActionsMax {
		return fmt.Errorf("%w: %d actions, at most %d", ErrBadPlan, len(p.Actions), ActionsMax)
	}
	for i, a := range p.Actions {
		msg := validateAction(t, a)
		if msg == "" && i > 0 && a.At < p.Actions[i-1].At {
			msg = fmt.Sprintf("at %v is before the previous action's %v (plans are sorted by time)", a.At, p.Actions[i-1].At)
		}
		if msg != "" {
			return &PlanError{Index: i, Action: a.String(), Msg: msg}
		}
	}
	return nil
}

// validateAction returns what is wrong with a, or "".
func validateAction(t topology.Topology, a Action) string {
	if a.At < 0 {
		return fmt.Sprintf("negative time %v", a.At)
	}
	ki, ok := Info(a.Kind)
	if !ok {
		return fmt.Sprintf("unknown kind %q", a.Kind)
	}
	sh := ki.shape
	// Fields the kind does not use would be lost in the text form.
	if sh != shapeNodes && sh != shapeNodesDur && sh != shapeFromTo && sh != shapeNodesArg && a.Nodes != nil {
		return fmt.Sprintf("%s takes no node list (Nodes must be nil)", a.Kind)
	}
	if sh != shapeFromTo && a.To != nil {
		return fmt.Sprintf("%s takes no \"to\" list (To must be nil)", a.Kind)
	}
	if sh != shapeGroups && a.Groups != nil {
		return fmt.Sprintf("%s takes no groups (Groups must be nil)", a.Kind)
	}
	if sh != shapeRegion && a.Region != "" {
		return fmt.Sprintf("%s takes no region", a.Kind)
	}
	if sh != shapeNodesDur && a.Duration != 0 {
		return fmt.Sprintf("%s takes no duration", a.Kind)
	}
	if sh != shapeLink && !a.Link.IsZero() {
		return fmt.Sprintf("%s takes no link setting", a.Kind)
	}
	if sh != shapeNodesArg && a.Arg != "" {
		return fmt.Sprintf("%s takes no argument text", a.Kind)
	}
	if sh != shapeCount && a.Count != 0 {
		return fmt.Sprintf("%s takes no count", a.Kind)
	}
	switch sh {
	case shapeNodes, shapeNodesDur:
		return checkNodes(t, "nodes", a.Nodes)
	case shapeNodesArg:
		if a.Arg == "" || strings.TrimSpace(a.Arg) != a.Arg || strings.ContainsAny(a.Arg, "\n#") || strings.Contains(a.Arg, "  ") {
			return fmt.Sprintf("%s needs its argument text (single-spaced, no # or newline), got %q", a.Kind, a.Arg)
		}
		return checkNodes(t, "nodes", a.Nodes)
	case shapeCount:
		if a.Count < 1 || a.Count > 1000 {
			return fmt.Sprintf("%s count %d: want 1 to 1000", a.Kind, a.Count)
		}
	case shapeFromTo:
		if m := checkNodes(t, "from", a.Nodes); m != "" {
			return m
		}
		if m := checkNodes(t, "to", a.To); m != "" {
			return m
		}
		for _, f := range a.Nodes {
			for _, to := range a.To {
				if f == to {
					return fmt.Sprintf("node %q is on both sides", f)
				}
			}
		}
	case shapeGroups:
		if len(a.Groups) < 2 {
			return fmt.Sprintf("partition needs at least two groups, got %d", len(a.Groups))
		}
		seen := map[env.NodeID]int{}
		for gi, g := range a.Groups {
			if m := checkNodes(t, fmt.Sprintf("group %d", gi+1), g); m != "" {
				return m
			}
			for _, n := range g {
				if prev, dup := seen[n]; dup && prev != gi {
					return fmt.Sprintf("node %q is in groups %d and %d", n, prev+1, gi+1)
				}
				seen[n] = gi
			}
		}
	case shapeRegion:
		if a.Region == "" {
			return "missing region"
		}
		if !validName(string(a.Region)) {
			return fmt.Sprintf("region %q cannot be written in a plan", a.Region)
		}
		if !t.HasRegion(a.Region) {
			return fmt.Sprintf("unknown region %q", a.Region)
		}
	case shapeLink:
		return checkLink(a.Link)
	}
	return ""
}

func checkNodes(t topology.Topology, what string, ns []env.NodeID) string {
	if len(ns) == 0 {
		return fmt.Sprintf("empty %s", what)
	}
	for i, n := range ns {
		if !validName(string(n)) {
			return fmt.Sprintf("%s: node %q cannot be written in a plan", what, n)
		}
		if _, ok := t.Find(n); !ok {
			return fmt.Sprintf("%s: unknown node %q", what, n)
		}
		for _, m := range ns[:i] {
			if m == n {
				return fmt.Sprintf("%s: node %q named twice", what, n)
			}
		}
	}
	return ""
}

func checkLink(l Link) string {
	for _, f := range []struct {
		name string
		v    int
	}{{"loss", l.LossPerMille}, {"dup", l.DupPerMille}, {"reorder", l.ReorderPerMille}} {
		if f.v < 0 || f.v > PerMille {
			return fmt.Sprintf("%s=%d is outside 0..%d per mille", f.name, f.v, PerMille)
		}
	}
	if l.DelayMax < 0 {
		return fmt.Sprintf("negative delay %v", l.DelayMax)
	}
	return ""
}

// validName reports whether s can be written as a node or region name in the
// text form: ASCII letters, digits and - _ . : only.
func validName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case c == '-', c == '_', c == '.', c == ':':
		default:
			return false
		}
	}
	return true
}
