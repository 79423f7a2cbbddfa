package governance

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"vaultdrill/system/approval"
	"vaultdrill/system/env"
	"vaultdrill/system/env/envtest"
)

// testEnv is a minimal host for one node: a clock the test moves, the
// sends, timers and facts of each step collected.
type testEnv struct {
	now    time.Time
	disk   *envtest.MemDisk
	sent   []sent
	timers []string
	facts  []env.Observation
}

type sent struct {
	to      env.NodeID
	payload []byte
}

func (t *testEnv) ID() env.NodeID                    { return "gov-1" }
func (t *testEnv) Now() time.Time                    { return t.now }
func (t *testEnv) Rand() *rand.Rand                  { return rand.New(rand.NewPCG(1, 2)) }
func (t *testEnv) Entropy() io.Reader                { return nil }
func (t *testEnv) Send(to env.NodeID, p []byte)      { t.sent = append(t.sent, sent{to, p}) }
func (t *testEnv) After(d time.Duration, tag string) { t.timers = append(t.timers, tag) }
func (t *testEnv) Disk() env.Disk                    { return t.disk }
func (t *testEnv) Observe(o env.Observation)         { t.facts = append(t.facts, o) }
func (t *testEnv) Charge(time.Duration)              {}

var admins = []string{"a1", "a2", "a3", "a4", "a5"}

func keyOf(dev string) ed25519.PrivateKey {
	h := sha256.Sum256([]byte("governance-test/" + dev))
	return ed25519.NewKeyFromSeed(h[:])
}

func registry(t *testing.T) *approval.Registry {
	var ds []approval.Device
	for _, a := range admins {
		for _, d := range []string{a + "-phone", a + "-laptop"} {
			ds = append(ds, approval.Device{ID: d, Human: a, PublicKey: keyOf(d).Public().(ed25519.PublicKey)})
		}
	}
	reg, err := approval.NewRegistry(ds)
	if err != nil {
		t.Fatal(err)
	}
	return reg
}

type rig struct {
	t   *testing.T
	e   *testEnv
	n   *Node
	cfg Config
	seq uint64
}

func newRig(t *testing.T, weak approval.GovWeakness) *rig {
	cfg := Config{ID: "gov-1", Policy: approval.DefaultPolicy(), Registry: registry(t), Wallets: []env.NodeID{"wallet-1", "wallet-2"},
		Gov: approval.GovConfig{Admins: admins, Timelock: time.Hour, Expiry: 2 * time.Hour, QuorumMin: 2, Weakness: weak}}
	r := &rig{t: t, e: &testEnv{now: env.Epoch, disk: envtest.NewMemDisk()}, cfg: cfg}
	r.boot()
	return r
}

func (r *rig) boot() {
	r.n = New(r.cfg)
	r.n.Step(r.e, env.Input{Kind: env.InputStart})
}

// do sends one signed request from dev (of human) and returns the answer.
func (r *rig) do(op, change string, kind approval.ChangeKind, value, human, dev string) Answer {
	r.t.Helper()
	r.seq++
	req := Sign(keyOf(dev), dev, human, Request{ID: r.seq, Op: op, Change: change, Kind: kind, Value: value, At: r.e.now})
	return r.send(req)
}

func (r *rig) send(req Request) Answer {
	r.t.Helper()
	r.e.sent = nil
	r.n.Step(r.e, env.Input{Kind: env.InputMessage, From: "admin", Payload: Encode(MsgRequest, req)})
	for _, s := range r.e.sent {
		var a Answer
		if s.to == "admin" && Decode(s.payload, MsgAnswer, &a) {
			return a
		}
	}
	r.t.Fatal("no answer")
	return Answer{}
}

func (r *rig) at(d time.Duration) {
	r.e.now = env.Epoch.Add(d)
	r.n.Step(r.e, env.Input{Kind: env.InputTimer, Tag: "advance"})
}

// states lists the change's policy.change states, in order.
func (r *rig) states(id string) []string {
	var out []string
	for _, f := range r.e.facts {
		if f.Kind == ObsChange && f.Fields["change"] == id {
			out = append(out, f.Fields["state"])
		}
	}
	return out
}

