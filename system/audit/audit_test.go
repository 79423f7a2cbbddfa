package audit

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"vaultdrill/system/env"
	"vaultdrill/system/env/envtest"
)

const logName = "node/audit"

// decision is the i-th entry of the test workload: every text field set,
// so altering any of them is a real change.
func decision(i int) Entry {
	return Entry{
		Time:          env.Epoch.Add(time.Duration(i)*time.Second + time.Duration(i)*time.Nanosecond),
		Actor:         "wallet-1",
		Action:        "withdrawal.approve",
		Subject:       fmt.Sprintf("w-%d", i),
		Decision:      "allow",
		PolicyVersion: "policy-7",
		Digest:        "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
		Device:        "yubikey-3",
		IP:            "10.1.2.3",
		Detail:        "tier 2: 2 of 3 approvals",
	}
}

// logOf appends n decisions to a fresh log on d.
func logOf(t *testing.T, d env.Disk, n int) *Log {
	t.Helper()
	l, err := Open(d, logName)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= n; i++ {
		if _, err := l.Append(decision(i)); err != nil {
			t.Fatal(err)
		}
	}
	return l
}

func chainOf(t *testing.T, n int) []Entry {
	t.Helper()
	return logOf(t, envtest.NewMemDisk(), n).Entries(1)
}

// wantBreak checks err against a wanted break; (0, "") wants nil.
func wantBreak(err error, seq uint64, r Reason) error {
	if r == "" {
		if err != nil {
			return fmt.Errorf("got %v, want a sound chain", err)
		}
		return nil
	}
	var ve *VerifyError
	if !errors.As(err, &ve) || !errors.Is(err, ErrBroken) {
		return fmt.Errorf("got %v, want a *VerifyError", err)
	}
	if ve.Seq != seq || ve.Reason != r {
		return fmt.Errorf("got %s at %d, want %s at %d", ve.Reason, ve.Seq, r, seq)
	}
	return nil
}

// pick builds a chain from entries of good by index.
func pick(good []Entry, idx ...int) []Entry {
	out := make([]Entry, 0, len(idx))
	for _, i := range idx {
		out = append(out, good[i])
	}
	return out
}

// alterCases change one field of an entry each, without rehashing. The
// names are Entry's field names: TestVerifyAltered checks none is missing,
// so a field added to Entry but left out of the hash fails the test.
var alterCases = []struct {
	field string
	alter func(*Entry)
}{
	{"Seq", func(e *Entry) { e.Seq++ }},
	{"Time", func(e *Entry) { e.Time = e.Time.Add(time.Nanosecond) }},
	{"Actor", func(e *Entry) { e.Actor = "mallory" }},
	{"Action", func(e *Entry) { e.Action = "withdrawal.sign" }},
	{"Subject", func(e *Entry) { e.Subject = "w-999" }},
	{"Decision", func(e *Entry) { e.Decision = "deny" }},
	{"PolicyVersion", func(e *Entry) { e.PolicyVersion = "policy-6" }},
	{"Digest", func(e *Entry) { e.Digest = strings.Repeat("0", 64) }},
	{"Device", func(e *Entry) { e.Device = "" }},
	{"IP", func(e *Entry) { e.IP = "10.1.2.4" }},
	{"Detail", func(e *Entry) { e.Detail += "!" }},
	{"Prev", func(e *Entry) { e.Prev[31] ^= 1 }},
	{"Hash", func(e *Entry) { e.Hash[0] ^= 1 }},
}

