package access

import (
	"errors"
	"strconv"
	"time"

	"vaultdrill/system/env"
)

// Result is a decision's outcome: the access.decision values, plus
// ResultPending, which is never observed.
type Result string

const (
	ResultAllow  Result = "allow"
	ResultDeny   Result = "deny"
	ResultHold   Result = "hold"   // not allowed now: held for the user or security (never an allow)
	ResultStepUp Result = "stepup" // answer Decision.Challenge with a fresh TOTP code (KindStepUp)
	// ResultPending: consume every Decision.Once in the ledger, then call
	// Gateway.Resolve with the answers.
	ResultPending Result = "pending"
)

// Expected refusals, as sentinels; Decision.Err wraps one.
var (
	ErrMalformed   = errors.New("access: malformed request")
	ErrIPBlocked   = errors.New("access: ip blocked")
	ErrCredentials = errors.New("access: bad credentials")
	ErrLocked      = errors.New("access: locked")
	ErrBiometric   = errors.New("access: biometric score too low")
	ErrTravel      = errors.New("access: impossible travel")
	ErrOTP         = errors.New("access: totp code refused")
	ErrReplay      = errors.New("access: replay")
	ErrSession     = errors.New("access: no valid session")
	ErrRate        = errors.New("access: rate limit")
	ErrScope       = errors.New("access: outside scope")
	ErrEscalation  = errors.New("access: scope escalation")
	ErrChallenge   = errors.New("access: step-up challenge refused")
	ErrRevoked     = errors.New("access: api key revoked")
	ErrVerify      = errors.New("access: secondary verification required")
	ErrExists      = errors.New("access: already exists")
	ErrUnknown     = errors.New("access: unknown")
	ErrBound       = errors.New("access: bound reached")
	ErrHold        = errors.New("access: held")
)

// Decision is the gateway's answer to one request. The caller emits every
// Fact (env.Observe), in order, for pending decisions too, and acts only
// on ResultAllow.
type Decision struct {
	Result Result
	// Reason is the machine reason, the facts' reason field ("ok" on
	// allow unless a notable condition applies).
	Reason string
	// Err wraps the sentinel behind a deny or hold; nil otherwise.
	Err error
	// Once lists, with ResultPending, the once-keys to consume: the ledger
	// account once:KEY (these strings, already prefixed "once:"), one
	// deposit of 1 under the idempotency key OnceIdem(key, request id).
	Once []string
	// Session is the token a successful login opens.
	Session string
	// Challenge is the challenge issued (ResultStepUp) or used (allow).
	Challenge string
	// Expires is the challenge's (or the session's, on login) expiry.
	Expires time.Time
	// KeyToken is the secret of an API key created by this decision.
	KeyToken string
	// Facts are the observations the caller must emit.
	Facts []env.Observation

	cont *pending // what Resolve finishes
}

// Allowed is Result == ResultAllow.
func (d Decision) Allowed() bool { return d.Result == ResultAllow }

// OnceIdem is the idempotency key of request's consumption of once-key
// (D24): a retry of the same request gets the ledger's original answer.
func OnceIdem(key, request string) string { return key + ":" + request }

// ns is a time in the vocabulary's form: nanoseconds since env.Epoch, on
// the clock the gateway was given.
// (empty for the zero time).
func ns(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return strconv.FormatInt(int64(t.Sub(env.Epoch)), 10)
}

// facts accumulates one decision's observations.
type facts []env.Observation

func (f *facts) otp(user string, step int64, result, reason string) {
	*f = append(*f, env.ObserveKV("access.otp", "user", user, "step", strconv.FormatInt(step, 10),
		"result", result, "reason", reason))
}

func (f *facts) stepup(c *challenge, result, reason string) {
	*f = append(*f, env.ObserveKV("access.stepup", "user", c.user, "op", string(c.op), "params", c.params,
		"challenge", c.id, "result", result, "reason", reason, "expires", ns(c.expires)))
}

// Notify parties, in the vocabulary's order.
const (
	notifyUser         = "user"
	notifySecurity     = "security"
	notifyUserSecurity = "user,security"
)

func (f *facts) alert(attack, user, notify, reason string) {
	*f = append(*f, env.ObserveKV("access.alert", "attack", attack, "user", user, "notify", notify, "reason", reason))
}

func (f *facts) lock(user, what string, until time.Time) {
	*f = append(*f, env.ObserveKV("access.lock", "user", user, "what", what, "until", ns(until)))
}

// Attack ids of the vocabulary this package answers.
const (
	AttackStuffing   = "credential-stuffing"
	AttackSIMSwap    = "sim-swap"
	AttackNewDevice  = "new-device"
	AttackTravel     = "impossible-travel"
	AttackOTPReplay  = "otp-replay"
	AttackOTPSkew    = "otp-skew"
	AttackAPIKey     = "apikey-abuse"
	AttackEscalation = "scope-escalation"
	AttackAnomaly    = "anomaly"
)

// subjectOf is what an access.decision is about.
type subjectOf struct {
	user, params, subject string
	op                    Op
	req                   *Request
}

// decide appends the access.decision and returns the final decision.
func (f *facts) decide(s subjectOf, r Result, reason, challenge string, err error) Decision {
	var dev, ip, geo string
	if s.req != nil {
		dev, ip, geo = s.req.Device, s.req.IP, s.req.Geo.String()
	}
	*f = append(*f, env.ObserveKV("access.decision", "user", s.user, "op", string(s.op), "params", s.params,
		"subject", s.subject, "decision", string(r), "reason", reason, "challenge", challenge,
		"device", dev, "ip", ip, "geo", geo))
	return Decision{Result: r, Reason: reason, Err: err, Challenge: challenge, Facts: *f}
}
