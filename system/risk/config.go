package risk

import (
	"errors"
	"fmt"
	"time"

	"vaultdrill/system/env"
)

// Bug names a planted weakness for the harness's self-tests. BugNone is the
// correct engine.
type Bug string

const (
	BugNone Bug = ""
	// BugAutoRelease: automation releases a freeze AutoReleaseAfter after it
	// was opened, with no reviewer (a violation of INV-FROZEN: only a human
	// review may release).
	BugAutoRelease Bug = "auto-release"
)

// Bugs lists the planted weaknesses, BugNone excluded.
var Bugs = []Bug{BugAutoRelease}

// ParseBug parses a weakness name; "" and "none" are BugNone.
func ParseBug(s string) (Bug, error) {
	switch Bug(s) {
	case BugNone, "none":
		return BugNone, nil
	case BugAutoRelease:
		return BugAutoRelease, nil
	}
	return BugNone, fmt.Errorf("risk: unknown bug %q (known: none, %s)", s, BugAutoRelease)
}

// Weights are the integer points each feature adds to the score at its
// full level (level 1000); a feature at level L adds Weight*L/1000. The
// score is the sum, capped at 1000.
type Weights struct {
	VelocityCount, VelocitySum, AmountRatio, NewDevice, NewAddress, Geo,
	AccountAge, Taint, Peel, DepositDelay, InOut, Drain, NearThreshold, Senders int
}

// DefaultWeights are chosen so that no single benign signal (a new phone,
// a trip abroad, one large withdrawal from an account with a long history)
// reaches HoldAt on its own, while two or three together do.
var DefaultWeights = Weights{
	VelocityCount: 150, VelocitySum: 100, AmountRatio: 200, NewDevice: 150, NewAddress: 100, Geo: 100,
	AccountAge: 100, Taint: 300, Peel: 200, DepositDelay: 50, InOut: 100, Drain: 100, NearThreshold: 150, Senders: 150,
}

