package faults

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"sort"
	"strings"
	"time"

	"vaultdrill/system/env"
	"vaultdrill/system/topology"
)

// Defaults and bounds for drawn parameters. Probabilities are per mille.
const (
	SkewMaxDefault     = 2 * time.Minute        // largest skew or clock jump drawn
	DelayMaxDefault    = 200 * time.Millisecond // largest extra link delay drawn
	LossMaxPerMille    = 100
	DupMaxPerMille     = 100
	ReorderMaxPerMille = 200
	// SpanMax bounds every duration in a GenSpec, far from int64 overflow.
	SpanMax = 10_000 * time.Hour
)

// ErrBadSpec is wrapped by every GenSpec error.
var ErrBadSpec = errors.New("faults: bad generation spec")

// GenSpec says how to draw a plan from a seed.
type GenSpec struct {
	// Duration is the run's length. The chaos window ends at Duration-Quiet
	// with a HealAll; no fault starts or is undone after it.
	Duration time.Duration
	// Quiet is the final stretch with no faults, for liveness checks.
	Quiet time.Duration
	// MeanGap is the mean time between fault starts; each gap is drawn
	// uniformly in [MeanGap/2, 3*MeanGap/2].
	MeanGap time.Duration
	// WindowMin and WindowMax bound how long a fault lasts before its undo;
	// a fault starts only if it can last WindowMin inside the window.
	WindowMin, WindowMax time.Duration
	// Kinds may be drawn: start kinds only (see StartKinds). Order matters:
	// it is part of the seed's meaning.
	Kinds []Kind
	// Weights are integer weights per kind; a missing kind weighs 1, zero
	// disables it.
	Weights map[Kind]int
	// MaxDown is how many system nodes may be crashed, paused or in a down
	// region at once. Zero means a minority of the ledger replicas, (n-1)/2,
	// so a quorum can exist once partitions heal.
	MaxDown int
	// SkewMax bounds skews and clock jumps (either sign); zero means
	// SkewMaxDefault.
	SkewMax time.Duration
	// DelayMax bounds the extra link delay drawn for links faults; zero means
	// DelayMaxDefault.
	DelayMax time.Duration
	// Spare lists node-id prefixes the generator never faults.
	Spare []string
}

// WithDefaults checks the spec against the topology and fills in defaults:
// MaxDown, SkewMax, DelayMax, and a weight for every listed kind. The result
// is what Generate uses; a report may print it.
func (s GenSpec) WithDefaults(t topology.Topology) (GenSpec, error) {
	bad := func(format string, a ...any) (GenSpec, error) {
		return s, fmt.Errorf("%w: "+format, append([]any{ErrBadSpec}, a...)...)
	}
	for _, d := range []time.Duration{s.Duration, s.MeanGap, s.WindowMax, s.SkewMax, s.DelayMax} {
		if d > SpanMax {
			return bad("%v is longer than %v", d, SpanMax)
		}
	}
	switch {
	case s.Duration <= 0:
		return bad("duration %v must be positive", s.Duration)
	case s.Quiet < 0 || s.Quiet >= s.Duration:
		return bad("quiet %v must be in [0, duration %v)", s.Quiet, s.Duration)
	case s.MeanGap < 2:
		return bad("mean gap %v is too small", s.MeanGap)
	case s.WindowMin <= 0 || s.WindowMax < s.WindowMin:
		return bad("windows [%v, %v]: want 0 < min <= max", s.WindowMin, s.WindowMax)
	case s.MaxDown < 0:
		return bad("max down %d is negative", s.MaxDown)
	case s.SkewMax < 0:
		return bad("skew max %v is negative", s.SkewMax)
	case s.DelayMax < 0:
		return bad("delay max %v is negative", s.DelayMax)
	case len(s.Kinds) == 0:
		return bad("no kinds to draw (drawable: %s)", kindList(StartKinds()))
	}
	if starts := (s.Duration - s.Quiet) / (s.MeanGap / 2); starts > ActionsMax/4 {
		return bad("mean gap %v allows up to %d faults in %v; at most %d", s.MeanGap, starts, s.Duration-s.Quiet, ActionsMax/4)
	}
	for i, k := range s.Kinds {
		ki, ok := Info(k)
		if !ok {
			return bad("unknown kind %q (drawable: %s)", k, kindList(StartKinds()))
		}
		if !ki.Start {
			return bad("kind %q is an undo, not a fault (drawable: %s)", k, kindList(StartKinds()))
		}
		for _, prev := range s.Kinds[:i] {
			if prev == k {
				return bad("kind %q listed twice", k)
			}
		}
	}
	for _, k := range SortedKinds(s.Weights) {
		if _, ok := Info(k); !ok {
			return bad("weight for unknown kind %q", k)
		}
		if s.Weights[k] < 0 {
			return bad("weight %d for %s is negative", s.Weights[k], k)
		}
	}
	w := make(map[Kind]int, len(s.Kinds))
	total := 0
	for _, k := range s.Kinds {
		v, ok := s.Weights[k]
		if !ok {
			v = 1
		}
		w[k] = v
		total += v
	}
	if total == 0 {
		return bad("every listed kind has weight 0")
	}
	s.Weights = w
	s.Kinds = append([]Kind(nil), s.Kinds...)
	if s.MaxDown == 0 {
		s.MaxDown = (len(t.LedgerIDs()) - 1) / 2
	}
	if s.SkewMax == 0 {
		s.SkewMax = SkewMaxDefault
	}
	if s.DelayMax == 0 {
		s.DelayMax = DelayMaxDefault
	}
	return s, nil
}

