package faults

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"vaultdrill/system/signer"

	"vaultdrill/system/env"
	"vaultdrill/system/topology"
)

// String is the plan's canonical text: one action per line, each ending in a
// newline. ParsePlan reads it back to an equal plan.
func (p Plan) String() string {
	var b strings.Builder
	for _, a := range p.Actions {
		b.WriteString(a.String())
		b.WriteByte('\n')
	}
	return b.String()
}

// String is the action's canonical line (without a newline), e.g.
// "+5m0s crash ledger-1". Fields the kind does not use are not printed.
func (a Action) String() string {
	parts := []string{"+" + a.At.String(), string(a.Kind)}
	ki, _ := Info(a.Kind)
	switch ki.shape {
	case shapeNodes:
		parts = append(parts, joinNodes(a.Nodes))
	case shapeNodesDur:
		parts = append(parts, joinNodes(a.Nodes), a.Duration.String())
	case shapeGroups:
		gs := make([]string, len(a.Groups))
		for i, g := range a.Groups {
			gs[i] = joinNodes(g)
		}
		parts = append(parts, strings.Join(gs, " | "))
	case shapeFromTo:
		parts = append(parts, joinNodes(a.Nodes), "->", joinNodes(a.To))
	case shapeRegion:
		parts = append(parts, string(a.Region))
	case shapeLink:
		parts = append(parts, a.Link.String())
	case shapeNodesArg:
		parts = append(parts, joinNodes(a.Nodes), a.Arg)
	case shapeCount:
		parts = append(parts, strconv.Itoa(a.Count))
	}
	out := parts[:0]
	for _, s := range parts {
		if s != "" {
			out = append(out, s)
		}
	}
	return strings.Join(out, " ")
}

// String is the link setting as written in a plan: "off", or all four keys.
func (l Link) String() string {
	if l.IsZero() {
		return "off"
	}
	return fmt.Sprintf("loss=%d dup=%d reorder=%d delay=%v", l.LossPerMille, l.DupPerMille, l.ReorderPerMille, l.DelayMax)
}

func joinNodes(ns []env.NodeID) string {
	ss := make([]string, len(ns))
	for i, n := range ns {
		ss[i] = string(n)
	}
	return strings.Join(ss, ",")
}

// ParsePlan reads a plan's text (grammar in doc.go). Blank lines and #
// comments are skipped; actions are sorted by time, written order kept for
// equal times. Errors are *PlanError naming the 1-based line. ParsePlan checks
// syntax only: Validate checks the plan against a topology.
func ParsePlan(text string) (Plan, error) {
	var p Plan
	for i, line := range strings.Split(text, "\n") {
		if c := strings.IndexByte(line, '#'); c >= 0 {
			line = line[:c]
		}
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		if len(p.Actions) == ActionsMax {
			return Plan{}, &PlanError{Line: i + 1, Index: -1, Msg: fmt.Sprintf("more than %d actions", ActionsMax)}
		}
		a, msg := parseAction(fields)
		if msg != "" {
			return Plan{}, &PlanError{Line: i + 1, Index: -1, Msg: msg}
		}
		p.Actions = append(p.Actions, a)
	}
	p.Sort()
	return p, nil
}

