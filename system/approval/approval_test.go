package approval

import (
	"crypto/ed25519"
	"crypto/sha256"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
)

// testDev is a registered device and its private key, derived from a fixed
// seed so every run signs the same bytes.
type testDev struct {
	id, human string
	priv      ed25519.PrivateKey
}

func newTestDev(id, human string) testDev {
	h := sha256.Sum256([]byte("vaultdrill/approval/test/" + id))
	return testDev{id, human, ed25519.NewKeyFromSeed(h[:])}
}

func (d testDev) pub() ed25519.PublicKey { return d.priv.Public().(ed25519.PublicKey) }

func (d testDev) sign(s Subject, at time.Time) Approval { return Sign(d.priv, d.id, d.human, s, at) }

var (
	now    = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	alice1 = newTestDev("alice-phone", "alice")
	alice2 = newTestDev("alice-laptop", "alice")
	bob    = newTestDev("bob-phone", "bob")
	carol  = newTestDev("carol-phone", "carol")
	dave   = newTestDev("dave-phone", "dave")
	erin   = newTestDev("erin-phone", "erin")
	ivan   = newTestDev("ivan-phone", "ivan") // the initiator of every test withdrawal
	// stranger's key is registered nowhere.
	stranger = newTestDev("stranger-phone", "stranger")
)

