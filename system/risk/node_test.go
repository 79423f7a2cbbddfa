package risk

import (
	"fmt"
	"io"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"vaultdrill/system/env"
	"vaultdrill/system/env/envtest"
)

// host is just enough of a host to step the risk node by hand: a clock,
// a memory disk, and the sends, timers and observations of each step.
type host struct {
	t      *testing.T
	now    time.Time
	disk   *envtest.MemDisk
	timers envtest.Queue[string]
	sent   []sent
	obs    []env.Observation
}

type sent struct {
	to env.NodeID
	m  Message
}

func (h *host) ID() env.NodeID     { return "risk" }
func (h *host) Now() time.Time     { return h.now }
func (h *host) Rand() *rand.Rand   { panic("risk uses no randomness") }
func (h *host) Entropy() io.Reader { panic("risk uses no entropy") }
func (h *host) Send(to env.NodeID, p []byte) {
	m, err := DecodeMessage(p)
	if err != nil {
		h.t.Fatalf("the node sent an undecodable message: %v", err)
	}
	h.sent = append(h.sent, sent{to, m})
}
func (h *host) After(d time.Duration, tag string) { h.timers.Push(h.now.Add(d), tag) }
func (h *host) Disk() env.Disk                    { return h.disk }
func (h *host) Observe(o env.Observation)         { h.obs = append(h.obs, o) }
func (h *host) Charge(time.Duration)              {}

func testConfig() Config {
	return Config{ID: "risk", Wallets: []env.NodeID{"wallet-1", "wallet-2"}, Reviewers: []env.NodeID{"reviewer-1", "reviewer-2"}}
}

func newHost(t *testing.T, cfg Config) (*host, *Node) {
	t.Helper()
	h := &host{t: t, now: t0, disk: envtest.NewMemDisk()}
	return h, h.start(cfg)
}

