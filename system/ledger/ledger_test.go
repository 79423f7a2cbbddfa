package ledger

import (
	"fmt"
	"strconv"
	"testing"
	"time"

	pb "go.etcd.io/raft/v3/raftpb"

	"vaultdrill/system/api"
	"vaultdrill/system/env"
)

func deposit(a string, amt int64) api.Request {
	return api.Request{Op: api.OpDeposit, Account: a, Amount: amt}
}

func withdraw(a string, amt int64) api.Request {
	return api.Request{Op: api.OpWithdraw, Account: a, Amount: amt}
}

func balance(a string) api.Request { return api.Request{Op: api.OpBalance, Account: a} }

func follower(w *world, lead env.NodeID) env.NodeID {
	for _, id := range w.ids {
		if id != lead && w.hosts[id].up {
			return id
		}
	}
	w.t.Fatal("no follower up")
	return ""
}

func TestElectsOneLeaderAmongFive(t *testing.T) {
	w := newWorld(t, 5, nil)
	lead := w.awaitLeader(5 * time.Second)
	w.run(3 * time.Second)
	leaders := 0
	for _, id := range w.ids {
		if w.hosts[id].node.isLeader() {
			leaders++
		}
	}
	if leaders != 1 {
		t.Fatalf("%d leaders after a quiet period, want 1", leaders)
	}
	if l, _ := w.leader(); l != lead {
		t.Fatalf("leader changed without faults: %s then %s", lead, l)
	}
	obs := w.observed(ObsLeader, lead)
	if len(obs) == 0 || obs[len(obs)-1].Fields["term"] != strconv.FormatUint(w.hosts[lead].node.rn.BasicStatus().Term, 10) {
		t.Fatalf("no ledger.leader observation for the current term: %+v", obs)
	}
}

func TestClientOperations(t *testing.T) {
	w := newWorld(t, 5, nil)
	lead := w.awaitLeader(5 * time.Second)
	f := follower(w, lead)
	const wait = time.Second

	r, _ := w.call(f, deposit("a", 100), wait)
	if r.Status != api.StatusRedirect || r.Leader != lead {
		t.Fatalf("follower write: %+v, want redirect to %s", r, lead)
	}
	r, _ = w.call(f, balance("a"), wait)
	if r.Status != api.StatusRedirect || r.Leader != lead {
		t.Fatalf("follower read: %+v, want redirect to %s", r, lead)
	}

	steps := []struct {
		req               api.Request
		status            api.Status
		bal               int64
		refused, err      string
		wantIndexPositive bool
	}{
		{req: deposit("a", 100), status: api.StatusOK, bal: 100, wantIndexPositive: true},
		{req: withdraw("a", 30), status: api.StatusOK, bal: 70, wantIndexPositive: true},
		{req: withdraw("a", 100), status: api.StatusOK, bal: 70, refused: api.ErrInsufficient.Error(), wantIndexPositive: true},
		{req: balance("a"), status: api.StatusOK, bal: 70, wantIndexPositive: true},
		{req: balance("nobody"), status: api.StatusOK, bal: 0},
		{req: deposit("a", 0), status: api.StatusFail, err: api.ErrBadRequest.Error()},
		{req: withdraw("a", -5), status: api.StatusFail, err: api.ErrBadRequest.Error()},
		{req: deposit("", 5), status: api.StatusFail, err: api.ErrBadRequest.Error()},
		{req: api.Request{Op: "transfer", Account: "a", Amount: 1}, status: api.StatusFail, err: api.ErrBadRequest.Error()},
		{req: withdraw("b", 1), status: api.StatusOK, bal: 0, refused: api.ErrInsufficient.Error(), wantIndexPositive: true},
	}
	for i, s := range steps {
		r, ok := w.call(lead, s.req, wait)
		if !ok {
			t.Fatalf("step %d %+v: no answer", i, s.req)
		}
		if r.Status != s.status || r.Balance != s.bal || r.Refused != s.refused || r.Err != s.err {
			t.Fatalf("step %d %+v: got %+v, want status %s balance %d refused %q err %q", i, s.req, r, s.status, s.bal, s.refused, s.err)
		}
		if s.wantIndexPositive && r.Index == 0 {
			t.Fatalf("step %d %+v: no index in %+v", i, s.req, r)
		}
	}

	// Undecodable bytes are ignored, not answered.
	w.push(event{at: w.now, to: lead, in: env.Input{Kind: env.InputMessage, From: clientID, Payload: []byte{9, 9, 9}}})
	w.push(event{at: w.now, to: lead, in: env.Input{Kind: env.InputMessage, From: clientID, Payload: env.Encode(env.MsgClientRequest, []byte("{"))}})
	before := len(w.inbox)
	w.run(time.Second)
	if len(w.inbox) != before {
		t.Fatalf("garbage was answered")
	}

	// Every replica applied the same thing.
	for id, b := range w.settledBalances("a") {
		if b != 70 {
			t.Fatalf("%s: balance %d, want 70", id, b)
		}
	}
	if w.checkDigests() == 0 {
		t.Fatal("no applies observed")
	}
	var refused int
	for _, o := range w.observed(ObsApply, lead) {
		if o.Fields["result"] == resultRefused {
			refused++
		}
	}
	if refused != 2 {
		t.Fatalf("%d refused applies observed on the leader, want 2", refused)
	}
}