func TestVerifyAltered(t *testing.T) {
	covered := map[string]bool{}
	for _, tc := range alterCases {
		covered[tc.field] = true
	}
	typ := reflect.TypeFor[Entry]()
	for i := range typ.NumField() {
		if name := typ.Field(i).Name; !covered[name] {
			t.Errorf("no alteration case for field %s", name)
		}
	}

	good := chainOf(t, 5)
	if err := Verify(good); err != nil {
		t.Fatalf("control: %v", err)
	}
	for _, tc := range alterCases {
		t.Run(tc.field, func(t *testing.T) {
			c := append([]Entry(nil), good...)
			tc.alter(&c[2])
			if err := wantBreak(Verify(c), 3, ReasonAltered); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestVerifyStructure(t *testing.T) {
	good := chainOf(t, 5) // indexes 0..4 hold Seq 1..5
	// other shares entries 1 and 2 with good and then takes another path.
	fork := logOf(t, envtest.NewMemDisk(), 2)
	d := decision(3)
	d.Detail = "a different third decision"
	fork.Append(d)
	other := fork.Entries(1)
	rehash := func(e Entry, f func(*Entry)) Entry {
		f(&e)
		e.Hash = e.ComputeHash()
		return e
	}
	cases := []struct {
		name  string
		chain []Entry
		seq   uint64
		why   Reason
	}{
		{"sound", good, 0, ""},
		{"empty", nil, 0, ""},
		{"single", good[:1], 0, ""},
		{"removed first", pick(good, 1, 2, 3, 4), 1, ReasonRemoved},
		{"removed middle", pick(good, 0, 1, 3, 4), 3, ReasonRemoved},
		{"removed last but one", pick(good, 0, 1, 2, 4), 4, ReasonRemoved},
		{"removed two", pick(good, 0, 3, 4), 2, ReasonRemoved},
		{"swapped middle", pick(good, 0, 2, 1, 3, 4), 2, ReasonReordered},
		{"swapped last two", pick(good, 0, 1, 2, 4, 3), 4, ReasonReordered},
		{"first moved to end", pick(good, 1, 2, 3, 4, 0), 1, ReasonReordered},
		{"duplicated middle", pick(good, 0, 1, 2, 2, 3, 4), 4, ReasonDuplicated},
		{"duplicated last", pick(good, 0, 1, 2, 3, 4, 4), 6, ReasonDuplicated},
		{"duplicated first", pick(good, 0, 0, 1), 2, ReasonDuplicated},
		{"forked", append(pick(good, 0, 1, 2), other[2]), 4, ReasonForked},
		{"replaced and rehashed", append(pick(good, 0, 1), rehash(good[2], func(e *Entry) { e.Decision = "deny" }), good[3]), 4, ReasonRemoved},
		{"first not linked to zero", []Entry{rehash(good[0], func(e *Entry) { e.Prev[0] = 1 })}, 1, ReasonRemoved},
		{"seq zero", []Entry{rehash(good[0], func(e *Entry) { e.Seq = 0 })}, 1, ReasonMalformed},
		{"oversized field", append(pick(good, 0, 1), rehash(good[2], func(e *Entry) { e.Detail = strings.Repeat("x", DetailMax+1) })), 3, ReasonMalformed},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := wantBreak(Verify(tc.chain), tc.seq, tc.why); err != nil {
				t.Error(err)
			}
		})
	}
}

// A chain cut at its end is still a sound chain; a head kept elsewhere is
// what shows the cut.
func TestVerifyHead(t *testing.T) {
	good := chainOf(t, 5)
	seq, hash := good[4].Seq, good[4].Hash
	cases := []struct {
		name      string
		chain     []Entry
		seq       uint64
		hash      [32]byte
		wantSeq   uint64
		wantWhy   Reason
		soundTail bool // Verify alone passes: only the head catches it
	}{
		{"reaches head", good, seq, hash, 0, "", true},
		{"grew past head", good, 3, good[2].Hash, 0, "", true},
		{"empty log, empty head", nil, 0, [32]byte{}, 0, "", true},
		{"removed last", good[:4], seq, hash, 5, ReasonRemoved, true},
		{"removed last two", good[:3], seq, hash, 4, ReasonRemoved, true},
		{"all removed", nil, seq, hash, 1, ReasonRemoved, true},
		{"other history at head", good, 3, good[1].Hash, 3, ReasonForked, true},
		{"impossible head", good, 0, hash, 0, ReasonMalformed, true},
		{"broken chain", pick(good, 0, 2, 3, 4), seq, hash, 2, ReasonRemoved, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if tc.soundTail && Verify(tc.chain) != nil {
				t.Fatalf("Verify: %v, want a sound chain", Verify(tc.chain))
			}
			if err := wantBreak(VerifyHead(tc.chain, tc.seq, tc.hash), tc.wantSeq, tc.wantWhy); err != nil {
				t.Error(err)
			}
		})
	}
}

// A reader pages through a log with Entries and checks each page against
// the head of the one before.
func TestVerifyFromBatches(t *testing.T) {
	good := chainOf(t, 5)
	cases := []struct {
		name  string
		seq   uint64
		hash  [32]byte
		batch []Entry
		want  uint64
		why   Reason
	}{
		{"first page", 0, [32]byte{}, good[:2], 0, ""},
		{"middle page", 2, good[1].Hash, good[2:4], 0, ""},
		{"last page", 4, good[3].Hash, good[4:], 0, ""},
		{"empty page", 5, good[4].Hash, nil, 0, ""},
		{"page skips one", 2, good[1].Hash, good[3:], 3, ReasonRemoved},
		{"wrong head hash", 2, good[0].Hash, good[2:4], 3, ReasonRemoved},
		{"head resent", 2, good[1].Hash, good[1:4], 3, ReasonDuplicated},
		{"other entry at head", 2, good[0].Hash, good[1:2], 3, ReasonForked},
		{"page from the past", 4, good[3].Hash, good[:1], 5, ReasonReordered},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := wantBreak(VerifyFrom(tc.seq, tc.hash, tc.batch), tc.want, tc.why); err != nil {
				t.Error(err)
			}
		})
	}
}

