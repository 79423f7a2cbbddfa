package compliance

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"vaultdrill/system/chain"
)

// addr returns a canonical test address with the prefix ("k1" or "ed").
// Its first hex byte is n, so addresses of one prefix sort by n.
func addr(prefix string, n int) string {
	h := sha256.Sum256([]byte(fmt.Sprintf("vaultdrill/compliance/test/%d", n)))
	return fmt.Sprintf("%s%02x%s", prefix, n, hex.EncodeToString(h[:])[:38])
}

func k1(n int) string { return addr("k1", n) }

// group splits s into groups of n characters joined by sep.
func group(s string, n int, sep string) string {
	var parts []string
	for len(s) > n {
		parts = append(parts, s[:n])
		s = s[n:]
	}
	return strings.Join(append(parts, s), sep)
}

// variants returns formatting variants of canonical address c, by name.
func variants(c string) [][2]string {
	p, h := c[:2], c[2:]
	up := strings.ToUpper
	return [][2]string{
		{"canonical", c},
		{"upper case", up(c)},
		{"mixed case", up(p) + h[:20] + up(h[20:])},
		{"0x", p + "0x" + h},
		{"0X upper", up(p + "0x" + h)},
		{"dashes", p + "-" + group(h, 4, "-")},
		{"colons", p + ":" + group(h, 2, ":")},
		{"underscores", p + group(h, 8, "_")},
		{"spaces", p + " " + group(h, 4, " ")},
		{"tabs", p + "\t" + group(h, 10, "\t")},
		{"surrounding blanks", " \t " + c + " \r\n"},
		{"everything", "  " + up(p) + ": 0X " + up(group(h, 4, "- ")) + "\t"},
	}
}

func mustParse(t testing.TB, text string) *List {
	t.Helper()
	l, err := ParseList(text)
	if err != nil {
		t.Fatalf("ParseList: %v\n%s", err, text)
	}
	return l
}

func TestParseListGood(t *testing.T) {
	s, m, e, x := k1(1), k1(2), addr("ed", 3), k1(4)
	text := "# sanctions list for the drill\r\n" +
		"\n" +
		"  version 2026-11-24.1   # second revision\r\n" +
		"sanctioned " + strings.ToUpper(s) + "\n" +
		"mixer\t" + s[:2] + "0x" + s[2:] + "   # the same address: a sanctioned mixer\n" +
		"sanctioned " + s[:2] + "-" + group(s[2:], 4, "-") + " # listed again in another form: harmless\n" +
		"mixer      " + m + "\n" +
		"exchange " + group(e, 6, " ") + "\n" +
		"scam " + x + "\n" +
		"# end"
	l := mustParse(t, text)
	if l.Version != "2026-11-24.1" {
		t.Errorf("Version = %q", l.Version)
	}
	want := map[string][]Tag{
		s:     {TagMixer, TagSanctioned},
		m:     {TagMixer},
		e:     {TagExchange},
		x:     {TagScam},
		k1(9): nil,
	}
	for _, a := range []string{s, m, e, x, k1(9)} {
		if got := l.Tags(a); !slices.Equal(got, want[a]) {
			t.Errorf("Tags(%s) = %v, want %v", a, got, want[a])
		}
	}
	if got, wantAddrs := l.Addresses(), []string{e, s, m, x}; !slices.Equal(got, wantAddrs) {
		t.Errorf("Addresses = %v, want %v (sorted)", got, wantAddrs)
	}
	if l.Len() != 4 {
		t.Errorf("Len = %d, want 4", l.Len())
	}
	if !l.Has(strings.ToUpper(s), TagSanctioned) || l.Has(m, TagSanctioned, TagScam) {
		t.Error("Has disagrees with Tags")
	}
	render := "version 2026-11-24.1\n" +
		"exchange   " + e + "\n" +
		"mixer      " + s + "\n" +
		"sanctioned " + s + "\n" +
		"mixer      " + m + "\n" +
		"scam       " + x + "\n"
	if got := l.String(); got != render {
		t.Errorf("String:\n%s\nwant:\n%s", got, render)
	}
	again := mustParse(t, l.String())
	if again.String() != l.String() || again.Version != l.Version {
		t.Errorf("re-parse differs:\n%s", again)
	}
	// A returned slice is a copy: changing it changes nothing.
	l.Tags(s)[0] = TagExchange
	if got := l.Tags(s); !slices.Equal(got, want[s]) {
		t.Errorf("Tags aliased the list: %v", got)
	}
}

func TestParseListVersionOnly(t *testing.T) {
	l := mustParse(t, "version 1")
	if l.Version != "1" || l.Len() != 0 || l.String() != "version 1\n" {
		t.Errorf("got %q, %d addresses, %q", l.Version, l.Len(), l.String())
	}
}

