package risk

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"vaultdrill/system/env"
	"vaultdrill/system/geo"
)

const (
	day  = 24 * time.Hour
	year = 365 * day
)

var (
	paris  = Point{Known: true, LatE6: 48_856_600, LonE6: 2_352_200}
	london = Point{Known: true, LatE6: 51_507_400, LonE6: -127_800}
	tokyo  = Point{Known: true, LatE6: 35_676_200, LonE6: 139_650_300}
	t0     = env.Epoch.Add(100 * day)
)

// base is an ordinary withdrawal by an old account at home, on a known
// device, to the address its history uses.
func base(at time.Time, amount int64) Event {
	return Event{Op: OpWithdraw, User: "u1", Account: "u1", Amount: amount, Address: "k1-home", Balance: 50_000_000_000,
		Geo: paris, Home: paris, AccountAge: 3 * year, Time: at}
}

func deposit(at time.Time, amount int64, from string) Event {
	return Event{Op: OpDeposit, User: "u1", Account: "u1", Amount: amount, Address: from, Geo: paris, Home: paris,
		AccountAge: 3 * year, Time: at}
}

// history is a long, quiet record: a withdrawal of 1e8 to the usual
// address every three days for the last two months.
func history() []Event {
	var out []Event
	for i := 20; i >= 1; i-- {
		out = append(out, base(t0.Add(-time.Duration(i)*3*day), 100_000_000))
	}
	return out
}

func newEngine(t *testing.T, cfg Config) *Engine {
	t.Helper()
	e, err := NewEngine(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// run shows the engine every event in turn, recording each with the action
// it got, and returns the last assessment.
func run(e *Engine, evs []Event) Assessment {
	var a Assessment
	for i, ev := range evs {
		if ev.Subject == "" {
			ev.Subject = fmt.Sprintf("op-%d", i)
		}
		a = e.Assess(ev)
		e.Record(ev, a.Action)
	}
	return a
}

func with(evs []Event, more ...Event) []Event { return append(slices.Clone(evs), more...) }

func mod(ev Event, f func(*Event)) Event { f(&ev); return ev }

// Each typology is detected (and freezes, its default action), and its
// benign look-alike is not frozen and names no typology.
func TestTypologies(t *testing.T) {
	h := history()
	young := func(ev *Event) { ev.AccountAge = 2 * day }
	senders := func(n int, gap time.Duration) []Event {
		var out []Event
		for i := 0; i < n; i++ {
			out = append(out, deposit(t0.Add(time.Duration(i)*gap), 100_000_000, fmt.Sprintf("k1-sender-%d", i)))
		}
		return out
	}
	cases := []struct {
		name    string
		evs     []Event
		want    Typology // empty: a look-alike
		wantNot Action   // a look-alike must not get this
	}{
		{"structuring: three just under the threshold in six hours", with(h,
			base(t0, 950_000_000), base(t0.Add(3*time.Hour), 960_000_000), base(t0.Add(6*time.Hour), 980_000_000)),
			TypologyStructuring, ""},
		{"look-alike: two just under, one over", with(h,
			base(t0, 950_000_000), base(t0.Add(3*time.Hour), 960_000_000), base(t0.Add(6*time.Hour), 1_200_000_000)),
			"", ActionFreeze},
		{"look-alike: three just under over three days", with(h,
			base(t0, 950_000_000), base(t0.Add(30*time.Hour), 960_000_000), base(t0.Add(60*time.Hour), 980_000_000)),
			"", ActionFreeze},
		{"smurfing: six senders in half a day", with(h, senders(6, 2*time.Hour)...), TypologySmurfing, ""},
		{"look-alike: three friends pay back", with(h, senders(3, time.Hour)...), "", ActionHold},
		{"look-alike: six senders over ten days", with(h, senders(6, 2*day)...), "", ActionHold},
		{"rapid-in-out: deposit withdrawn within the hour", with(h,
			deposit(t0, 2_000_000_000, "k1-payer"), mod(base(t0.Add(30*time.Minute), 1_950_000_000), func(e *Event) { e.Address = "k1-elsewhere" })),
			TypologyRapidInOut, ""},
		{"look-alike: a third of a deposit withdrawn at once", with(h,
			deposit(t0, 2_000_000_000, "k1-payer"), base(t0.Add(10*time.Minute), 600_000_000)), "", ActionHold},
		{"look-alike: a deposit withdrawn after three days", with(h,
			deposit(t0, 2_000_000_000, "k1-payer"), base(t0.Add(3*day), 1_950_000_000)), "", ActionHold},
		{"new-account-drain: two days old, takes 97%", []Event{
			mod(base(t0, 2_900_000_000), func(e *Event) { young(e); e.Balance = 3_000_000_000; e.Address = "k1-out" })},
			TypologyNewAccountDrain, ""},
		{"look-alike: an old account closes, taking everything", with(h,
			mod(base(t0, 5_000_000_000), func(e *Event) { e.Balance = 5_000_000_000 })), "", ActionFreeze},
		{"look-alike: a new account takes 40%", []Event{
			mod(base(t0, 400_000_000), func(e *Event) { young(e); e.Balance = 1_000_000_000 })}, "", ActionFreeze},
		{"mixer: two hops from a mixer", with(h, mod(base(t0, 100_000_000), func(e *Event) { e.TaintHops = 2 })),
			TypologyMixer, ""},
		{"look-alike: exposure five hops away", with(h, mod(base(t0, 100_000_000), func(e *Event) { e.TaintHops = 5 })),
			"", ActionHold},
		{"peel-chain: four hops", with(h, mod(base(t0, 100_000_000), func(e *Event) { e.PeelHops = 4 })),
			TypologyPeelChain, ""},
		{"look-alike: a payment with change (one hop)", with(h, mod(base(t0, 100_000_000), func(e *Event) { e.PeelHops = 1 })),
			"", ActionHold},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := run(newEngine(t, Config{}), c.evs)
			if c.want != "" {
				if a.Typology != c.want || a.Action != ActionFreeze {
					t.Fatalf("typology %q action %s, want %s and freeze (score %d, %s)", a.Typology, a.Action, c.want, a.Score, a.Explain())
				}
				return
			}
			if a.Typology != "" || severity(a.Action) >= severity(c.wantNot) {
				t.Fatalf("look-alike got typology %q action %s, want none and below %s (score %d, %s)",
					a.Typology, a.Action, c.wantNot, a.Score, a.Explain())
			}
		})
	}
}