func (r *rig) pushesTo(w env.NodeID) int {
	k := 0
	for _, s := range r.e.sent {
		var p Push
		if s.to == w && Decode(s.payload, MsgPush, &p) {
			k++
		}
	}
	return k
}

func TestChangeLifecycle(t *testing.T) {
	r := newRig(t, "")
	if a := r.do(OpPropose, "c1", approval.ChangeLimit, "500", "a1", "a1-phone"); !a.OK {
		t.Fatalf("propose: %+v", a)
	}
	alerted := false
	for _, f := range r.e.facts {
		if f.Kind == ObsAlert && f.Fields["change"] == "c1" && f.Fields["notify"] == "admins" && f.Fields["attack"] == AttackInsiderPolicy {
			alerted = f.Fields["admins"] == "a2,a3,a4,a5"
		}
	}
	if !alerted {
		t.Fatalf("no alert to the other admins: %+v", r.e.facts)
	}
	// the proposer's own approvals, from both devices, do not count
	r.do(OpApprove, "c1", approval.ChangeLimit, "500", "a1", "a1-phone")
	r.do(OpApprove, "c1", approval.ChangeLimit, "500", "a1", "a1-laptop")
	if s, _ := r.n.gov.Status("c1"); len(s.Approvers) != 0 {
		t.Fatalf("the proposer counted: %v", s.Approvers)
	}
	// an approval signed for another value, or forged, counts for nothing
	if a := r.do(OpApprove, "c1", approval.ChangeLimit, "9999", "a2", "a2-phone"); a.OK {
		t.Fatal("an approval of another value was accepted")
	}
	forged := Sign(keyOf("a2-phone"), "a3-phone", "a3", Request{Op: OpApprove, Change: "c1", Kind: approval.ChangeLimit, Value: "500", At: r.e.now})
	if a := r.send(forged); a.OK || !strings.Contains(a.Err, "bad signature") {
		t.Fatalf("forged approval: %+v", a)
	}
	r.e.now = env.Epoch.Add(10 * time.Minute)
	for _, h := range []string{"a2", "a3", "a4"} {
		if a := r.do(OpApprove, "c1", approval.ChangeLimit, "500", h, h+"-phone"); !a.OK {
			t.Fatalf("approve %s: %+v", h, a)
		}
	}
	if s, _ := r.n.gov.Status("c1"); s.State != approval.ChangeApproved {
		t.Fatalf("after 3 admins: %s", s.State)
	}
	r.at(59 * time.Minute)
	if s, _ := r.n.gov.Status("c1"); s.State != approval.ChangeApproved {
		t.Fatalf("inside the time lock: %s", s.State)
	}
	r.e.sent = nil
	r.at(time.Hour)
	if got := strings.Join(r.states("c1"), ","); got != "proposed,proposed,proposed,approved,effective" {
		t.Fatalf("states %s", got)
	}
	if r.pushesTo("wallet-1") != 1 || r.pushesTo("wallet-2") != 1 {
		t.Fatalf("pushes: %+v", r.e.sent)
	}
	// wallet-1 acknowledges: only wallet-2 is sent it again
	r.n.Step(r.e, env.Input{Kind: env.InputMessage, From: "wallet-1", Payload: Encode(MsgAck, Ack{Change: "c1"})})
	r.e.sent = nil
	r.n.Step(r.e, env.Input{Kind: env.InputTimer, Tag: "push"})
	if r.pushesTo("wallet-1") != 0 || r.pushesTo("wallet-2") != 1 {
		t.Fatalf("resend: %+v", r.e.sent)
	}
}