func TestParseListErrors(t *testing.T) {
	a, b := k1(1), k1(2)
	head := "# header\nversion v1\n"
	cases := []struct {
		name, text string
		want       string // the whole error text
	}{
		{"empty", "", `compliance: list: no version line`},
		{"comments only", "# one\n\n   # two\n", `compliance: list: no version line`},
		{"entry before version", "# x\nsanctioned " + a + "\nversion v1\n",
			`compliance: list line 2: want "version V" before any entry, got "sanctioned ` + a + `"`},
		{"version without value", "version\n", `compliance: list line 1: bad version "" (1 to 64 of A-Z a-z 0-9 . _ : + -)`},
		{"version with a slash", "\nversion 2026/11\n", `compliance: list line 2: bad version "2026/11" (1 to 64 of A-Z a-z 0-9 . _ : + -)`},
		{"version with a blank", "version v 1\n", `compliance: list line 1: bad version "v 1" (1 to 64 of A-Z a-z 0-9 . _ : + -)`},
		{"version too long", "version " + strings.Repeat("9", VersionMax+1) + "\n",
			`compliance: list line 1: bad version "` + strings.Repeat("9", quoteMax) + `" (1 to 64 of A-Z a-z 0-9 . _ : + -)`},
		{"second version", head + "sanctioned " + a + "\nversion v2\n",
			`compliance: list line 4: second version line (the version was set at line 2)`},
		{"unknown tag at line 7", "# header\n# more\nversion v1\n\nsanctioned " + a + "\nmixer " + b + "\nmixr " + k1(3) + "\n",
			`compliance: list line 7: unknown tag "mixr" (known: exchange, mixer, sanctioned, scam)`},
		{"tag in upper case", head + "Sanctioned " + a + "\n",
			`compliance: list line 3: unknown tag "Sanctioned" (known: exchange, mixer, sanctioned, scam)`},
		{"tag without address", head + "scam   # forgot it\n", `compliance: list line 3: tag scam without an address`},
		{"short address", head + "scam k1abcdef\n", `compliance: list line 3: not an address: "k1abcdef": 6 hex digits, want 40`},
		{"unknown prefix", head + "scam zz" + a[2:] + "\n", `compliance: list line 3: not an address: "zz` + a[2:] + `": no k1 or ed prefix`},
		{"non-hex digit", head + "\nscam " + a[:41] + "g\n", `compliance: list line 4: not an address: "` + a[:41] + `g": 'g' is not a hex digit or separator`},
		{"exchange then sanctioned", head + "exchange " + a + "\nmixer " + b + "\nsanctioned " + strings.ToUpper(a) + "\n",
			`compliance: list line 5: ` + a + ` tagged sanctioned conflicts with its tag exchange (address first listed at line 3)`},
		{"scam then exchange", head + "scam " + a + "\nmixer " + a + "\nexchange " + a[:2] + "0x" + a[2:] + "\n",
			`compliance: list line 5: ` + a + ` tagged exchange conflicts with its tag mixer (address first listed at line 3)`},
		{"line too long", head + "# " + strings.Repeat("x", LineMax) + "\n", fmt.Sprintf(`compliance: list line 3: %d bytes, max %d`, LineMax+2, LineMax)},
		{"too many lines", head + strings.Repeat("#\n", ListMax), fmt.Sprintf(`compliance: list line %d: more than %d lines`, ListMax+1, ListMax)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l, err := ParseList(c.text)
			if err == nil {
				t.Fatalf("parsed (version %q, %d addresses), want error %q", l.Version, l.Len(), c.want)
			}
			if err.Error() != c.want {
				t.Errorf("error:\n got %s\nwant %s", err, c.want)
			}
			var le *ListError
			if !errors.Is(err, ErrBadList) || !errors.As(err, &le) {
				t.Errorf("%v is not a *ListError wrapping ErrBadList", err)
			}
		})
	}
}