func TestIdempotentRetryReturnsOriginal(t *testing.T) {
	w := newWorld(t, 3, func(c *Config) { c.IdemRetention = 5 * time.Second })
	w.awaitLeader(5 * time.Second)

	first := w.mustDo(api.Request{Op: api.OpDeposit, Account: "a", Amount: 100, IdemKey: "k1"})
	w.mustDo(deposit("a", 1))
	again := w.mustDo(api.Request{Op: api.OpDeposit, Account: "a", Amount: 100, IdemKey: "k1"})
	if again.Status != api.StatusOK || again.Balance != first.Balance || again.Index != first.Index || again.Refused != "" {
		t.Fatalf("retry got %+v, want the original %+v", again, first)
	}
	refused := w.mustDo(api.Request{Op: api.OpWithdraw, Account: "a", Amount: 1000, IdemKey: "k2"})
	if refused.Refused == "" {
		t.Fatalf("withdraw 1000 of 101: %+v, want refused", refused)
	}
	w.mustDo(deposit("a", 5000))
	retry := w.mustDo(api.Request{Op: api.OpWithdraw, Account: "a", Amount: 1000, IdemKey: "k2"})
	if retry != (api.Response{ID: retry.ID, Status: api.StatusOK, Balance: refused.Balance, Refused: refused.Refused, Index: refused.Index}) {
		t.Fatalf("retry of a refusal got %+v, want the original %+v", retry, refused)
	}
	if b := w.mustDo(balance("a")); b.Balance != 5101 {
		t.Fatalf("balance %d, want 5101: a retry changed something", b.Balance)
	}
	dups := 0
	for _, o := range w.observed(ObsApply, "") {
		if o.Fields["result"] == resultDup {
			dups++
			if o.Fields["idem"] == "" {
				t.Fatalf("dup without a key: %+v", o)
			}
		}
	}
	if dups != 2*3 {
		t.Fatalf("%d dup applies observed, want 2 on each of 3 replicas", dups)
	}

	// Past the retention window the key is forgotten: the retry applies anew.
	w.run(6 * time.Second)
	late := w.mustDo(api.Request{Op: api.OpDeposit, Account: "a", Amount: 100, IdemKey: "k1"})
	if late.Index == first.Index || late.Balance != 5201 {
		t.Fatalf("retry after retention: %+v, want a new apply (balance 5201)", late)
	}
	w.checkDigests()
}

// submitDeposits pushes deposits of 1 to the leader a window at a time and
// returns the acknowledged ones' total per account. after, if set, runs
// after each window.
func submitDeposits(t *testing.T, w *world, n, window int, account func(int) string, after func()) (acked map[string]int64, total int) {
	t.Helper()
	acked = map[string]int64{}
	for i := 0; i < n; i += window {
		lead := w.awaitLeader(10 * time.Second)
		ids := map[uint64]string{}
		for j := i; j < i+window && j < n; j++ {
			ids[w.submit(lead, deposit(account(j), 1))] = account(j)
		}
		w.runUntil(w.now.Add(2*time.Second), func() bool {
			for id := range ids {
				if _, ok := w.inbox[id]; !ok {
					return false
				}
			}
			return true
		})
		for id, a := range ids {
			if r, ok := w.inbox[id]; ok && r.Status == api.StatusOK {
				acked[a]++
				total++
			}
		}
		if after != nil {
			after()
		}
	}
	return acked, total
}

