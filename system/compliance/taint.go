package compliance

import (
	"fmt"
	"math"
	"slices"

	"vaultdrill/system/chain"
)

// Transfer is one movement of funds on chain, as a block lists it.
type Transfer struct {
	From, To string
	Amount   int64
	Height   uint64
	// TxID, when given, names the transaction: it is recorded once, and
	// transactions between the same endpoints at the same height add up
	// into their edge (a 90:10 split sent as 80+10 and 10 is still 90:10).
	// Without it, a transfer repeating an edge is taken as the same one.
	TxID string
}

// TransfersMax bounds the transfers a Graph keeps. Past it the graph is
// full: it records no more, and a Screener using it fails closed, since
// taint it cannot see would otherwise pass as clean.
const TransfersMax = 1 << 20

// edge is a transfer as the graph keeps it: between normalized addresses,
// at a height. The amount does not matter to taint (any positive amount
// carries it), so transfers that differ only in amount are one edge.
type edge struct {
	from, to string
	height   uint64
}

// Graph is the fund flow of the chain's transfers: who paid whom, when.
// It is append-only: a transfer in a block later reorged out stays, which
// can only make more addresses tainted, never fewer.
type Graph struct {
	edges    []edge           // in the order added
	amounts  []int64          // amounts[i]: what edges[i] carried (its transactions summed)
	seen     map[edge]int     // edge -> its index, for deduplication
	seenTx   map[string]bool  // transaction ids recorded
	out, in  map[string][]int // address -> indices into edges, in the order added
	overflow int              // transfers not kept because the graph was full
	max      int              // TransfersMax; tests lower it
}

// NewGraph returns an empty graph. The zero Graph is empty too.
func NewGraph() *Graph { return &Graph{} }

// graphKey is the node a transfer endpoint becomes: its normalized address,
// or its text as given when it does not normalize. The chain only carries
// canonical addresses; keeping an odd one as it is, rather than dropping
// the transfer, keeps money flowing through it as far as taint is concerned.
func graphKey(a string) string {
	if n, why := normalize(a); why == "" {
		return n
	}
	return a
}

// Add records a transfer. Transfers of no funds (Amount <= 0) and from an
// address to itself move no money and are ignored; one already recorded
// (same endpoints and height) is recorded once.
func (g *Graph) Add(t Transfer) {
	if t.Amount <= 0 {
		return
	}
	e := edge{graphKey(t.From), graphKey(t.To), t.Height}
	if e.from == e.to || (t.TxID != "" && g.seenTx[t.TxID]) {
		return
	}
	if i, ok := g.seen[e]; ok {
		if t.TxID != "" {
			g.seenTx[t.TxID] = true
			g.amounts[i] += t.Amount
		}
		return
	}
	if g.max == 0 {
		g.max = TransfersMax
	}
	if len(g.edges) >= g.max {
		g.overflow++
		return
	}
	if g.seen == nil {
		g.seen, g.seenTx, g.out, g.in = map[edge]int{}, map[string]bool{}, map[string][]int{}, map[string][]int{}
	}
	if t.TxID != "" {
		g.seenTx[t.TxID] = true
	}
	i := len(g.edges)
	g.edges = append(g.edges, e)
	g.amounts = append(g.amounts, t.Amount)
	g.seen[e] = i
	g.out[e.from] = append(g.out[e.from], i)
	g.in[e.to] = append(g.in[e.to], i)
}

// AddBlock records every transaction of a block (chain.QueryBlock's answer).
func (g *Graph) AddBlock(b chain.BlockInfo) {
	for _, tx := range b.Txs {
		g.Add(Transfer{From: tx.From, To: tx.To, Amount: tx.Amount, Height: b.Height, TxID: tx.TxID})
	}
}

// Len is the number of distinct transfers recorded.
func (g *Graph) Len() int {
	if g == nil {
		return 0
	}
	return len(g.edges)
}

// Full reports whether a transfer was not recorded for lack of room.
func (g *Graph) Full() bool { return g != nil && g.overflow > 0 }

// Taint reports whether addr (any formatting variant) received funds from
// an address carrying any of tags within hops transfers, following money
// forward in time: a tagged source pays A at height h1, A pays B at h2 >=
// h1, and so on to addr. A transfer at a lower height than the one that
// brought the money cannot have passed it on; at the same height it might
// have (the graph knows heights, not positions in the block), so it counts.
// Money does not pass through an address tagged exchange (unless exchanges
// are among tags): the exchange itself can be tainted, those it pays are
// not by that route. An address's own tags are not taint (ask List.Tags),
// and money that left addr and came back does not taint it again.
//
// The path is the evidence, from the source to addr: one of the shortest,
// and of those the least in address order, compared from the source on.
// Nothing is tainted for a nil list or graph, hops < 1, no tags, or an
// addr that is not an address. Cycles terminate: each round of the search
// goes one hop further and it stops when a round finds nothing new.
func (g *Graph) Taint(l *List, addr string, hops int, tags ...Tag) (bool, []string) {
	return g.TaintAt(l, addr, hops, math.MaxUint64, tags...)
}