func testRegistry(t testing.TB) *Registry {
	t.Helper()
	var ds []Device
	for _, d := range []testDev{alice1, alice2, bob, carol, dave, erin, ivan} {
		ds = append(ds, Device{ID: d.id, Human: d.human, PublicKey: d.pub()})
	}
	r, err := NewRegistry(ds)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func subject(wallet string, amount int64) Subject {
	return Subject{Withdrawal: "w1", Wallet: wallet, Amount: amount, Digest: IntentDigest(wallet, "w1", "k1dest", amount),
		Initiator: "ivan", PolicyVersion: "policy-v1"}
}

func TestPolicyValidate(t *testing.T) {
	tier := func(name, wallet string, max int64, n int) Tier {
		return Tier{Name: name, Wallet: wallet, AmountMax: max, Approvers: n, Expiry: time.Hour}
	}
	with := func(f func(*Policy)) Policy {
		p := DefaultPolicy()
		p.Tiers = append([]Tier(nil), p.Tiers...)
		f(&p)
		return p
	}
	cases := []struct {
		name string
		p    Policy
		want string // "" = valid; else a fragment of the error
	}{
		{"default", DefaultPolicy(), ""},
		{"one tier for every wallet", Policy{Version: "v", Tiers: []Tier{tier("all", "*", 0, 2)}}, ""},
		{"a star tier after hot and cold serves other wallets", with(func(p *Policy) { p.Tiers = append(p.Tiers, tier("rest", "*", 0, 5)) }), ""},
		{"no version", with(func(p *Policy) { p.Version = "" }), "no version"},
		{"no tiers", Policy{Version: "v"}, "no tiers"},
		{"unnamed tier", with(func(p *Policy) { p.Tiers[2].Name = "" }), "tier 3 has no name"},
		{"name twice", with(func(p *Policy) { p.Tiers[1].Name = "hot-small" }), "tier hot-small: name used twice"},
		{"unknown wallet", with(func(p *Policy) { p.Tiers[3].Wallet = "warm" }), `tier cold: wallet "warm"`},
		{"negative bound", with(func(p *Policy) { p.Tiers[0].AmountMax = -1 }), "tier hot-small: negative amount_max"},
		{"no approvers", with(func(p *Policy) { p.Tiers[1].Approvers = 0 }), "tier hot-medium: needs at least one approver"},
		{"no expiry", with(func(p *Policy) { p.Tiers[3].Expiry = 0 }), "tier cold: needs a positive expiry"},
		{"negative expiry", with(func(p *Policy) { p.Tiers[0].Expiry = -time.Second }), "tier hot-small: needs a positive expiry"},
		{"shadowed by an unbounded tier", Policy{Version: "v", Tiers: []Tier{tier("any", "hot", 0, 2), tier("small", "hot", 10, 2)}},
			"tier small is unreachable"},
		{"shadowed by a larger bound", Policy{Version: "v", Tiers: []Tier{tier("big", "hot", 100, 2), tier("small", "hot", 10, 2), tier("rest", "hot", 0, 3)}},
			"tier small is unreachable"},
		{"shadowed by an equal bound", Policy{Version: "v", Tiers: []Tier{tier("a", "hot", 10, 1), tier("b", "hot", 10, 2), tier("rest", "hot", 0, 3)}},
			"tier b is unreachable"},
		{"shadowed by a star tier", Policy{Version: "v", Tiers: []Tier{tier("all", "*", 0, 3), tier("cold", "cold", 0, 3)}},
			"tier cold is unreachable"},
		{"fewer approvers for more", Policy{Version: "v", Tiers: []Tier{tier("small", "hot", 10, 2), tier("big", "hot", 0, 1)}},
			"tier big: 1 approvers for larger amounts than tier small"},
		{"fewer approvers for more through a star tier", Policy{Version: "v", Tiers: []Tier{tier("cold-small", "cold", 10, 3), tier("all", "*", 0, 2)}},
			"tier all: 2 approvers for larger amounts than tier cold-small"},
	}
	for _, tc := range cases {
		err := tc.p.Validate()
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want != "" && err == nil:
			t.Errorf("%s: valid, want an error naming %q", tc.name, tc.want)
		case tc.want != "" && (!errors.Is(err, ErrBadPolicy) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want ErrBadPolicy naming %q", tc.name, err, tc.want)
		}
	}
}

func TestTierFor(t *testing.T) {
	p := DefaultPolicy()
	cases := []struct {
		wallet string
		amount int64
		tier   string // "" = ErrNoTier
	}{
		{"hot", 0, "hot-small"},
		{"hot", 1, "hot-small"},
		{"hot", 10_000, "hot-small"}, // the bound is inclusive
		{"hot", 10_001, "hot-medium"},
		{"hot", 1_000_000, "hot-medium"},
		{"hot", 1_000_001, "hot-large"},
		{"hot", 1 << 62, "hot-large"},
		{"cold", 1, "cold"},
		{"cold", 1 << 62, "cold"},
		{"warm", 1, ""},
		{"", 1, ""},
		{"hot", -1, ""},
	}
	for _, tc := range cases {
		got, err := p.TierFor(tc.wallet, tc.amount)
		if tc.tier == "" {
			if !errors.Is(err, ErrNoTier) {
				t.Errorf("TierFor(%q, %d) = %q, %v; want ErrNoTier", tc.wallet, tc.amount, got.Name, err)
			}
			continue
		}
		if err != nil || got.Name != tc.tier {
			t.Errorf("TierFor(%q, %d) = %q, %v; want %q", tc.wallet, tc.amount, got.Name, err, tc.tier)
		}
	}
	star := Policy{Version: "v", Tiers: []Tier{{Name: "hot", Wallet: "hot", AmountMax: 5, Approvers: 1, Expiry: time.Hour}, {Name: "all", Wallet: "*", Approvers: 2, Expiry: time.Hour}}}
	for _, w := range []string{"hot", "cold", "warm"} {
		if got, _ := star.TierFor(w, 6); got.Name != "all" {
			t.Errorf("star policy: %s 6 -> %q, want all", w, got.Name)
		}
	}
}

func TestNewRegistry(t *testing.T) {
	dev := func(d testDev) Device { return Device{ID: d.id, Human: d.human, PublicKey: d.pub()} }
	cases := []struct {
		name string
		devs []Device
		want string
	}{
		{"empty", nil, ""},
		{"distinct", []Device{dev(alice1), dev(alice2), dev(bob)}, ""},
		{"id twice", []Device{dev(alice1), dev(bob), dev(alice1)}, "alice-phone listed twice"},
		{"one key for two ids", []Device{dev(alice1), {ID: "other", Human: "bob", PublicKey: alice1.pub()}}, "share one key"},
		{"no human", []Device{{ID: "x", PublicKey: bob.pub()}}, "needs an id and a human"},
		{"no id", []Device{{Human: "bob", PublicKey: bob.pub()}}, "needs an id and a human"},
		{"short key", []Device{{ID: "x", Human: "bob", PublicKey: bob.pub()[:31]}}, "public key of 31 bytes"},
	}
	for _, tc := range cases {
		r, err := NewRegistry(tc.devs)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.want == "" && len(r.Devices()) != len(tc.devs):
			t.Errorf("%s: %d devices registered, want %d", tc.name, len(r.Devices()), len(tc.devs))
		case tc.want != "" && (!errors.Is(err, ErrRegistry) || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want ErrRegistry naming %q", tc.name, err, tc.want)
		}
	}
	r := testRegistry(t)
	ds := r.Devices()
	for i := 1; i < len(ds); i++ {
		if ds[i-1].ID >= ds[i].ID {
			t.Fatalf("Devices not sorted: %s before %s", ds[i-1].ID, ds[i].ID)
		}
	}
	ds[0].PublicKey[0] ^= 1 // a copy: the registry is unchanged
	if d, _ := r.Lookup(ds[0].ID); d.PublicKey[0] == ds[0].PublicKey[0] {
		t.Fatal("Devices shares key memory with the registry")
	}
}

// Every rejection reason, and a control that counts, on the one-approver
// tier unless the case says otherwise.
func TestCheckRejections(t *testing.T) {
	reg := testRegistry(t)
	s := subject("hot", 5_000) // hot-small: one approver
	alter := func(f func(*Subject)) Subject { x := s; f(&x); return x }
	forged := alice1.sign(s, now)
	forged.Sig = append([]byte(nil), forged.Sig...)
	forged.Sig[10] ^= 0x40
	moved := alice1.sign(s, now.Add(-time.Minute))
	moved.At = now // the signature covers the time it claims
	hour := DefaultPolicy().Tiers[0].Expiry

	type rej = Rejection
	cases := []struct {
		name    string
		s       Subject // zero: s
		as      []Approval
		counted []string
		rejects []Rejection
	}{
		{name: "control: one approver", as: []Approval{alice1.sign(s, now)}, counted: []string{"alice"}},
		{name: "at the expiry boundary still valid", as: []Approval{alice1.sign(s, now.Add(-hour))}, counted: []string{"alice"}},
		{name: "given exactly now", as: []Approval{bob.sign(s, now)}, counted: []string{"bob"}},
		{name: "initiator", as: []Approval{ivan.sign(s, now)},
			rejects: []rej{{"ivan-phone", "ivan", ReasonInitiator}}},
		{name: "same-human on two devices", s: subject("hot", 500_000), as: []Approval{alice1.sign(subject("hot", 500_000), now), alice2.sign(subject("hot", 500_000), now.Add(-time.Second))},
			counted: []string{"alice"}, rejects: []rej{{"alice-phone", "alice", ReasonSameHuman}}},
		{name: "same-device twice", s: subject("hot", 500_000), as: []Approval{bob.sign(subject("hot", 500_000), now), bob.sign(subject("hot", 500_000), now.Add(-time.Second))},
			counted: []string{"bob"}, rejects: []rej{{"bob-phone", "bob", ReasonSameDevice}}},
		{name: "unknown-device", as: []Approval{stranger.sign(s, now)},
			rejects: []rej{{"stranger-phone", "stranger", ReasonUnknownDevice}}},
		{name: "unknown-device id with a registered human", as: []Approval{Sign(alice1.priv, "alice-tablet", "alice", s, now)},
			rejects: []rej{{"alice-tablet", "alice", ReasonUnknownDevice}}},
		{name: "human-mismatch", as: []Approval{Sign(dave.priv, dave.id, "carol", s, now)},
			rejects: []rej{{"dave-phone", "carol", ReasonHumanMismatch}}},
		{name: "wrong-policy", s: alter(func(x *Subject) { x.PolicyVersion = "policy-v0" }), as: []Approval{alice1.sign(alter(func(x *Subject) { x.PolicyVersion = "policy-v0" }), now)},
			rejects: []rej{{"alice-phone", "alice", ReasonWrongPolicy}}},
		{name: "bad-signature: another digest", as: []Approval{alice1.sign(alter(func(x *Subject) { x.Digest = IntentDigest("hot", "w1", "k1attacker", 5_000) }), now)},
			rejects: []rej{{"alice-phone", "alice", ReasonBadSignature}}},
		{name: "bad-signature: another amount", as: []Approval{alice1.sign(alter(func(x *Subject) { x.Amount = 4_999 }), now)},
			rejects: []rej{{"alice-phone", "alice", ReasonBadSignature}}},
		{name: "bad-signature: another wallet", as: []Approval{alice1.sign(alter(func(x *Subject) { x.Wallet = "cold" }), now)},
			rejects: []rej{{"alice-phone", "alice", ReasonBadSignature}}},
		{name: "bad-signature: another withdrawal", as: []Approval{alice1.sign(alter(func(x *Subject) { x.Withdrawal = "w2" }), now)},
			rejects: []rej{{"alice-phone", "alice", ReasonBadSignature}}},
		{name: "bad-signature: another policy version", as: []Approval{alice1.sign(alter(func(x *Subject) { x.PolicyVersion = "policy-v0" }), now)},
			rejects: []rej{{"alice-phone", "alice", ReasonBadSignature}}},
		{name: "bad-signature: another initiator", as: []Approval{alice1.sign(alter(func(x *Subject) { x.Initiator = "bob" }), now)},
			rejects: []rej{{"alice-phone", "alice", ReasonBadSignature}}},
		{name: "bad-signature: flipped bit", as: []Approval{forged},
			rejects: []rej{{"alice-phone", "alice", ReasonBadSignature}}},
		{name: "bad-signature: time moved", as: []Approval{moved},
			rejects: []rej{{"alice-phone", "alice", ReasonBadSignature}}},
		{name: "bad-signature: another device's key", as: []Approval{Sign(bob.priv, alice1.id, "alice", s, now)},
			rejects: []rej{{"alice-phone", "alice", ReasonBadSignature}}},
		{name: "bad-signature: empty", as: []Approval{{Device: alice1.id, Human: "alice", At: now}},
			rejects: []rej{{"alice-phone", "alice", ReasonBadSignature}}},
		{name: "expired", as: []Approval{alice1.sign(s, now.Add(-hour-time.Nanosecond))},
			rejects: []rej{{"alice-phone", "alice", ReasonExpired}}},
		{name: "future", as: []Approval{alice1.sign(s, now.Add(time.Nanosecond))},
			rejects: []rej{{"alice-phone", "alice", ReasonFuture}}},
		{name: "no approvals"},
		{name: "one good among bad", as: []Approval{ivan.sign(s, now), stranger.sign(s, now), carol.sign(s, now), forged},
			counted: []string{"carol"}, rejects: []rej{{"alice-phone", "alice", ReasonBadSignature}, {"ivan-phone", "ivan", ReasonInitiator}, {"stranger-phone", "stranger", ReasonUnknownDevice}}},
	}
	for _, tc := range cases {
		subj := tc.s
		if subj == (Subject{}) {
			subj = s
		}
		res, err := Check(DefaultPolicy(), reg, subj, tc.as, now)
		want := Result{Tier: mustTier(t, subj), Counted: tc.counted, Rejected: tc.rejects}
		if !reflect.DeepEqual(res, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tc.name, res, want)
		}
		met := len(tc.counted) >= want.Tier.Approvers
		if met != (err == nil) || (err != nil && !errors.Is(err, ErrQuorum)) {
			t.Errorf("%s: err %v, want quorum met=%v", tc.name, err, met)
		}
	}
}

