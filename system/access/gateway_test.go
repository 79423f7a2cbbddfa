package access

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"vaultdrill/system/geo"
)

func TestImpossibleTravel(t *testing.T) {
	cases := []struct {
		name  string
		to    Point
		after time.Duration
		want  bool
	}{
		{"paris to tokyo in an hour", tokyo, time.Hour, true},
		{"paris to berlin in 30 minutes (1760 km/h)", berlin, 30 * time.Minute, true},
		{"paris to berlin in 2 hours (440 km/h)", berlin, 2 * time.Hour, false},
		{"paris to tokyo in 12 hours (810 km/h)", tokyo, 12 * time.Hour, false},
		{"paris to versailles in a minute (17 km)", versailles, time.Minute, false},
		{"paris to paris", paris, time.Minute, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			g := w.gateway("wallet-1", nil)
			if d := w.do(g, t0, w.loginReq(g, t0, "alice", "alice-phone", paris)); !d.Allowed() {
				t.Fatalf("first login: %s", d.Reason)
			}
			at := t0.Add(c.after)
			d := w.do(g, at, w.loginReq(g, at, "alice", "alice-phone", c.to))
			alerts := w.count("access.alert", "attack=impossible-travel", "notify=user,security")
			if got := d.Reason == "impossible-travel"; got != c.want || (alerts == 1) != c.want {
				t.Fatalf("%s %s %v, %d alerts; want travel %v", d.Result, d.Reason, d.Err, alerts, c.want)
			}
			if c.want && !errors.Is(d.Err, ErrTravel) {
				t.Fatalf("err %v", d.Err)
			}
		})
	}
}

// The distances the travel thresholds decide on, through system/geo.
func TestDistanceKm(t *testing.T) {
	for _, c := range []struct {
		a, b     Point
		min, max int64 // great-circle distance within 1%; the long route within the method's 20%
	}{
		{paris, berlin, 870, 887},
		{paris, versailles, 16, 19},
		{paris, tokyo, 9700, 11700},
		{paris, paris, 0, 0},
	} {
		if d := geo.DistanceKm(c.a, c.b); d < c.min || d > c.max {
			t.Errorf("%v-%v: %d km, want %d..%d", c.a, c.b, d, c.min, c.max)
		}
	}
}

func TestSessionChecked(t *testing.T) {
	w := newWorld(t)
	g := w.gateway("wallet-1", nil)
	sess := w.login(g, t0, "alice", "alice-phone")
	read := func(at time.Time, user, device, session string) Decision {
		return w.do(g, at, Request{Kind: KindOp, User: user, Device: device, Session: session, Op: OpRead, Params: []string{user, "balance"}})
	}
	if d := read(t0.Add(time.Minute), "alice", "alice-phone", sess); !d.Allowed() {
		t.Fatalf("read: %s %v", d.Reason, d.Err)
	}
	for _, c := range []struct {
		name                  string
		at                    time.Duration
		user, device, session string
	}{
		{"another device", time.Minute, "alice", "alice-laptop", sess},
		{"another user", time.Minute, "bob", "alice-phone", sess},
		{"a forged token", time.Minute, "alice", "alice-phone", sess[:len(sess)-2] + "00"},
		{"no token", time.Minute, "alice", "alice-phone", ""},
		{"after the session's 12h", 12*time.Hour + time.Second, "alice", "alice-phone", sess},
	} {
		if d := read(t0.Add(c.at), c.user, c.device, c.session); !errors.Is(d.Err, ErrSession) {
			t.Errorf("%s: %s %v", c.name, d.Reason, d.Err)
		}
	}
	// A session is no grant for a sensitive op: it still takes a step-up.
	d := w.do(g, t0.Add(time.Minute), Request{Kind: KindOp, User: "alice", Device: "alice-phone", Session: sess,
		Op: OpSetting, Params: []string{"alice", "whitelist", "k1-new"}})
	if d.Result != ResultStepUp {
		t.Fatalf("setting: %s", d.Result)
	}
	// Carol's rights do not include withdrawals.
	cs := w.login(g, t0, "carol", "carol-phone")
	d = w.do(g, t0.Add(time.Minute), Request{Kind: KindOp, User: "carol", Device: "carol-phone", Session: cs,
		Op: OpWithdraw, Params: withdrawParams("carol", "wd-9", 1)})
	if !errors.Is(d.Err, ErrScope) {
		t.Fatalf("carol withdraws: %s %v", d.Reason, d.Err)
	}
}