func TestHashCommitsToFieldBoundaries(t *testing.T) {
	a, b := Entry{Seq: 1, Actor: "ab", Action: "c"}, Entry{Seq: 1, Actor: "a", Action: "bc"}
	if a.ComputeHash() == b.ComputeHash() {
		t.Fatal("moving a byte across a field boundary keeps the hash")
	}
	if bytes.Equal(Encode(a), Encode(b)) {
		t.Fatal("moving a byte across a field boundary keeps the encoding")
	}
}

// The format is a contract with replicas and anchors: a change to it must
// be deliberate (a new formatVersion), never a side effect.
func TestFormatPinned(t *testing.T) {
	e := decision(1)
	e.Seq = 1
	got := e.ComputeHash()
	const want = "b7a615bcd08e377ba13e1f7d55dc3d399f60c5ffe9c3b10d5cb129b87825a03e"
	if hex.EncodeToString(got[:]) != want {
		t.Fatalf("hash of the reference entry is %x, pinned %s", got, want)
	}
}

func TestAppendChains(t *testing.T) {
	l, _ := Open(envtest.NewMemDisk(), logName)
	var prev [32]byte
	for i := 1; i <= 4; i++ {
		in := decision(i)
		in.Seq, in.Prev, in.Hash = 99, [32]byte{7}, [32]byte{8} // ignored
		e, err := l.Append(in)
		if err != nil {
			t.Fatal(err)
		}
		if e.Seq != uint64(i) || e.Prev != prev || e.Hash != e.ComputeHash() {
			t.Fatalf("append %d: seq %d, prev %x, hash ok %v", i, e.Seq, e.Prev[:4], e.Hash == e.ComputeHash())
		}
		if seq, h := l.Head(); seq != e.Seq || h != e.Hash {
			t.Fatalf("append %d: head (%d, %x)", i, seq, h[:4])
		}
		prev = e.Hash
	}
	if err := Verify(l.Entries(1)); err != nil {
		t.Fatal(err)
	}
}

// lazyDisk is a planted bug: a disk whose Sync does nothing, as if Append
// forgot to sync.
type lazyDisk struct{ *envtest.MemDisk }

func (lazyDisk) Sync() {}

// Append is durable when it returns: a crash right after it, even one that
// tears unsynced appends, loses nothing.
func TestAppendSyncs(t *testing.T) {
	lost := func(d env.Disk, crash func()) int {
		l := logOf(t, d, 3)
		crash()
		l2, err := Open(d, logName)
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		if err := Verify(l2.Entries(1)); err != nil {
			t.Fatalf("reopen: %v", err)
		}
		return len(l.Entries(1)) - len(l2.Entries(1))
	}
	for seed := uint64(1); seed <= 20; seed++ {
		good := envtest.NewMemDisk()
		if n := lost(good, func() { good.Crash(true, rand.New(rand.NewPCG(seed, 0))) }); n != 0 {
			t.Fatalf("seed %d: a crash after Append returned lost %d entries", seed, n)
		}
		if good.Syncs() != 3 {
			t.Fatalf("seed %d: %d syncs for 3 appends", seed, good.Syncs())
		}
		lazy := lazyDisk{envtest.NewMemDisk()}
		if n := lost(lazy, func() { lazy.Crash(true, rand.New(rand.NewPCG(seed, 0))) }); n == 0 {
			t.Fatalf("seed %d: the check missed a disk that never syncs", seed)
		}
	}
}

