package compliance

import (
	"fmt"
	"testing"
)

// amountGraph builds a graph of "from>to@height=amount" transfers over test
// addresses by number.
func amountGraph(spec ...string) *Graph {
	g := NewGraph()
	for _, s := range spec {
		var from, to int
		var h uint64
		var amt int64
		if _, err := fmt.Sscanf(s, "%d>%d@%d=%d", &from, &to, &h, &amt); err != nil {
			panic(s + ": " + err.Error())
		}
		g.Add(Transfer{From: k1(from), To: k1(to), Amount: amt, Height: h})
	}
	return g
}

// peelRow is a peel chain from 2 (a mixer in testList) through 10, 11, 12,
// 13: each takes one payment and splits it, most on, a slice off to 5x;
// 13 pays its larger output to 99 (the custody address) at height 6.
func peelRow(splits ...[2]int64) []string {
	spec := []string{fmt.Sprintf("2>10@1=%d", splits[0][0]+splits[0][1])}
	for i, s := range splits {
		next := 10 + i + 1
		if i == len(splits)-1 {
			next = 99
		}
		spec = append(spec, fmt.Sprintf("%d>%d@%d=%d", 10+i, next, 2+i, s[0]), fmt.Sprintf("%d>%d@%d=%d", 10+i, 50+i, 2+i, s[1]))
	}
	return spec
}

func TestPeelHops(t *testing.T) {
	split := func(bigPermille int64) [2]int64 { return [2]int64{bigPermille * 1000, (1000 - bigPermille) * 1000} }
	cases := []struct {
		name   string
		edges  []string
		target int
		at     uint64
		want   int
	}{
		{"four hops 95:5", peelRow(split(950), split(950), split(950), split(950)), 13, 100, 4},
		{"ends 90:10 and 99:1", peelRow(split(900), split(990), split(900)), 12, 100, 3},
		{"three hops, the minimum the typology asks", peelRow(split(960), split(930), split(970)), 12, 100, 3},
		{"50:50 is no peel", peelRow(split(500), split(500), split(500), split(500)), 13, 100, 0},
		{"89:11 is no peel", peelRow(split(890), split(890), split(890)), 12, 100, 0},
		{"99.5:0.5 is no peel", peelRow(split(995), split(995), split(995)), 12, 100, 0},
		{"a 50:50 hop in the middle cuts the chain", peelRow(split(950), split(500), split(950), split(950)), 13, 100, 2},
		{"as of a height before the last split", peelRow(split(950), split(950), split(950), split(950)), 13, 4, 0},
		{"as of the height of the second hop", peelRow(split(950), split(950), split(950), split(950)), 11, 3, 2},
		// 11 is the peel off 10 (its smaller output): 10's chain runs to 12, not 11
		{"the peel is not the chain", []string{"2>10@1=1000", "10>12@2=950", "10>11@2=50", "11>99@3=45", "11>51@3=5"}, 11, 100, 1},
		{"two inputs", append(peelRow(split(950), split(950), split(950)), "3>12@1=7"), 12, 100, 0},
		{"three outputs", append(peelRow(split(950), split(950), split(950)), "12>77@4=1"), 12, 100, 0},
		{"an output before the input does not count", []string{"10>60@1=5", "2>10@2=1000", "10>99@3=950", "10>51@3=50"}, 10, 100, 1},
		{"no transfers", nil, 10, 100, 0},
		{"a cycle ends", []string{"10>11@1=950", "10>50@1=50", "11>10@1=900", "11>51@1=50"}, 10, 100, 2},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			if got := amountGraph(c.edges...).PeelHops(k1(c.target), c.at); got != c.want {
				t.Errorf("PeelHops(%d, at %d) = %d, want %d", c.target, c.at, got, c.want)
			}
		})
	}
	var nilGraph *Graph
	if nilGraph.PeelHops(k1(10), 100) != 0 || NewGraph().PeelHops("not an address", 100) != 0 {
		t.Error("a nil graph or a non-address has peel hops")
	}
}