func kindList(ks []Kind) string {
	ss := make([]string, len(ks))
	for i, k := range ks {
		ss[i] = string(k)
	}
	return strings.Join(ss, ", ")
}

// Generate draws a plan from r. It reads randomness only from r, iterates
// nothing in map order, and so returns the same plan for the same r state,
// topology and spec.
//
// Targets are the system nodes (every role but client), in topology order.
// Every fault gets its undo inside the chaos window (crash: restart, pause:
// resume, partition: heal, region-down: region-up, skew and clock-jump:
// skew 0, links: links off; disk-torn is armed and the node crashed at once,
// then restarted). At most one partition and one links setting is active at
// a time, a node has at most one clock fault, and at most MaxDown system
// nodes are down at once. The plan ends with a HealAll at Duration-Quiet.
func Generate(r *rand.Rand, t topology.Topology, spec GenSpec) (Plan, error) {
	if r == nil {
		return Plan{}, fmt.Errorf("%w: nil *rand.Rand", ErrBadSpec)
	}
	spec, err := spec.WithDefaults(t)
	if err != nil {
		return Plan{}, err
	}
	g := newGen(r, t, spec)
	end := spec.Duration - spec.Quiet
	at := time.Duration(0)
	for i := 0; i <= ActionsMax/4; i++ {
		at += g.uniform(spec.MeanGap/2, spec.MeanGap/2+spec.MeanGap)
		if at+spec.WindowMin > end {
			break
		}
		g.releaseUntil(at)
		g.start(at, end)
	}
	g.releaseUntil(end)
	g.emit(Action{At: end, Kind: HealAll})
	p := Plan{Actions: g.out}
	// Dense assertions: a broken generator must stop at once, not feed a
	// run a plan that means something else.
	if err := p.Validate(t); err != nil {
		panic(fmt.Sprintf("faults: generated an invalid plan: %v", err))
	}
	return p, nil
}

// gen is the generator's view of the fault state at the current time.
type gen struct {
	r    *rand.Rand
	spec GenSpec

	sys     []topology.Node   // system nodes, topology order
	ledger  []int             // indexes into sys of the ledger replicas
	regions []topology.Region // regions with system nodes, topology order

	down        []bool // crashed, paused or in a down region
	downCount   int
	clock       []bool // a skew or clock jump is active
	regionDown  []bool // per regions index
	partitioned bool
	links       bool

	pend []pending
	seq  int
	out  []Action
}

// pending is an undo waiting for its time.
type pending struct {
	at      time.Duration
	seq     int
	acts    []Action
	release func()
}

func newGen(r *rand.Rand, t topology.Topology, spec GenSpec) *gen {
	g := &gen{r: r, spec: spec}
	for _, n := range t.Nodes {
		if n.Role == topology.RoleClient || spared(spec.Spare, n.ID) {
			continue
		}
		if n.Role == topology.RoleLedger {
			g.ledger = append(g.ledger, len(g.sys))
		}
		g.sys = append(g.sys, n)
	}
	for _, reg := range t.Regions {
		if len(g.inRegion(reg)) > 0 {
			g.regions = append(g.regions, reg)
		}
	}
	g.down = make([]bool, len(g.sys))
	g.clock = make([]bool, len(g.sys))
	g.regionDown = make([]bool, len(g.regions))
	return g
}

// uniform draws from [lo, hi] at the coarsest resolution (1ms, 1µs or 1ns)
// that still gives at least 100 steps, so the printed plan stays readable
// ("+4m13.271s", not "+4m13.271048113s").
func (g *gen) uniform(lo, hi time.Duration) time.Duration {
	if hi <= lo {
		return lo
	}
	for _, res := range []time.Duration{time.Millisecond, time.Microsecond} {
		l := (lo + res - 1) / res
		h := hi / res
		if h-l >= 100 {
			return (l + time.Duration(g.r.Int64N(int64(h-l)+1))) * res
		}
	}
	return lo + time.Duration(g.r.Int64N(int64(hi-lo)+1))
}