func TestUserRateLimit(t *testing.T) {
	w := newWorld(t)
	g := w.gateway("wallet-1", func(c *Config) { c.UserRateMax = 3; c.RateWindow = time.Minute })
	sess := w.login(g, t0, "alice", "alice-phone")
	read := func(at time.Duration) Decision {
		return w.do(g, t0.Add(at), Request{Kind: KindOp, User: "alice", Device: "alice-phone", Session: sess, Op: OpRead, Params: []string{"alice", "balance"}})
	}
	for i, c := range []struct {
		at   time.Duration
		want Result
	}{{1 * time.Second, ResultAllow}, {2 * time.Second, ResultAllow}, {3 * time.Second, ResultAllow},
		{4 * time.Second, ResultDeny}, {5 * time.Second, ResultDeny}, {62 * time.Second, ResultAllow}} {
		if d := read(c.at); d.Result != c.want {
			t.Fatalf("request %d at %v: %s %s", i, c.at, d.Result, d.Reason)
		}
	}
	if n := w.count("access.alert", "attack=anomaly"); n != 1 {
		t.Fatalf("%d anomaly alerts, want 1 per window", n)
	}
}

// createKey creates an API key for alice through its step-up.
func createKey(t *testing.T, w *world, g *Gateway, sess string, at time.Time, id, scopes string) string {
	t.Helper()
	_, d := stepUp(w, g, at, Request{Kind: KindOp, User: "alice", Device: "alice-phone", Session: sess,
		Op: OpAPIKeyCreate, Params: []string{"alice", id, scopes}})
	if !d.Allowed() || d.KeyToken == "" {
		t.Fatalf("create %s: %s %s %v", id, d.Result, d.Reason, d.Err)
	}
	return d.KeyToken
}

func keyReq(id, token string, op Op, params ...string) Request {
	return Request{Kind: KindAPIKey, APIKey: id, KeyToken: token, IP: "10.0.0.2", Op: op, Params: params}
}

