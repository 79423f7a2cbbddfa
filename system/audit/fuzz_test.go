package audit

import (
	"bytes"
	"errors"
	"strings"
	"testing"
	"time"

	"vaultdrill/system/env"
	"vaultdrill/system/env/envtest"
)

// FuzzDecode: Decode never panics, and whatever it accepts is canonical:
// it re-encodes to the same bytes, decodes to the same entry, and is
// within the bounds Append enforces.
func FuzzDecode(f *testing.F) {
	e := decision(1)
	e.Seq = 1
	e.Hash = e.ComputeHash()
	f.Add(Encode(e))
	f.Add(Encode(Entry{}))
	f.Add(Encode(Entry{Seq: 1 << 63, Time: time.Unix(-1<<62, 999999999), Detail: strings.Repeat("d", DetailMax)}))
	f.Add(Encode(e)[:40])
	f.Add(append(Encode(e), 0))
	f.Add([]byte{})
	f.Add([]byte{formatVersion})
	f.Fuzz(func(t *testing.T, b []byte) {
		got, err := Decode(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) {
				t.Fatalf("error %v does not wrap ErrMalformed", err)
			}
			return
		}
		re := Encode(got)
		if !bytes.Equal(re, b) {
			t.Fatalf("accepted %x but re-encodes as %x", b, re)
		}
		again, err := Decode(re)
		if err != nil || again != got {
			t.Fatalf("round trip: %+v, %v; want %+v", again, err, got)
		}
		if err := got.checkBounds(); err != nil {
			t.Fatalf("accepted an entry Append would refuse: %v", err)
		}
	})
}

// FuzzOpen: whatever a disk holds, Open never panics; it either refuses
// with ErrCorrupt and leaves the file alone, or keeps a prefix of the file
// that is a sound chain.
func FuzzOpen(f *testing.F) {
	d := envtest.NewMemDisk()
	l, _ := Open(d, logName)
	for i := 1; i <= 3; i++ {
		l.Append(decision(i))
	}
	good := d.Durable(logName)
	f.Add(good)
	f.Add(good[:len(good)-5])
	f.Add(append(append([]byte(nil), good...), good[:20]...))
	f.Add(env.Record([]byte{formatVersion}))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		d := envtest.NewMemDisk()
		d.Write(logName, b)
		d.Sync()
		l, err := Open(d, logName)
		cur, _ := d.Read(logName)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error %v does not wrap ErrCorrupt", err)
			}
			if !bytes.Equal(cur, b) {
				t.Fatal("Open changed a log it refused")
			}
			return
		}
		if !bytes.HasPrefix(b, cur) {
			t.Fatal("Open kept bytes that are not a prefix of the file")
		}
		if err := Verify(l.Entries(1)); err != nil {
			t.Fatalf("Open accepted a broken chain: %v", err)
		}
	})
}

// FuzzParseAnchor: ParseAnchor never panics, and what it accepts is the
// one spelling of its anchor: Memo gives the same text back.
func FuzzParseAnchor(f *testing.F) {
	f.Add("audit1:wallet-1:42:" + strings.Repeat("0a", 32))
	f.Add("audit1:w:1:" + strings.Repeat("f", 64))
	f.Add("audit1:w:01:" + strings.Repeat("f", 64))
	f.Add("audit1:")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseAnchor(s)
		if err != nil {
			if !errors.Is(err, ErrAnchor) {
				t.Fatalf("error %v does not wrap ErrAnchor", err)
			}
			return
		}
		m, err := a.Memo()
		if err != nil || m != s {
			t.Fatalf("accepted %q but writes it as %q, %v", s, m, err)
		}
		if len(s) > 256 {
			t.Fatalf("accepted a %d-byte anchor: over a chain memo", len(s))
		}
	})
}