func TestNormalizeVariants(t *testing.T) {
	for _, c := range []string{k1(1), addr("ed", 2), "k1" + strings.Repeat("0", 40), "ed" + strings.Repeat("f", 40)} {
		l := mustParse(t, "version v1\nsanctioned "+c+"\n")
		scr := NewScreener(l, NewGraph(), 3)
		for _, v := range variants(c) {
			name, text := v[0], v[1]
			got, err := Normalize(text)
			if err != nil || got != c {
				t.Errorf("%s: Normalize(%q) = %q, %v; want %q", name, text, got, err, c)
			}
			if tags := l.Tags(text); !slices.Equal(tags, []Tag{TagSanctioned}) {
				t.Errorf("%s: Tags(%q) = %v, want [sanctioned]", name, text, tags)
			}
			for _, r := range []Result{scr.ScreenWithdrawal(text, 10), scr.ScreenDeposit(text, 10)} {
				if r.Decision != Deny || r.Address != c || r.ListVersion != "v1" {
					t.Errorf("%s: screening %q gave %+v, want deny of %s under v1", name, text, r, c)
				}
			}
			// The list itself may be written in the variant.
			if name != "surrounding blanks" { // its '\n' would end the line
				if l2, err := ParseList("version v1\nsanctioned " + text + "\n"); err != nil || !l2.Has(c, TagSanctioned) {
					t.Errorf("%s: list entry %q: %v", name, text, err)
				}
			}
		}
	}
}