// API keys: created and revoked only with a step-up; used within scope;
// a use outside it locks the user's keys and demands a verification.
func TestAPIKeyScopes(t *testing.T) {
	w := newWorld(t)
	g := w.gateway("wallet-1", nil)
	sess := w.login(g, t0, "alice", "alice-phone")
	// Without its step-up, a create is only a challenge.
	d := w.do(g, t0.Add(time.Minute), Request{Kind: KindOp, User: "alice", Device: "alice-phone", Session: sess,
		Op: OpAPIKeyCreate, Params: []string{"alice", "key-1", "read"}})
	if d.Result != ResultStepUp {
		t.Fatalf("create without step-up: %s", d.Result)
	}
	tok := createKey(t, w, g, sess, t0.Add(2*time.Minute), "key-1", "read")
	if d := w.do(g, t0.Add(3*time.Minute), keyReq("key-1", tok, OpRead, "alice", "balance")); !d.Allowed() {
		t.Fatalf("read with key: %s %v", d.Reason, d.Err)
	}
	if d := w.do(g, t0.Add(3*time.Minute), keyReq("key-1", tok+"x", OpRead, "alice", "balance")); !errors.Is(d.Err, ErrCredentials) {
		t.Fatalf("bad token: %v", d.Err)
	}
	// Privilege escalation: a read key asked to withdraw.
	at := t0.Add(4 * time.Minute)
	d = w.do(g, at, keyReq("key-1", tok, OpWithdraw, withdrawParams("alice", "wd-1", 5)...))
	if !errors.Is(d.Err, ErrScope) || w.last("access.decision")["op"] != "apikey-use" ||
		w.count("access.alert", "attack=apikey-abuse") != 1 || w.last("access.lock")["until"] != ns(at.Add(time.Hour)) {
		t.Fatalf("withdraw with a read key: %s %v; facts %v", d.Reason, d.Err, w.facts[len(w.facts)-3:])
	}
	// Locked, then waiting for a secondary verification, then fine.
	if d := w.do(g, t0.Add(5*time.Minute), keyReq("key-1", tok, OpRead, "alice", "balance")); !errors.Is(d.Err, ErrLocked) {
		t.Fatalf("during lock: %v", d.Err)
	}
	at = t0.Add(65 * time.Minute)
	if d := w.do(g, at, keyReq("key-1", tok, OpRead, "alice", "balance")); !errors.Is(d.Err, ErrVerify) {
		t.Fatalf("after lock: %v", d.Err)
	}
	if d := w.do(g, at, Request{Kind: KindOTP, User: "alice", Device: "alice-phone", Session: sess, Code: code(g, "alice", at)}); !d.Allowed() {
		t.Fatalf("verification: %s %v", d.Reason, d.Err)
	}
	if d := w.do(g, at, keyReq("key-1", tok, OpRead, "alice", "balance")); !d.Allowed() {
		t.Fatalf("after verification: %s %v", d.Reason, d.Err)
	}
	// Revoked (with a step-up): refused for good.
	_, d = stepUp(w, g, t0.Add(70*time.Minute), Request{Kind: KindOp, User: "alice", Device: "alice-phone", Session: sess,
		Op: OpAPIKeyRevoke, Params: []string{"alice", "key-1", "read"}})
	if !d.Allowed() {
		t.Fatalf("revoke: %s %v", d.Reason, d.Err)
	}
	if d := w.do(g, t0.Add(72*time.Minute), keyReq("key-1", tok, OpRead, "alice", "balance")); !errors.Is(d.Err, ErrRevoked) {
		t.Fatalf("revoked key: %v", d.Err)
	}
}

// A session request that names someone else's API key is malformed: it is
// neither judged nor reported as the key owner's.
func TestSessionRequestNamingAKey(t *testing.T) {
	w := newWorld(t)
	g := w.gateway("wallet-1", nil)
	if _, err := g.AddAPIKey(KeySpec{ID: "bobkey", User: "bob", Scopes: []Scope{ScopeRead}}); err != nil {
		t.Fatal(err)
	}
	sess := w.login(g, t0, "alice", "alice-phone")
	d := w.do(g, t0.Add(time.Minute), Request{Kind: KindOp, User: "alice", Device: "alice-phone", Session: sess,
		APIKey: "bobkey", Op: OpRead, Params: []string{"alice", "balance"}})
	if d.Allowed() || !errors.Is(d.Err, ErrMalformed) {
		t.Fatalf("a session request naming bob's key: %s %v", d.Result, d.Err)
	}
	if w.count("access.decision", "user=bob") != 0 {
		t.Fatalf("reported as bob's: %v", w.facts)
	}
}

func TestAPIKeyRateLimit(t *testing.T) {
	w := newWorld(t)
	g := w.gateway("wallet-1", func(c *Config) { c.KeyRateMax = 2 })
	if _, err := g.AddAPIKey(KeySpec{ID: "bot", User: "bob", Scopes: []Scope{ScopeRead}}); err != nil {
		t.Fatal(err)
	}
	tok := g.keyToken("bot", "bob")
	for i, want := range []error{nil, nil, ErrRate, ErrLocked} {
		d := w.do(g, t0.Add(time.Duration(i)*time.Second), keyReq("bot", tok, OpRead, "bob", "balance"))
		if want == nil && !d.Allowed() || want != nil && !errors.Is(d.Err, want) {
			t.Fatalf("use %d: %s %v, want %v", i, d.Reason, d.Err, want)
		}
	}
	if w.count("access.lock", "what=apikey", "user=bob") != 1 || w.count("access.alert", "attack=apikey-abuse", "user=bob") != 1 {
		t.Fatal("no lock or alert")
	}
}

