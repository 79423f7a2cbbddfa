package access

import (
	"fmt"
	"time"

	"vaultdrill/system/env"
)

// What one gateway learns that the others must know too. A gateway's
// state is its own (soft, per region), but some of it is the security
// control itself: a login place that makes the next one impossible
// travel, a second-factor change that holds the next withdrawal, a
// lockout, an API key created or revoked. The embedding wallet node
// shares those (system/wallet's access journal): it keeps each on its
// disk, sends it to the other regions' nodes, and applies what it
// receives, and what it kept when it restarts, with these functions.
// Each is idempotent and order-tolerant: a later fact wins, an earlier
// one arriving late changes nothing.

// NoteLogin records an allowed login at place and time at (at another
// gateway): the next login here is judged for travel against it.
func (g *Gateway) NoteLogin(userID string, place Point, at time.Time) error {
	u := g.users[userID]
	switch {
	case u == nil:
		return fmt.Errorf("%w: user %s", ErrUnknown, userID)
	case !place.Known || !place.Valid():
		return nil
	}
	if at.After(u.lastAt) {
		u.lastGeo, u.lastAt = place, at
	}
	return nil
}

// Lock kinds of RestoreLock, as access.lock's what.
const (
	LockPIN    = "pin"
	LockOTP    = "otp"
	LockAPIKey = "apikey"
)

// RestoreLock applies a lockout taken at another gateway, or before a
// restart: what is pin, otp or apikey (which also demands the secondary
// verification, unless one came after at). The later until wins.
func (g *Gateway) RestoreLock(userID, what string, at, until time.Time) error {
	u := g.users[userID]
	if u == nil {
		return fmt.Errorf("%w: user %s", ErrUnknown, userID)
	}
	later := func(t *time.Time) {
		if until.After(*t) {
			*t = until
		}
	}
	switch what {
	case LockPIN:
		later(&u.pinUntil)
	case LockOTP:
		later(&u.otpUntil)
	case LockAPIKey:
		later(&u.keysUntil)
		if at.After(u.keysLockedAt) {
			u.keysLockedAt = at
		}
		if at.After(u.verifiedAt) {
			u.verify = true
		}
	default:
		return fmt.Errorf("%w: lock %q", ErrMalformed, what)
	}
	return nil
}

// NoteVerified applies a secondary verification passed at at (KindOTP,
// at another gateway): it clears the demand of every API-key lock taken
// before at.
func (g *Gateway) NoteVerified(userID string, at time.Time) error {
	u := g.users[userID]
	if u == nil {
		return fmt.Errorf("%w: user %s", ErrUnknown, userID)
	}
	if at.After(u.verifiedAt) {
		u.verifiedAt = at
		if !at.Before(u.keysLockedAt) {
			u.verify = false
		}
	}
	return nil
}

// NoteClock tells the gateway how far the embedding node's clock is off a
// trusted time (its clock minus the trusted one; system/wallet measures
// it against the chain's blocks). Beyond ClockTolerance either way, every
// code is refused with reason "clock" until a later NoteClock agrees; the
// facts returned (an access.alert otp-skew to security when the clock
// goes bad) are the caller's to emit.
func (g *Gateway) NoteClock(off time.Duration) []env.Observation {
	bad := off >= g.cfg.ClockTolerance || off <= -g.cfg.ClockTolerance
	var f facts
	if bad && !g.clockBad {
		f.alert(AttackOTPSkew, "", notifySecurity, fmt.Sprintf("gateway %s's clock is %s off trusted time: TOTP codes refused until it agrees", g.cfg.ID, off))
	}
	g.clockOff, g.clockBad = off, bad
	return f
}
