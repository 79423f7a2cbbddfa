package audit

import (
	"bytes"
	"encoding/hex"
	"errors"
	"math/rand/v2"
	"strings"
	"testing"

	"vaultdrill/system/env"
	"vaultdrill/system/env/envtest"
)

const replicaName = "audit/replica/wallet-1"

func replicaOf(t *testing.T, d env.Disk) *Replica {
	t.Helper()
	r, err := OpenReplica(d, replicaName)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// A replica takes batches that continue its head, resends that overlap
// what it holds, and reads back from disk as the origin's log does.
func TestReplicaAcceptsContinuation(t *testing.T) {
	good := chainOf(t, 6)
	d := envtest.NewMemDisk()
	r := replicaOf(t, d)
	steps := []struct {
		batch []Entry
		added int
		head  uint64
	}{
		{good[:2], 2, 2},
		{good[2:4], 2, 4},
		{good[1:5], 1, 5}, // a resend after a lost ack: the overlap is checked, the rest kept
		{good[:5], 0, 5},  // all held
		{nil, 0, 5},
		{good[5:], 1, 6},
	}
	for i, s := range steps {
		n, err := r.Accept(s.batch)
		if err != nil || n != s.added {
			t.Fatalf("step %d: added %d, %v; want %d", i, n, err, s.added)
		}
		if seq, h := r.Head(); seq != s.head || h != good[seq-1].Hash {
			t.Fatalf("step %d: head %d", i, seq)
		}
	}
	entries, valid, err := ParseFile(replicaName, d.Durable(replicaName))
	if err != nil || valid != len(d.Durable(replicaName)) {
		t.Fatalf("parse: %v", err)
	}
	if err := VerifyHead(entries, 6, good[5].Hash); err != nil {
		t.Fatal(err)
	}
	// The durable copy is the origin's entries, byte for byte.
	for i := range entries {
		if !bytes.Equal(Encode(entries[i]), Encode(good[i])) {
			t.Fatalf("entry %d differs from the origin's", i+1)
		}
	}
	r2 := replicaOf(t, d)
	if seq, h := r2.Head(); seq != 6 || h != good[5].Hash {
		t.Fatalf("reopened head %d", seq)
	}
}

// A gap, a fork or an altered, reordered or duplicated batch is refused
// with its sentinel, and nothing of it is written.
func TestReplicaRejects(t *testing.T) {
	good := chainOf(t, 6)
	// other shares entries 1 and 2 with good and then takes another path.
	fork := logOf(t, envtest.NewMemDisk(), 2)
	d3 := decision(3)
	d3.Detail = "another third decision"
	fork.Append(d3)
	fork.Append(decision(4))
	other := fork.Entries(1)
	alter := func(i int) []Entry {
		c := append([]Entry(nil), good...)
		c[i].Decision = "deny" // not rehashed
		return c
	}
	cases := []struct {
		name  string
		batch []Entry
		want  error
	}{
		{"gap", good[4:], ErrGap},
		{"fork at a held entry", other[2:], ErrFork},
		{"fork inside the overlap", other[1:4], ErrFork},
		{"fork at the next entry", other[3:], ErrFork},
		{"altered next entry", alter(3)[3:5], ErrBroken},
		{"altered held entry", alter(1)[1:], ErrBroken},
		{"reordered", pick(good, 3, 5, 4), ErrBroken},
		{"duplicated", pick(good, 3, 3), ErrBroken},
		{"removed inside the batch", pick(good, 3, 5), ErrBroken},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := envtest.NewMemDisk()
			r := replicaOf(t, d)
			if _, err := r.Accept(good[:3]); err != nil {
				t.Fatal(err)
			}
			before := append([]byte(nil), d.Durable(replicaName)...)
			n, err := r.Accept(tc.batch)
			// a broken batch is not a fork: ErrFork wraps the verifier's
			// error too, so ErrBroken alone would not tell them apart
			if !errors.Is(err, tc.want) || n != 0 || tc.want == ErrBroken && errors.Is(err, ErrFork) {
				t.Fatalf("got %d, %v; want %v", n, err, tc.want)
			}
			if !strings.HasPrefix(err.Error(), "audit: ") {
				t.Fatalf("error %q is not package-prefixed", err)
			}
			if seq, _ := r.Head(); seq != 3 || !bytes.Equal(d.Durable(replicaName), before) {
				t.Fatalf("a refused batch changed the replica (head %d)", seq)
			}
			// and the replica still takes the true continuation
			if n, err := r.Accept(good[3:]); err != nil || n != 3 {
				t.Fatalf("after the refusal: %d, %v", n, err)
			}
		})
	}
}

