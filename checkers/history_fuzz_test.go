package checkers_test

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"vaultdrill/checkers"
	"vaultdrill/checkers/history"
)

// FuzzHistoryRead: history.Read never panics; what it accepts survives a
// write and a second read unchanged; and every checker takes it without
// panicking.
func FuzzHistoryRead(f *testing.F) {
	h := newHist(f)
	h.fault(0, "partition")
	h.dep(1, 1, "acct-1", 10)
	h.ok(2, 1)
	i := h.wd(3, 2, "acct-1", 30)
	h.idem(i, "k1")
	h.refused(4, 2)
	h.final(5, 3, "acct-1")
	h.okBal(6, 3, 10)
	h.dep(7, 4, "acct-2", 5)
	h.info(8, 4)
	h.fault(9, "heal-all")
	var buf bytes.Buffer
	w := history.NewWriter(&buf)
	for _, e := range h.ev {
		if err := w.Write(e); err != nil {
			f.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	f.Add([]byte(`{"v":1,"kind":"invoke","process":1,"op":"balance","key":"a","time":1}` + "\n"))
	f.Add([]byte(`{"v":1,"kind":"ok","process":1,"op":"balance","key":"a","result":-3,"time":2}` + "\n\n"))
	f.Add([]byte(`{"v":2,"kind":"invoke","process":1,"op":"deposit","time":1}`))
	f.Add([]byte(`{"v":1,"kind":"nope","process":1}`))
	f.Add([]byte(`{"v":1,"kind":"ok","extra":true}`))
	f.Add([]byte("not json\n"))

	f.Fuzz(func(t *testing.T, data []byte) {
		evs, err := history.Read(bytes.NewReader(data))
		if err != nil {
			return
		}
		var out bytes.Buffer
		w := history.NewWriter(&out)
		for _, e := range evs {
			if err := w.Write(e); err != nil {
				t.Fatalf("write back: %v", err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
		again, err := history.Read(&out)
		if err != nil {
			t.Fatalf("re-read of written history: %v\n%s", err, out.String())
		}
		if !reflect.DeepEqual(evs, again) {
			t.Fatalf("round trip changed the history:\n%+v\n%+v", evs, again)
		}
		in := checkers.Input{History: evs}
		opt := checkers.LinOptions{TimeLimit: 50 * time.Millisecond, MaxOpsPerAccount: 64}
		for _, r := range []checkers.Result{
			checkers.Linearizable(in, opt),
			checkers.NonNeg(in),
			checkers.Conserve(in),
			checkers.RPO(in),
			checkers.RTO(in, "partition", time.Second),
			checkers.Liveness(in, "heal-all", time.Second),
		} {
			switch r.Verdict {
			case checkers.Valid, checkers.Invalid, checkers.Unknown:
			default:
				t.Fatalf("%s: verdict %q", r.Checker, r.Verdict)
			}
			if len(r.First) > checkers.FirstMax {
				t.Fatalf("%s: %d refs", r.Checker, len(r.First))
			}
		}
	})
}
