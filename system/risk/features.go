package risk

import (
	"math"
	"math/bits"
	"strconv"
	"strings"
)

// ScoreMax is the highest score; a level is also in 0..LevelMax.
const (
	ScoreMax = 1000
	LevelMax = 1000
)

// The features, in the model's fixed order (the order of risk.score's
// `features` field).
const (
	FeatVelocityCount = "velocity_count"   // withdrawal attempts by the user in the velocity window, this one included
	FeatVelocitySum   = "velocity_sum"     // their total (refused ones excluded), this one included
	FeatAmountRatio   = "amount_ratio"     // amount / the user's median withdrawal, in hundredths (na: too little history)
	FeatNewDevice     = "new_device"       // 1: the caller saw a device new for the user
	FeatNewAddress    = "new_address"      // 1: the user never withdrew to this address before
	FeatGeoKm         = "geo_km"           // distance from the nearer of home and the last geo (na: no geo)
	FeatAccountAge    = "account_age_days" // whole days
	FeatTaintHops     = "taint_hops"       // hops from a mixer-tagged address (0: none)
	FeatPeelHops      = "peel_hops"        // peel-chain hops the caller found (0: none)
	FeatDepositDelay  = "deposit_delay_s"  // seconds since the account's last deposit (na: none kept)
	FeatInOut         = "in_out_permille"  // withdrawn / deposited within the rapid window (na: no deposit in it)
	FeatDrain         = "drain_permille"   // amount / balance (na: balance unknown)
	FeatNearThreshold = "near_threshold"   // amounts just under the reporting threshold in the structuring window, this one included
	FeatSenders       = "senders"          // distinct senders into the account in the smurfing window (deposits)
)

// FeatureNames lists the features in the model's order.
var FeatureNames = []string{FeatVelocityCount, FeatVelocitySum, FeatAmountRatio, FeatNewDevice, FeatNewAddress,
	FeatGeoKm, FeatAccountAge, FeatTaintHops, FeatPeelHops, FeatDepositDelay, FeatInOut, FeatDrain,
	FeatNearThreshold, FeatSenders}

// Feature is one input of the score: its raw value (Known false: "na"),
// its level 0..LevelMax and the points it added.
type Feature struct {
	Name   string
	Value  int64
	Known  bool
	Level  int
	Points int
}

// String is the feature as "name=value" (value "na" when unknown).
func (f Feature) String() string {
	if !f.Known {
		return f.Name + "=na"
	}
	return f.Name + "=" + strconv.FormatInt(f.Value, 10)
}

// Assessment is the engine's verdict on one operation.
type Assessment struct {
	Score  int
	Action Action
	// Typology is the one the model names (the first of Typologies that
	// matched), or empty; Typologies lists every match in that order.
	Typology   Typology
	Typologies []Typology
	// Limited says which limit refused the operation, when one did.
	Limited  string
	Features []Feature
}

// Explain renders the features as comma-separated name=value pairs in
// the model's order: the `features` field of risk.score.
func (a Assessment) Explain() string {
	parts := make([]string, len(a.Features))
	for i, f := range a.Features {
		parts[i] = f.String()
	}
	return strings.Join(parts, ",")
}

// Feature returns the named feature of the assessment.
func (a Assessment) Feature(name string) (Feature, bool) {
	for _, f := range a.Features {
		if f.Name == name {
			return f, true
		}
	}
	return Feature{}, false
}

// rise is the level of x on a ramp: 0 at or below free, LevelMax at or
// above full, linear (integer) in between.
func rise(x, free, full int64) int {
	if x <= free {
		return 0
	}
	if x >= full {
		return LevelMax
	}
	return int(mulDiv(x-free, LevelMax, full-free))
}

// mulDiv is a*b/c for non-negative a, b and positive c, without overflow
// in between, saturating at MaxInt64.
func mulDiv(a, b, c int64) int64 {
	if a <= 0 || b <= 0 || c <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(a), uint64(b))
	if hi >= uint64(c) {
		return math.MaxInt64
	}
	q, _ := bits.Div64(hi, lo, uint64(c))
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return int64(q)
}

// addSat adds non-negative amounts, saturating at MaxInt64.
func addSat(a, b int64) int64 {
	if a > math.MaxInt64-b {
		return math.MaxInt64
	}
	return a + b
}

func flag(b bool) int64 {
	if b {
		return 1
	}
	return 0
}