func TestPeelSplit(t *testing.T) {
	for _, c := range []struct {
		a, b int64
		want bool
	}{
		{90, 10, true}, {10, 90, true}, {99, 1, true}, {95, 5, true},
		{89, 11, false}, {50, 50, false}, {995, 5, false}, {1, 0, false}, {-5, 100, false},
		{1 << 62, 1 << 58, true}, {1<<63 - 1, 1 << 60, false},
	} {
		if got := peelSplit(c.a, c.b); got != c.want {
			t.Errorf("peelSplit(%d, %d) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

// TaintAt counts only money that arrived by the height asked about; the
// deposit screening built on it decides a deposit alike whenever asked.
func TestTaintAtAndScreenDepositAt(t *testing.T) {
	l := testList(t, "v1")
	g := chainGraph("1>10@5", "2>11@3", "11>12@4")
	if ok, _ := g.TaintAt(l, k1(10), 3, 4, TagSanctioned); ok {
		t.Error("tainted as of height 4 by a transfer at height 5")
	}
	if ok, path := g.TaintAt(l, k1(10), 3, 5, TagSanctioned); !ok || names(path) != "1>10" {
		t.Errorf("TaintAt(at 5) = %v %s", ok, names(path))
	}
	s := NewScreener(l, g, 3)
	if r := s.ScreenDepositAt(k1(10), 7, 4); r.Decision != Allow {
		t.Errorf("deposit at height 4: %s (%s), want allow", r.Decision, r.Reason)
	}
	if r := s.ScreenDepositAt(k1(10), 7, 5); r.Decision != Deny {
		t.Errorf("deposit at height 5: %s (%s), want deny", r.Decision, r.Reason)
	}
	if r := s.ScreenDepositAt(k1(12), 7, 9); r.Decision != Hold || len(r.Path) != 3 {
		t.Errorf("mixer-exposed deposit: %s %v, want hold", r.Decision, r.Path)
	}
	// a payment into the source after the deposit must not change its decision
	g.Add(transfer("1>12@8"))
	if r := s.ScreenDepositAt(k1(12), 7, 7); r.Decision != Hold {
		t.Errorf("after a later transfer: %s (%s), want the same hold", r.Decision, r.Reason)
	}
}

func TestExposure(t *testing.T) {
	l := testList(t, "v1")
	g := amountGraph(peelRow([2]int64{950, 50}, [2]int64{900, 50}, [2]int64{850, 50}, [2]int64{800, 50})...)
	s := NewScreener(l, g, 3)
	for _, c := range []struct {
		target      int
		at          uint64
		mixer, peel int
	}{
		{10, 100, 1, 1}, {11, 100, 2, 2}, {13, 100, 4, 4}, {13, 3, 0, 0}, {50, 100, 2, 0},
	} {
		m, p, ok := s.Exposure(k1(c.target), c.at, 6)
		if !ok || m != c.mixer || p != c.peel {
			t.Errorf("Exposure(%d at %d) = %d, %d, %v; want %d, %d", c.target, c.at, m, p, ok, c.mixer, c.peel)
		}
	}
	if m, _, _ := s.Exposure(k1(13), 100, 3); m != 0 {
		t.Errorf("a mixer 4 hops away found within 3: %d", m)
	}
	for name, sc := range map[string]*Screener{"no list": NewScreener(nil, g, 3), "no graph": NewScreener(l, nil, 3)} {
		if _, _, ok := sc.Exposure(k1(13), 100, 6); ok {
			t.Errorf("%s: exposure known", name)
		}
	}
	if _, _, ok := s.Exposure("k1zz", 100, 6); ok {
		t.Error("exposure of a non-address known")
	}
}

// A continuation sent as two transactions to the same next hop in one
// block is one output of their sum: splitting it does not hide the peel.
// The same transaction seen twice (a block read again) counts once.
func TestPeelHopsSumsTransactionsPerEdge(t *testing.T) {
	g := NewGraph()
	add := func(txid string, from, to int, h uint64, amt int64) {
		g.Add(Transfer{From: k1(from), To: k1(to), Amount: amt, Height: h, TxID: txid})
	}
	add("a", 2, 10, 1, 1000)
	for i, hop := range []int{10, 11, 12, 13} {
		next := hop + 1
		if hop == 13 {
			next = 99 // the custody address
		}
		h := uint64(2 + i)
		// 900 on as 800 + 100, 100 off: 90:10 only when the two add up
		add(fmt.Sprintf("on1-%d", hop), hop, next, h, 800)
		add(fmt.Sprintf("on2-%d", hop), hop, next, h, 100)
		add(fmt.Sprintf("off-%d", hop), hop, 50+i, h, 100)
		add(fmt.Sprintf("on2-%d", hop), hop, next, h, 100) // the same transaction again
	}
	if got := g.PeelHops(k1(13), 100); got != 4 {
		t.Fatalf("PeelHops = %d, want 4: the split continuation was not summed (or a repeat was)", got)
	}
}