func TestAppendRejectsOversized(t *testing.T) {
	for _, f := range (&Entry{}).text() {
		for _, size := range []int{f.max, f.max + 1} {
			t.Run(fmt.Sprintf("%s=%d", f.name, size), func(t *testing.T) {
				d := envtest.NewMemDisk()
				l := logOf(t, d, 2)
				before, syncs := d.Durable(logName), d.Syncs()
				e := decision(3)
				*e.text()[indexOf(f.name)].s = strings.Repeat("x", size)
				_, err := l.Append(e)
				if size == f.max {
					if err != nil {
						t.Fatalf("at the bound: %v", err)
					}
					if _, err := Open(d, logName); err != nil {
						t.Fatalf("reopen: %v", err)
					}
					return
				}
				if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), f.name) {
					t.Fatalf("over the bound: %v, want ErrTooLarge naming %s", err, f.name)
				}
				if seq, _ := l.Head(); seq != 2 || d.Syncs() != syncs || !bytes.Equal(d.Durable(logName), before) {
					t.Fatal("a refused entry changed the log")
				}
				cur, _ := d.Read(logName)
				if !bytes.Equal(cur, before) {
					t.Fatal("a refused entry was written")
				}
			})
		}
	}
}

func indexOf(field string) int {
	for i, f := range (&Entry{}).text() {
		if f.name == field {
			return i
		}
	}
	panic("no field " + field)
}

// Every possible torn prefix of an in-flight record is cut off, the rest
// of the log survives, and appending resumes cleanly after the cut.
func TestOpenRecoversTornTail(t *testing.T) {
	d := envtest.NewMemDisk()
	l := logOf(t, d, 3)
	good := d.Durable(logName)
	seq, head := l.Head()
	next := decision(4)
	next.Seq, next.Prev = 4, head
	next.Hash = next.ComputeHash()
	rec := env.Record(Encode(next))
	for cut := 1; cut < len(rec); cut++ {
		d.Write(logName, append(append([]byte(nil), good...), rec[:cut]...))
		d.Sync()
		l2, err := Open(d, logName)
		if err != nil {
			t.Fatalf("cut %d of %d: %v", cut, len(rec), err)
		}
		if s, h := l2.Head(); s != seq || h != head {
			t.Fatalf("cut %d: head (%d, %x), want (%d, %x)", cut, s, h[:4], seq, head[:4])
		}
		if !bytes.Equal(d.Durable(logName), good) {
			t.Fatalf("cut %d: the torn tail was not cut off durably", cut)
		}
		if _, err := l2.Append(decision(4)); err != nil {
			t.Fatal(err)
		}
		if l3, err := Open(d, logName); err != nil || len(l3.Entries(1)) != 4 {
			t.Fatalf("cut %d: after resuming: %v", cut, err)
		}
	}
	// The same through the disk's own crash: a crash between Append's write
	// and its sync.
	for s := uint64(1); s <= 20; s++ {
		d.Write(logName, good)
		d.Sync()
		d.Append(logName, rec)
		if torn := d.Crash(true, rand.New(rand.NewPCG(s, 1))); len(torn) != 1 {
			t.Fatalf("seed %d: crash tore %v", s, torn)
		}
		l2, err := Open(d, logName)
		if err != nil || len(l2.Entries(1)) != 3 {
			t.Fatalf("seed %d: %v", s, err)
		}
	}
}

