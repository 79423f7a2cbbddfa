package scenarios

import (
	"strings"
	"testing"

	"vaultdrill/checkers"
)

// takeoverAttacks are the attacks account-takeover rehearses.
var takeoverAttacks = []string{"credential-stuffing", "new-device", "sim-swap", "impossible-travel", "otp-replay", "otp-skew"}

// Every attack on the account layer is tried, answered within its bound
// and has no effect, while honest users log in, step up and withdraw
// through the gateway (INV-OTP and INV-STEPUP over all of it).
func TestAccountTakeover(t *testing.T) {
	out := runDrill(t, "account-takeover", 1)
	if out.Report.Verdict != checkers.Valid {
		t.Fatalf("verdict %s: %+v", out.Report.Verdict, out.Report.Expectations)
	}
	for _, a := range takeoverAttacks {
		r := resultOf(out, checkers.CheckAttack+":"+a)
		if r.Measured["attacks"] == 0 || r.Measured["detected"] != 1 || r.Measured["effects"] != 0 {
			t.Errorf("%s: %v (%s)", a, r.Measured, r.Summary)
		}
	}
	otp := resultOf(out, checkers.CheckOTP)
	if otp.Measured["accepted"] < 50 || otp.Measured["rejected"] == 0 {
		t.Errorf("INV-OTP saw %v: want honest logins and refused codes", otp.Measured)
	}
	if su := resultOf(out, checkers.CheckStepUp); !strings.Contains(su.Summary, "withdrawals reserved") {
		t.Errorf("INV-STEPUP: %s", su.Summary)
	}
}

// A gateway that trusts its node's clock takes, on a node 90 s behind, a
// code photographed three steps earlier: INV-OTP and the otp-skew
// expectation name it.
func TestAccountTakeoverNoClockCheckCaught(t *testing.T) {
	otpWeaknessCaught(t, "no-clock-check", "3 steps away", "otp-skew")
}

// otpWeaknessCaught runs account-takeover with a planted TOTP weakness and
// wants INV-OTP invalid saying want, and the attack's expectation invalid
// with an effect.
func otpWeaknessCaught(t *testing.T, bug, want, attack string) {
	t.Helper()
	out := runDrill(t, "account-takeover", 1, "duration=150m", "workload.params.bug="+bug)
	if r := resultOf(out, checkers.CheckOTP); r.Verdict != checkers.Invalid || !strings.Contains(r.Summary, want) {
		t.Fatalf("INV-OTP %s with %s: %s", r.Verdict, bug, r.Summary)
	}
	if r := resultOf(out, checkers.CheckAttack+":"+attack); r.Verdict != checkers.Invalid || r.Measured["effects"] == 0 {
		t.Fatalf("ATTACK:%s %s with %s, effects %d: %s", attack, r.Verdict, bug, r.Measured["effects"], r.Summary)
	}
}

// A wallet that counts approvals without their MFA fails INV-QUORUM:
// the approvals have no TOTP accept of their human's behind them.
func TestAccountTakeoverSkipApproverMFACaught(t *testing.T) {
	out := runDrill(t, "account-takeover", 1, "duration=150m", "workload.params.bug=skip-approver-mfa")
	if r := resultOf(out, checkers.CheckQuorum); r.Verdict != checkers.Invalid || !strings.Contains(r.Summary+firstDescs(r), "without MFA") {
		t.Fatalf("INV-QUORUM %s with approver MFA skipped: %s", r.Verdict, r.Summary)
	}
}

// A gateway that lets sensitive ops through without a step-up fails
// INV-STEPUP, naming the withdrawal that took effect without one.
func TestAccountTakeoverSkipStepUpCaught(t *testing.T) {
	out := runDrill(t, "account-takeover", 1, "duration=150m", "workload.params.bug=skip-stepup")
	r := resultOf(out, checkers.CheckStepUp)
	if r.Verdict != checkers.Invalid || !strings.Contains(r.Summary, "without a step-up") {
		t.Fatalf("INV-STEPUP %s with step-up skipped: %s", r.Verdict, r.Summary)
	}
	if out.Report.ExitCode != 1 {
		t.Errorf("exit %d, want 1", out.Report.ExitCode)
	}
}

// A TOTP check that accepts a replay fails INV-OTP and the otp-replay
// attack's expectation, naming the replayed step.
func TestAccountTakeoverOTPReplayCaught(t *testing.T) {
	otpWeaknessCaught(t, "otp-replay", "accepted again", "otp-replay")
}

// A stolen key is rate-limited and locked, an escalation refused, while
// the user's own busy bot and a stepped-up trading key go through.
func TestAPIKeyAbuse(t *testing.T) {
	out := runDrill(t, "api-key-abuse", 1, "duration=2h")
	if out.Report.Verdict != checkers.Valid {
		t.Fatalf("verdict %s: %+v", out.Report.Verdict, out.Report.Expectations)
	}
	for _, a := range []string{"apikey-abuse", "scope-escalation"} {
		r := resultOf(out, checkers.CheckAttack+":"+a)
		if r.Measured["detected"] != 1 || r.Measured["effects"] != 0 || r.Measured["notified_security"] == 0 {
			t.Errorf("%s: %v (%s)", a, r.Measured, r.Summary)
		}
	}
	if su := resultOf(out, checkers.CheckStepUp); !strings.Contains(su.Summary, "2 API-key changes") {
		t.Errorf("the look-alike's key creation and revocation, stepped up, not seen: %s", su.Summary)
	}
	// the busy bot (u7's key, under the limit) is never locked out, and
	// mostly answered
	if n := countObs(out, "access.lock", "user=u7"); n != 0 {
		t.Errorf("the benign busy bot was locked %d times", n)
	}
	if n := countObs(out, "access.decision", "op=apikey-use", "subject=key-u7", "decision=allow"); n < 100 {
		t.Errorf("the busy bot's reads allowed: %d", n)
	}
}

// The gateway keeps the report a pure function of the seed.
func TestAccessDeterministic(t *testing.T) {
	a := runDrill(t, "account-takeover", 3, "duration=150m")
	b := runDrill(t, "account-takeover", 3, "duration=150m")
	if string(a.Report.JSON()) != string(b.Report.JSON()) {
		t.Fatal("same seed, different report")
	}
}
