package env

import (
	"bytes"
	"errors"
	"testing"
)

func TestEncodeDecode(t *testing.T) {
	b := Encode(MsgRaft, []byte("body"))
	typ, body, err := Decode(b)
	if err != nil || typ != MsgRaft || string(body) != "body" {
		t.Fatalf("round trip: %v %v %q", err, typ, body)
	}
	for _, bad := range [][]byte{nil, {WireVersion}, {WireVersion + 1, 1, 'x'}} {
		if _, _, err := Decode(bad); !errors.Is(err, ErrWire) {
			t.Errorf("Decode(%v) = %v, want ErrWire", bad, err)
		}
	}
}

func TestRecordsStopAtATornOrCorruptTail(t *testing.T) {
	var log []byte
	for _, s := range []string{"one", "two", "three"} {
		log = append(log, Record([]byte(s))...)
	}
	recs, valid := ReadRecords(log)
	if len(recs) != 3 || valid != len(log) {
		t.Fatalf("clean log: %d records, %d of %d bytes", len(recs), valid, len(log))
	}
	for cut := 1; cut < len(Record([]byte("three"))); cut++ {
		recs, valid := ReadRecords(log[:len(log)-cut])
		if len(recs) != 2 || string(recs[1]) != "two" {
			t.Fatalf("torn by %d bytes: %d records", cut, len(recs))
		}
		if valid != len(Record([]byte("one")))+len(Record([]byte("two"))) {
			t.Fatalf("torn by %d: valid prefix %d", cut, valid)
		}
	}
	corrupt := bytes.Clone(log)
	corrupt[len(corrupt)-1] ^= 1
	if recs, _ := ReadRecords(corrupt); len(recs) != 2 {
		t.Fatalf("corrupt last record accepted: %d records", len(recs))
	}
}

func FuzzReadRecords(f *testing.F) {
	f.Add(append(Record([]byte("a")), Record([]byte("bc"))...))
	f.Fuzz(func(t *testing.T, b []byte) {
		recs, valid := ReadRecords(b)
		if valid < 0 || valid > len(b) {
			t.Fatalf("valid prefix %d of %d", valid, len(b))
		}
		var again []byte
		for _, r := range recs {
			again = append(again, Record(r)...)
		}
		if !bytes.Equal(again, b[:valid]) {
			t.Fatal("re-framing the records does not give the valid prefix back")
		}
	})
}