// Creating a key with more scopes than the creating credential holds is
// scope escalation: refused, alerted, the user's keys locked.
func TestScopeEscalation(t *testing.T) {
	for _, c := range []struct {
		name      string
		viaKey    string // scopes of the key making the request; "" for dave's session
		want      string
		wantErr   error
		wantAlert bool
	}{
		{"key creating a wider key", "apikey-manage,read", "read,withdraw", ErrEscalation, true},
		{"key creating a narrower key", "apikey-manage,read", "read", nil, false},
		{"key without apikey-manage", "read", "read", ErrScope, false},
		{"session beyond the user's rights", "", "read,withdraw", ErrEscalation, true},
		{"session within the user's rights", "", "read", nil, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			g := w.gateway("wallet-1", nil)
			if err := g.AddUser(UserSpec{ID: "dave", Secret: secretOf("dave"), Devices: []string{"dave-phone"}, PIN: "9999",
				Scopes: []Scope{ScopeAPIKeyManage, ScopeRead}}); err != nil {
				t.Fatal(err)
			}
			req := Request{Kind: KindOp, User: "dave", Device: "dave-phone", Op: OpAPIKeyCreate, Params: []string{"dave", "key-2", c.want}}
			if c.viaKey != "" {
				scopes, _ := ParseKeyScopes(c.viaKey)
				tok, err := g.AddAPIKey(KeySpec{ID: "key-1", User: "dave", Scopes: scopes})
				if err != nil {
					t.Fatal(err)
				}
				req = keyReq("key-1", tok, OpAPIKeyCreate, "dave", "key-2", c.want)
			} else {
				d := w.do(g, t0, Request{Kind: KindLogin, User: "dave", Device: "dave-phone", PIN: "9999", Code: code(g, "dave", t0)})
				req.Session = d.Session
			}
			_, d := stepUp(w, g, t0.Add(time.Minute), req)
			if c.wantErr == nil && !d.Allowed() || c.wantErr != nil && !errors.Is(d.Err, c.wantErr) {
				t.Fatalf("%s %s %v, want %v", d.Result, d.Reason, d.Err, c.wantErr)
			}
			alerted := w.count("access.alert", "attack=scope-escalation") == 1 && w.count("access.lock", "what=apikey") == 1
			if alerted != c.wantAlert {
				t.Fatalf("alert and lock %v, want %v", alerted, c.wantAlert)
			}
		})
	}
}

func TestPINLockout(t *testing.T) {
	w := newWorld(t)
	g := w.gateway("wallet-1", func(c *Config) { c.PINFailMax = 3; c.PINLockFor = 15 * time.Minute })
	for i := 0; i < 3; i++ {
		at := t0.Add(time.Duration(i) * time.Second)
		r := w.loginReq(g, at, "alice", "alice-phone", Point{})
		r.PIN = "0000"
		if d := w.do(g, at, r); d.Reason != "pin" {
			t.Fatalf("wrong PIN %d: %s", i, d.Reason)
		}
	}
	if l := w.last("access.lock"); l["what"] != "pin" || l["until"] != ns(t0.Add(2*time.Second+15*time.Minute)) {
		t.Fatalf("lock %v", l)
	}
	at := t0.Add(10 * time.Minute)
	if d := w.do(g, at, w.loginReq(g, at, "alice", "alice-phone", Point{})); !errors.Is(d.Err, ErrLocked) {
		t.Fatalf("right PIN while locked: %v", d.Err)
	}
	at = t0.Add(16 * time.Minute)
	if d := w.do(g, at, w.loginReq(g, at, "alice", "alice-phone", Point{})); !d.Allowed() {
		t.Fatalf("after the lock: %s %v", d.Reason, d.Err)
	}
}