// Damage the fault model does not explain is ErrCorrupt, and Open leaves
// the file as it found it.
func TestOpenRejectsCorruption(t *testing.T) {
	d := envtest.NewMemDisk()
	l := logOf(t, d, 4)
	good := d.Durable(logName)
	recs, _ := env.ReadRecords(good)
	off := make([]int, len(recs)+1) // record i starts at off[i]
	for i, r := range recs {
		off[i+1] = off[i] + frameHeader + len(r)
	}
	entries := l.Entries(1)
	frame := func(es ...Entry) []byte {
		var b []byte
		for _, e := range es {
			b = append(b, env.Record(Encode(e))...)
		}
		return b
	}
	mutate := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	after := func(tail ...byte) []byte { return append(append([]byte(nil), good...), tail...) }
	// A header declaring a plausible length, and a version byte: the start
	// of a record, followed by more bytes than that record can hold.
	overlong := binary.BigEndian.AppendUint32(nil, 300)
	overlong = append(overlong, 0, 0, 0, 0, formatVersion)
	overlong = append(overlong, make([]byte, 300)...)
	otherFormat := append([]byte(nil), good[off[3]:off[3]+frameHeader+1]...)
	otherFormat[frameHeader] = formatVersion + 1
	if n := len(recs[1]); n < 256 || n+2*256 > encodedMax {
		t.Fatalf("record size %d: the length-field cases below assume 256..%d", n, encodedMax-512)
	}
	altered := entries[1]
	altered.Actor = "mallory"

	cases := []struct {
		name string
		file []byte
		want error // nil: opens
		why  Reason
	}{
		{"sound", good, nil, ""},
		{"torn tail", after(good[:frameHeader+3]...), nil, ""},
		{"middle body byte", mutate(func(b []byte) []byte { b[off[1]+frameHeader+20] ^= 1; return b }), ErrCorrupt, ""},
		{"middle checksum", mutate(func(b []byte) []byte { b[off[1]+5] ^= 1; return b }), ErrCorrupt, ""},
		{"middle length raised", mutate(func(b []byte) []byte { b[off[1]+2] += 2; return b }), ErrCorrupt, ""},
		{"middle length high byte", mutate(func(b []byte) []byte { b[off[1]] ^= 1; return b }), ErrCorrupt, ""},
		{"middle length lowered", mutate(func(b []byte) []byte { b[off[1]+3]--; return b }), ErrCorrupt, ""},
		{"last record body byte", mutate(func(b []byte) []byte { b[len(b)-1] ^= 1; return b }), ErrCorrupt, ""},
		{"zeros after the log", after(make([]byte, 64)...), ErrCorrupt, ""},
		{"more after the log than one record", after(overlong...), ErrCorrupt, ""},
		{"tail declares a size no entry has", after(0, 0, 0x40, 0), ErrCorrupt, ""},
		{"tail's partial length already too big", after(0, 1), ErrCorrupt, ""},
		{"tail shorter than any entry", after(0, 0, 0, 9, 1, 2, 3, 4, 1), ErrCorrupt, ""},
		{"tail of another format", after(otherFormat...), ErrCorrupt, ""},
		{"framed record that does not decode", after(env.Record([]byte{formatVersion, 1, 2})...), ErrCorrupt, ""},
		{"framed altered entry", frame(entries[0], altered, entries[2], entries[3]), ErrCorrupt, ReasonAltered},
		{"framed entries swapped", frame(entries[0], entries[2], entries[1], entries[3]), ErrCorrupt, ReasonReordered},
		{"framed entry removed", frame(entries[0], entries[2], entries[3]), ErrCorrupt, ReasonRemoved},
		{"framed entry duplicated", frame(entries[0], entries[1], entries[1]), ErrCorrupt, ReasonDuplicated},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := envtest.NewMemDisk()
			d.Write(logName, tc.file)
			d.Sync()
			_, err := Open(d, logName)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("control: %v", err)
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("got %v, want %v", err, tc.want)
			}
			if tc.why != "" {
				var ve *VerifyError
				if !errors.As(err, &ve) || ve.Reason != tc.why {
					t.Fatalf("got %v, want reason %s", err, tc.why)
				}
			}
			if cur, _ := d.Read(logName); !bytes.Equal(cur, tc.file) {
				t.Fatal("Open changed a corrupt log")
			}
		})
	}
}

func TestOpenMissingFileIsEmpty(t *testing.T) {
	d := envtest.NewMemDisk()
	l, err := Open(d, logName)
	if err != nil {
		t.Fatal(err)
	}
	if seq, h := l.Head(); seq != 0 || h != ([32]byte{}) || l.Entries(1) != nil {
		t.Fatal("a missing file is not an empty log")
	}
	if len(d.List("")) != 0 || d.Syncs() != 0 {
		t.Fatal("opening an empty log wrote to the disk")
	}
}

// What Append keeps in memory is what Open reads back, whatever the
// caller's time zone.
func TestReopenGivesSameEntries(t *testing.T) {
	d := envtest.NewMemDisk()
	l, _ := Open(d, logName)
	zones := []*time.Location{time.UTC, time.FixedZone("X", 5*3600+1800), time.FixedZone("Y", -7*3600)}
	for i, z := range zones {
		e := decision(i + 1)
		e.Time = e.Time.In(z)
		l.Append(e)
	}
	e := decision(9)
	e.Time = time.Time{}
	l.Append(e)
	l2, err := Open(d, logName)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(l.Entries(1), l2.Entries(1)) {
		t.Fatalf("in memory %v\nread back %v", l.Entries(1), l2.Entries(1))
	}
	// Planted: a zone kept in memory would differ from what is read back.
	bad := l.Entries(1)
	bad[1].Time = bad[1].Time.In(zones[1])
	if reflect.DeepEqual(bad, l2.Entries(1)) {
		t.Fatal("the comparison cannot see a time zone")
	}
}

