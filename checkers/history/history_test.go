package history

import (
	"bytes"
	"strings"
	"testing"
)

func TestRoundTripAndStrictness(t *testing.T) {
	var buf bytes.Buffer
	w := NewWriter(&buf)
	b := int64(5)
	evs := []Event{
		{Kind: Invoke, Process: 0, Op: "deposit", Key: "a", Value: 5, Idem: "k1"},
		{Kind: Fault, Process: NemesisProcess, Op: "crash", Detail: "+1s crash ledger-1", Time: 1},
		{Kind: OK, Process: 0, Op: "deposit", Key: "a", Value: 5, Idem: "k1", Result: &b, Time: 2},
		{Kind: Invoke, Process: 1, Op: "balance", Key: "a", Time: 3},
	}
	for _, e := range evs {
		if err := w.Write(e); err != nil {
			t.Fatal(err)
		}
	}
	w.Flush()
	got, err := Read(&buf)
	if err != nil || len(got) != 4 || got[2].Result == nil || *got[2].Result != 5 {
		t.Fatalf("round trip: %v %+v", err, got)
	}
	ops, err := Pair(got)
	if err != nil || len(ops) != 2 || ops[1].Done.Kind != Info || ops[0].DoneIdx != 2 {
		t.Fatalf("pair: %v %+v", err, ops)
	}
	for _, bad := range []string{
		`{"v":1,"kind":"ok","process":0,"op":"x","time":0,"colour":1}`,
		`{"v":2,"kind":"ok","process":0,"op":"x","time":0}`,
		`{"v":1,"kind":"maybe","process":0,"op":"x","time":0}`,
		`{"v":1,"kind":"ok","process":0,"op":"x","time":0} trailing`,
		`not json`,
	} {
		_, err := Read(strings.NewReader("\n" + bad + "\n"))
		if err == nil || !strings.Contains(err.Error(), "line 2") {
			t.Errorf("%s: got %v, want an error naming line 2", bad, err)
		}
	}
	if _, err := Pair([]Event{{Kind: OK, Process: 3}}); err == nil {
		t.Error("a completion with nothing invoked was accepted")
	}
	if _, err := Pair([]Event{{Kind: Invoke, Process: 3}, {Kind: Invoke, Process: 3}}); err == nil {
		t.Error("two outstanding operations on one process were accepted")
	}
}