// Config configures the engine (the thresholds) and the node (the rest).
// Zero fields take the defaults documented on each; Validate rejects
// values no default can mend.
type Config struct {
	// ID is the node's identity, the prefix of its case ids.
	ID env.NodeID
	// Wallets may send score requests and status queries; anything else
	// is refused.
	Wallets []env.NodeID
	// Reviewers are the human review actors: only they can close a case.
	// Tasks go to them in rotation.
	Reviewers []env.NodeID

	// Weights of the score (nil: DefaultWeights).
	Weights *Weights
	// HoldAt: a score at or above it holds the operation for review (350).
	HoldAt int
	// FreezeAt: a score at or above it freezes the account (800).
	FreezeAt int
	// Actions maps a detected typology to its action (missing: freeze).
	Actions map[Typology]Action

	// VelocityWindow is the rolling window of the velocity features (1h).
	VelocityWindow time.Duration
	// VelocityCountFree withdrawals in the window add nothing (3); the
	// count feature saturates at VelocityCountMax (10), and more attempts
	// than VelocityCountMax are refused (limit).
	VelocityCountFree, VelocityCountMax int
	// VelocitySumMax: withdrawals in the window totalling more are refused
	// (limit); the sum feature rises from half of it (5e9).
	VelocitySumMax int64

	// HistoryMin: below this many past withdrawals the amount is judged
	// against LargeAmount instead of the user's median (3).
	HistoryMin int
	// RatioFree and RatioMax (multiples of the median): the amount feature
	// rises from RatioFree to full at RatioMax (3 and 20).
	RatioFree, RatioMax int64
	// LargeAmount: without history, an amount at or above it is large
	// (ReportThreshold).
	LargeAmount int64

	// GeoFreeKm and GeoMaxKm: the geography feature rises between them
	// (500 and 5000 km).
	GeoFreeKm, GeoMaxKm int64
	// AgeMature: accounts at least this old add nothing (90 days).
	AgeMature time.Duration

	// ReportThreshold is the reporting threshold structuring stays under
	// (1e9 smallest units); StructuringMargin (permille of it, 100) is how
	// far under counts as "just under".
	ReportThreshold   int64
	StructuringMargin int64
	// StructuringCount near-threshold amounts within StructuringWindow
	// (3 in 24h) are structuring.
	StructuringCount  int
	StructuringWindow time.Duration
	// SmurfSenders distinct senders depositing into one account within
	// SmurfWindow (5 in 24h) are smurfing.
	SmurfSenders int
	SmurfWindow  time.Duration
	// Withdrawals within RapidWindow of deposits that take at least
	// RapidPermille (and at most RapidCeilPermille) of them out to a new
	// destination are rapid-in-out (1h, 900).
	RapidWindow   time.Duration
	RapidPermille int64
	// RapidCeilPermille: an outflow above this share of the deposits is
	// older money going out, not deposits passing through (1500); and the
	// destination must be new to the user.
	RapidCeilPermille int64
	// An account younger than DrainAge withdrawing at least DrainPermille
	// of its balance is new-account-drain (7 days, 900).
	DrainAge      time.Duration
	DrainPermille int64
	// MixerHops: exposure to a mixer within this many hops is the mixer
	// typology (3).
	MixerHops int
	// PeelHops: a peel pattern of at least this many hops is peel-chain (3).
	PeelHops int

	// HistoryMax bounds the withdrawals and deposits kept per user and per
	// account, and the known addresses per user (64). SubjectsMax bounds
	// the users and accounts tracked; the least recently active is
	// forgotten first (100000).
	HistoryMax, SubjectsMax int

	// TaskResend is how long a review task waits for a decision before it
	// is sent again, to the next reviewer (10 minutes); TaskResendMax
	// bounds the resends per case and incarnation (5).
	TaskResend    time.Duration
	TaskResendMax int
	// HoldsOpenMax bounds the open hold cases (10000); at the bound a hold
	// becomes a limit (refused, no case). Freezes are never refused a case.
	HoldsOpenMax int
	// ClosedMax bounds the closed cases kept (10000), oldest pruned first;
	// a confirmed freeze's case is kept for as long as the freeze.
	ClosedMax int
	// RetainMax bounds the scored operations kept for retries and replay
	// (20000); CompactAt is the log length in records that triggers a
	// rewrite down to what is kept (4*RetainMax).
	RetainMax, CompactAt int

	// Bug plants a weakness (see Bug); AutoReleaseAfter is its timeout (1h).
	Bug              Bug
	AutoReleaseAfter time.Duration
}

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("risk: bad config")

func def[T int | int64 | time.Duration](v *T, d T) {
	if *v == 0 {
		*v = d
	}
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	if c.Weights == nil {
		w := DefaultWeights
		c.Weights = &w
	}
	def(&c.HoldAt, 350)
	def(&c.FreezeAt, 800)
	def(&c.VelocityWindow, time.Hour)
	def(&c.VelocityCountFree, 3)
	def(&c.VelocityCountMax, 10)
	def(&c.ReportThreshold, 1_000_000_000)
	def(&c.VelocitySumMax, 5*c.ReportThreshold)
	def(&c.HistoryMin, 3)
	def(&c.RatioFree, 3)
	def(&c.RatioMax, 20)
	def(&c.LargeAmount, c.ReportThreshold)
	def(&c.GeoFreeKm, 500)
	def(&c.GeoMaxKm, 5000)
	def(&c.AgeMature, 90*24*time.Hour)
	def(&c.StructuringMargin, 100)
	def(&c.StructuringCount, 3)
	def(&c.StructuringWindow, 24*time.Hour)
	def(&c.SmurfSenders, 5)
	def(&c.SmurfWindow, 24*time.Hour)
	def(&c.RapidWindow, time.Hour)
	def(&c.RapidPermille, 900)
	def(&c.RapidCeilPermille, 1500)
	def(&c.DrainAge, 7*24*time.Hour)
	def(&c.DrainPermille, 900)
	def(&c.MixerHops, 3)
	def(&c.PeelHops, 3)
	def(&c.HistoryMax, 64)
	def(&c.SubjectsMax, 100_000)
	def(&c.TaskResend, 10*time.Minute)
	def(&c.TaskResendMax, 5)
	def(&c.HoldsOpenMax, 10_000)
	def(&c.ClosedMax, 10_000)
	def(&c.RetainMax, 20_000)
	def(&c.CompactAt, 4*c.RetainMax)
	def(&c.AutoReleaseAfter, time.Hour)
	return c
}

