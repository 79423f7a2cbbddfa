package compliance

import "math"

// A peel chain moves a large sum through a row of fresh addresses, each
// of which takes one payment in and sends two out: most of it on to the
// next address and a small slice (the "peel") somewhere else, so that no
// single transfer looks like the whole. On an account chain a peel hop is
// an address with exactly one incoming transfer and exactly two outgoing
// ones, made no earlier than the one that came in, whose amounts split
// between 90:10 and 99:1 (the smaller is 1% to 10% of the two together).
// The chain continues through the larger output.
//
// PeelHops counts the hops of the chain that ends at an address: the
// address itself, if it is a peel hop (its deposit being one of its two
// outputs, the continuation or the peel), then the address that paid it,
// if that is a peel hop whose larger output paid it, and so on back.

// PeelHopsMax bounds the walk back along a peel chain.
const PeelHopsMax = 64

// PeelHops returns how many peel hops end at addr (any formatting
// variant), judged from the transfers at heights of at most at: the same
// answer whenever it is asked, as long as the graph held every transfer up
// to that height. 0 for a nil graph, an addr that is not an address, or
// an address that is not a peel hop. A graph that overflowed may miss
// transfers and so see a peel hop where there is none; callers that care
// check Full.
func (g *Graph) PeelHops(addr string, at uint64) int {
	if g == nil {
		return 0
	}
	cur, why := normalize(addr)
	if why != "" {
		return 0
	}
	n := 0
	via := -1 // the edge the walk came back along: cur's output to the hop after it
	seen := map[string]bool{}
	for n < PeelHopsMax && !seen[cur] {
		seen[cur] = true
		in, ok := g.peelHop(cur, at)
		if !ok {
			break
		}
		if via >= 0 && !g.larger(cur, via, at) {
			break // cur peeled a slice off to the next one: the chain does not run through it
		}
		n++
		via = in
		cur = g.edges[in].from
	}
	return n
}

// peelHop reports whether a is a peel hop as of height at, and the index
// of its one incoming edge.
func (g *Graph) peelHop(a string, at uint64) (int, bool) {
	in := g.edgesAt(g.in[a], at)
	if len(in) != 1 {
		return 0, false
	}
	h := g.edges[in[0]].height
	var out []int
	for _, i := range g.edgesAt(g.out[a], at) {
		if g.edges[i].height >= h {
			out = append(out, i)
		}
	}
	if len(out) != 2 {
		return 0, false
	}
	return in[0], peelSplit(g.amounts[out[0]], g.amounts[out[1]])
}

// larger reports whether edge i is the larger of a's two outputs (as of
// height at); equal outputs are not a peel split, so ties do not arise.
func (g *Graph) larger(a string, i int, at uint64) bool {
	for _, j := range g.edgesAt(g.out[a], at) {
		if j != i && g.amounts[j] > g.amounts[i] {
			return false
		}
	}
	return true
}

// edgesAt returns the indices of the edges at heights of at most at.
func (g *Graph) edgesAt(idx []int, at uint64) []int {
	var out []int
	for _, i := range idx {
		if g.edges[i].height <= at {
			out = append(out, i)
		}
	}
	return out
}

// peelSplit reports whether two positive amounts split between 90:10 and
// 99:1, both ends included.
func peelSplit(a, b int64) bool {
	small, big := min(a, b), max(a, b)
	if small <= 0 || big > math.MaxInt64-small {
		return false
	}
	total := small + big
	// small/total in [10, 100] per mille, without overflow:
	// small*1000 >= total*10  <=>  small >= ceil(total/100)
	// small*1000 <= total*100 <=>  small <= floor(total/10)
	return small >= total/100+min(total%100, 1) && small <= total/10
}
