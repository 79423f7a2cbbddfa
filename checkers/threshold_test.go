package checkers

import (
	"testing"
	"time"

	"vaultdrill/checkers/history"
)

func reach(t time.Duration, r int) history.Observation {
	return history.Observation{V: 1, Time: int64(t), Source: "world", Kind: "world.reachable",
		Fields: map[string]string{"key": "hot", "k": "2", "n": "3", "reachable": reachStr(r), "cut": "signer-hot-1"}}
}

func reachStr(n int) string { return string(rune('0' + n)) }

func signed(t time.Duration, node string) history.Observation {
	return history.Observation{V: 1, Time: int64(t), Node: node, Source: "node", Kind: "signer.signed",
		Fields: map[string]string{"key": "hot", "session": "hot/1/1"}}
}

func sign(proc int, at, done time.Duration, kind history.Kind) []history.Event {
	return []history.Event{
		{V: 1, Kind: history.Invoke, Process: proc, Op: "sign", Key: "hot", Time: int64(at)},
		{V: 1, Kind: kind, Process: proc, Op: "sign", Key: "hot", Time: int64(done)},
	}
}

func TestThresholdCatchesASignatureBelowK(t *testing.T) {
	s := time.Second
	obs := []history.Observation{reach(0, 3), signed(5*s, "signer-hot-2"), reach(10*s, 1), reach(40*s, 3)}
	in := Input{History: sign(0, 4*s, 6*s, history.OK), Observations: obs}
	if r := Threshold(in, "hot", 2*s); r.Verdict != Valid {
		t.Fatalf("clean: %v %s", r.Verdict, r.Summary)
	}
	planted := Input{History: append(sign(0, 4*s, 6*s, history.OK), sign(1, 15*s, 16*s, history.OK)...),
		Observations: append(append([]history.Observation(nil), obs...), signed(15500*time.Millisecond, "signer-hot-3"))}
	r := Threshold(planted, "hot", 2*s)
	if r.Verdict != Invalid || len(r.First) != 2 {
		t.Fatalf("planted: %v %s %+v", r.Verdict, r.Summary, r.First)
	}
	// Inside the grace after the cut, a finishing session is tolerated.
	graced := Input{Observations: append(append([]history.Observation(nil), obs...), signed(10500*time.Millisecond, "signer-hot-3"))}
	if r := Threshold(graced, "hot", 2*s); r.Verdict != Valid {
		t.Fatalf("grace: %v %s", r.Verdict, r.Summary)
	}
	if r := Threshold(Input{}, "hot", s); r.Verdict != Unknown {
		t.Fatal("no facts must be unknown")
	}
}

func TestSignLiveness(t *testing.T) {
	s := time.Second
	obs := []history.Observation{reach(0, 3), reach(100*s, 1), reach(200*s, 3)}
	h := append(sign(0, 10*s, 12*s, history.OK), sign(1, 20*s, 25*s, history.OK)...)
	h = append(h, sign(2, 110*s, 170*s, history.Info)...) // below k: not judged
	h = append(h, sign(3, 300*s, 301*s, history.OK)...)
	h = append(h, history.Event{V: 1, Kind: history.Fault, Process: -1, Op: "heal", Time: int64(400 * s)})
	if r := SignLiveness(Input{History: h, Observations: obs}, "hot", 30*s); r.Verdict != Valid || r.Measured["judged"] != 3 {
		t.Fatalf("clean: %v %s", r.Verdict, r.Summary)
	}
	slow := append(h, sign(4, 30*s, 80*s, history.Info)...)
	if r := SignLiveness(Input{History: slow, Observations: obs}, "hot", 30*s); r.Verdict != Invalid || r.First[0].Process != 4 {
		t.Fatalf("planted stall: %v %s", r.Verdict, r.Summary)
	}
}