// Benign look-alikes of account takeover are allowed, or held when they
// pile up, never frozen; the attack itself is at least held.
func TestBenignLookAlikesAreNotFrozen(t *testing.T) {
	h := history()
	cases := []struct {
		name string
		ev   Event
		want Action
	}{
		{"one large withdrawal by an old account with history", base(t0, 2_500_000_000), ActionAllow},
		{"travel with a registered device", mod(base(t0, 100_000_000), func(e *Event) { e.Geo = tokyo }), ActionAllow},
		{"a new phone", mod(base(t0, 100_000_000), func(e *Event) { e.DeviceNew = true }), ActionAllow},
		{"a new phone abroad, paying someone new", mod(base(t0, 100_000_000), func(e *Event) {
			e.DeviceNew, e.Geo, e.Address = true, tokyo, "k1-new"
		}), ActionHold},
		{"takeover: new device, far away, new address, everything", mod(base(t0, 4_000_000_000), func(e *Event) {
			e.DeviceNew, e.Geo, e.Address = true, tokyo, "k1-attacker"
		}), ActionHold},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			a := run(newEngine(t, Config{}), with(h, c.ev))
			if a.Action != c.want {
				t.Fatalf("action %s, want %s (score %d, %s)", a.Action, c.want, a.Score, a.Explain())
			}
		})
	}
	// The second operation of a trip is near the last place seen.
	e := newEngine(t, Config{})
	first := run(e, with(h, mod(base(t0, 100_000_000), func(e *Event) { e.Geo = tokyo })))
	second := run(e, []Event{mod(base(t0.Add(day), 100_000_000), func(e *Event) { e.Geo = tokyo; e.Subject = "trip-2" })})
	f1, _ := first.Feature(FeatGeoKm)
	f2, _ := second.Feature(FeatGeoKm)
	if f1.Points == 0 || f2.Points != 0 {
		t.Fatalf("geo points %d then %d: the first op abroad counts, the next does not", f1.Points, f2.Points)
	}
}