func TestUnapprovedChangeExpires(t *testing.T) {
	r := newRig(t, "")
	r.do(OpPropose, "q1", approval.ChangeQuorum, "hot-large=2", "a1", "a1-phone")
	r.do(OpApprove, "q1", approval.ChangeQuorum, "hot-large=2", "a2", "a2-phone")
	r.at(2 * time.Hour)
	if got := strings.Join(r.states("q1"), ","); got != "proposed,proposed,rejected" {
		t.Fatalf("states %s", got)
	}
	if a := r.do(OpApprove, "q1", approval.ChangeQuorum, "hot-large=2", "a3", "a3-phone"); a.OK {
		t.Fatal("approved a rejected change")
	}
	// a quorum the policy cannot hold is refused at proposal
	if a := r.do(OpPropose, "q2", approval.ChangeQuorum, "hot-large=1", "a1", "a1-phone"); a.OK {
		t.Fatal("accepted a large tier asking fewer approvers than the medium one")
	}
}

// A crash loses nothing that was answered: the journal replays.
func TestRestartReplaysJournal(t *testing.T) {
	r := newRig(t, "")
	r.do(OpPropose, "c1", approval.ChangeWhitelist, "addr-x", "a1", "a1-phone")
	r.do(OpApprove, "c1", approval.ChangeWhitelist, "addr-x", "a2", "a2-phone")
	r.do(OpApprove, "c1", approval.ChangeWhitelist, "addr-x", "a3", "a3-phone")
	r.e.disk.Crash(true, rand.New(rand.NewPCG(3, 4)))
	r.boot()
	if s, _ := r.n.gov.Status("c1"); s.State != approval.ChangeProposed || strings.Join(s.Approvers, ",") != "a2,a3" {
		t.Fatalf("after restart: %+v", s)
	}
	r.do(OpApprove, "c1", approval.ChangeWhitelist, "addr-x", "a4", "a4-phone")
	r.at(time.Hour)
	r.e.disk.Crash(false, nil)
	r.e.sent = nil
	r.boot()
	if s, _ := r.n.gov.Status("c1"); s.State != approval.ChangeEffective {
		t.Fatalf("after the second restart: %s", s.State)
	}
	if r.pushesTo("wallet-1") != 1 {
		t.Fatal("an effective change was not pushed again after a restart")
	}
}

// The planted weaknesses do what they say, so the drill can catch them.
func TestWeaknesses(t *testing.T) {
	r := newRig(t, approval.GovNoTimelock)
	r.do(OpPropose, "c1", approval.ChangeLimit, "1", "a1", "a1-phone")
	for _, h := range []string{"a2", "a3", "a4"} {
		r.do(OpApprove, "c1", approval.ChangeLimit, "1", h, h+"-phone")
	}
	if s, _ := r.n.gov.Status("c1"); s.State != approval.ChangeEffective {
		t.Fatalf("no-timelock: %s at once", s.State)
	}
	r = newRig(t, approval.GovCountProposer)
	r.do(OpPropose, "c1", approval.ChangeLimit, "1", "a1", "a1-phone")
	for _, h := range []string{"a2", "a3"} {
		r.do(OpApprove, "c1", approval.ChangeLimit, "1", h, h+"-phone")
	}
	if s, _ := r.n.gov.Status("c1"); s.State != approval.ChangeApproved {
		t.Fatalf("count-proposer: %s after two others", s.State)
	}
}

// The journal reader takes any bytes (a torn or corrupted file) without
// panicking, and what it returns is a prefix of what was written.
func FuzzReadJournal(f *testing.F) {
	e := &testEnv{now: env.Epoch, disk: envtest.NewMemDisk()}
	appendRecord(e, record{Op: OpPropose, Change: "c1", Kind: approval.ChangeLimit, Value: "5", Human: "a1", At: env.Epoch})
	appendRecord(e, record{Op: OpApprove, Change: "c1", Human: "a2", At: env.Epoch})
	whole, _ := e.disk.Read(journalFile)
	f.Add(whole)
	f.Add(whole[:len(whole)-3])
	f.Fuzz(func(t *testing.T, b []byte) {
		d := envtest.NewMemDisk()
		d.Write(journalFile, b)
		rs := readJournal(d)
		if bytes.HasPrefix(whole, b) && len(rs) > 2 {
			t.Fatalf("%d records from a prefix of 2", len(rs))
		}
	})
}
