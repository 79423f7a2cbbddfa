package ledger

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"vaultdrill/system/env"
)

func TestCommandRoundTrip(t *testing.T) {
	cases := []command{
		{Op: opDeposit, Account: "a", Amount: 1},
		{Op: opWithdraw, Account: "acct-7", Amount: 1 << 40, IdemKey: "k", Time: env.Epoch.UnixNano(),
			Proposer: "ledger-3", Incarnation: 1<<64 - 1, Seq: 99, Client: "client-1", RequestID: 12345},
	}
	for _, c := range cases {
		got, err := decodeCommand(c.encode())
		if err != nil || got != c {
			t.Fatalf("round trip of %+v: %+v, %v", c, got, err)
		}
	}
	good := cases[1].encode()
	for cut := 0; cut < len(good); cut++ {
		if _, err := decodeCommand(good[:cut]); err == nil {
			t.Fatalf("decoded a command cut at %d of %d bytes", cut, len(good))
		}
	}
	if _, err := decodeCommand(append(good, 0)); err == nil {
		t.Fatal("decoded a command with a trailing byte")
	}
}

func FuzzDecodeCommand(f *testing.F) {
	f.Add(command{Op: opDeposit, Account: "a", Amount: 5, IdemKey: "k"}.encode())
	f.Add([]byte{1, 2, 0})
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := decodeCommand(b)
		if err != nil {
			return
		}
		again, err := decodeCommand(c.encode())
		if err != nil || again != c {
			t.Fatalf("re-encoding %+v does not round trip: %+v, %v", c, again, err)
		}
	})
}

func FuzzDecodeBatch(f *testing.F) {
	f.Add(encodeBatch(nil))
	f.Fuzz(func(t *testing.T, b []byte) { _, _ = decodeBatch(b) })
}

func FuzzRestoreState(f *testing.F) {
	sm := newStateMachine(int64(time.Hour))
	sm.apply(2, []byte("x"), command{Op: opDeposit, Account: "a", Amount: 3, IdemKey: "k", Time: 1})
	f.Add(sm.marshal())
	f.Fuzz(func(t *testing.T, b []byte) {
		s := newStateMachine(int64(time.Hour))
		if err := s.restore(b); err != nil {
			return
		}
		s.marshal()
	})
}

// randomCommands is a seeded workload with keys reused across the
// retention window and proposal times that sometimes go backwards (leaders
// with skewed clocks).
func randomCommands(seed uint64, n int) []command {
	r := rand.New(rand.NewPCG(seed, 1))
	var out []command
	t := env.Epoch.UnixNano()
	for i := 0; i < n; i++ {
		t += int64(r.IntN(int(2 * time.Second)))
		c := command{Op: opDeposit, Account: fmt.Sprintf("a%d", r.IntN(5)), Amount: int64(1 + r.IntN(100)), Time: t - int64(r.IntN(int(3*time.Second)))}
		if r.IntN(2) == 0 {
			c.Op = opWithdraw
		}
		if r.IntN(3) > 0 {
			c.IdemKey = fmt.Sprintf("k%d", r.IntN(40))
		}
		out = append(out, c)
	}
	return out
}

// A replica restored from a snapshot at any point must continue exactly
// like one that applied everything: same outcomes, same serialized state.
func TestStateMachineSnapshotIsExact(t *testing.T) {
	const retention = int64(20 * time.Second)
	for seed := uint64(1); seed <= 5; seed++ {
		cmds := randomCommands(seed, 400)
		whole := newStateMachine(retention)
		var outs []outcome
		for i, c := range cmds {
			outs = append(outs, whole.apply(uint64(i+2), c.encode(), c))
		}
		for _, at := range []int{0, 1, 57, 200, 399} {
			a := newStateMachine(retention)
			for i, c := range cmds[:at] {
				a.apply(uint64(i+2), c.encode(), c)
			}
			snap := a.marshal()
			b := newStateMachine(retention)
			if err := b.restore(snap); err != nil {
				t.Fatalf("seed %d at %d: restore: %v", seed, at, err)
			}
			if !bytes.Equal(b.marshal(), snap) {
				t.Fatalf("seed %d at %d: restore then marshal differs", seed, at)
			}
			for i := at; i < len(cmds); i++ {
				if got := b.apply(uint64(i+2), cmds[i].encode(), cmds[i]); got != outs[i] {
					t.Fatalf("seed %d, restored at %d: command %d gives %+v, want %+v", seed, at, i, got, outs[i])
				}
			}
			if !bytes.Equal(b.marshal(), whole.marshal()) || b.digestHex() != whole.digestHex() {
				t.Fatalf("seed %d, restored at %d: final state differs", seed, at)
			}
		}
		var dups, refused int
		for _, o := range outs {
			switch o.Result {
			case resultDup:
				dups++
			case resultRefused:
				refused++
			}
			if o.Balance < 0 {
				t.Fatalf("seed %d: negative balance %+v", seed, o)
			}
		}
		if dups == 0 || refused == 0 {
			t.Fatalf("seed %d: workload too tame: %d dups, %d refusals", seed, dups, refused)
		}
	}
}

func TestIdemRetentionWindow(t *testing.T) {
	sm := newStateMachine(int64(10 * time.Second))
	t0 := env.Epoch.UnixNano()
	c := command{Op: opDeposit, Account: "a", Amount: 5, IdemKey: "k", Time: t0}
	first := sm.apply(2, c.encode(), c)
	c.Time = t0 + int64(9*time.Second)
	if o := sm.apply(3, c.encode(), c); o.Result != resultDup || o.Reply != first.Reply || o.Balance != 5 {
		t.Fatalf("within retention: %+v, want dup of %+v", o, first.Reply)
	}
	c.Time = t0 + int64(10*time.Second)
	if o := sm.apply(4, c.encode(), c); o.Result != resultOK || o.Balance != 10 || o.Reply.Index != 4 {
		t.Fatalf("at retention: %+v, want a fresh apply", o)
	}
}

func TestDepositOverflowIsRefused(t *testing.T) {
	sm := newStateMachine(int64(time.Hour))
	c := command{Op: opDeposit, Account: "a", Amount: 1<<63 - 1}
	sm.apply(2, c.encode(), c)
	c.Amount = 1
	if o := sm.apply(3, c.encode(), c); o.Result != resultRefused || o.Reply.Refused != ErrOverflow.Error() {
		t.Fatalf("overflowing deposit: %+v", o)
	}
}
