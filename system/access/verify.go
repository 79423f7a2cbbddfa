package access

import (
	"crypto/hmac"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"vaultdrill/system/env"
)

// checkOTP verifies a TOTP code against the gateway's clock and reserves
// the step it matched (the local used-set), or says why not, with the
// access.otp reject, and for a lockout the access.lock, in f. A code is
// accepted from the steps within TOTPWindow of the clock's step, tried in
// the order now, before, after, the first unused match winning.
func (g *Gateway) checkOTP(now time.Time, u *user, code string, f *facts) (int64, string, error) {
	cur := g.Step(now)
	if now.Before(u.otpUntil) {
		f.otp(u.id, cur, "reject", "locked")
		return cur, "locked", fmt.Errorf("%w: user %s's codes until %s", ErrLocked, u.id, ns(u.otpUntil))
	}
	if g.clockBad {
		// a clock off by more than a step would take codes from outside
		// the window (or refuse good ones): judge none until it agrees
		f.otp(u.id, cur, "reject", "clock")
		f.alert(AttackOTPSkew, u.id, notifySecurity, fmt.Sprintf("code refused: this gateway's clock is %s off trusted time", g.clockOff))
		return cur, "otp-clock", fmt.Errorf("%w: the gateway's clock is %s off trusted time", ErrOTP, g.clockOff)
	}
	replayed, replayStep := false, int64(0)
	if len(code) == g.cfg.TOTPDigits && strings.Trim(code, "0123456789") == "" {
		for _, d := range []int64{0, -1, 1} {
			s := cur + d
			if abs(d) > int64(g.cfg.TOTPWindow) || !g.codeMatches(u, s, code) {
				continue
			}
			if g.cfg.Bug != BugOTPReplay && slices.Contains(u.used, s) {
				if !replayed {
					replayed, replayStep = true, s
				}
				continue
			}
			u.used = append(u.used, s)
			if len(u.used) > usedStepsMax {
				u.used = slices.Delete(u.used, 0, len(u.used)-usedStepsMax)
			}
			return s, "ok", nil
		}
		if replayed {
			f.otp(u.id, replayStep, "reject", "replay")
			f.alert(AttackOTPReplay, u.id, notifyUserSecurity, fmt.Sprintf("code for step %d presented again", replayStep))
			return replayStep, "otp-replay", fmt.Errorf("%w: user %s's step %d already used", ErrReplay, u.id, replayStep)
		}
		for d := int64(g.cfg.TOTPWindow) + 1; d <= int64(g.cfg.TOTPProbe); d++ {
			for _, s := range []int64{cur - d, cur + d} {
				if g.codeMatches(u, s, code) {
					f.otp(u.id, s, "reject", "window")
					f.alert(AttackOTPSkew, u.id, notifySecurity, fmt.Sprintf("code for step %d at step %d: %d steps off", s, cur, d))
					g.otpFailed(now, u, f)
					return s, "otp-window", fmt.Errorf("%w: user %s's code is %d steps off", ErrOTP, u.id, d)
				}
			}
		}
	}
	f.otp(u.id, cur, "reject", "wrong")
	g.otpFailed(now, u, f)
	return cur, "otp", fmt.Errorf("%w: user %s: wrong code", ErrOTP, u.id)
}

func (g *Gateway) otpFailed(now time.Time, u *user, f *facts) {
	u.otpFails++
	if u.otpFails >= g.cfg.OTPFailMax {
		u.otpFails, u.otpUntil = 0, now.Add(g.cfg.OTPLockFor)
		f.lock(u.id, "otp", u.otpUntil)
	}
}

func abs(v int64) int64 {
	if v < 0 {
		return -v
	}
	return v
}