func mustTier(t *testing.T, s Subject) Tier {
	t.Helper()
	tier, err := DefaultPolicy().TierFor(s.Wallet, s.Amount)
	if err != nil {
		t.Fatal(err)
	}
	return tier
}

// Two humans on one device count once: the device belongs to one human,
// so the other's claim on it is a mismatch, whatever it signs.
func TestTwoHumansOneDevice(t *testing.T) {
	reg := testRegistry(t)
	s := subject("hot", 500_000) // two approvers
	as := []Approval{dave.sign(s, now), Sign(dave.priv, dave.id, "erin", s, now)}
	res, err := Check(DefaultPolicy(), reg, s, as, now)
	if !errors.Is(err, ErrQuorum) {
		t.Fatalf("two humans on one device met a two-approver tier: %+v", res)
	}
	want := []Rejection{{"dave-phone", "erin", ReasonHumanMismatch}}
	if !reflect.DeepEqual(res.Counted, []string{"dave"}) || !reflect.DeepEqual(res.Rejected, want) {
		t.Fatalf("got %+v, want dave counted and erin's claim on dave-phone a mismatch", res)
	}
}

// For every tier: one approver short fails with ErrQuorum, exactly enough
// passes, and the initiator's approval on top never helps.
func TestQuorumPerTier(t *testing.T) {
	reg := testRegistry(t)
	approvers := []testDev{alice1, bob, carol, dave, erin}
	cases := []struct {
		wallet string
		amount int64
		need   int
	}{
		{"hot", 1, 1}, {"hot", 10_000, 1},
		{"hot", 10_001, 2}, {"hot", 1_000_000, 2},
		{"hot", 1_000_001, 3}, {"hot", 1 << 50, 3},
		{"cold", 1, 3}, {"cold", 1 << 50, 3},
	}
	for _, tc := range cases {
		s := subject(tc.wallet, tc.amount)
		for n := 0; n <= tc.need; n++ {
			as := []Approval{ivan.sign(s, now)}
			for _, d := range approvers[:n] {
				as = append(as, d.sign(s, now.Add(-time.Minute)))
			}
			res, err := Check(DefaultPolicy(), reg, s, as, now)
			if res.Tier.Approvers != tc.need {
				t.Fatalf("%s %d: tier %+v, want %d approvers", tc.wallet, tc.amount, res.Tier, tc.need)
			}
			if len(res.Counted) != n {
				t.Errorf("%s %d with %d approvers: counted %v", tc.wallet, tc.amount, n, res.Counted)
			}
			if n < tc.need && !errors.Is(err, ErrQuorum) {
				t.Errorf("%s %d: %d of %d approvers passed (%v)", tc.wallet, tc.amount, n, tc.need, err)
			}
			if n == tc.need && err != nil {
				t.Errorf("%s %d: %d of %d approvers failed: %v", tc.wallet, tc.amount, n, tc.need, err)
			}
		}
	}
}