// More attempts than the count limit, or more than the sum limit in the
// window, are refused (limit); a deposit is never limited.
func TestVelocityLimits(t *testing.T) {
	e := newEngine(t, Config{})
	var evs []Event
	for i := 0; i < 11; i++ {
		evs = append(evs, base(t0.Add(time.Duration(i)*time.Minute), 10_000_000))
	}
	if a := run(e, evs[:10]); a.Action == ActionLimit {
		t.Fatalf("ten withdrawals limited: %s", a.Explain())
	}
	if a := run(e, evs[10:]); a.Action != ActionLimit || a.Limited != "velocity count" {
		t.Fatalf("eleventh withdrawal: %s %q, want limit by count", a.Action, a.Limited)
	}
	e = newEngine(t, Config{})
	a := run(e, with(history(), base(t0, 3_000_000_000), base(t0.Add(time.Minute), 2_500_000_000)))
	if a.Action != ActionLimit || a.Limited != "velocity sum" {
		t.Fatalf("5.5e9 in a window: %s %q, want limit by sum", a.Action, a.Limited)
	}
	// the refused one moved nothing: the next small one is within the sum
	if a := run(e, []Event{base(t0.Add(2*time.Minute), 100_000_000)}); a.Action == ActionLimit {
		t.Fatalf("refused amount still counted in the sum: %s", a.Explain())
	}
	e = newEngine(t, Config{Actions: map[Typology]Action{TypologySmurfing: ActionLimit}})
	var deps []Event
	for i := 0; i < 6; i++ {
		deps = append(deps, deposit(t0.Add(time.Duration(i)*time.Minute), 100_000_000, fmt.Sprintf("k1-s%d", i)))
	}
	if a := run(e, deps); a.Action != ActionHold {
		t.Fatalf("a deposit limited: %s", a.Action)
	}
}

// The explanation lists every feature in the model's order, "na" for
// what is unknown; the score is the sum of the points.
func TestExplanation(t *testing.T) {
	e := newEngine(t, Config{})
	a := e.Assess(Event{Op: OpWithdraw, Subject: "w", User: "u", Account: "u", Amount: 5, Address: "k1-x", AccountAge: 400 * day, Time: t0})
	want := "velocity_count=1,velocity_sum=5,amount_ratio=na,new_device=0,new_address=1,geo_km=na,account_age_days=400," +
		"taint_hops=0,peel_hops=0,deposit_delay_s=na,in_out_permille=na,drain_permille=na,near_threshold=0,senders=0"
	if got := a.Explain(); got != want {
		t.Fatalf("explain\n got %s\nwant %s", got, want)
	}
	var names []string
	sum := 0
	for _, f := range a.Features {
		names = append(names, f.Name)
		sum += f.Points
	}
	if !slices.Equal(names, FeatureNames) || sum != a.Score || a.Score != 100 {
		t.Fatalf("names %v score %d sum %d (new address only: 100)", names, a.Score, sum)
	}
	if strings.Contains(a.Explain(), " ") {
		t.Fatal("blank in the explanation")
	}
}

func TestDistance(t *testing.T) {
	cases := []struct {
		a, b     Point
		min, max int64
	}{
		{paris, london, 330, 360},
		{paris, paris, 0, 0},
		{paris, tokyo, 9000, 12000},
		{Point{Known: true, LonE6: 179_900_000}, Point{Known: true, LonE6: -179_900_000}, 20, 25},
		{Point{Known: true, LatE6: -90_000_000}, Point{Known: true, LatE6: 90_000_000}, 20000, 20030},
	}
	for _, c := range cases {
		if d := geo.DistanceKm(c.a, c.b); d < c.min || d > c.max || d != geo.DistanceKm(c.b, c.a) {
			t.Errorf("distance %v-%v = %d km, want %d..%d and symmetric", c.a, c.b, d, c.min, c.max)
		}
	}
}

// The engine forgets the least recently active subject past its bound,
// and keeps at most HistoryMax flows per subject.
func TestEngineBounds(t *testing.T) {
	e := newEngine(t, Config{SubjectsMax: 2, HistoryMax: 4})
	for i, u := range []string{"a", "b", "a", "c"} {
		ev := base(t0.Add(time.Duration(i)*time.Minute), 1)
		ev.User, ev.Account = u, u
		run(e, []Event{ev})
	}
	if _, ok := e.users["b"]; ok || len(e.users) != 2 || len(e.accts) != 2 {
		t.Fatalf("users %d accounts %d, b kept: want a and c", len(e.users), len(e.accts))
	}
	run(e, history())
	if len(e.users["u1"].wds) != 4 {
		t.Fatalf("%d withdrawals kept, want 4", len(e.users["u1"].wds))
	}
}

func TestConfig(t *testing.T) {
	if err := (Config{}).WithDefaults().Validate(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []Config{
		{Reviewers: []env.NodeID{ByAutomation}},
		{HoldAt: 900, FreezeAt: 800},
		{Actions: map[Typology]Action{TypologyMixer: "shrug"}},
		{Bug: "fail-open"},
	} {
		if err := c.WithDefaults().Validate(); err == nil {
			t.Errorf("config %+v accepted", c)
		}
	}
	if b, err := ParseBug("auto-release"); err != nil || b != BugAutoRelease {
		t.Fatalf("ParseBug: %v %v", b, err)
	}
	if _, err := ParseBug("auto-relase"); err == nil || !strings.Contains(err.Error(), "auto-release") {
		t.Fatalf("ParseBug of a typo: %v (want the known names listed)", err)
	}
}