// checkPIN verifies a PIN, counting wrong ones toward the PIN lockout.
func (g *Gateway) checkPIN(now time.Time, u *user, pin string, f *facts) (string, error) {
	if now.Before(u.pinUntil) {
		return "locked", fmt.Errorf("%w: user %s's PIN until %s", ErrLocked, u.id, ns(u.pinUntil))
	}
	h := pinHash(u.id, pin)
	if hmac.Equal(h[:], u.pin[:]) {
		return "", nil
	}
	u.pinFails++
	if u.pinFails >= g.cfg.PINFailMax {
		u.pinFails, u.pinUntil = 0, now.Add(g.cfg.PINLockFor)
		f.lock(u.id, "pin", u.pinUntil)
	}
	return "pin", fmt.Errorf("%w: user %s: wrong PIN", ErrCredentials, u.id)
}

// ipBlocked reports whether ip is blocked for credential stuffing.
func (g *Gateway) ipBlocked(now time.Time, ip string) bool {
	st, ok := g.ips.get(ip)
	return ok && now.Before(st.blockedUntil)
}

// loginFailed counts a failed login for userID from ip; StuffingUsers
// distinct users within StuffingWindow block the IP and alert security.
func (g *Gateway) loginFailed(now time.Time, ip, userID string, f *facts) {
	if ip == "" {
		return
	}
	st, ok := g.ips.get(ip)
	if !ok {
		st = &ipState{}
		g.ips.put(ip, st)
	}
	if now.Before(st.blockedUntil) {
		return
	}
	st.fails = slices.DeleteFunc(st.fails, func(x ipFail) bool {
		return x.user == userID || !x.at.After(now.Add(-g.cfg.StuffingWindow))
	})
	st.fails = append(st.fails, ipFail{userID, now})
	if len(st.fails) >= g.cfg.StuffingUsers {
		st.blockedUntil, st.fails = now.Add(g.cfg.StuffingBlockFor), nil
		f.alert(AttackStuffing, userID, notifySecurity, fmt.Sprintf("failed logins for %d users from ip %s within %s: ip blocked until %s",
			g.cfg.StuffingUsers, ip, g.cfg.StuffingWindow, ns(st.blockedUntil)))
	}
}

// challenge is a step-up challenge: bound to (user, op, params), expiring.
type challenge struct {
	id, user string
	op       Op
	params   string
	expires  time.Time
}

// issue makes a challenge. Its id is ch:GATEWAY:N:ISSUED:MAC, N this
// gateway's counter and ISSUED the issue time (ns since env.Epoch), the
// MAC covering those and the binding, so the id is deterministic, unique
// per gateway incarnation (a restart's clock has moved on) and checkable
// by any gateway with the deployment's key without shared state.
func (g *Gateway) issue(now time.Time, userID string, op Op, params string) *challenge {
	g.chalSeq++
	seq, at := strconv.FormatUint(g.chalSeq, 10), strconv.FormatInt(int64(now.Sub(env.Epoch)), 10)
	id := "ch:" + g.cfg.ID + ":" + seq + ":" + at + ":" + g.mac("challenge", g.cfg.ID, seq, at, userID, string(op), params)[:24]
	return &challenge{id: id, user: userID, op: op, params: params, expires: now.Add(g.cfg.StepUpTTL)}
}

// open checks that id is a challenge issued for (user, op, params); a
// challenge for other parameters cannot be told from a forged one.
func (g *Gateway) open(id, userID string, op Op, params string) (*challenge, bool) {
	c := &challenge{id: id, user: userID, op: op, params: params}
	p := strings.Split(id, ":")
	if len(p) != 5 || p[0] != "ch" || !validID(p[1]) {
		return c, false
	}
	_, err1 := strconv.ParseUint(p[2], 10, 64)
	at, err2 := strconv.ParseInt(p[3], 10, 64)
	if err1 != nil || err2 != nil {
		return c, false
	}
	c.expires = env.Epoch.Add(time.Duration(at)).Add(g.cfg.StepUpTTL)
	return c, hmac.Equal([]byte(p[4]), []byte(g.mac("challenge", p[1], p[2], p[3], userID, string(op), params)[:24]))
}

// Once-keys (D24), already prefixed with the ledger's "once:".
func otpOnce(userID string, step int64) string {
	return "once:otp:" + userID + ":" + strconv.FormatInt(step, 10)
}
func stepupOnce(id string) string { return "once:stepup:" + id }