// Check fails closed on what it cannot judge.
func TestCheckFailsClosed(t *testing.T) {
	reg := testRegistry(t)
	s := subject("hot", 5_000)
	as := []Approval{alice1.sign(s, now), bob.sign(s, now), carol.sign(s, now)}
	bad := DefaultPolicy()
	bad.Tiers = append([]Tier(nil), bad.Tiers...)
	bad.Tiers[0].Approvers = 0
	cases := []struct {
		name string
		p    Policy
		reg  *Registry
		s    Subject
		want error
	}{
		{"invalid policy", bad, reg, s, ErrBadPolicy},
		{"no registry", DefaultPolicy(), nil, s, ErrRegistry},
		{"no initiator", DefaultPolicy(), reg, func() Subject { x := s; x.Initiator = ""; return x }(), ErrSubject},
		{"no withdrawal id", DefaultPolicy(), reg, func() Subject { x := s; x.Withdrawal = ""; return x }(), ErrSubject},
		{"no tier for the wallet", DefaultPolicy(), reg, func() Subject { x := s; x.Wallet = "warm"; return x }(), ErrNoTier},
		{"negative amount", DefaultPolicy(), reg, func() Subject { x := s; x.Amount = -5; return x }(), ErrNoTier},
		{"empty registry", DefaultPolicy(), &Registry{}, s, ErrQuorum},
	}
	for _, tc := range cases {
		if _, err := Check(tc.p, tc.reg, tc.s, as, now); !errors.Is(err, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, err, tc.want)
		}
	}
}