// parseAction parses one line's fields; it returns what is wrong, or "".
func parseAction(fields []string) (Action, string) {
	var a Action
	at, err := parseDuration(strings.TrimPrefix(fields[0], "+"))
	if err != "" {
		return a, fmt.Sprintf("time %q: %s (want e.g. +5m0s)", fields[0], err)
	}
	if at < 0 {
		return a, fmt.Sprintf("time %q is negative", fields[0])
	}
	a.At = at
	if len(fields) < 2 {
		return a, "missing kind after the time"
	}
	a.Kind = Kind(fields[1])
	ki, ok := Info(a.Kind)
	if !ok {
		return a, fmt.Sprintf("unknown kind %q (known: %s)", fields[1], strings.Join(KindNames(), ", "))
	}
	args := fields[2:]
	usage := func(why string) string {
		return fmt.Sprintf("%s: %s (want: %s %s)", a.Kind, why, a.Kind, ki.Args)
	}
	var msg string
	switch ki.shape {
	case shapeNone:
		if len(args) != 0 {
			return a, fmt.Sprintf("%s takes no arguments, got %q", a.Kind, strings.Join(args, " "))
		}
	case shapeNodes:
		if len(args) != 1 {
			return a, usage(fmt.Sprintf("%d arguments", len(args)))
		}
		if a.Nodes, msg = parseNodes(args[0]); msg != "" {
			return a, usage(msg)
		}
	case shapeNodesDur:
		if len(args) != 2 {
			return a, usage(fmt.Sprintf("%d arguments", len(args)))
		}
		if a.Nodes, msg = parseNodes(args[0]); msg != "" {
			return a, usage(msg)
		}
		if a.Duration, msg = parseDuration(args[1]); msg != "" {
			return a, usage(fmt.Sprintf("duration %q: %s", args[1], msg))
		}
	case shapeGroups:
		groups := strings.Split(strings.Join(args, " "), "|")
		if len(groups) < 2 {
			return a, usage("needs at least two groups separated by |")
		}
		for gi, g := range groups {
			g = strings.TrimSpace(g)
			if g == "" {
				return a, usage(fmt.Sprintf("group %d is empty", gi+1))
			}
			if strings.ContainsAny(g, " \t") {
				return a, usage(fmt.Sprintf("group %d: %q has spaces (write node,node)", gi+1, g))
			}
			ns, msg := parseNodes(g)
			if msg != "" {
				return a, usage(fmt.Sprintf("group %d: %s", gi+1, msg))
			}
			a.Groups = append(a.Groups, ns)
		}
	case shapeFromTo:
		if len(args) != 3 || args[1] != "->" {
			return a, usage("want two node lists separated by ->")
		}
		if a.Nodes, msg = parseNodes(args[0]); msg != "" {
			return a, usage("from: " + msg)
		}
		if a.To, msg = parseNodes(args[2]); msg != "" {
			return a, usage("to: " + msg)
		}
	case shapeRegion:
		if len(args) != 1 {
			return a, usage(fmt.Sprintf("%d arguments", len(args)))
		}
		if !validName(args[0]) {
			return a, usage(fmt.Sprintf("bad region name %q", args[0]))
		}
		a.Region = topology.Region(args[0])
	case shapeLink:
		if a.Link, msg = parseLink(args); msg != "" {
			return a, usage(msg)
		}
	case shapeNodesArg:
		if len(args) < 2 {
			return a, usage(fmt.Sprintf("%d arguments", len(args)))
		}
		if a.Nodes, msg = parseNodes(args[0]); msg != "" {
			return a, usage(msg)
		}
		a.Arg = strings.Join(args[1:], " ")
		if err := signer.ParseControl(a.Arg); err != nil {
			return a, usage(err.Error())
		}
	case shapeCount:
		if len(args) != 1 {
			return a, usage(fmt.Sprintf("%d arguments", len(args)))
		}
		n, err := strconv.Atoi(args[0])
		if err != nil || n < 1 || n > 1000 {
			return a, usage(fmt.Sprintf("count %q: want 1 to 1000", args[0]))
		}
		a.Count = n
	}
	return a, ""
}

func parseNodes(s string) ([]env.NodeID, string) {
	var out []env.NodeID
	for _, n := range strings.Split(s, ",") {
		if !validName(n) {
			if n == "" {
				return nil, fmt.Sprintf("empty name in node list %q", s)
			}
			return nil, fmt.Sprintf("bad node name %q (letters, digits, - _ . : only)", n)
		}
		out = append(out, env.NodeID(n))
	}
	return out, ""
}

func parseDuration(s string) (time.Duration, string) {
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, "not a duration"
	}
	return d, ""
}

func parseLink(args []string) (Link, string) {
	var l Link
	if len(args) == 1 && args[0] == "off" {
		return l, ""
	}
	if len(args) == 0 {
		return l, "missing settings"
	}
	seen := map[string]bool{}
	for _, arg := range args {
		key, val, ok := strings.Cut(arg, "=")
		if !ok {
			return l, fmt.Sprintf("%q is not key=value", arg)
		}
		if seen[key] {
			return l, fmt.Sprintf("%s given twice", key)
		}
		seen[key] = true
		var dst *int
		switch key {
		case "loss":
			dst = &l.LossPerMille
		case "dup":
			dst = &l.DupPerMille
		case "reorder":
			dst = &l.ReorderPerMille
		case "delay":
			d, msg := parseDuration(val)
			if msg != "" {
				return l, fmt.Sprintf("delay %q: %s", val, msg)
			}
			if d < 0 {
				return l, fmt.Sprintf("delay %q is negative", val)
			}
			l.DelayMax = d
			continue
		default:
			return l, fmt.Sprintf("unknown setting %q (loss, dup, reorder, delay)", key)
		}
		v, err := strconv.Atoi(val)
		if err != nil || v < 0 || v > PerMille {
			return l, fmt.Sprintf("%s=%s: want an integer per mille in 0..%d", key, val, PerMille)
		}
		*dst = v
	}
	return l, ""
}