func TestLeaderCrashLosesNoAcknowledgedWrite(t *testing.T) {
	w := newWorld(t, 5, nil)
	lead := w.awaitLeader(5 * time.Second)

	// Writes in flight when the leader dies.
	var ids []uint64
	for i := 0; i < 40; i++ {
		ids = append(ids, w.submit(lead, deposit("x", 1)))
	}
	w.run(3 * time.Millisecond)
	w.crash(lead, true)
	acked := 0
	for _, id := range ids {
		if r, ok := w.inbox[id]; ok && r.Status == api.StatusOK {
			acked++
		}
	}
	next := w.awaitLeader(5 * time.Second)
	if next == lead {
		t.Fatal("the crashed node is still leader")
	}
	more, n := submitDeposits(t, w, 60, 20, func(int) string { return "x" }, nil)
	if n != 60 {
		t.Fatalf("only %d of 60 writes acknowledged under a stable new leader", n)
	}
	acked += int(more["x"])
	b := w.mustDo(balance("x"))
	if b.Balance < int64(acked) || b.Balance > 100 {
		t.Fatalf("balance %d, but %d writes were acknowledged (100 sent)", b.Balance, acked)
	}
	w.restart(lead)
	for id, bal := range w.settledBalances("x") {
		if bal != b.Balance {
			t.Fatalf("%s: balance %d, leader read %d", id, bal, b.Balance)
		}
	}
	w.checkDigests()
}

func TestWholeClusterCrashWithTornTails(t *testing.T) {
	w := newWorld(t, 5, nil)
	lead := w.awaitLeader(5 * time.Second)
	var ids []uint64
	for i := 0; i < 200; i++ {
		ids = append(ids, w.submit(lead, deposit(acct(i%4), int64(i+1))))
		w.run(200 * time.Microsecond)
	}
	acked := map[string]int64{}
	for i, id := range ids {
		if r, ok := w.inbox[id]; ok && r.Status == api.StatusOK {
			acked[acct(i%4)] += int64(i + 1)
		}
	}
	for _, id := range w.ids {
		w.crash(id, true)
		// Every Ready is synced before the step ends, so a crash between
		// steps leaves no unsynced append to tear: plant a torn record (a
		// prefix of an unsynced batch) as a crash inside a write would.
		d := w.hosts[id].disk
		rec := env.Record(encodeBatch([]pb.Entry{{Index: 1 << 40, Term: 1 << 40, Data: []byte("never acknowledged")}}))
		d.Append(fileLog, rec[:len(rec)-5])
		d.Sync()
	}
	for _, id := range w.ids {
		w.restart(id)
	}
	w.awaitLeader(10 * time.Second)
	for a, want := range acked {
		b := w.mustDo(balance(a))
		if b.Balance < want {
			t.Fatalf("%s: balance %d after restart, acknowledged deposits sum to %d", a, b.Balance, want)
		}
		for id, bal := range w.settledBalances(a) {
			if bal != b.Balance {
				t.Fatalf("%s: %s balance %d, the leader read %d", id, a, bal, b.Balance)
			}
		}
	}
	for _, id := range w.ids {
		raw, _ := w.hosts[id].disk.Read(fileLog)
		if _, valid := env.ReadRecords(raw); valid != len(raw) {
			t.Fatalf("%s: log still has a torn tail after start", id)
		}
	}
	w.checkDigests()
	// Replays after restart were observed as restores or re-applies with
	// the same digests (checked above).
}

func TestTornLogTailIsCutOnStart(t *testing.T) {
	d := newMemDisk()
	ents := func(lo, hi uint64) []pb.Entry {
		var out []pb.Entry
		for i := lo; i <= hi; i++ {
			out = append(out, pb.Entry{Index: i, Term: 2, Data: []byte(fmt.Sprint(i))})
		}
		return out
	}
	d.Append(fileLog, env.Record(encodeBatch(ents(2, 4))))
	d.Sync()
	d.Append(fileLog, env.Record(encodeBatch(ents(5, 9))))
	full, _ := d.Read(fileLog)
	d.Write(fileLog, full[:len(full)-3]) // a torn second record
	rec := loadDisk(d, []uint64{1, 2, 3})
	if len(rec.batches) != 1 || rec.tornBytes == 0 {
		t.Fatalf("got %d batches, %d torn bytes; want 1 batch and a torn tail", len(rec.batches), rec.tornBytes)
	}
	after, _ := d.Read(fileLog)
	if _, valid := env.ReadRecords(after); valid != len(after) || len(after) == 0 {
		t.Fatalf("log not rewritten to its valid prefix")
	}
	if durable := d.Durable(fileLog); len(durable) != len(after) {
		t.Fatalf("the repaired log was not synced")
	}
	ms := restoreStorage(rec)
	if last, _ := ms.LastIndex(); last != 4 {
		t.Fatalf("last index %d after replay, want 4", last)
	}

	// A later batch overwriting a conflicting tail wins on replay.
	d2 := newMemDisk()
	d2.Append(fileLog, env.Record(encodeBatch(ents(2, 6))))
	over := ents(4, 5)
	for i := range over {
		over[i].Term = 3
	}
	d2.Append(fileLog, env.Record(encodeBatch(over)))
	ms = restoreStorage(loadDisk(d2, []uint64{1}))
	last, _ := ms.LastIndex()
	term, _ := ms.Term(5)
	if last != 5 || term != 3 {
		t.Fatalf("after overwrite: last %d term(5) %d, want 5 and 3", last, term)
	}
}

