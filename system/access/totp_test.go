package access

import (
	"encoding/base32"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/totp"

	"vaultdrill/system/env"
)

// RFC 6238 Appendix B: 8 digits, X = 30 s, T0 = 0.
func TestRFC6238Vectors(t *testing.T) {
	seed := func(n int) []byte { return []byte(strings.Repeat("1234567890", 7)[:n]) }
	cases := []struct {
		unix                 int64
		sha1, sha256, sha512 string
	}{
		{59, "94287082", "46119246", "90693936"},
		{1111111109, "07081804", "68084774", "25091201"},
		{1111111111, "14050471", "67062674", "99943326"},
		{1234567890, "89005924", "91819424", "93441116"},
		{2000000000, "69279037", "90698825", "38618901"},
		{20000000000, "65353130", "77737706", "47863826"},
	}
	for _, c := range cases {
		for _, a := range []struct {
			alg  Algorithm
			key  []byte
			want string
		}{{AlgSHA1, seed(20), c.sha1}, {AlgSHA256, seed(32), c.sha256}, {AlgSHA512, seed(64), c.sha512}} {
			at := time.Unix(c.unix, 0).UTC()
			got, ok := HOTPCode(a.key, TOTPCounter(at, 30), 8, a.alg)
			if !ok || got != a.want {
				t.Errorf("%s at %d: %q (ok %v), want %s", a.alg, c.unix, got, ok, a.want)
			}
			// The library's own TOTP entry point, with the time given, agrees.
			lib, err := totp.GenerateCodeCustom(base32.StdEncoding.EncodeToString(a.key), at,
				totp.ValidateOpts{Period: 30, Digits: otp.DigitsEight, Algorithm: a.alg.hash()})
			if err != nil || lib != a.want {
				t.Errorf("library %s at %d: %q %v", a.alg, c.unix, lib, err)
			}
			if got := TOTPCode(Config{TOTPStep: 30 * time.Second, TOTPDigits: 8, TOTPAlgorithm: a.alg}, a.key, at); got != a.want {
				t.Errorf("TOTPCode %s at %d: %q", a.alg, c.unix, got)
			}
		}
	}
}

func TestStepCountsFromEpoch(t *testing.T) {
	g := newWorld(t).gateway("wallet-1", nil)
	for _, c := range []struct {
		at   time.Duration
		want int64
	}{{0, 0}, {29 * time.Second, 0}, {30 * time.Second, 1}, {-time.Second, -1}, {10 * time.Hour, 1200}} {
		if got := g.Step(env.Epoch.Add(c.at)); got != c.want {
			t.Errorf("Step(Epoch%+v) = %d, want %d", c.at, got, c.want)
		}
	}
}

// The window is one step either side of the gateway's clock; a code two
// steps off (or a server clock 90 s off) is refused as "window" and
// reported as otp-skew; a code matching no nearby step is "wrong".
func TestOTPWindow(t *testing.T) {
	cases := []struct {
		name       string
		codeAt     time.Duration // when the user's authenticator made the code, from t0
		skew       time.Duration // the server clock's error
		window     int           // Config.TOTPWindow
		wantOK     bool
		wantReason string
	}{
		{"same step", 5 * time.Second, 0, 0, true, ""},
		{"one step behind", -25 * time.Second, 0, 0, true, ""},
		{"one step ahead", 35 * time.Second, 0, 0, true, ""},
		{"two steps behind", -55 * time.Second, 0, 0, false, "window"},
		{"two steps ahead", 65 * time.Second, 0, 0, false, "window"},
		{"server clock 90s fast", 5 * time.Second, 90 * time.Second, 0, false, "window"},
		{"server clock 90s slow", 5 * time.Second, -90 * time.Second, 0, false, "window"},
		{"server clock 20s fast", 5 * time.Second, 20 * time.Second, 0, true, ""},
		{"window 0: one step behind", -25 * time.Second, 0, -1, false, "window"},
		{"a code from an hour ago", -time.Hour, 0, 0, false, "wrong"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			g := w.gateway("wallet-1", func(cf *Config) { cf.TOTPWindow = c.window })
			r := w.loginReq(g, t0.Add(c.codeAt), "alice", "alice-phone", Point{})
			now := t0.Add(5 * time.Second).Add(c.skew)
			d := w.do(g, now, r)
			otpF := w.last("access.otp")
			if d.Allowed() != c.wantOK {
				t.Fatalf("allowed %v (%s %v), want %v", d.Allowed(), d.Reason, d.Err, c.wantOK)
			}
			if c.wantOK {
				if otpF["result"] != "accept" {
					t.Fatalf("access.otp %v", otpF)
				}
				return
			}
			if otpF["result"] != "reject" || otpF["reason"] != c.wantReason || !errors.Is(d.Err, ErrOTP) {
				t.Fatalf("access.otp %v, err %v; want reject %s", otpF, d.Err, c.wantReason)
			}
			if got := w.count("access.alert", "attack=otp-skew"); (c.wantReason == "window") != (got == 1) {
				t.Fatalf("%d otp-skew alerts for reason %s", got, c.wantReason)
			}
		})
	}
}