func TestNormalizeRejects(t *testing.T) {
	a := k1(7)
	h := a[2:]
	cases := map[string]string{
		"empty":                "",
		"blanks":               " \t ",
		"prefix only":          "k1",
		"prefix and 0x":        "k10x",
		"39 hex digits":        a[:41],
		"41 hex digits":        a + "0",
		"unknown prefix":       "0x" + h + "ab",
		"0x before the prefix": "0xk1" + h,
		"prefix split":         "k-1" + h,
		"0x twice":             "k10x0x" + h,
		"0x inside the hex":    "k1" + h[:10] + "0x" + h[10:],
		"non-hex letter":       "k1" + h[:39] + "g",
		"newline inside":       "k1" + h[:20] + "\n" + h[20:],
		"dot separator":        "k1" + group(h, 4, "."),
		"fullwidth digit":      "k1" + h[:39] + "\uff10",
		"kelvin sign prefix":   "\u212a1" + h,
		"bitcoin-like":         "bc1qar0srrr7xfkvy5l643lydnw9re59gtzzwf5mdq",
		"too long":             "k1" + strings.Repeat(" ", AddressTextMax) + h,
		"a withdrawal id":      "w17",
		"nul byte":             "k1" + h[:39] + "\x00",
	}
	for name, text := range cases { // determinism: allowed (independent subtests)
		t.Run(name, func(t *testing.T) {
			got, err := Normalize(text)
			if err == nil || got != "" || !errors.Is(err, ErrNotAddress) {
				t.Errorf("Normalize(%q) = %q, %v; want ErrNotAddress", text, got, err)
			}
			if !strings.HasPrefix(fmt.Sprint(err), "compliance: not an address: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
}

// chainGraph returns a graph of the transfers, each "from>to@height" over
// test addresses by number, with amount 1.
func chainGraph(spec ...string) *Graph {
	g := NewGraph()
	for _, s := range spec {
		g.Add(transfer(s))
	}
	return g
}

func transfer(s string) Transfer {
	var from, to int
	var h uint64
	if _, err := fmt.Sscanf(s, "%d>%d@%d", &from, &to, &h); err != nil {
		panic(s + ": " + err.Error())
	}
	return Transfer{From: k1(from), To: k1(to), Amount: 1, Height: h}
}

func names(path []string) string {
	var out []string
	for _, a := range path {
		n := -1
		for i := 0; i < 256; i++ {
			if k1(i) == a {
				n = i
			}
		}
		out = append(out, fmt.Sprint(n))
	}
	return strings.Join(out, ">")
}

// testList tags 1 sanctioned, 2 mixer, 3 scam, 4 exchange, 5 sanctioned.
func testList(t testing.TB, version string) *List {
	return mustParse(t, "version "+version+"\n"+
		"sanctioned "+k1(1)+"\nmixer "+k1(2)+"\nscam "+k1(3)+"\nexchange "+k1(4)+"\nsanctioned "+k1(5)+"\n")
}

func TestTaint(t *testing.T) {
	l := testList(t, "v1")
	cases := []struct {
		name   string
		edges  []string
		target int
		hops   int
		tags   []Tag
		want   string // the path by address number, "" for not tainted
	}{
		{"direct, 1 hop", []string{"1>10@1"}, 10, 1, []Tag{TagSanctioned}, "1>10"},
		{"exactly 3 hops", []string{"1>10@1", "10>11@2", "11>12@3"}, 12, 3, []Tag{TagSanctioned}, "1>10>11>12"},
		{"4 hops, 3 allowed", []string{"1>10@1", "10>11@2", "11>12@3", "12>13@4"}, 13, 3, []Tag{TagSanctioned}, ""},
		{"4 hops, 4 allowed", []string{"1>10@1", "10>11@2", "11>12@3", "12>13@4"}, 13, 4, []Tag{TagSanctioned}, "1>10>11>12>13"},
		{"hops 0", []string{"1>10@1"}, 10, 0, []Tag{TagSanctioned}, ""},
		{"no tags asked", []string{"1>10@1"}, 10, 3, nil, ""},
		{"other tag asked", []string{"1>10@1"}, 10, 3, []Tag{TagMixer, TagScam}, ""},
		{"mixer", []string{"2>10@1", "10>11@1"}, 11, 2, []Tag{TagMixer, TagScam}, "2>10>11"},
		{"money flows forward only", []string{"10>11@1", "1>10@2"}, 11, 5, []Tag{TagSanctioned}, ""},
		{"shortest path wins", []string{"1>10@1", "10>11@2", "11>12@3", "1>13@4", "13>12@5"}, 12, 5, []Tag{TagSanctioned}, "1>13>12"},
		{"tie: least intermediate", []string{"1>21@1", "21>30@2", "1>20@3", "20>30@4"}, 30, 2, []Tag{TagSanctioned}, "1>20>30"},
		{"tie: least source", []string{"5>30@1", "1>30@9"}, 30, 1, []Tag{TagSanctioned}, "1>30"},
		{"tie: least at the first step", []string{"1>20@1", "20>31@1", "31>40@1", "1>21@1", "21>30@1", "30>40@1"}, 40, 3, []Tag{TagSanctioned}, "1>20>31>40"},
		// The direct route 1>10>12 is too late (10 pays 12 before it is
		// paid); the longer one through 11 arrives in time.
		{"longer path early enough", []string{"1>10@5", "10>12@3", "1>11@1", "11>10@2"}, 12, 3, []Tag{TagSanctioned}, "1>11>10>12"},
		{"longer path beyond hops", []string{"1>10@5", "10>12@3", "1>11@1", "11>10@2"}, 12, 2, []Tag{TagSanctioned}, ""},
		{"same height counts", []string{"1>10@7", "10>11@7"}, 11, 2, []Tag{TagSanctioned}, "1>10>11"},
		{"cycle, target unreachable", []string{"1>10@1", "10>11@2", "11>10@3", "10>11@4", "11>12@0"}, 12, 1000, []Tag{TagSanctioned}, ""},
		{"cycle through the target", []string{"1>10@1", "10>11@2", "11>10@3", "10>12@4", "12>10@5"}, 12, 1000, []Tag{TagSanctioned}, "1>10>12"},
		{"a long cycle, found late", []string{"10>11@1", "11>12@1", "12>13@1", "13>10@1", "1>13@0", "12>14@1"}, 14, 1000, []Tag{TagSanctioned}, "1>13>10>11>12>14"},
		{"exchange tainted itself", []string{"1>4@1"}, 4, 3, []Tag{TagSanctioned}, "1>4"},
		{"exchange passes nothing on", []string{"1>4@1", "4>10@2"}, 10, 3, []Tag{TagSanctioned}, ""},
		{"exchange as a source", []string{"1>4@1", "4>10@2"}, 10, 3, []Tag{TagExchange}, "4>10"},
		{"around the exchange", []string{"1>4@1", "4>10@2", "1>11@1", "11>12@1", "12>10@2"}, 10, 3, []Tag{TagSanctioned}, "1>11>12>10"},
		{"source to source", []string{"5>1@1"}, 1, 1, []Tag{TagSanctioned}, "5>1"},
		{"own tag is not taint", nil, 1, 3, []Tag{TagSanctioned}, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			g := chainGraph(c.edges...)
			ok, path := g.Taint(l, k1(c.target), c.hops, c.tags...)
			if got := names(path); ok != (c.want != "") || got != c.want {
				t.Errorf("Taint = %v %q, want %q", ok, got, c.want)
			}
			if ok && len(path)-1 > c.hops {
				t.Errorf("path of %d hops, max %d", len(path)-1, c.hops)
			}
		})
	}
}

// The result does not depend on the order transfers arrive in.
func TestTaintOrderIndependent(t *testing.T) {
	l := testList(t, "v1")
	const seed = 20261124
	rng := rand.New(rand.NewPCG(seed, 0))
	var spec []string
	for i := 0; i < 300; i++ {
		spec = append(spec, fmt.Sprintf("%d>%d@%d", 1+rng.IntN(40), 1+rng.IntN(40), rng.IntN(30)))
	}
	base := chainGraph(spec...)
	for round := 0; round < 20; round++ {
		rng.Shuffle(len(spec), func(i, j int) { spec[i], spec[j] = spec[j], spec[i] })
		g := chainGraph(spec...)
		for target := 1; target <= 40; target++ {
			for hops := 1; hops <= 4; hops++ {
				ok1, p1 := base.Taint(l, k1(target), hops, TagSanctioned, TagMixer)
				ok2, p2 := g.Taint(l, k1(target), hops, TagSanctioned, TagMixer)
				if ok1 != ok2 || !slices.Equal(p1, p2) {
					t.Fatalf("seed %d round %d target %d hops %d: %v %s vs %v %s (replay: go test -run TestTaintOrderIndependent ./system/compliance/)",
						seed, round, target, hops, ok1, names(p1), ok2, names(p2))
				}
				if ok1 {
					checkPath(t, g, l, p1, hops)
				}
			}
		}
	}
}

// checkPath asserts a taint path is real: a tagged source, transfers in
// the graph at non-decreasing heights, no exchange in the middle.
func checkPath(t *testing.T, g *Graph, l *List, path []string, hops int) {
	t.Helper()
	if len(path) < 2 || len(path)-1 > hops || !l.Has(path[0], TagSanctioned, TagMixer) {
		t.Fatalf("bad path %s", names(path))
	}
	var at uint64
	for i := 0; i+1 < len(path); i++ {
		if i > 0 && l.Has(path[i], TagExchange) {
			t.Fatalf("path %s passes an exchange", names(path))
		}
		best, ok := uint64(0), false
		for _, e := range g.edges {
			if e.from == path[i] && e.to == path[i+1] && e.height >= at && (!ok || e.height < best) {
				best, ok = e.height, true
			}
		}
		if !ok {
			t.Fatalf("path %s: no transfer %d at or after height %d", names(path), i, at)
		}
		at = best
	}
}

func TestGraphAdd(t *testing.T) {
	l := testList(t, "v1")
	g := NewGraph()
	g.Add(Transfer{From: k1(1), To: k1(10), Amount: 0, Height: 1})  // no funds
	g.Add(Transfer{From: k1(1), To: k1(10), Amount: -5, Height: 1}) // no funds
	g.Add(Transfer{From: k1(10), To: k1(10), Amount: 5, Height: 1}) // to itself
	if g.Len() != 0 {
		t.Fatalf("Len = %d after transfers that move nothing", g.Len())
	}
	if ok, _ := g.Taint(l, k1(10), 3, TagSanctioned); ok {
		t.Fatal("a zero transfer tainted")
	}
	// Endpoints in formatting variants are the same nodes.
	g.Add(Transfer{From: strings.ToUpper(k1(1)), To: "k1-0x" + k1(10)[2:], Amount: 5, Height: 2})
	g.Add(Transfer{From: k1(1), To: k1(10), Amount: 6, Height: 2}) // the same edge
	if g.Len() != 1 {
		t.Fatalf("Len = %d, want 1", g.Len())
	}
	if ok, path := g.Taint(l, " "+strings.ToUpper(k1(10)), 1, TagSanctioned); !ok || names(path) != "1>10" {
		t.Fatalf("variant transfer: %v %s", ok, names(path))
	}
	// An endpoint that is not an address still carries money through.
	g.Add(Transfer{From: k1(10), To: "odd", Amount: 1, Height: 3})
	g.Add(Transfer{From: "odd", To: k1(11), Amount: 1, Height: 4})
	if ok, path := g.Taint(l, k1(11), 3, TagSanctioned); !ok || len(path) != 4 || path[2] != "odd" {
		t.Fatalf("through a non-address: %v %q", ok, path)
	}
	if ok, _ := g.Taint(l, "odd", 3, TagSanctioned); ok {
		t.Fatal("a non-address was reported tainted")
	}
	if ok, _ := g.Taint(nil, k1(10), 3, TagSanctioned); ok {
		t.Fatal("tainted under a nil list")
	}
	var nilGraph *Graph
	if ok, _ := nilGraph.Taint(l, k1(10), 3, TagSanctioned); ok || nilGraph.Len() != 0 || nilGraph.Full() {
		t.Fatal("a nil graph is not empty")
	}
	var zero Graph
	zero.Add(transfer("1>10@1"))
	if ok, _ := zero.Taint(l, k1(10), 1, TagSanctioned); !ok {
		t.Fatal("the zero Graph does not record")
	}
}

func TestGraphAddBlock(t *testing.T) {
	l := testList(t, "v1")
	g := NewGraph()
	g.AddBlock(chain.BlockInfo{Height: 4, Txs: []chain.TxInfo{
		{From: k1(1), To: k1(10), Amount: 100},
		{From: k1(10), To: k1(11), Amount: 90},
	}})
	g.AddBlock(chain.BlockInfo{Height: 5, Txs: []chain.TxInfo{{From: k1(11), To: k1(12), Amount: 80}}})
	if ok, path := g.Taint(l, k1(12), 3, TagSanctioned); !ok || names(path) != "1>10>11>12" {
		t.Fatalf("Taint = %v %s", ok, names(path))
	}
}

func TestScreenDecisions(t *testing.T) {
	// 1, 5 sanctioned; 2 mixer; 3 scam; 4 exchange; 6 sanctioned and mixer.
	l := mustParse(t, "version v7\n"+
		"sanctioned "+k1(1)+"\nmixer "+k1(2)+"\nscam "+k1(3)+"\nexchange "+k1(4)+"\nsanctioned "+k1(5)+
		"\nsanctioned "+k1(6)+"\nmixer "+k1(6)+"\n")
	g := chainGraph(
		"1>10@1",            // 10: sanctioned, 1 hop
		"1>11@1", "11>12@2", // 12: sanctioned, 2 hops
		"12>13@3",           // 13: sanctioned, 3 hops (beyond 2)
		"2>20@1",            // 20: mixer, 1 hop
		"3>30@1", "30>31@1", // 31: scam, 2 hops
		"2>40@1", "1>40@2", // 40: mixer and sanctioned
		"1>4@1", "4>50@2", // 50: only through an exchange
		"60>61@1", // 61: clean money
	)
	s := NewScreener(l, g, 2)
	cases := []struct {
		addr     int
		decision Decision
		tags     []Tag
		path     string
		reason   string // for the withdrawal
	}{
		{1, Deny, []Tag{TagSanctioned}, "", "destination is sanctioned"},
		{6, Deny, []Tag{TagMixer, TagSanctioned}, "", "destination is sanctioned"},
		{10, Deny, nil, "1>10", "destination received funds from sanctioned " + k1(1) + " (1 hop)"},
		{12, Deny, nil, "1>11>12", "destination received funds from sanctioned " + k1(1) + " (2 hops)"},
		{40, Deny, nil, "1>40", "destination received funds from sanctioned " + k1(1) + " (1 hop)"},
		{2, Hold, []Tag{TagMixer}, "", "destination is tagged mixer: review"},
		{3, Hold, []Tag{TagScam}, "", "destination is tagged scam: review"},
		{20, Hold, nil, "2>20", "destination received funds from mixer " + k1(2) + " (1 hop): review"},
		{31, Hold, nil, "3>30>31", "destination received funds from scam " + k1(3) + " (2 hops): review"},
		{13, Allow, nil, "", "no sanctioned, mixer or scam exposure"},
		{50, Allow, nil, "", "no sanctioned, mixer or scam exposure"},
		{61, Allow, nil, "", "no sanctioned, mixer or scam exposure"},
		{99, Allow, nil, "", "no sanctioned, mixer or scam exposure"},
		{4, Deny, []Tag{TagExchange}, "1>4", "destination received funds from sanctioned " + k1(1) + " (1 hop)"},
	}
	for _, c := range cases {
		for _, dir := range []string{"withdrawal", "deposit"} {
			var r Result
			reason := c.reason
			if dir == "withdrawal" {
				r = s.ScreenWithdrawal(strings.ToUpper(k1(c.addr)), 100)
			} else {
				r = s.ScreenDeposit(k1(c.addr), 100)
				reason = strings.Replace(reason, "destination", "source", 1)
			}
			if r.Decision != c.decision || !slices.Equal(r.Tags, c.tags) || names(r.Path) != c.path ||
				r.Reason != reason || r.ListVersion != "v7" || r.Address != k1(c.addr) || r.IsError() {
				t.Errorf("%s of %d: %+v\nwant %s tags %v path %q reason %q", dir, c.addr, r, c.decision, c.tags, c.path, reason)
			}
		}
	}
	// Without taint (hops 0) only the tags decide, and no graph is needed.
	tagsOnly := NewScreener(l, nil, 0)
	for n, want := range map[int]Decision{1: Deny, 2: Hold, 3: Hold, 4: Allow, 10: Allow, 20: Allow} { // determinism: allowed (independent checks)
		if r := tagsOnly.ScreenWithdrawal(k1(n), 1); r.Decision != want {
			t.Errorf("tags only, %d: %+v, want %s", n, r, want)
		}
	}
	if r := tagsOnly.ScreenWithdrawal(k1(4), 1); r.Reason != "no sanctioned, mixer or scam exposure (tagged exchange)" {
		t.Errorf("exchange reason %q", r.Reason)
	}
}

// screeningErrors are the ways a screener cannot answer, each with the
// screener and the call that meet it.
func screeningErrors(t *testing.T) []struct {
	name   string
	s      *Screener
	addr   string
	amount int64
	reason string
} {
	l := testList(t, "v1")
	full := chainGraph("60>61@1")
	full.max = 1
	full.Add(transfer("1>10@1"))
	return []struct {
		name   string
		s      *Screener
		addr   string
		amount int64
		reason string
	}{
		{"nil list", NewScreener(nil, NewGraph(), 2), k1(1), 10, "screening error: no sanctions list"},
		{"nil screener", nil, k1(1), 10, "screening error: no screener"},
		{"garbage address", NewScreener(l, NewGraph(), 2), "k1zz", 10, `screening error: not an address: "k1zz": 'z' is not a hex digit or separator`},
		{"empty address", NewScreener(l, NewGraph(), 2), "", 10, "screening error: not an address: empty"},
		{"truncated sanctioned address", NewScreener(l, NewGraph(), 2), k1(1)[:30], 10, `screening error: not an address: "` + k1(1)[:30] + `": 28 hex digits, want 40`},
		{"zero amount", NewScreener(l, NewGraph(), 2), k1(1), 0, "screening error: amount 0 is not positive"},
		{"taint without a graph", NewScreener(l, nil, 2), k1(10), 10, "screening error: taint within 2 hops asked for but no chain graph"},
		{"graph full", NewScreener(l, full, 2), k1(10), 10, "screening error: chain graph full (1 transfers kept): taint unknown"},
	}
}

func TestScreenFailsClosed(t *testing.T) {
	for _, c := range screeningErrors(t) {
		t.Run(c.name, func(t *testing.T) {
			for _, r := range []Result{c.s.ScreenWithdrawal(c.addr, c.amount), c.s.ScreenDeposit(c.addr, c.amount)} {
				if r.Decision != Hold || r.Reason != c.reason || !r.IsError() || r.Address != "" {
					t.Errorf("%+v, want hold with %q", r, c.reason)
				}
			}
		})
	}
}

// The planted bug allows exactly where the correct screener holds on an
// error, and changes nothing else.
func TestFailOpenBug(t *testing.T) {
	for _, c := range screeningErrors(t) {
		t.Run(c.name, func(t *testing.T) {
			bad := c.s.WithBug(BugFailOpen)
			good := c.s.ScreenWithdrawal(c.addr, c.amount)
			got := bad.ScreenWithdrawal(c.addr, c.amount)
			if good.Decision != Hold {
				t.Fatalf("correct screener: %+v", good)
			}
			// A nil screener with a bug is an empty one: it has no list.
			if got.Decision != Allow || !got.IsError() || c.s != nil && got.Reason != c.reason {
				t.Errorf("buggy screener: %+v, want allow with %q", got, c.reason)
			}
			if again := c.s.ScreenDeposit(c.addr, c.amount); again.Decision != Hold {
				t.Errorf("WithBug changed the original: %+v", again)
			}
		})
	}
	l := testList(t, "v1")
	bad := NewScreener(l, chainGraph("2>20@1"), 2).WithBug(BugFailOpen)
	for n, want := range map[int]Decision{1: Deny, 2: Hold, 20: Hold, 61: Allow} { // determinism: allowed (independent checks)
		if r := bad.ScreenWithdrawal(k1(n), 1); r.Decision != want {
			t.Errorf("bug changed a decision without error: %d: %+v, want %s", n, r, want)
		}
	}
	for _, name := range []string{"", "none", "fail-open"} {
		if _, err := ParseBug(name); err != nil {
			t.Errorf("ParseBug(%q): %v", name, err)
		}
	}
	if _, err := ParseBug("fail-closed"); err == nil {
		t.Error("ParseBug accepted an unknown bug")
	}
	defer func() {
		if recover() == nil {
			t.Error("WithBug accepted an unknown bug")
		}
	}()
	bad.WithBug("fail-sideways")
}

// A sanctions list update mid-run: later results follow the new list and
// carry its version; earlier ones keep the old.
func TestSetListMidRun(t *testing.T) {
	target := k1(70)
	g := chainGraph("71>72@1", "72>73@2")
	v1 := mustParse(t, "version 2026-11-24.1\nsanctioned "+k1(1)+"\n")
	v2 := mustParse(t, "version 2026-11-24.2\nsanctioned "+k1(1)+"\nsanctioned "+strings.ToUpper(group(target, 5, "-"))+"\nmixer "+k1(71)+"\n")
	v3 := mustParse(t, "version 2026-11-25.1\nsanctioned "+k1(1)+"\n")
	s := NewScreener(v1, g, 2)
	steps := []struct {
		set      *List
		addr     string
		decision Decision
		version  string
	}{
		{nil, target, Allow, "2026-11-24.1"},
		{nil, k1(73), Allow, "2026-11-24.1"},
		{v2, "  K1-0X" + strings.ToUpper(target[2:]) + " ", Deny, "2026-11-24.2"},
		{nil, target, Deny, "2026-11-24.2"},
		{nil, k1(73), Hold, "2026-11-24.2"}, // now a mixer's money, 2 hops back
		{v3, target, Allow, "2026-11-25.1"}, // delisted
		{v3, k1(73), Allow, "2026-11-25.1"},
	}
	for i, st := range steps {
		if st.set != nil {
			s.SetList(st.set)
		}
		r := s.ScreenWithdrawal(st.addr, 5)
		if r.Decision != st.decision || r.ListVersion != st.version {
			t.Errorf("step %d (%q): %+v, want %s under %s", i, st.addr, r, st.decision, st.version)
		}
		if d := s.ScreenDeposit(st.addr, 5); d.Decision != st.decision || d.ListVersion != st.version {
			t.Errorf("step %d deposit: %+v", i, d)
		}
	}
	if s.List() != v3 {
		t.Error("List does not return the list in use")
	}
	s.SetList(nil)
	if r := s.ScreenWithdrawal(target, 5); r.Decision != Hold || !r.IsError() || r.ListVersion != "" {
		t.Errorf("after SetList(nil): %+v", r)
	}
}

func TestNewScreenerNegativeHops(t *testing.T) {
	l := testList(t, "v1")
	if r := NewScreener(l, nil, -3).ScreenWithdrawal(k1(10), 1); r.Decision != Allow {
		t.Errorf("negative hops: %+v, want allow by tags alone", r)
	}
}

// bruteTaint is the oracle for Taint: every walk from a tagged source to
// the target over at most hops transfers, heights non-decreasing, no
// exchange and no target in the middle; the shortest, then the least in
// address order from the source on.
func bruteTaint(g *Graph, l *List, target string, hops int, tags ...Tag) []string {
	source := func(a string) bool {
		return slices.ContainsFunc(l.tagsOf(a), func(t Tag) bool { return slices.Contains(tags, t) })
	}
	stop := func(a string) bool { return slices.Contains(l.tagsOf(a), TagExchange) && !source(a) }
	var best []string
	better := func(p []string) bool {
		return best == nil || len(p) < len(best) || len(p) == len(best) && slices.Compare(p, best) < 0
	}
	var walk func(p []string, at uint64)
	walk = func(p []string, at uint64) {
		cur := p[len(p)-1]
		if cur == target {
			if better(p) {
				best = slices.Clone(p)
			}
			return
		}
		if len(p)-1 == hops || len(p) > 1 && stop(cur) {
			return
		}
		for _, e := range g.edges {
			if e.from == cur && e.height >= at {
				walk(append(p, e.to), e.height)
			}
		}
	}
	var starts []string
	for _, e := range g.edges {
		if source(e.from) && e.from != target && !slices.Contains(starts, e.from) {
			starts = append(starts, e.from)
		}
	}
	for _, s := range starts {
		walk([]string{s}, 0)
	}
	return best
}

// Taint agrees with the brute-force oracle on small random graphs.
func TestTaintOracle(t *testing.T) {
	l := testList(t, "v1") // among 1..8: 1, 5 sanctioned; 2 mixer; 3 scam; 4 exchange
	for seed := uint64(1); seed <= 400; seed++ {
		rng := rand.New(rand.NewPCG(seed, 7))
		var spec []string
		for i := 0; i < 4+rng.IntN(14); i++ {
			spec = append(spec, fmt.Sprintf("%d>%d@%d", 1+rng.IntN(8), 1+rng.IntN(8), rng.IntN(6)))
		}
		g := chainGraph(spec...)
		tagSets := [][]Tag{{TagSanctioned}, {TagMixer, TagScam}, {TagExchange}, {TagSanctioned, TagMixer, TagScam}}
		for target := 1; target <= 8; target++ {
			for hops := 0; hops <= 5; hops++ {
				for _, tags := range tagSets {
					want := bruteTaint(g, l, k1(target), hops, tags...)
					ok, got := g.Taint(l, k1(target), hops, tags...)
					if ok != (want != nil) || !slices.Equal(got, want) {
						t.Fatalf("seed %d, transfers %v, target %d, hops %d, tags %v: Taint = %v %s, oracle %s\nreplay: go test -count=1 -run TestTaintOracle ./system/compliance/",
							seed, spec, target, hops, tags, ok, names(got), names(want))
					}
				}
			}
		}
	}
}