// Neither the result nor the error depends on the order approvals arrive
// in, including which of two duplicates counts.
func TestCheckOrderIndependent(t *testing.T) {
	reg := testRegistry(t)
	for _, amount := range []int64{5_000, 500_000, 5_000_000} {
		s := subject("hot", amount)
		forged := carol.sign(s, now)
		forged.Sig = append([]byte(nil), forged.Sig...)
		forged.Sig[0] ^= 1
		as := []Approval{
			alice1.sign(s, now.Add(-time.Minute)), alice2.sign(s, now.Add(-time.Minute)), // same human, same time
			alice1.sign(s, now.Add(-2*time.Minute)), // same device again
			bob.sign(s, now), bob.sign(s, now),      // an exact duplicate
			ivan.sign(s, now), forged, stranger.sign(s, now),
			dave.sign(s, now.Add(-2*time.Hour)), erin.sign(s, now.Add(time.Second)),
			Sign(erin.priv, erin.id, "dave", s, now), Sign(erin.priv, erin.id, "carol", s, now.Add(time.Second)),
		}
		want, werr := Check(DefaultPolicy(), reg, s, as, now)
		for i := 1; i < len(want.Rejected); i++ {
			a, b := want.Rejected[i-1], want.Rejected[i]
			if a.Device > b.Device || (a.Device == b.Device && (a.Human > b.Human || (a.Human == b.Human && a.Reason > b.Reason))) {
				t.Fatalf("rejections not sorted by device, human, reason: %+v", want.Rejected)
			}
		}
		for seed := uint64(1); seed <= 20; seed++ {
			r := rand.New(rand.NewPCG(seed, uint64(amount)))
			r.Shuffle(len(as), func(i, j int) { as[i], as[j] = as[j], as[i] })
			got, err := Check(DefaultPolicy(), reg, s, as, now)
			if !reflect.DeepEqual(got, want) || fmt.Sprint(err) != fmt.Sprint(werr) {
				t.Fatalf("amount %d, shuffle seed %d (replay: go test -run TestCheckOrderIndependent ./system/approval/): order changed the result:\n got %+v, %v\nwant %+v, %v",
					amount, seed, got, err, want, werr)
			}
		}
	}
}

