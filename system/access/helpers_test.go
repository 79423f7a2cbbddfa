package access

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"vaultdrill/system/env"
)

var (
	t0     = env.Epoch.Add(10 * time.Hour)
	paris  = Point{Known: true, LatE6: 48_856_600, LonE6: 2_352_200}
	berlin = Point{Known: true, LatE6: 52_520_000, LonE6: 13_405_000}
	tokyo  = Point{Known: true, LatE6: 35_676_200, LonE6: 139_650_300}
	// versailles is about 17 km from paris.
	versailles = Point{Known: true, LatE6: 48_804_900, LonE6: 2_120_400}
	testKey    = []byte("vaultdrill-test-key-0123456789")
)

func secretOf(user string) []byte { return []byte("totp-secret-of-" + user) }

// vocabulary is docs/security-vocabulary.md's field list per system fact.
var vocabulary = map[string][]string{
	"access.otp":      {"reason", "result", "step", "user"},
	"access.stepup":   {"challenge", "expires", "op", "params", "reason", "result", "user"},
	"access.decision": {"challenge", "decision", "device", "geo", "ip", "op", "params", "reason", "subject", "user"},
	"access.alert":    {"attack", "notify", "reason", "user"},
	"access.lock":     {"until", "user", "what"},
}

// ledger is the replicated ledger's once-keys as D24 has them: a deposit
// of 1 to once:KEY under the idempotency key once:KEY:REQUEST; the
// answered balance is 1 for the first consumer.
type ledger struct {
	balance map[string]int
	answers map[string]int
}

func newLedger() *ledger { return &ledger{balance: map[string]int{}, answers: map[string]int{}} }

func (l *ledger) consume(key, request string) bool {
	idem := OnceIdem(key, request)
	if a, ok := l.answers[idem]; ok {
		return a == 1
	}
	l.balance[key]++
	l.answers[idem] = l.balance[key]
	return l.balance[key] == 1
}

// world runs gateways against one ledger and collects the facts.
type world struct {
	t     *testing.T
	led   *ledger
	facts []env.Observation
	seq   int
}

func newWorld(t *testing.T) *world { return &world{t: t, led: newLedger()} }

func (w *world) gateway(id string, edit func(*Config)) *Gateway {
	w.t.Helper()
	c := Config{ID: id, Key: testKey}
	if edit != nil {
		edit(&c)
	}
	g, err := New(c)
	if err != nil {
		w.t.Fatal(err)
	}
	for _, u := range []UserSpec{
		{ID: "alice", Secret: secretOf("alice"), Devices: []string{"alice-phone"}, Home: paris, PIN: "1234"},
		{ID: "bob", Secret: secretOf("bob"), Devices: []string{"bob-phone"}, Home: berlin, PIN: "4321"},
		{ID: "carol", Secret: secretOf("carol"), Devices: []string{"carol-phone"}, PIN: "5555", Scopes: []Scope{ScopeRead}},
	} {
		if err := g.AddUser(u); err != nil {
			w.t.Fatal(err)
		}
	}
	return g
}

func (w *world) id() string { w.seq++; return fmt.Sprintf("r%d", w.seq) }

// emit checks every fact against the vocabulary and keeps it.
func (w *world) emit(d Decision) {
	w.t.Helper()
	for _, o := range d.Facts {
		want, ok := vocabulary[o.Kind]
		if !ok {
			w.t.Fatalf("fact of unknown kind %q", o.Kind)
		}
		var got []string
		for k := range o.Fields { // determinism: allowed (sorted below)
			got = append(got, k)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			w.t.Fatalf("%s fields %v, want %v", o.Kind, got, want)
		}
	}
	w.facts = append(w.facts, d.Facts...)
}

// do runs a request to its final decision, consuming once-keys in the
// ledger under the request's id.
func (w *world) do(g *Gateway, now time.Time, r Request) Decision {
	w.t.Helper()
	if r.ID == "" {
		r.ID = w.id()
	}
	if r.Biometric == 0 {
		r.Biometric = BiometricNone
	}
	d := g.Handle(now, r)
	w.emit(d)
	if d.Result != ResultPending {
		return d
	}
	first := make([]bool, len(d.Once))
	for i, k := range d.Once {
		first[i] = w.led.consume(k, r.ID)
	}
	d = g.Resolve(now, d, first)
	w.emit(d)
	return d
}

func code(g *Gateway, user string, at time.Time) string {
	return TOTPCode(g.Config(), secretOf(user), at)
}

func (w *world) loginReq(g *Gateway, now time.Time, user, device string, geo Point) Request {
	pins := map[string]string{"alice": "1234", "bob": "4321", "carol": "5555"}
	return Request{Kind: KindLogin, User: user, Device: device, IP: "10.0.0.1", Geo: geo, PIN: pins[user], Code: code(g, user, now)}
}

// login opens a session or fails the test.
func (w *world) login(g *Gateway, now time.Time, user, device string) string {
	w.t.Helper()
	d := w.do(g, now, w.loginReq(g, now, user, device, Point{}))
	if !d.Allowed() || d.Session == "" {
		w.t.Fatalf("login %s on %s: %s %s %v", user, device, d.Result, d.Reason, d.Err)
	}
	return d.Session
}

func withdrawParams(user, id string, amount int64) []string {
	return []string{user, id, "k1-dest", fmt.Sprint(amount)}
}

// last returns the fields of the last fact of kind, or nil.
func (w *world) last(kind string) map[string]string {
	for i := len(w.facts) - 1; i >= 0; i-- {
		if w.facts[i].Kind == kind {
			return w.facts[i].Fields
		}
	}
	return nil
}

// count counts facts of kind whose fields include every k=v of match.
func (w *world) count(kind string, match ...string) int {
	n := 0
	for _, o := range w.facts {
		if o.Kind != kind {
			continue
		}
		ok := true
		for _, kv := range match {
			k, v, _ := strings.Cut(kv, "=")
			if o.Fields[k] != v {
				ok = false
			}
		}
		if ok {
			n++
		}
	}
	return n
}

// wrongCode is a code of the right shape that is not c: the last digit
// moved by one, so the check reaches the code comparison.
func wrongCode(c string) string {
	return c[:len(c)-1] + string(rune('0'+(c[len(c)-1]-'0'+1)%10))
}