// TaintAt is Taint as of height at: only money that reached addr in a
// transfer at a height of at most at counts (what arrived later cannot
// have funded a payment made at that height). A deposit screened at its
// own height gets the same answer whenever, and by whichever node, it is
// screened, however many blocks the graph has learned since.
func (g *Graph) TaintAt(l *List, addr string, hops int, at uint64, tags ...Tag) (bool, []string) {
	if g == nil || l == nil || hops < 1 || len(tags) == 0 {
		return false, nil
	}
	target, why := normalize(addr)
	if why != "" {
		return false, nil
	}
	q := &taintQuery{g: g, l: l, target: target, tags: tags, at: at,
		hist: map[string][]mark{target: {{0, at}}}}
	// Round r computes, for every address u, the latest height at which
	// money at u can still leave and reach target within r transfers
	// (backwards from target). The first round in which a tagged source
	// gets such a height is the length of the shortest path.
	frontier := []string{target}
	for r := 1; r <= hops && len(frontier) > 0; r++ {
		next := map[string]uint64{}
		var changed, found []string
		for _, w := range frontier {
			if r > 1 && q.stop(w) {
				continue // an exchange passes nothing on
			}
			lw, _ := q.latest(w, r-1)
			for _, i := range g.in[w] {
				e := g.edges[i]
				u := e.from
				if u == target || e.height > lw {
					continue
				}
				if cur, ok := q.latest(u, r-1); ok && e.height <= cur {
					continue
				}
				if n, ok := next[u]; ok {
					next[u] = max(n, e.height)
					continue
				}
				next[u] = e.height
				changed = append(changed, u)
			}
		}
		for _, u := range changed {
			q.hist[u] = append(q.hist[u], mark{r, next[u]})
			if q.source(u) {
				found = append(found, u)
			}
		}
		if len(found) > 0 {
			return true, q.path(slices.Min(found), r)
		}
		frontier = changed
	}
	return false, nil
}

// mark is the latest departure height of an address as of a round.
type mark struct {
	round  int
	height uint64
}

type taintQuery struct {
	g      *Graph
	l      *List
	target string
	at     uint64 // the latest height of a transfer into target that counts
	tags   []Tag
	hist   map[string][]mark // address -> its marks, rounds increasing
}

func (q *taintQuery) source(a string) bool {
	for _, t := range q.l.tagsOf(a) {
		if slices.Contains(q.tags, t) {
			return true
		}
	}
	return false
}

func (q *taintQuery) stop(a string) bool {
	return slices.Contains(q.l.tagsOf(a), TagExchange) && !q.source(a)
}

// latest returns the latest height at which money at a can leave and
// reach the target within r transfers, if any.
func (q *taintQuery) latest(a string, r int) (uint64, bool) {
	ms := q.hist[a]
	for i := len(ms) - 1; i >= 0; i-- {
		if ms[i].round <= r {
			return ms[i].height, true
		}
	}
	return 0, false
}

// path walks forward from source s over exactly k transfers, at each step
// taking the least next address (then the lowest height) from which the
// target is still reachable in the transfers left. The rounds recorded in
// hist say which those are, so the walk never backtracks.
func (q *taintQuery) path(s string, k int) []string {
	path := []string{s}
	cur, arrival := s, uint64(0) // a source's own funds may leave at any height
	for j := 0; j < k; j++ {
		left := k - j - 1
		best := -1
		for _, i := range q.g.out[cur] {
			e := q.g.edges[i]
			if e.height < arrival {
				continue
			}
			if left == 0 {
				if e.to != q.target || e.height > q.at {
					continue
				}
			} else {
				lw, ok := q.latest(e.to, left)
				if e.to == q.target || q.stop(e.to) || !ok || e.height > lw {
					continue
				}
			}
			if best < 0 {
				best = i
				continue
			}
			b := q.g.edges[best]
			if e.to < b.to || e.to == b.to && e.height < b.height {
				best = i
			}
		}
		if best < 0 {
			panic(fmt.Sprintf("compliance: taint path from %s lost at %s after %d of %d hops", s, cur, j, k))
		}
		e := q.g.edges[best]
		path = append(path, e.to)
		cur, arrival = e.to, e.height
	}
	return path
}