// The planted bug counts the initiator: a one-approver tier passes with
// only the initiator's approval, which the correct check refuses.
func TestBugCountInitiator(t *testing.T) {
	reg := testRegistry(t)
	s := subject("hot", 5_000)
	as := []Approval{ivan.sign(s, now)}
	res, err := Check(DefaultPolicy(), reg, s, as, now)
	if !errors.Is(err, ErrQuorum) || !reflect.DeepEqual(res.Rejected, []Rejection{{"ivan-phone", "ivan", ReasonInitiator}}) {
		t.Fatalf("correct check: %+v, %v; want the initiator rejected and ErrQuorum", res, err)
	}
	res, err = CheckWithBug(BugCountInitiator, DefaultPolicy(), reg, s, as, now)
	if err != nil || !reflect.DeepEqual(res.Counted, []string{"ivan"}) {
		t.Fatalf("planted bug: %+v, %v; want ivan counted", res, err)
	}
	// The bug plants only that: a forged initiator approval still fails.
	forged := ivan.sign(subject("hot", 4_000), now)
	if _, err := CheckWithBug(BugCountInitiator, DefaultPolicy(), reg, s, []Approval{forged}, now); !errors.Is(err, ErrQuorum) {
		t.Fatalf("planted bug accepted a bad signature: %v", err)
	}
	if _, err := CheckWithBug("", DefaultPolicy(), reg, s, as, now); !errors.Is(err, ErrQuorum) {
		t.Fatalf("no bug counted the initiator: %v", err)
	}
	if _, err := CheckWithBug("skip-everything", DefaultPolicy(), reg, s, as, now); err == nil || errors.Is(err, ErrQuorum) {
		t.Fatalf("unknown bug: %v, want an error naming it", err)
	}
}

// The signed encoding separates adjacent fields and names the instant, not
// its location; signing reads no randomness.
func TestMessageEncoding(t *testing.T) {
	s := subject("hot", 5_000)
	base := message(s, "d", "h", now)
	shifted := s
	shifted.Withdrawal, shifted.Wallet = "w1h", "ot" // same concatenation, other fields
	if string(message(shifted, "d", "h", now)) == string(base) {
		t.Error("moving bytes between withdrawal and wallet kept the encoding")
	}
	if string(message(s, "dh", "", now)) == string(base) {
		t.Error("moving bytes between device and human kept the encoding")
	}
	if string(message(s, "d", "h", now.In(time.FixedZone("x", 3600)))) != string(base) {
		t.Error("the same instant in another zone changed the encoding")
	}
	far := time.Date(2400, 1, 1, 0, 0, 0, 0, time.UTC) // outside UnixNano's range
	if string(message(s, "d", "h", far)) == string(message(s, "d", "h", far.Add(time.Duration(1<<63-1)))) {
		t.Error("distant instants collide")
	}
	a, b := alice1.sign(s, now), alice1.sign(s, now)
	if string(a.Sig) != string(b.Sig) {
		t.Error("signing is not deterministic")
	}
	if !Verify(alice1.pub(), s, a) || Verify(bob.pub(), s, a) || Verify(alice1.pub()[:5], s, a) {
		t.Error("Verify accepts the wrong key or rejects the right one")
	}
}