// A crash mid-batch leaves whole records and a torn one: reopening cuts
// the torn one, keeps a sound prefix, and the resent batch completes it.
func TestReplicaSurvivesCrash(t *testing.T) {
	good := chainOf(t, 8)
	for s := uint64(1); s <= 20; s++ {
		d := envtest.NewMemDisk()
		r := replicaOf(t, d)
		if _, err := r.Accept(good[:3]); err != nil {
			t.Fatal(err)
		}
		var b []byte
		for _, e := range good[3:] {
			b = append(b, env.Record(Encode(e))...)
		}
		d.Append(replicaName, b) // Accept's write, crashed before its sync
		d.Crash(true, rand.New(rand.NewPCG(s, 2)))
		r2, err := OpenReplica(d, replicaName)
		if err != nil {
			t.Fatalf("seed %d: %v", s, err)
		}
		seq, _ := r2.Head()
		if seq < 3 {
			t.Fatalf("seed %d: lost synced entries (head %d)", s, seq)
		}
		if _, err := r2.Accept(good[3:]); err != nil {
			t.Fatalf("seed %d: resend: %v", s, err)
		}
		if seq, h := r2.Head(); seq != 8 || h != good[7].Hash {
			t.Fatalf("seed %d: head %d after resend", s, seq)
		}
	}
}

func TestAnchorRoundTrip(t *testing.T) {
	good := chainOf(t, 3)
	cases := []Anchor{
		{Origin: "wallet-1", Seq: 3, Hash: good[2].Hash},
		{Origin: "w", Seq: 1},
		{Origin: strings.Repeat("a", OriginMax), Seq: 1<<64 - 1, Hash: [32]byte{0xff, 1}},
		{Origin: "eu.region_2/wallet-9", Seq: 10},
	}
	for _, a := range cases {
		m, err := a.Memo()
		if err != nil {
			t.Fatalf("%+v: %v", a, err)
		}
		if len(m) > AnchorMax || len(m) > 256 {
			t.Fatalf("%q: %d bytes", m, len(m))
		}
		if !IsAnchor(m) {
			t.Fatalf("%q not recognised", m)
		}
		got, err := ParseAnchor(m)
		if err != nil || got != a {
			t.Fatalf("%q parses as %+v, %v", m, got, err)
		}
	}
	m, _ := cases[0].Memo()
	if want := "audit1:wallet-1:3:" + hex.EncodeToString(good[2].Hash[:]); m != want {
		t.Fatalf("memo %q", m)
	}
}

func TestParseAnchorRejects(t *testing.T) {
	h := strings.Repeat("ab", 32)
	for _, s := range []string{
		"",
		"audit1:",
		"audit2:w:1:" + h,
		"Audit1:w:1:" + h,
		"audit1::1:" + h,
		"audit1:w:0:" + h,
		"audit1:w:01:" + h,
		"audit1:w:+1:" + h,
		"audit1:w:-1:" + h,
		"audit1:w:18446744073709551616:" + h,
		"audit1:w:1:" + strings.ToUpper(h),
		"audit1:w:1:" + h[:62],
		"audit1:w:1:" + h + "00",
		"audit1:w:1:" + h[:63] + "g",
		"audit1:w:x:1:" + h,
		"audit1:w x:1:" + h,
		"audit1:w:1:" + h + ":",
		"audit1:" + strings.Repeat("a", OriginMax+1) + ":1:" + h,
	} {
		if a, err := ParseAnchor(s); !errors.Is(err, ErrAnchor) {
			t.Errorf("%q: got %+v, %v; want ErrAnchor", s, a, err)
		}
	}
	if _, err := (Anchor{Origin: "a:b", Seq: 1}).Memo(); !errors.Is(err, ErrAnchor) {
		t.Errorf("origin with a colon: %v", err)
	}
	if _, err := (Anchor{Origin: "w"}).Memo(); !errors.Is(err, ErrAnchor) {
		t.Errorf("seq 0: %v", err)
	}
}

// Anchors catch what the chain alone cannot: a cut end and a rewrite
// rehashed from some point on.
func TestVerifyAnchors(t *testing.T) {
	good := chainOf(t, 5)
	anchors := []Anchor{{"wallet-1", 2, good[1].Hash}, {"wallet-1", 5, good[4].Hash}}
	rewritten := logOf(t, envtest.NewMemDisk(), 3)
	d := decision(4)
	d.Decision = "deny"
	rewritten.Append(d)
	rewritten.Append(decision(5))
	altered := append([]Entry(nil), good...)
	altered[1].IP = "10.9.9.9"
	cases := []struct {
		name  string
		chain []Entry
		seq   uint64
		why   Reason
	}{
		{"sound", good, 0, ""},
		{"grew past the anchors", append(append([]Entry(nil), good...), chainOf(t, 6)[5]), 0, ""},
		{"cut after the first anchor", good[:4], 5, ReasonRemoved},
		{"rewritten and rehashed", rewritten.Entries(1), 5, ReasonForked},
		{"altered", altered, 2, ReasonAltered},
		{"reordered", pick(good, 0, 2, 1, 3, 4), 2, ReasonReordered},
		{"removed", pick(good, 0, 1, 3, 4), 3, ReasonRemoved},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := wantBreak(VerifyAnchors(tc.chain, anchors), tc.seq, tc.why); err != nil {
				t.Error(err)
			}
		})
	}
}