func TestSnapshotsBoundTheLogAndCatchUpLaggards(t *testing.T) {
	const snapEvery = 100
	w := newWorld(t, 5, func(c *Config) { c.SnapshotEntries = snapEvery })
	lead := w.awaitLeader(5 * time.Second)
	lag := follower(w, lead)
	w.crash(lag, false)

	maxDisk, maxEntries := 0, uint64(0)
	sample := func() {
		for _, id := range w.ids {
			h := w.hosts[id]
			if !h.up {
				continue
			}
			maxDisk = max(maxDisk, h.disk.Size())
			first, _ := h.node.storage.FirstIndex()
			last, _ := h.node.storage.LastIndex()
			maxEntries = max(maxEntries, last-first+1)
		}
	}
	acked, total := submitDeposits(t, w, 5000, 30, func(i int) string { return acct(i % 7) }, sample)
	if total != 5000 {
		t.Fatalf("%d of 5000 writes acknowledged", total)
	}
	if maxEntries > 3*snapEvery {
		t.Fatalf("in-memory log reached %d entries with snapshots every %d", maxEntries, snapEvery)
	}
	if maxDisk > 64<<10 {
		t.Fatalf("a disk reached %d bytes: compaction does not bound it", maxDisk)
	}

	// The first snapshot sent to the laggard is lost: the leader must notice
	// and send another.
	lost := 0
	w.drop = func(from, to env.NodeID, payload []byte) bool {
		if to != lag || lost > 0 {
			return false
		}
		var m pb.Message
		_, body, _ := env.Decode(payload)
		if m.Unmarshal(body) == nil && m.Type == pb.MsgSnap {
			lost++
			return true
		}
		return false
	}
	w.restart(lag)
	w.run(5 * time.Second)
	if lost != 1 {
		t.Fatalf("no snapshot was sent to %s", lag)
	}
	restores := w.observed(ObsRestore, lag)
	if len(restores) == 0 {
		t.Fatalf("%s caught up without a snapshot", lag)
	}
	if idx, _ := strconv.ParseUint(restores[len(restores)-1].Fields["index"], 10, 64); idx <= snapEvery {
		t.Fatalf("%s restored snapshot at %d, want a recent one", lag, idx)
	}
	for i := 0; i < 7; i++ {
		for id, b := range w.settledBalances(acct(i)) {
			if b != acked[acct(i)] {
				t.Fatalf("%s: %s balance %d, acknowledged %d", id, acct(i), b, acked[acct(i)])
			}
		}
	}
	// A restart from the replica's own snapshot replays the rest and agrees.
	w.crash(lead, false)
	w.restart(lead)
	w.run(3 * time.Second)
	if len(w.observed(ObsRestore, lead)) == 0 {
		t.Fatalf("%s restarted without restoring its snapshot", lead)
	}
	var applied []uint64
	for _, id := range w.ids {
		applied = append(applied, w.hosts[id].node.applied)
	}
	for _, a := range applied {
		if a != applied[0] {
			t.Fatalf("replicas settled at different applied indexes %v", applied)
		}
	}
	if n := w.checkDigests(); n < 5000 {
		t.Fatalf("digests observed for only %d indexes", n)
	}
	t.Logf("%d steps, max disk %d bytes, max log %d entries", w.steps, maxDisk, maxEntries)
}