// A code is accepted once per (user, step): at one gateway by its used-set,
// across gateways by the ledger's once-key; a retry of the same request
// gets the ledger's original answer.
func TestOTPReplay(t *testing.T) {
	w := newWorld(t)
	g1, g2 := w.gateway("wallet-1", nil), w.gateway("wallet-2", nil)
	r := w.loginReq(g1, t0, "alice", "alice-phone", Point{})
	r.ID, r.Biometric = w.id(), BiometricNone
	if d := w.do(g1, t0, r); !d.Allowed() {
		t.Fatalf("first login: %s %v", d.Reason, d.Err)
	}
	// Same gateway, same code: refused from the local used-set, no ledger.
	d := g1.Handle(t0.Add(time.Second), r)
	w.emit(d)
	if d.Result != ResultDeny || !errors.Is(d.Err, ErrReplay) || len(d.Once) != 0 {
		t.Fatalf("local replay: %s %v once %v", d.Result, d.Err, d.Once)
	}
	// Another region: its used-set is empty, the ledger says "not first".
	r2 := r
	r2.ID = w.id()
	d = g2.Handle(t0.Add(time.Second), r2)
	if d.Result != ResultPending || len(d.Once) != 1 || d.Once[0] != "once:otp:alice:1200" {
		t.Fatalf("wallet-2 verify: %s once %v", d.Result, d.Once)
	}
	d = g2.Resolve(t0.Add(time.Second), d, []bool{w.led.consume(d.Once[0], r2.ID)})
	w.emit(d)
	if d.Result != ResultDeny || !errors.Is(d.Err, ErrReplay) {
		t.Fatalf("ledger replay: %s %v", d.Result, d.Err)
	}
	if n := w.count("access.otp", "result=accept"); n != 1 {
		t.Fatalf("%d accepts of step 1200", n)
	}
	if n := w.count("access.alert", "attack=otp-replay", "notify=user,security"); n != 2 {
		t.Fatalf("%d otp-replay alerts, want 2", n)
	}
	// The next step's code is fine.
	if d := w.do(g2, t0.Add(30*time.Second), w.loginReq(g2, t0.Add(30*time.Second), "alice", "alice-phone", Point{})); !d.Allowed() {
		t.Fatalf("next step: %s %v", d.Reason, d.Err)
	}
	// (How the ledger answers a retried consumption is the wallet's
	// business: system/wallet scopes it to the gateway's incarnation, and
	// account-takeover's whole-request replay shows it.)
}

func TestOTPLockout(t *testing.T) {
	w := newWorld(t)
	g := w.gateway("wallet-1", func(c *Config) { c.OTPFailMax = 3; c.OTPLockFor = 10 * time.Minute })
	bad := w.loginReq(g, t0, "alice", "alice-phone", Point{})
	bad.Code = "000000"
	if bad.Code == code(g, "alice", t0) {
		t.Skip("the fixed wrong code happens to be right")
	}
	for i := 0; i < 3; i++ {
		if d := w.do(g, t0.Add(time.Duration(i)*time.Second), bad); d.Reason != "otp" {
			t.Fatalf("wrong code %d: %s", i, d.Reason)
		}
	}
	lock := w.last("access.lock")
	if lock == nil || lock["what"] != "otp" || lock["until"] != ns(t0.Add(2*time.Second+10*time.Minute)) {
		t.Fatalf("lock %v", lock)
	}
	// Locked: even the right code is refused, as "locked".
	at := t0.Add(time.Minute)
	if d := w.do(g, at, w.loginReq(g, at, "alice", "alice-phone", Point{})); !errors.Is(d.Err, ErrLocked) || w.last("access.otp")["reason"] != "locked" {
		t.Fatalf("during lock: %s %v", d.Reason, d.Err)
	}
	at = t0.Add(11 * time.Minute)
	if d := w.do(g, at, w.loginReq(g, at, "alice", "alice-phone", Point{})); !d.Allowed() {
		t.Fatalf("after lock: %s %v", d.Reason, d.Err)
	}
}