func TestCredentialStuffing(t *testing.T) {
	w := newWorld(t)
	g := w.gateway("wallet-1", nil)
	for i, u := range []string{"alice", "bob", "carol", "erin", "frank"} {
		at := t0.Add(time.Duration(i) * time.Second)
		if d := w.do(g, at, Request{Kind: KindLogin, User: u, Device: "d", IP: "6.6.6.6", PIN: "0000", Code: "000000"}); d.Allowed() {
			t.Fatalf("stuffed login of %s allowed", u)
		}
		if got := w.count("access.alert", "attack=credential-stuffing", "notify=security"); got != map[bool]int{true: 1, false: 0}[i == 4] {
			t.Fatalf("after %d users: %d alerts", i+1, got)
		}
	}
	at := t0.Add(time.Minute)
	r := w.loginReq(g, at, "alice", "alice-phone", Point{})
	r.IP = "6.6.6.6"
	if d := w.do(g, at, r); !errors.Is(d.Err, ErrIPBlocked) {
		t.Fatalf("blocked ip: %v", d.Err)
	}
	if d := w.do(g, at, w.loginReq(g, at, "alice", "alice-phone", Point{})); !d.Allowed() {
		t.Fatalf("another ip: %s %v", d.Reason, d.Err)
	}
	at = t0.Add(2 * time.Hour)
	r = w.loginReq(g, at, "bob", "bob-phone", Point{})
	r.IP = "6.6.6.6"
	if d := w.do(g, at, r); !d.Allowed() {
		t.Fatalf("after the block: %s %v", d.Reason, d.Err)
	}
}

// A new device: the login is allowed and the user told; a sensitive op
// from it is stepped up and then held, until a registered device adds it.
func TestNewDevice(t *testing.T) {
	w := newWorld(t)
	g := w.gateway("wallet-1", nil)
	sess := w.login(g, t0, "alice", "new-phone")
	if w.count("access.alert", "attack=new-device", "notify=user") != 1 || w.last("access.decision")["reason"] != "new-device" {
		t.Fatal("new-device login not reported")
	}
	wd := Request{Kind: KindOp, User: "alice", Device: "new-phone", Session: sess, Op: OpWithdraw, Params: withdrawParams("alice", "wd-1", 5)}
	first, d := stepUp(w, g, t0.Add(time.Minute), wd)
	if first.Result != ResultStepUp || d.Result != ResultHold || d.Reason != "new-device" {
		t.Fatalf("withdraw from a new device: %s, then %s %s", first.Result, d.Result, d.Reason)
	}
	// From the new device it cannot register itself...
	reg := Request{Kind: KindOp, User: "alice", Device: "new-phone", Session: sess, Op: OpSetting, Params: []string{"alice", SettingDevice, "new-phone"}}
	if _, d := stepUp(w, g, t0.Add(3*time.Minute), reg); d.Result != ResultHold {
		t.Fatalf("self-registration: %s", d.Result)
	}
	// ...from a registered one it can.
	old := w.login(g, t0.Add(5*time.Minute), "alice", "alice-phone")
	reg.Device, reg.Session = "alice-phone", old
	if _, d := stepUp(w, g, t0.Add(6*time.Minute), reg); !d.Allowed() {
		t.Fatalf("registration: %s %s", d.Result, d.Reason)
	}
	wd.Params = withdrawParams("alice", "wd-2", 5)
	if _, d := stepUp(w, g, t0.Add(8*time.Minute), wd); !d.Allowed() {
		t.Fatalf("withdraw from the registered device: %s %s", d.Result, d.Reason)
	}
}