func TestForgedRaftSenderIsIgnored(t *testing.T) {
	w := newWorld(t, 3, nil)
	lead := w.awaitLeader(5 * time.Second)
	f := follower(w, lead)
	term := w.hosts[f].node.rn.BasicStatus().Term
	leadRaft := w.hosts[lead].cfg.RaftID
	other := w.ids[0]
	if other == lead || other == f {
		other = w.ids[1]
		if other == lead || other == f {
			other = w.ids[2]
		}
	}
	m := pb.Message{Type: pb.MsgHeartbeat, From: leadRaft, To: w.hosts[f].cfg.RaftID, Term: term + 50}
	b, _ := m.Marshal()
	// Claims the leader's raft id, but the host says it came from another peer.
	w.push(event{at: w.now, to: f, in: env.Input{Kind: env.InputMessage, From: other, Payload: env.Encode(env.MsgRaft, b)}})
	// From a client that is no peer at all.
	w.push(event{at: w.now, to: f, in: env.Input{Kind: env.InputMessage, From: clientID, Payload: env.Encode(env.MsgRaft, b)}})
	w.run(10 * time.Millisecond)
	if got := w.hosts[f].node.rn.BasicStatus().Term; got != term {
		t.Fatalf("forged message moved the term from %d to %d", term, got)
	}
	// The same message from the authenticated sender is taken.
	w.push(event{at: w.now, to: f, in: env.Input{Kind: env.InputMessage, From: lead, Payload: env.Encode(env.MsgRaft, b)}})
	w.run(time.Millisecond)
	if got := w.hosts[f].node.rn.BasicStatus().Term; got != term+50 {
		t.Fatalf("authenticated message not stepped: term %d, want %d", got, term+50)
	}
}

// The planted bugs must be live: each shows the wrong behaviour where the
// correct ledger does not.
func TestPlantedStaleReads(t *testing.T) {
	for _, bug := range []Bug{BugNone, BugStaleReads} {
		t.Run(fmt.Sprintf("bug=%q", bug), func(t *testing.T) {
			w := newWorld(t, 5, func(c *Config) { c.Bug = bug })
			w.mustDo(deposit("a", 10))
			w.run(time.Second)
			lead := w.awaitLeader(5 * time.Second)
			f := follower(w, lead)
			w.isolate(f)
			if r := w.mustDo(deposit("a", 90)); r.Balance != 100 {
				t.Fatalf("deposit: %+v", r)
			}
			r, ok := w.call(f, balance("a"), time.Second)
			switch bug {
			case BugNone:
				if ok && r.Status == api.StatusOK {
					t.Fatalf("partitioned follower answered a read: %+v", r)
				}
			case BugStaleReads:
				if !ok || r.Status != api.StatusOK || r.Balance != 10 {
					t.Fatalf("stale-reads bug inactive: %+v (ok %v), want the stale balance 10", r, ok)
				}
			}
		})
	}
}

func TestPlantedEarlyAck(t *testing.T) {
	for _, bug := range []Bug{BugNone, BugEarlyAck} {
		t.Run(fmt.Sprintf("bug=%q", bug), func(t *testing.T) {
			w := newWorld(t, 5, func(c *Config) { c.Bug = bug })
			w.mustDo(deposit("a", 10))
			w.run(time.Second) // with the bug, the ack came before commit
			lead := w.awaitLeader(5 * time.Second)
			w.isolate(lead)
			r, ok := w.call(lead, deposit("a", 5), 500*time.Millisecond)
			applied := 0
			for _, o := range w.observed(ObsApply, "") {
				if o.Fields["amount"] == "5" {
					applied++
				}
			}
			if applied != 0 {
				t.Fatal("a write applied on an isolated leader")
			}
			switch bug {
			case BugNone:
				if ok {
					t.Fatalf("isolated leader answered a write it cannot commit: %+v", r)
				}
			case BugEarlyAck:
				if !ok || r.Status != api.StatusOK || r.Balance != 15 || r.Index == 0 {
					t.Fatalf("early-ack bug inactive: %+v (ok %v)", r, ok)
				}
			}
			// Either way the write is lost once the majority moves on.
			w.run(3 * time.Second)
			if w.hosts[lead].node.isLeader() {
				t.Fatal("an isolated leader did not step down (check quorum)")
			}
			w.heal()
			w.run(3 * time.Second)
			if b := w.mustDo(balance("a")); b.Balance != 10 {
				t.Fatalf("balance %d, want 10: the uncommitted write survived", b.Balance)
			}
		})
	}
}

func TestParseBug(t *testing.T) {
	for _, s := range []string{"", "none", "stale-reads", "early-ack"} {
		if _, err := ParseBug(s); err != nil {
			t.Errorf("ParseBug(%q): %v", s, err)
		}
	}
	if _, err := ParseBug("typo"); err == nil {
		t.Error("ParseBug accepted a typo")
	}
}
