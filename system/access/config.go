package access

import (
	"errors"
	"fmt"
	"time"
)

// Bug names a planted weakness for the harness's self-tests. BugNone is the
// correct gateway.
type Bug string

const (
	BugNone Bug = ""
	// BugSkipStepUp: a sensitive operation is allowed without a step-up
	// challenge (a violation of INV-STEPUP).
	BugSkipStepUp Bug = "skip-stepup"
	// BugOTPReplay: the gateway forgets which TOTP steps were used, here
	// and in the ledger's once-answer, so a used code is accepted again
	// (a violation of INV-OTP).
	BugOTPReplay Bug = "otp-replay"
)

// Bugs lists the planted weaknesses, BugNone excluded.
var Bugs = []Bug{BugSkipStepUp, BugOTPReplay}

// ParseBug parses a weakness name; "" and "none" are BugNone.
func ParseBug(s string) (Bug, error) {
	switch Bug(s) {
	case BugNone, "none":
		return BugNone, nil
	case BugSkipStepUp, BugOTPReplay:
		return Bug(s), nil
	}
	return BugNone, fmt.Errorf("access: unknown bug %q (known: none, %s, %s)", s, BugSkipStepUp, BugOTPReplay)
}

// Config configures a gateway. Zero fields take the defaults documented
// on each; Validate rejects what no default can mend.
type Config struct {
	// ID names this gateway (its wallet node); it is part of every
	// challenge id, so two regions never issue the same id.
	ID string
	// Key is the MAC key the gateways of one deployment share (at least 16
	// bytes): session tokens, challenge ids and API-key tokens are MACs
	// under it, so any region's gateway can check what another issued.
	Key []byte

	// TOTPStep is the RFC 6238 time step X (30s); it must be whole seconds
	// dividing a day, so steps counted from env.Epoch (the numbers the
	// observations carry) differ from RFC steps (from T0 = 0) by a constant.
	TOTPStep time.Duration
	// TOTPDigits is 6 (default) or 8.
	TOTPDigits int
	// TOTPAlgorithm is AlgSHA1 (default), AlgSHA256 or AlgSHA512.
	TOTPAlgorithm Algorithm
	// TOTPWindow is how many steps either side of the gateway's own step a
	// code may come from: 0 or 1 (default 1; -1 in a literal Config means 0).
	TOTPWindow int
	// TOTPProbe: a code outside the window that matches a step up to this
	// many steps away is rejected as "window" (and reported as otp-skew)
	// rather than "wrong" (10).
	TOTPProbe int
	// ClockTolerance: when the embedding node reports its clock this far
	// or more off a trusted time (NoteClock), the gateway refuses every
	// code until it agrees again (45s: under two steps, so a clock that
	// would take a code from outside the window is caught).
	ClockTolerance time.Duration

	// OTPFailMax wrong codes in a row lock the user's OTP for OTPLockFor
	// (5, 15m); PINFailMax wrong PINs lock the PIN for PINLockFor (5, 15m).
	OTPFailMax int
	OTPLockFor time.Duration
	PINFailMax int
	PINLockFor time.Duration

	// BiometricMin: a supplied match score (0..1000) below it denies a
	// login or a step-up answer and makes any other operation need a
	// step-up (600). BiometricRequired: a login without a score is denied.
	BiometricMin      int
	BiometricRequired bool

	// SessionTTL is a session's life (12h); StepUpTTL a challenge's (5m).
	SessionTTL time.Duration
	StepUpTTL  time.Duration

	// RateWindow is the rolling window of the rate limits (1m): at most
	// UserRateMax requests per user (60) and KeyRateMax uses per API key
	// (30). APIKeyLockFor is how long a user's API keys stay locked after
	// one trips a limit or asks beyond its scopes (1h); after that the
	// keys still wait for a secondary verification (KindOTP).
	RateWindow    time.Duration
	UserRateMax   int
	KeyRateMax    int
	APIKeyLockFor time.Duration

	// Impossible travel: two logins more than TravelMinKm apart (50) at a
	// speed over TravelMaxKmh (1000).
	TravelMinKm  int64
	TravelMaxKmh int64
	// SIMSwapWindow: a withdrawal within this long of a second-factor
	// change (phone number, TOTP device) is held (72h).
	SIMSwapWindow time.Duration

	// Credential stuffing: failed logins for StuffingUsers distinct users
	// (5) from one IP within StuffingWindow (10m) block the IP for
	// StuffingBlockFor (1h).
	StuffingWindow   time.Duration
	StuffingUsers    int
	StuffingBlockFor time.Duration

	// Bounds. UsersMax registered users (100000) and KeysMax API keys,
	// revoked ones included (100000): registration beyond is refused, never
	// evicted (they are the truth, not soft state). DevicesMax devices per
	// user (16); KeysPerUserMax live keys per user (16). IPsMax IP
	// addresses tracked for stuffing (100000) and ChallengesUsedMax used
	// challenge ids remembered locally (100000): the least recently touched
	// is forgotten first; forgetting an IP forgets its failures (the
	// attacker gains one more window), forgetting a used challenge leaves
	// its once-key in the ledger to refuse it.
	UsersMax, KeysMax, DevicesMax, KeysPerUserMax, IPsMax, ChallengesUsedMax int

	// Bug plants a weakness (see Bug).
	Bug Bug
}