func (h *host) start(cfg Config) *Node {
	h.t.Helper()
	n, err := New(cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	h.timers = envtest.Queue[string]{}
	n.Step(h, env.Input{Kind: env.InputStart})
	return n
}

// deliver steps the node with a message and returns what it sent.
func (h *host) deliver(n *Node, from env.NodeID, m Message) []sent {
	h.sent = nil
	n.Step(h, env.Input{Kind: env.InputMessage, From: from, Payload: EncodeMessage(m)})
	return h.sent
}

// advance fires every timer due up to now+d, in order, and returns what
// the node sent meanwhile.
func (h *host) advance(n *Node, d time.Duration) []sent {
	end := h.now.Add(d)
	var out []sent
	for {
		at, ok := h.timers.Next()
		if !ok || at.After(end) {
			break
		}
		h.now = at
		h.sent = nil
		n.Step(h, env.Input{Kind: env.InputTimer, Tag: h.timers.Pop()})
		out = append(out, h.sent...)
	}
	h.now = end
	return out
}

func (h *host) count(kind string, kv ...string) int {
	n := 0
	for _, o := range h.obs {
		if o.Kind != kind {
			continue
		}
		ok := true
		for i := 0; i < len(kv); i += 2 {
			ok = ok && o.Fields[kv[i]] == kv[i+1]
		}
		if ok {
			n++
		}
	}
	return n
}

func one[M Message](t *testing.T, out []sent, to env.NodeID) M {
	t.Helper()
	var found []M
	for _, s := range out {
		if m, ok := s.m.(M); ok && s.to == to {
			found = append(found, m)
		}
	}
	if len(found) != 1 {
		var zero M
		t.Fatalf("%d %T to %s in %v, want 1", len(found), zero, to, out)
	}
	return found[0]
}

func request(subject string, amount int64) ScoreRequest {
	return ScoreRequest{Op: OpWithdraw, Subject: subject, User: "alice", Account: "alice", Amount: amount, Address: "k1-home",
		Balance: 50_000_000_000, Geo: paris, Home: paris, AccountAge: int64(3 * year)}
}

func frozen(t *testing.T, h *host, n *Node, account string) StatusAnswer {
	t.Helper()
	return one[StatusAnswer](t, h.deliver(n, "wallet-2", StatusQuery{Account: account}), "wallet-2")
}

// The request/answer flow: allow; hold with a case, a task to a reviewer,
// the decision, the ack and the outcome to the wallet; retries; status.
func TestNodeScoreAndReview(t *testing.T) {
	h, n := newHost(t, testConfig())
	a := one[ScoreAnswer](t, h.deliver(n, "wallet-1", request("wd-1", 100_000_000)), "wallet-1")
	if a.Action != ActionAllow || a.Case != "" || a.Frozen {
		t.Fatalf("plain withdrawal: %+v", a)
	}
	if h.count(ObsScore, "subject", "wd-1", "action", "allow", "op", "withdraw", "user", "alice", "typology", "") != 1 {
		t.Fatalf("risk.score: %v", h.obs)
	}
	// a retry gets the same answer and scores nothing again
	if again := one[ScoreAnswer](t, h.deliver(n, "wallet-2", request("wd-1", 100_000_000)), "wallet-2"); again != a {
		t.Fatalf("retry: %+v, want %+v", again, a)
	}
	if h.count(ObsScore) != 1 {
		t.Fatal("a retry was scored again")
	}
	if r := one[ScoreAnswer](t, h.deliver(n, "wallet-1", request("wd-1", 900)), "wallet-1"); r.Action != ActionLimit || r.Err != ErrReused {
		t.Fatalf("subject reused: %+v", r)
	}

	held := request("wd-2", 100_000_000)
	held.DeviceNew, held.Geo, held.Address = true, tokyo, "k1-new"
	out := h.deliver(n, "wallet-1", held)
	a = one[ScoreAnswer](t, out, "wallet-1")
	task := one[ReviewTask](t, out, "reviewer-1")
	if a.Action != ActionHold || a.Case == "" || task.Case != a.Case || task.Kind != KindHold || task.Attempt != 1 ||
		!strings.Contains(task.Features, "new_device=1") {
		t.Fatalf("hold: answer %+v task %+v", a, task)
	}
	if h.count(ObsCase, "case", a.Case, "state", "open", "account", "alice", "subject", "wd-2") != 1 || h.count(ObsFreeze) != 0 {
		t.Fatalf("observations %v", h.obs)
	}
	st := one[StatusAnswer](t, h.deliver(n, "wallet-1", StatusQuery{Account: "alice", Case: a.Case}), "wallet-1")
	if st.Frozen || st.State != StateOpen || st.Kind != KindHold {
		t.Fatalf("status of an open hold: %+v", st)
	}

	out = h.deliver(n, "reviewer-1", ReviewDecision{Case: a.Case, Decision: DecisionRelease})
	ack := one[ReviewAck](t, out, "reviewer-1")
	closed := one[CaseClosed](t, out, "wallet-1")
	if ack.Err != "" || ack.Decision != DecisionRelease || closed.Decision != DecisionRelease || closed.Subject != "wd-2" {
		t.Fatalf("ack %+v closed %+v", ack, closed)
	}
	if h.count(ObsCase, "case", a.Case, "state", "closed", "decision", "release", "reviewer", "reviewer-1") != 1 ||
		h.count(ObsRelease) != 0 {
		t.Fatalf("closing a hold: %v", h.obs)
	}
	// a decision repeated is acknowledged again, a contrary one refused
	if ack := one[ReviewAck](t, h.deliver(n, "reviewer-1", ReviewDecision{Case: a.Case, Decision: DecisionRelease}), "reviewer-1"); ack.Err != "" {
		t.Fatalf("repeat: %+v", ack)
	}
	if ack := one[ReviewAck](t, h.deliver(n, "reviewer-2", ReviewDecision{Case: a.Case, Decision: DecisionConfirm}), "reviewer-2"); ack.Err == "" || ack.Decision != DecisionRelease {
		t.Fatalf("contrary: %+v", ack)
	}
	// no resends once decided
	if out := h.advance(n, 24*time.Hour); len(out) != 0 {
		t.Fatalf("sent after the decision: %v", out)
	}
}

// A freeze opens a case, refuses every later withdrawal of the account,
// and outlives every timeout: tasks are resent a bounded number of times,
// to the reviewers in turn, and no one but a reviewer can release it.
func TestNodeFreezeOnlyReleasedByAReviewer(t *testing.T) {
	h, n := newHost(t, testConfig())
	mixed := request("wd-1", 100_000_000)
	mixed.TaintHops = 1
	out := h.deliver(n, "wallet-1", mixed)
	a := one[ScoreAnswer](t, out, "wallet-1")
	if a.Action != ActionFreeze || a.Typology != TypologyMixer || !a.Frozen || a.Case == "" {
		t.Fatalf("mixer: %+v", a)
	}
	// case first, then the freeze, both before the answer
	if h.count(ObsCase, "case", a.Case, "state", "open") != 1 || h.count(ObsFreeze, "account", "alice", "by", ByAutomation, "case", a.Case) != 1 {
		t.Fatalf("observations %v", h.obs)
	}
	if h.obs[len(h.obs)-2].Kind != ObsCase || h.obs[len(h.obs)-1].Kind != ObsFreeze {
		t.Fatalf("order: %v", h.obs)
	}
	if h.disk.Syncs() == 0 || len(h.disk.Durable(logName)) == 0 {
		t.Fatal("answered before the freeze was durable")
	}
	b := one[ScoreAnswer](t, h.deliver(n, "wallet-2", request("wd-2", 1000)), "wallet-2")
	if b.Action != ActionFreeze || b.Case != a.Case || h.count(ObsFreeze) != 1 || h.count(ObsCase) != 1 {
		t.Fatalf("withdrawal from a frozen account: %+v", b)
	}
	dep := request("dep-1", 1000)
	dep.Op, dep.Address = OpDeposit, "k1-payer"
	if d := one[ScoreAnswer](t, h.deliver(n, "wallet-1", dep), "wallet-1"); d.Action != ActionAllow || !d.Frozen {
		t.Fatalf("deposit into a frozen account: %+v", d)
	}

	// a wallet, a stranger and a forged "automation" cannot release it
	for _, who := range []env.NodeID{"wallet-1", "mallory", ByAutomation} {
		ack := one[ReviewAck](t, h.deliver(n, who, ReviewDecision{Case: a.Case, Decision: DecisionRelease}), who)
		if ack.Err == "" {
			t.Fatalf("release by %s accepted", who)
		}
	}
	tasks := map[env.NodeID]int{}
	for _, s := range h.advance(n, 7*24*time.Hour) {
		if task, ok := s.m.(ReviewTask); ok && task.Case == a.Case {
			tasks[s.to]++
		}
	}
	// 1 task at the freeze (not counted here) + TaskResendMax resends
	if tasks["reviewer-1"]+tasks["reviewer-2"] != n.cfg.TaskResendMax || tasks["reviewer-1"] == 0 || tasks["reviewer-2"] == 0 {
		t.Fatalf("resends %v, want %d over both reviewers", tasks, n.cfg.TaskResendMax)
	}
	if st := frozen(t, h, n, "alice"); !st.Frozen || st.FreezeCase != a.Case || h.count(ObsRelease) != 0 {
		t.Fatalf("a week later: %+v", st)
	}

	out = h.deliver(n, "reviewer-2", ReviewDecision{Case: a.Case, Decision: DecisionRelease})
	if ack := one[ReviewAck](t, out, "reviewer-2"); ack.Err != "" {
		t.Fatal(ack.Err)
	}
	one[CaseClosed](t, out, "wallet-1")
	if h.count(ObsRelease, "account", "alice", "by", "reviewer-2", "case", a.Case) != 1 {
		t.Fatalf("no risk.release by the reviewer: %v", h.obs)
	}
	if st := frozen(t, h, n, "alice"); st.Frozen {
		t.Fatalf("still frozen: %+v", st)
	}
}

// The planted weakness: with auto-release, automation lifts the freeze
// after the timeout, observed as a release by automation; without it, the
// same run keeps the freeze.
func TestNodeAutoReleaseBug(t *testing.T) {
	for _, bug := range []Bug{BugNone, BugAutoRelease} {
		name := string(bug)
		if bug == BugNone {
			name = "none"
		}
		t.Run(name, func(t *testing.T) {
			cfg := testConfig()
			cfg.Bug = bug
			h, n := newHost(t, cfg)
			mixed := request("wd-1", 100_000_000)
			mixed.PeelHops = 5
			a := one[ScoreAnswer](t, h.deliver(n, "wallet-1", mixed), "wallet-1")
			if a.Action != ActionFreeze || a.Typology != TypologyPeelChain {
				t.Fatalf("peel chain: %+v", a)
			}
			// a restart in between re-arms the timer from the case's age
			h.advance(n, 30*time.Minute)
			h.disk.Crash(false, nil)
			n = h.start(cfg)
			h.advance(n, 31*time.Minute)
			st := frozen(t, h, n, "alice")
			released := h.count(ObsRelease, "account", "alice", "by", ByAutomation, "case", a.Case)
			if bug == BugNone && (!st.Frozen || released != 0) {
				t.Fatalf("correct node: frozen %v, %d automated releases", st.Frozen, released)
			}
			if bug == BugAutoRelease && (st.Frozen || released != 1 || h.count(ObsCase, "case", a.Case, "state", "closed", "reviewer", ByAutomation) != 1) {
				t.Fatalf("auto-release: frozen %v, %d automated releases", st.Frozen, released)
			}
		})
	}
}

// A crash forgets nothing that was answered: freezes, cases and their
// decisions, and the answers to retries come back from the log, whatever
// a torn tail left; open cases are handed out again.
func TestNodeDurableAcrossCrash(t *testing.T) {
	for seed := uint64(0); seed < 20; seed++ {
		t.Run(fmt.Sprint(seed), func(t *testing.T) {
			cfg := testConfig()
			h, n := newHost(t, cfg)
			fr := request("wd-1", 100_000_000)
			fr.TaintHops = 2
			a := one[ScoreAnswer](t, h.deliver(n, "wallet-1", fr), "wallet-1")
			ho := request("wd-2", 100_000_000)
			ho.Account, ho.User, ho.DeviceNew, ho.Geo, ho.Address = "bob", "bob", true, tokyo, "k1-new"
			hold := one[ScoreAnswer](t, h.deliver(n, "wallet-1", ho), "wallet-1")
			ho2 := ho
			ho2.Subject = "wd-3"
			hold2 := one[ScoreAnswer](t, h.deliver(n, "wallet-1", ho2), "wallet-1")
			h.deliver(n, "reviewer-1", ReviewDecision{Case: hold.Case, Decision: DecisionConfirm})
			if a.Action != ActionFreeze || hold.Action != ActionHold || hold2.Action != ActionHold {
				t.Fatalf("setup: %+v %+v %+v", a, hold, hold2)
			}
			// an unsynced append, torn by the crash
			good := len(h.disk.Durable(logName))
			h.disk.Append(logName, env.Record(encodeRecord(record{kind: recDecide, caseID: a.Case, decision: DecisionRelease, by: "reviewer-1", at: t0})))
			h.disk.Crash(true, rand.New(rand.NewPCG(seed, 1)))

			h.obs = nil
			h.sent = nil
			n = h.start(cfg)
			if got := len(h.disk.Durable(logName)); got != good {
				t.Fatalf("log %d bytes after restart, want the valid %d", got, good)
			}
			if st := frozen(t, h, n, "alice"); !st.Frozen || st.FreezeCase != a.Case {
				t.Fatalf("the freeze was forgotten: %+v", st)
			}
			st := one[StatusAnswer](t, h.deliver(n, "wallet-1", StatusQuery{Account: "bob", Case: hold.Case}), "wallet-1")
			if st.State != StateClosed || st.Decision != DecisionConfirm || st.Reviewer != "reviewer-1" {
				t.Fatalf("the decision was forgotten: %+v", st)
			}
			if again := one[ScoreAnswer](t, h.deliver(n, "wallet-1", fr), "wallet-1"); again != a {
				t.Fatalf("retry after restart: %+v, want %+v", again, a)
			}
			// the engine's history came back too: bob's two held
			// withdrawals count in his velocity
			probe := n.eng.Assess(eventOf(ScoreRequest{Op: OpWithdraw, Subject: "p", User: "bob", Account: "bob", Amount: 1, Address: "k1-x"}, t0))
			if f, _ := probe.Feature(FeatVelocityCount); f.Value != 3 {
				t.Fatalf("velocity after replay %d, want 3", f.Value)
			}
			// the open cases (freeze, second hold) were handed out again on start
			h.sent = nil
			n = h.start(cfg)
			var open []string
			for _, s := range h.sent {
				if task, ok := s.m.(ReviewTask); ok {
					open = append(open, task.Case)
				}
			}
			slices.Sort(open)
			if want := []string{a.Case, hold2.Case}; !slices.Equal(open, want) {
				t.Fatalf("tasks on start %v, want %v", open, want)
			}
			// new cases continue the numbering
			ho3 := ho
			ho3.Subject = "wd-4"
			if c := one[ScoreAnswer](t, h.deliver(n, "wallet-1", ho3), "wallet-1"); c.Case != "risk/case-4" {
				t.Fatalf("case after restart %q, want risk/case-4", c.Case)
			}
		})
	}
}

// Damage that is not a torn tail stops the node: a freeze list that half
// loads would fail open.
func TestNodeRefusesADamagedLog(t *testing.T) {
	h, n := newHost(t, testConfig())
	fr := request("wd-1", 100_000_000)
	fr.TaintHops = 1
	h.deliver(n, "wallet-1", fr)
	h.deliver(n, "wallet-1", request("wd-2", 100))
	b, _ := h.disk.Read(logName)
	b[10] ^= 0xff // inside the first record's body
	h.disk.Write(logName, b)
	h.disk.Sync()
	defer func() {
		if r := recover(); r == nil || !strings.Contains(fmt.Sprint(r), "damaged") {
			t.Fatalf("recovered %v, want a panic naming the damage", r)
		}
	}()
	h.start(testConfig())
}

// The log is compacted past CompactAt; the freeze, the case numbering and
// the recent answers survive compaction and a restart.
func TestNodeCompaction(t *testing.T) {
	cfg := testConfig()
	cfg.RetainMax, cfg.CompactAt, cfg.ClosedMax = 5, 12, 1
	h, n := newHost(t, cfg)
	fr := request("wd-0", 100_000_000)
	fr.TaintHops = 1
	a := one[ScoreAnswer](t, h.deliver(n, "wallet-1", fr), "wallet-1")
	var last ScoreAnswer
	for i := 1; i <= 40; i++ {
		r := request(fmt.Sprintf("wd-%d", i), 100)
		r.User, r.Account = fmt.Sprintf("u%d", i), fmt.Sprintf("u%d", i)
		last = one[ScoreAnswer](t, h.deliver(n, "wallet-1", r), "wallet-1")
	}
	recs, _ := env.ReadRecords(h.disk.Durable(logName))
	if len(recs) >= cfg.CompactAt || n.logLen != len(recs) {
		t.Fatalf("%d records on disk (node counts %d), compaction at %d", len(recs), n.logLen, cfg.CompactAt)
	}
	h.disk.Crash(false, nil)
	n = h.start(cfg)
	if st := frozen(t, h, n, "alice"); !st.Frozen || st.FreezeCase != a.Case {
		t.Fatalf("freeze lost in compaction: %+v", st)
	}
	r := request("wd-40", 100)
	r.User, r.Account = "u40", "u40"
	if again := one[ScoreAnswer](t, h.deliver(n, "wallet-1", r), "wallet-1"); again != last {
		t.Fatalf("recent answer lost: %+v", again)
	}
	fr2 := request("wd-new", 100)
	fr2.User, fr2.Account, fr2.TaintHops = "carol", "carol", 1
	if c := one[ScoreAnswer](t, h.deliver(n, "wallet-1", fr2), "wallet-1"); c.Case != "risk/case-2" {
		t.Fatalf("case numbering after compaction: %q", c.Case)
	}
}

// Only wallets ask, only reviewers decide, and bytes that are not a risk
// request are refused without an answer.
func TestNodeRefusesStrangers(t *testing.T) {
	h, n := newHost(t, testConfig())
	if out := h.deliver(n, "mallory", request("wd-1", 100)); len(out) != 0 {
		t.Fatalf("answered a stranger: %v", out)
	}
	if out := h.deliver(n, "mallory", StatusQuery{Account: "alice"}); len(out) != 0 {
		t.Fatalf("answered a stranger's query: %v", out)
	}
	if out := h.deliver(n, "wallet-1", ScoreAnswer{Subject: "x", Action: ActionAllow}); len(out) != 0 {
		t.Fatalf("answered an answer: %v", out)
	}
	h.sent = nil
	n.Step(h, env.Input{Kind: env.InputMessage, From: "wallet-1", Payload: []byte{env.WireVersion, byte(MsgScoreRequest), CodecVersion, 0}})
	if len(h.sent) != 0 || h.count(ObsRefused) != 4 || h.count(ObsScore) != 0 {
		t.Fatalf("sent %v, %d refusals", h.sent, h.count(ObsRefused))
	}
}

// A full hold queue refuses withdrawals it would hold (limit) and freezes
// for deposits it would hold: never a hold without a case.
func TestNodeHoldQueueBound(t *testing.T) {
	cfg := testConfig()
	cfg.HoldsOpenMax = 1
	h, n := newHost(t, cfg)
	held := func(subject string, op Op) ScoreRequest {
		r := request(subject, 100_000_000)
		r.Op, r.DeviceNew, r.Geo, r.Address = op, true, tokyo, "k1-new-"+subject
		r.PeelHops = 2 // keeps a deposit (no new-address points) over HoldAt
		return r
	}
	if a := one[ScoreAnswer](t, h.deliver(n, "wallet-1", held("wd-1", OpWithdraw)), "wallet-1"); a.Action != ActionHold {
		t.Fatalf("first: %+v", a)
	}
	if a := one[ScoreAnswer](t, h.deliver(n, "wallet-1", held("wd-2", OpWithdraw)), "wallet-1"); a.Action != ActionLimit || a.Case != "" {
		t.Fatalf("withdrawal over the bound: %+v", a)
	}
	if a := one[ScoreAnswer](t, h.deliver(n, "wallet-1", held("dep-1", OpDeposit)), "wallet-1"); a.Action != ActionFreeze || a.Case == "" {
		t.Fatalf("deposit over the bound: %+v", a)
	}
}
