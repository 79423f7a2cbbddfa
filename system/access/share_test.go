package access

import (
	"errors"
	"testing"
	"time"
)

// What one gateway learned and shared makes the next gateway judge the
// same way: a login place (impossible travel), a second-factor change
// (SIM swap hold), an API-key lock and its verification. Without the
// shared fact the second gateway lets each one through.
func TestSharedFacts(t *testing.T) {
	w := newWorld(t)
	g1, g2, bare := w.gateway("wallet-1", nil), w.gateway("wallet-2", nil), w.gateway("wallet-3", nil)
	if d := w.do(g1, t0, w.loginReq(g1, t0, "alice", "alice-phone", paris)); !d.Allowed() {
		t.Fatalf("login at g1: %s", d.Reason)
	}
	if err := g2.NoteLogin("alice", paris, t0); err != nil {
		t.Fatal(err)
	}
	at := t0.Add(30 * time.Minute)
	if d := w.do(g2, at, w.loginReq(g2, at, "alice", "alice-phone", tokyo)); !errors.Is(d.Err, ErrTravel) {
		t.Fatalf("tokyo at g2 after paris shared: %s %v, want impossible travel", d.Reason, d.Err)
	}
	at = at.Add(30 * time.Second)
	if d := w.do(bare, at, w.loginReq(bare, at, "alice", "alice-phone", tokyo)); !d.Allowed() {
		t.Fatalf("tokyo at a gateway told nothing: %s (the control this sharing adds)", d.Reason)
	}
	// an older login place changes nothing
	if err := g2.NoteLogin("alice", berlin, t0.Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	at = at.Add(30 * time.Second)
	if d := w.do(g2, at, w.loginReq(g2, at, "alice", "alice-phone", tokyo)); !errors.Is(d.Err, ErrTravel) {
		t.Fatalf("an older shared login moved alice: %s", d.Reason)
	}

	// a second-factor change at another gateway holds withdrawals here
	if err := g2.NoteFactorChange(t0, "bob"); err != nil {
		t.Fatal(err)
	}
	at = t0.Add(2 * time.Hour)
	s := w.login(g2, at, "bob", "bob-phone")
	if _, d := stepUp(w, g2, at.Add(time.Minute), Request{Kind: KindOp, User: "bob", Device: "bob-phone", Session: s,
		Op: OpWithdraw, Params: withdrawParams("bob", "wd-1", 5)}); d.Result != ResultHold || d.Reason != "sim-swap" {
		t.Fatalf("withdrawal after a shared factor change: %s %s", d.Result, d.Reason)
	}

	// a key lock taken elsewhere (or before a restart) holds here, and
	// demands the verification; a verification after it clears that,
	// one before it does not
	if _, err := g2.AddAPIKey(KeySpec{ID: "bot", User: "carol", Scopes: []Scope{ScopeRead}}); err != nil {
		t.Fatal(err)
	}
	tok := g2.keyToken("bot", "carol")
	lockAt := t0.Add(3 * time.Hour)
	if err := g2.RestoreLock("carol", LockAPIKey, lockAt, lockAt.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if d := w.do(g2, lockAt.Add(time.Minute), keyReq("bot", tok, OpRead, "carol", "balance")); !errors.Is(d.Err, ErrLocked) {
		t.Fatalf("key use under a restored lock: %s %v", d.Reason, d.Err)
	}
	after := lockAt.Add(2 * time.Hour)
	g2.NoteVerified("carol", lockAt.Add(-time.Minute))
	if d := w.do(g2, after, keyReq("bot", tok, OpRead, "carol", "balance")); !errors.Is(d.Err, ErrVerify) {
		t.Fatalf("a verification older than the lock cleared it: %s %v", d.Reason, d.Err)
	}
	g2.NoteVerified("carol", lockAt.Add(time.Minute))
	if d := w.do(g2, after.Add(time.Second), keyReq("bot", tok, OpRead, "carol", "balance")); !d.Allowed() {
		t.Fatalf("after a shared verification: %s %v", d.Reason, d.Err)
	}
	if err := g2.RestoreLock("carol", "moon", lockAt, lockAt); !errors.Is(err, ErrMalformed) {
		t.Fatalf("unknown lock kind: %v", err)
	}
	if err := g2.NoteLogin("mallory", paris, t0); !errors.Is(err, ErrUnknown) {
		t.Fatalf("unknown user: %v", err)
	}
}

// A gateway told its clock is off refuses every code, the right one
// included, and alerts security once; told it agrees again, it judges
// codes as before.
func TestClockOffRefusesCodes(t *testing.T) {
	w := newWorld(t)
	g := w.gateway("wallet-1", nil)
	w.facts = append(w.facts, g.NoteClock(-90*time.Second)...)
	w.facts = append(w.facts, g.NoteClock(-91*time.Second)...)
	if n := w.count("access.alert", "attack=otp-skew", "notify=security"); n != 1 {
		t.Fatalf("%d clock alerts, want one when the clock goes bad", n)
	}
	if d := w.do(g, t0, w.loginReq(g, t0, "alice", "alice-phone", paris)); !errors.Is(d.Err, ErrOTP) || d.Reason != "otp-clock" {
		t.Fatalf("login with the clock off: %s %v", d.Reason, d.Err)
	}
	if n := w.count("access.otp", "result=reject", "reason=clock"); n != 1 {
		t.Fatalf("%d clock rejects", n)
	}
	g.NoteClock(44 * time.Second) // within the 45 s tolerance
	at := t0.Add(30 * time.Second)
	if d := w.do(g, at, w.loginReq(g, at, "alice", "alice-phone", paris)); !d.Allowed() {
		t.Fatalf("login with the clock back: %s %v", d.Reason, d.Err)
	}
}

// KeyToken is what AddAPIKey hands out, so a key's holder can be given
// its token without a gateway; another deployment key gives another.
func TestKeyToken(t *testing.T) {
	w := newWorld(t)
	g := w.gateway("wallet-1", nil)
	tok, err := g.AddAPIKey(KeySpec{ID: "bot", User: "bob", Scopes: []Scope{ScopeRead}})
	if err != nil {
		t.Fatal(err)
	}
	if KeyToken(testKey, "bot", "bob") != tok || KeyToken([]byte("another-key-0123456789"), "bot", "bob") == tok {
		t.Fatalf("KeyToken disagrees with AddAPIKey's %s", tok)
	}
}