func (g *gen) emit(a Action) { g.out = append(g.out, a) }

func (g *gen) later(at time.Duration, release func(), acts ...Action) {
	for i := range acts {
		acts[i].At = at
	}
	g.pend = append(g.pend, pending{at: at, seq: g.seq, acts: acts, release: release})
	g.seq++
}

// releaseUntil emits every undo due at or before t, in (time, creation)
// order, so an undo precedes a start at the same time.
func (g *gen) releaseUntil(t time.Duration) {
	for {
		best := -1
		for i, p := range g.pend {
			if p.at > t {
				continue
			}
			if best < 0 || p.at < g.pend[best].at || (p.at == g.pend[best].at && p.seq < g.pend[best].seq) {
				best = i
			}
		}
		if best < 0 {
			return
		}
		p := g.pend[best]
		g.pend = append(g.pend[:best], g.pend[best+1:]...)
		for _, a := range p.acts {
			g.emit(a)
		}
		p.release()
	}
}

// inRegion returns the sys indexes of the region's nodes, topology order.
func (g *gen) inRegion(reg topology.Region) []int {
	var out []int
	for i, n := range g.sys {
		if n.Region == reg {
			out = append(out, i)
		}
	}
	return out
}

func (g *gen) upNodes() []int {
	var out []int
	for i := range g.sys {
		if !g.down[i] {
			out = append(out, i)
		}
	}
	return out
}

func (g *gen) clockFree() []int {
	var out []int
	for i := range g.sys {
		if !g.clock[i] {
			out = append(out, i)
		}
	}
	return out
}

// downRegions returns the regions that may go down now: all their nodes up
// and the total within MaxDown.
func (g *gen) downRegions() []int {
	var out []int
	for ri, reg := range g.regions {
		if g.regionDown[ri] {
			continue
		}
		ns := g.inRegion(reg)
		ok := g.downCount+len(ns) <= g.spec.MaxDown
		for _, i := range ns {
			ok = ok && !g.down[i]
		}
		if ok {
			out = append(out, ri)
		}
	}
	return out
}

// cutRegions returns the regions whose cut leaves nodes on both sides.
func (g *gen) cutRegions() []int {
	var out []int
	for ri, reg := range g.regions {
		if n := len(g.inRegion(reg)); n > 0 && n < len(g.sys) {
			out = append(out, ri)
		}
	}
	return out
}

func (g *gen) feasible(k Kind) bool {
	switch k {
	case Crash, Pause, DiskTorn:
		return g.downCount < g.spec.MaxDown && len(g.upNodes()) > 0
	case RegionDown:
		return len(g.downRegions()) > 0
	case Partition:
		return !g.partitioned && (len(g.ledger) >= 2 || len(g.cutRegions()) > 0)
	case PartitionOneWay:
		return !g.partitioned && len(g.sys) >= 2
	case Skew, ClockJump:
		return len(g.clockFree()) > 0
	case LinkFaults:
		return !g.links
	}
	return false
}