func TestSIMSwapHold(t *testing.T) {
	w := newWorld(t)
	g := w.gateway("wallet-1", nil)
	sess := w.login(g, t0, "alice", "alice-phone")
	phone := Request{Kind: KindOp, User: "alice", Device: "alice-phone", Session: sess, Op: OpSetting, Params: []string{"alice", SettingPhone, "+33600000000"}}
	if _, d := stepUp(w, g, t0.Add(time.Minute), phone); !d.Allowed() {
		t.Fatalf("phone change: %s", d.Reason)
	}
	for i, c := range []struct {
		after time.Duration
		want  Result
	}{{time.Hour, ResultHold}, {73 * time.Hour, ResultAllow}} {
		at := t0.Add(time.Minute + c.after)
		s := w.login(g, at, "alice", "alice-phone")
		_, d := stepUp(w, g, at.Add(time.Minute), Request{Kind: KindOp, User: "alice", Device: "alice-phone", Session: s,
			Op: OpWithdraw, Params: withdrawParams("alice", fmt.Sprintf("wd-%d", i), 5)})
		if d.Result != c.want {
			t.Fatalf("withdraw %v after the change: %s %s", c.after, d.Result, d.Reason)
		}
	}
	if w.count("access.alert", "attack=sim-swap", "notify=user,security") != 1 {
		t.Fatal("no sim-swap alert")
	}
}

// The planted otp-replay accepts a used code again, at one gateway and
// through the ledger; the correct gateway does neither (TestOTPReplay).
func TestBugOTPReplay(t *testing.T) {
	w := newWorld(t)
	g1 := w.gateway("wallet-1", func(c *Config) { c.Bug = BugOTPReplay })
	g2 := w.gateway("wallet-2", func(c *Config) { c.Bug = BugOTPReplay })
	r := w.loginReq(g1, t0, "alice", "alice-phone", Point{})
	for i, g := range []*Gateway{g1, g1, g2} {
		if d := w.do(g, t0.Add(time.Duration(i)*time.Second), r); !d.Allowed() {
			t.Fatalf("login %d: %s %v", i, d.Reason, d.Err)
		}
	}
	if n := w.count("access.otp", "result=accept", "step=1200"); n != 3 {
		t.Fatalf("%d accepts of one step, want 3 under the bug", n)
	}
}

func TestCheckApprover(t *testing.T) {
	w := newWorld(t)
	g := w.gateway("wallet-1", nil)
	run := func(a ApproverCheck) Decision {
		d := g.CheckApprover(t0, a)
		w.emit(d)
		if d.Result == ResultPending {
			d = g.Resolve(t0, d, []bool{w.led.consume(d.Once[0], "approve-"+a.User+"-"+a.Device)})
			w.emit(d)
		}
		return d
	}
	ok := ApproverCheck{User: "bob", Device: "bob-phone", Code: code(g, "bob", t0), Biometric: 900}
	for _, c := range []struct {
		name string
		a    ApproverCheck
		want error
	}{
		{"registered device, fresh code", ok, nil},
		{"the same code again", ok, ErrReplay},
		{"an unregistered device", ApproverCheck{User: "bob", Device: "bob-laptop", Code: ok.Code, Biometric: BiometricNone}, ErrCredentials},
		{"a low biometric score", ApproverCheck{User: "bob", Device: "bob-phone", Code: ok.Code, Biometric: 10}, ErrBiometric},
		{"an unknown approver", ApproverCheck{User: "mallory", Device: "bob-phone", Code: ok.Code, Biometric: BiometricNone}, ErrCredentials},
		{"a wrong code", ApproverCheck{User: "alice", Device: "alice-phone", Code: wrongCode(code(g, "alice", t0)), Biometric: BiometricNone}, ErrOTP},
	} {
		d := run(c.a)
		if c.want == nil && !d.Allowed() || c.want != nil && !errors.Is(d.Err, c.want) {
			t.Errorf("%s: %s %s %v, want %v", c.name, d.Result, d.Reason, d.Err, c.want)
		}
	}
}