// Validate checks a configuration after WithDefaults.
func (c Config) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, a...)...)
	}
	switch {
	case c.HoldAt < 1 || c.HoldAt > c.FreezeAt || c.FreezeAt > ScoreMax:
		return bad("need 1 <= hold_at (%d) <= freeze_at (%d) <= %d", c.HoldAt, c.FreezeAt, ScoreMax)
	case c.VelocityCountFree < 0 || c.VelocityCountFree >= c.VelocityCountMax:
		return bad("need 0 <= velocity_count_free (%d) < velocity_count_max (%d)", c.VelocityCountFree, c.VelocityCountMax)
	case c.RatioFree < 1 || c.RatioFree >= c.RatioMax:
		return bad("need 1 <= ratio_free (%d) < ratio_max (%d)", c.RatioFree, c.RatioMax)
	case c.GeoFreeKm < 0 || c.GeoFreeKm >= c.GeoMaxKm:
		return bad("need 0 <= geo_free_km (%d) < geo_max_km (%d)", c.GeoFreeKm, c.GeoMaxKm)
	case c.StructuringMargin < 1 || c.StructuringMargin > 1000 || c.RapidPermille < 1 || c.RapidPermille > 1000 ||
		c.DrainPermille < 1 || c.DrainPermille > 1000 || c.RapidCeilPermille < c.RapidPermille:
		return bad("permille fields must be in 1..1000")
	case c.VelocityWindow < 0 || c.StructuringWindow < 0 || c.SmurfWindow < 0 || c.RapidWindow < 0 || c.DrainAge < 0 ||
		c.AgeMature <= 24*time.Hour || c.TaskResend < 0 || c.AutoReleaseAfter < 0:
		return bad("durations must be positive (age_mature over a day)")
	case c.ReportThreshold < 1 || c.VelocitySumMax < 1 || c.LargeAmount < 1:
		return bad("amounts must be positive")
	case c.StructuringCount < 2 || c.SmurfSenders < 2 || c.MixerHops < 1 || c.PeelHops < 1 || c.HistoryMin < 1:
		return bad("counts too small")
	case c.HistoryMax < 1 || c.SubjectsMax < 1 || c.TaskResendMax < 0 || c.HoldsOpenMax < 1 || c.ClosedMax < 1 ||
		c.RetainMax < 1 || c.CompactAt <= c.RetainMax:
		return bad("bounds must be positive and compact_at above retain_max")
	}
	w := *c.Weights
	for _, v := range []int{w.VelocityCount, w.VelocitySum, w.AmountRatio, w.NewDevice, w.NewAddress, w.Geo,
		w.AccountAge, w.Taint, w.Peel, w.DepositDelay, w.InOut, w.Drain, w.NearThreshold, w.Senders} {
		if v < 0 || v > ScoreMax {
			return bad("weights must be in 0..%d", ScoreMax)
		}
	}
	for _, t := range Typologies {
		if a, ok := c.Actions[t]; ok && !validAction(a) {
			return bad("typology %s: unknown action %q", t, a)
		}
	}
	if _, err := ParseBug(string(c.Bug)); err != nil {
		return bad("%v", err)
	}
	for _, r := range c.Reviewers {
		if r == "" || string(r) == ByAutomation {
			return bad("reviewer id %q is reserved", r)
		}
	}
	return nil
}

// action is the configured action for a typology.
func (c Config) action(t Typology) Action {
	if a, ok := c.Actions[t]; ok {
		return a
	}
	return ActionFreeze
}