// start draws one fault at `at` (if any kind is feasible) and schedules its
// undo no later than end. Draw order: kind, window, parameters.
func (g *gen) start(at, end time.Duration) {
	var kinds []Kind
	total := 0
	for _, k := range g.spec.Kinds {
		if w := g.spec.Weights[k]; w > 0 && g.feasible(k) {
			kinds = append(kinds, k)
			total += w
		}
	}
	if total == 0 {
		return
	}
	x := g.r.IntN(total)
	k := kinds[len(kinds)-1]
	for _, c := range kinds {
		if x < g.spec.Weights[c] {
			k = c
			break
		}
		x -= g.spec.Weights[c]
	}
	undoAt := at + g.uniform(g.spec.WindowMin, min(g.spec.WindowMax, end-at))

	switch k {
	case Crash, Pause, DiskTorn:
		up := g.upNodes()
		room := min(g.spec.MaxDown-g.downCount, len(up))
		picked := g.pick(up, 1+g.r.IntN(room))
		ids := g.ids(picked)
		for _, i := range picked {
			g.down[i] = true
		}
		g.downCount += len(picked)
		release := func() {
			for _, i := range picked {
				g.down[i] = false
			}
			g.downCount -= len(picked)
		}
		switch k {
		case Crash:
			g.emit(Action{At: at, Kind: Crash, Nodes: ids})
			g.later(undoAt, release, Action{Kind: Restart, Nodes: ids})
		case DiskTorn:
			g.emit(Action{At: at, Kind: DiskTorn, Nodes: ids})
			g.emit(Action{At: at, Kind: Crash, Nodes: ids})
			g.later(undoAt, release, Action{Kind: Restart, Nodes: ids})
		case Pause:
			g.emit(Action{At: at, Kind: Pause, Nodes: ids})
			g.later(undoAt, release, Action{Kind: Resume, Nodes: ids})
		}
	case RegionDown:
		cand := g.downRegions()
		ri := cand[g.r.IntN(len(cand))]
		reg := g.regions[ri]
		ns := g.inRegion(reg)
		g.regionDown[ri] = true
		for _, i := range ns {
			g.down[i] = true
		}
		g.downCount += len(ns)
		g.emit(Action{At: at, Kind: RegionDown, Region: reg})
		g.later(undoAt, func() {
			g.regionDown[ri] = false
			for _, i := range ns {
				g.down[i] = false
			}
			g.downCount -= len(ns)
		}, Action{Kind: RegionUp, Region: reg})
	case Partition:
		cuts := g.cutRegions()
		var a, b []int
		if len(g.ledger) >= 2 && (len(cuts) == 0 || g.r.IntN(2) == 0) {
			// Majority/minority split of the ledger replicas.
			n := len(g.ledger)
			a = g.pick(g.ledger, 1+g.r.IntN(max(1, (n-1)/2)))
			b = minus(g.ledger, a)
		} else {
			reg := g.regions[cuts[g.r.IntN(len(cuts))]]
			a = g.inRegion(reg)
			b = minus(allIndexes(len(g.sys)), a)
		}
		if b[0] < a[0] {
			a, b = b, a
		}
		g.partitioned = true
		g.emit(Action{At: at, Kind: Partition, Groups: [][]env.NodeID{g.ids(a), g.ids(b)}})
		g.later(undoAt, func() { g.partitioned = false }, Action{Kind: Heal})
	case PartitionOneWay:
		n := len(g.sys)
		perm := g.r.Perm(n)
		na := 1 + g.r.IntN(n-1)
		nb := 1 + g.r.IntN(n-na)
		from := sorted(perm[:na])
		to := sorted(perm[na : na+nb])
		g.partitioned = true
		g.emit(Action{At: at, Kind: PartitionOneWay, Nodes: g.ids(from), To: g.ids(to)})
		g.later(undoAt, func() { g.partitioned = false }, Action{Kind: Heal})
	case Skew, ClockJump:
		free := g.clockFree()
		i := free[g.r.IntN(len(free))]
		d := g.uniform(1, g.spec.SkewMax)
		if g.r.IntN(2) == 0 {
			d = -d
		}
		g.clock[i] = true
		ids := g.ids([]int{i})
		g.emit(Action{At: at, Kind: k, Nodes: ids, Duration: d})
		// Offsets start at zero and a node has one clock fault at a time,
		// so setting zero undoes a jump as well as a skew.
		g.later(undoAt, func() { g.clock[i] = false }, Action{Kind: Skew, Nodes: ids})
	case LinkFaults:
		l := Link{
			LossPerMille:    1 + g.r.IntN(LossMaxPerMille),
			DupPerMille:     g.r.IntN(DupMaxPerMille + 1),
			ReorderPerMille: g.r.IntN(ReorderMaxPerMille + 1),
			DelayMax:        g.uniform(1, g.spec.DelayMax),
		}
		g.links = true
		g.emit(Action{At: at, Kind: LinkFaults, Link: l})
		g.later(undoAt, func() { g.links = false }, Action{Kind: LinkFaults})
	default:
		panic(fmt.Sprintf("faults: generator has no rule for %q", k))
	}
}

// pick draws n distinct elements of from, returned sorted.
func (g *gen) pick(from []int, n int) []int {
	perm := g.r.Perm(len(from))
	out := make([]int, n)
	for i := range out {
		out[i] = from[perm[i]]
	}
	return sorted(out)
}

func (g *gen) ids(is []int) []env.NodeID {
	out := make([]env.NodeID, len(is))
	for j, i := range is {
		out[j] = g.sys[i].ID
	}
	return out
}

func sorted(is []int) []int {
	out := append([]int(nil), is...)
	sort.Ints(out)
	return out
}

func minus(all, drop []int) []int {
	var out []int
	for _, x := range all {
		keep := true
		for _, y := range drop {
			keep = keep && x != y
		}
		if keep {
			out = append(out, x)
		}
	}
	return out
}

func allIndexes(n int) []int {
	out := make([]int, n)
	for i := range out {
		out[i] = i
	}
	return out
}

func spared(prefixes []string, id env.NodeID) bool {
	for _, p := range prefixes {
		if p != "" && strings.HasPrefix(string(id), p) {
			return true
		}
	}
	return false
}