// ErrConfig is wrapped by every configuration error.
var ErrConfig = errors.New("access: bad config")

func def[T int | int64 | time.Duration](v *T, d T) {
	if *v == 0 {
		*v = d
	}
}

// WithDefaults returns c with every zero field set to its default.
func (c Config) WithDefaults() Config {
	def(&c.TOTPStep, 30*time.Second)
	def(&c.TOTPDigits, 6)
	if c.TOTPAlgorithm == "" {
		c.TOTPAlgorithm = AlgSHA1
	}
	switch c.TOTPWindow {
	case 0:
		c.TOTPWindow = 1
	case -1:
		c.TOTPWindow = 0
	}
	def(&c.TOTPProbe, 10)
	def(&c.ClockTolerance, 45*time.Second)
	def(&c.OTPFailMax, 5)
	def(&c.OTPLockFor, 15*time.Minute)
	def(&c.PINFailMax, 5)
	def(&c.PINLockFor, 15*time.Minute)
	def(&c.BiometricMin, 600)
	def(&c.SessionTTL, 12*time.Hour)
	def(&c.StepUpTTL, 5*time.Minute)
	def(&c.RateWindow, time.Minute)
	def(&c.UserRateMax, 60)
	def(&c.KeyRateMax, 30)
	def(&c.APIKeyLockFor, time.Hour)
	def(&c.TravelMinKm, 50)
	def(&c.TravelMaxKmh, 1000)
	def(&c.SIMSwapWindow, 72*time.Hour)
	def(&c.StuffingWindow, 10*time.Minute)
	def(&c.StuffingUsers, 5)
	def(&c.StuffingBlockFor, time.Hour)
	def(&c.UsersMax, 100_000)
	def(&c.KeysMax, 100_000)
	def(&c.DevicesMax, 16)
	def(&c.KeysPerUserMax, 16)
	def(&c.IPsMax, 100_000)
	def(&c.ChallengesUsedMax, 100_000)
	return c
}

// Validate checks a configuration after WithDefaults.
func (c Config) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrConfig}, a...)...)
	}
	switch {
	case !validID(c.ID):
		return bad("gateway id %q", c.ID)
	case len(c.Key) < 16:
		return bad("key of %d bytes, need 16 or more", len(c.Key))
	case c.TOTPStep < time.Second || c.TOTPStep%time.Second != 0 || (24*time.Hour)%c.TOTPStep != 0:
		return bad("totp step %v: whole seconds dividing a day", c.TOTPStep)
	case c.TOTPDigits != 6 && c.TOTPDigits != 8:
		return bad("totp digits %d: 6 or 8", c.TOTPDigits)
	case c.TOTPAlgorithm.hash() < 0:
		return bad("totp algorithm %q", c.TOTPAlgorithm)
	case c.TOTPWindow < 0 || c.TOTPWindow > 1:
		return bad("totp window %d: 0 or 1", c.TOTPWindow)
	case c.TOTPProbe < c.TOTPWindow || c.TOTPProbe > 100:
		return bad("totp probe %d: window..100", c.TOTPProbe)
	case c.BiometricMin < 0 || c.BiometricMin > BiometricMax:
		return bad("biometric min %d: 0..%d", c.BiometricMin, BiometricMax)
	case c.OTPLockFor < 0 || c.PINLockFor < 0 || c.SessionTTL < 0 || c.StepUpTTL < 0 || c.RateWindow < 0 ||
		c.APIKeyLockFor < 0 || c.SIMSwapWindow < 0 || c.StuffingWindow < 0 || c.StuffingBlockFor < 0 || c.ClockTolerance < 0:
		return bad("durations must be positive")
	case c.OTPFailMax < 1 || c.PINFailMax < 1 || c.UserRateMax < 1 || c.KeyRateMax < 1 || c.StuffingUsers < 2 ||
		c.TravelMinKm < 0 || c.TravelMaxKmh < 1:
		return bad("counts and limits must be positive (stuffing users at least 2)")
	case c.UsersMax < 1 || c.KeysMax < 1 || c.DevicesMax < 1 || c.KeysPerUserMax < 1 || c.IPsMax < 1 || c.ChallengesUsedMax < 1:
		return bad("bounds must be positive")
	case c.UserRateMax > rateMax || c.KeyRateMax > rateMax:
		return bad("rate limits above %d", rateMax)
	}
	if _, err := ParseBug(string(c.Bug)); err != nil {
		return bad("%v", err)
	}
	return nil
}

// rateMax bounds the rate limits: a rolling window keeps one timestamp per
// admitted request.
const rateMax = 10_000