func TestEntriesBoundedCopies(t *testing.T) {
	n := EntriesMax + 5
	l := logOf(t, envtest.NewMemDisk(), n)
	cases := []struct {
		from     uint64
		len      int
		firstSeq uint64
	}{
		{0, EntriesMax, 1},
		{1, EntriesMax, 1},
		{EntriesMax + 1, 5, EntriesMax + 1},
		{uint64(n), 1, uint64(n)},
		{uint64(n) + 1, 0, 0},
	}
	for _, tc := range cases {
		got := l.Entries(tc.from)
		if len(got) != tc.len || (tc.len > 0 && got[0].Seq != tc.firstSeq) {
			t.Fatalf("Entries(%d): %d entries", tc.from, len(got))
		}
	}
	// Paging with VerifyFrom covers the whole log.
	var seq uint64
	var hash [32]byte
	for page := l.Entries(1); len(page) > 0; page = l.Entries(seq + 1) {
		if err := VerifyFrom(seq, hash, page); err != nil {
			t.Fatal(err)
		}
		seq, hash = page[len(page)-1].Seq, page[len(page)-1].Hash
	}
	if s, h := l.Head(); s != seq || h != hash {
		t.Fatal("paging did not reach the head")
	}
	got := l.Entries(1)
	got[0].Actor = "mallory"
	if err := Verify(l.Entries(1)); err != nil {
		t.Fatalf("a caller's copy reached the log: %v", err)
	}
}

func TestDecodeStrict(t *testing.T) {
	e := decision(1)
	e.Seq = 1
	e.Hash = e.ComputeHash()
	good := Encode(e)
	textAt := 1 + 8 + 12                           // the first length prefix (Actor)
	detailAt := len(good) - 64 - len(e.Detail) - 4 // Detail's length prefix
	patch := func(at int, v uint32) []byte {
		b := append([]byte(nil), good...)
		binary.BigEndian.PutUint32(b[at:], v)
		return b
	}
	oversized := func(f func(*Entry)) []byte {
		x := e
		f(&x)
		return Encode(x)
	}
	cases := []struct {
		name string
		b    []byte
		ok   bool
	}{
		{"canonical", good, true},
		{"empty", nil, false},
		{"version only", good[:1], false},
		{"other version", append([]byte{2}, good[1:]...), false},
		{"cut in the header", good[:12], false},
		{"cut in a field", good[:textAt+6], false},
		{"last byte missing", good[:len(good)-1], false},
		{"trailing byte", append(append([]byte(nil), good...), 0), false},
		{"a billion nanoseconds", patch(1+8+8, 1e9), false},
		{"Detail length past the end", patch(detailAt, uint32(len(e.Detail)+65)), false},
		{"Actor length over FieldMax", patch(textAt, FieldMax+1), false},
		{"Actor over FieldMax", oversized(func(x *Entry) { x.Actor = strings.Repeat("a", FieldMax+1) }), false},
		{"IP over FieldMax", oversized(func(x *Entry) { x.IP = strings.Repeat("1", FieldMax+1) }), false},
		{"Detail over DetailMax", oversized(func(x *Entry) { x.Detail = strings.Repeat("d", DetailMax+1) }), false},
		{"Detail at DetailMax", oversized(func(x *Entry) { x.Detail = strings.Repeat("d", DetailMax) }), true},
		{"over encodedMax", make([]byte, encodedMax+1), false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Decode(tc.b)
			if !tc.ok {
				if !errors.Is(err, ErrMalformed) {
					t.Fatalf("got %v, want ErrMalformed", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(Encode(got), tc.b) {
				t.Fatal("does not re-encode to the same bytes")
			}
		})
	}
	if got, _ := Decode(good); got != e {
		t.Fatalf("round trip: %+v, want %+v", got, e)
	}
}

// Same appends, same bytes: the log adds nothing of its own to a run.
func TestDeterministicBytes(t *testing.T) {
	a, b := envtest.NewMemDisk(), envtest.NewMemDisk()
	logOf(t, a, 10)
	logOf(t, b, 10)
	if !bytes.Equal(a.Durable(logName), b.Durable(logName)) {
		t.Fatal("two runs of the same appends wrote different bytes")
	}
}
