package courier

import (
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"vaultdrill/system/env"
	"vaultdrill/system/env/envtest"
)

// fakeEnv is just enough of a host to step the courier by hand.
type fakeEnv struct {
	now    time.Time
	disk   *envtest.MemDisk
	sent   []sent
	timers []timer
	obs    []env.Observation
}

type sent struct {
	to      env.NodeID
	payload []byte
}
type timer struct {
	at  time.Time
	tag string
}

func (f *fakeEnv) ID() env.NodeID               { return "courier" }
func (f *fakeEnv) Now() time.Time               { return f.now }
func (f *fakeEnv) Rand() *rand.Rand             { return rand.New(rand.NewPCG(1, 2)) }
func (f *fakeEnv) Entropy() io.Reader           { return nil }
func (f *fakeEnv) Send(to env.NodeID, p []byte) { f.sent = append(f.sent, sent{to, p}) }
func (f *fakeEnv) After(d time.Duration, t string) {
	f.timers = append(f.timers, timer{f.now.Add(d), t})
}
func (f *fakeEnv) Disk() env.Disk            { return f.disk }
func (f *fakeEnv) Observe(o env.Observation) { f.obs = append(f.obs, o) }
func (f *fakeEnv) Charge(time.Duration)      {}

// The courier carries a message from a known device to a known device after
// exactly one hop, records the hop durably first, and refuses anything else:
// an unknown sender or receiver, or a Forward claiming another origin.
func TestCourierCarriesAndRecords(t *testing.T) {
	f := &fakeEnv{now: env.Epoch, disk: envtest.NewMemDisk()}
	c := New(Config{ID: "courier", Hop: 15 * time.Minute, Devices: []env.NodeID{"wallet-1", "signer-cold-1"}})
	c.Step(f, env.Input{Kind: env.InputStart})
	msg := Encode(Forward{From: "wallet-1", To: "signer-cold-1", Payload: env.Encode(30, []byte("{}"))})
	c.Step(f, env.Input{Kind: env.InputMessage, From: "wallet-1", Payload: msg})
	// refused: a stranger, an unknown receiver, a forged origin
	c.Step(f, env.Input{Kind: env.InputMessage, From: "mallory", Payload: Encode(Forward{From: "mallory", To: "signer-cold-1"})})
	c.Step(f, env.Input{Kind: env.InputMessage, From: "wallet-1", Payload: Encode(Forward{From: "wallet-1", To: "signer-hot-1"})})
	c.Step(f, env.Input{Kind: env.InputMessage, From: "wallet-1", Payload: Encode(Forward{From: "signer-cold-1", To: "signer-cold-1"})})
	if len(f.timers) != 1 || f.timers[0].at.Sub(env.Epoch) != 15*time.Minute || len(f.sent) != 0 {
		t.Fatalf("timers %v, sent %d: want one hop of 15m and nothing sent yet", f.timers, len(f.sent))
	}
	refused := 0
	for _, o := range f.obs {
		if o.Kind == "courier.refused" {
			refused++
		}
	}
	if refused != 3 {
		t.Fatalf("%d refusals, want 3", refused)
	}
	f.now = f.timers[0].at
	c.Step(f, env.Input{Kind: env.InputTimer, Tag: f.timers[0].tag})
	if len(f.sent) != 1 || f.sent[0].to != "signer-cold-1" {
		t.Fatalf("sent %v", f.sent)
	}
	got, ok := Decode(f.sent[0].payload)
	if !ok || got.From != "wallet-1" || string(got.Payload) != string(env.Encode(30, []byte("{}"))) {
		t.Fatalf("delivered %+v", got)
	}
	// the hop log survives a crash: it was synced before the delivery
	f.disk.Crash(false, nil)
	b, _ := f.disk.Read(hopLog)
	if recs, _ := env.ReadRecords(b); len(recs) != 1 {
		t.Fatalf("%d hop records after a crash, want 1", len(recs))
	}
	c2 := New(Config{ID: "courier", Devices: []env.NodeID{"wallet-1"}})
	c2.Step(f, env.Input{Kind: env.InputStart})
	if c2.hops != 1 {
		t.Fatalf("a restarted courier counts %d hops, want 1", c2.hops)
	}
}