func TestBiometric(t *testing.T) {
	w := newWorld(t)
	g := w.gateway("wallet-1", func(c *Config) { c.BiometricRequired = true })
	r := w.loginReq(g, t0, "alice", "alice-phone", Point{})
	for _, c := range []struct {
		score int
		want  bool
	}{{BiometricNone, false}, {599, false}, {600, true}} {
		r.Biometric, r.ID = c.score, ""
		if d := w.do(g, t0.Add(30*time.Second), withCode(g, r, t0.Add(30*time.Second))); d.Allowed() != c.want {
			t.Fatalf("score %d: %s %s", c.score, d.Result, d.Reason)
		}
	}
	lr := w.loginReq(g, t0.Add(time.Minute), "alice", "alice-phone", Point{})
	lr.Biometric = 900
	sess := w.do(g, t0.Add(time.Minute), lr).Session
	d := w.do(g, t0.Add(2*time.Minute), Request{Kind: KindOp, User: "alice", Device: "alice-phone", Session: sess, Biometric: 300,
		Op: OpRead, Params: []string{"alice", "balance"}})
	if d.Result != ResultStepUp || d.Reason != "biometric" {
		t.Fatalf("read with a low score: %s %s", d.Result, d.Reason)
	}
}

func TestConfigValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		edit func(*Config)
		ok   bool
	}{
		{"defaults", func(*Config) {}, true},
		{"no key", func(c *Config) { c.Key = nil }, false},
		{"bad id", func(c *Config) { c.ID = "a:b" }, false},
		{"window 2", func(c *Config) { c.TOTPWindow = 2 }, false},
		{"7 digits", func(c *Config) { c.TOTPDigits = 7 }, false},
		{"step 7s", func(c *Config) { c.TOTPStep = 7 * time.Second }, false},
		{"step 60s", func(c *Config) { c.TOTPStep = time.Minute }, true},
		{"md5", func(c *Config) { c.TOTPAlgorithm = "MD5" }, false},
		{"unknown bug", func(c *Config) { c.Bug = "nope" }, false},
		{"planted bug", func(c *Config) { c.Bug = BugOTPReplay }, true},
	} {
		cf := Config{ID: "wallet-1", Key: testKey}
		c.edit(&cf)
		if _, err := New(cf); (err == nil) != c.ok || err != nil && !errors.Is(err, ErrConfig) {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

func TestBounds(t *testing.T) {
	l := newLRU[int](2)
	l.put("a", 1)
	l.put("b", 2)
	l.get("a") // b is now the least recently touched
	l.put("c", 3)
	if _, ok := l.get("b"); ok || l.len() != 2 {
		t.Fatalf("lru kept b (len %d)", l.len())
	}
	if v, ok := l.get("a"); !ok || v != 1 {
		t.Fatal("lru lost a")
	}
	w := newWorld(t)
	g := w.gateway("wallet-1", func(c *Config) { c.UsersMax = 3; c.DevicesMax = 2; c.KeysPerUserMax = 1 })
	if err := g.AddUser(UserSpec{ID: "dave", Secret: secretOf("dave"), PIN: "9999"}); !errors.Is(err, ErrBound) {
		t.Fatalf("a fourth user: %v", err)
	}
	if err := g.AddDevice("alice", "alice-laptop"); err != nil {
		t.Fatal(err)
	}
	if err := g.AddDevice("alice", "alice-tablet"); !errors.Is(err, ErrBound) {
		t.Fatalf("a third device: %v", err)
	}
	if _, err := g.AddAPIKey(KeySpec{ID: "k1", User: "alice", Scopes: []Scope{ScopeRead}}); err != nil {
		t.Fatal(err)
	}
	if _, err := g.AddAPIKey(KeySpec{ID: "k2", User: "alice", Scopes: []Scope{ScopeRead}}); !errors.Is(err, ErrBound) {
		t.Fatalf("a second key: %v", err)
	}
	if err := g.RevokeAPIKey("k1"); err != nil {
		t.Fatal(err)
	}
	if _, err := g.AddAPIKey(KeySpec{ID: "k2", User: "alice", Scopes: []Scope{ScopeRead}}); err != nil {
		t.Fatalf("a key after a revocation: %v", err)
	}
}
