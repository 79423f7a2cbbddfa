package hsm

import (
	"crypto/hmac"
	"crypto/sha256"
	"strconv"

	"vaultdrill/system/env"
)

// Sessions and logins. Login state is per session (PKCS#11 shares it
// across an application's sessions; one signer is one application, so the
// difference does not show). Sessions live in device memory only: a
// restart, a removal or a zeroization closes them all.

// OpenSession opens a session (C_OpenSession). Past SessionsMax open
// sessions it fails with CKR_DEVICE_MEMORY. It works on an uninitialised
// token (to run InitToken's follow-ups or Reconcile).
func (h *HSM) OpenSession(e env.Env) (Session, error) {
	var s Session
	rv := h.plain(e, call{op: opOpenSession}, func() RV {
		if len(h.sessions) >= h.cfg.SessionsMax {
			return CKR_DEVICE_MEMORY
		}
		h.nextSession++
		s = Session(h.dev.boot<<32 | uint64(h.nextSession))
		h.sessions = append(h.sessions, session{handle: s})
		return CKR_OK
	})
	if rv != CKR_OK {
		return 0, rvErr(opOpenSession, 0, rv)
	}
	return s, nil
}

// CloseSession closes a session (C_CloseSession).
func (h *HSM) CloseSession(e env.Env, s Session) error {
	rv := h.plain(e, call{op: opCloseSession, s: s}, func() RV {
		for i := range h.sessions {
			if h.sessions[i].handle == s {
				h.sessions = append(h.sessions[:i], h.sessions[i+1:]...)
				return CKR_OK
			}
		}
		return CKR_SESSION_HANDLE_INVALID
	})
	return rvErr(opCloseSession, 0, rv)
}

// Logout ends the session's login (C_Logout); the session stays open.
func (h *HSM) Logout(e env.Env, s Session) error {
	rv := h.plain(e, call{op: opLogout, s: s}, func() RV {
		sess := h.session(s)
		switch {
		case sess == nil:
			return CKR_SESSION_HANDLE_INVALID
		case sess.role == roleNone:
			return CKR_USER_NOT_LOGGED_IN
		}
		sess.role = roleNone
		return CKR_OK
	})
	return rvErr(opLogout, 0, rv)
}

// Login logs the session in as the user (C_Login, CKU_USER). A wrong PIN
// is counted durably (synced before the answer); PINAttemptsMax
// consecutive wrong PINs lock the user PIN: the locking attempt and every
// later one answer CKR_PIN_LOCKED until the SO resets the PIN (InitPIN).
// A right PIN resets the count.
func (h *HSM) Login(e env.Env, s Session, opID uint64, pin string) error {
	return h.login(e, s, opID, pin, roleUser)
}

// LoginSO logs the session in as the security officer (C_Login, CKU_SO).
// The SO PIN locks the same way; a locked SO PIN is terminal for the
// token (no one can unlock it; a zeroization and a new InitToken can).
func (h *HSM) LoginSO(e env.Env, s Session, opID uint64, soPIN string) error {
	return h.login(e, s, opID, soPIN, roleSO)
}

func (h *HSM) login(e env.Env, s Session, opID uint64, pin string, who role) error {
	op := opLogin
	if who == roleSO {
		op = opLoginSO
	}
	r := h.run(e, call{op: op, opID: opID, s: s}, func() result {
		sess := h.session(s)
		switch {
		case sess == nil:
			return result{rv: CKR_SESSION_HANDLE_INVALID}
		case !h.tok.initialized:
			return result{rv: CKR_USER_PIN_NOT_INITIALIZED}
		case sess.role != roleNone:
			return result{rv: CKR_USER_ALREADY_LOGGED_IN}
		}
		locked, fails, want := &h.tok.userLocked, &h.tok.userFails, h.tok.userHash
		if who == roleSO {
			locked, fails, want = &h.tok.soLocked, &h.tok.soFails, h.tok.soHash
		}
		if *locked {
			return result{rv: CKR_PIN_LOCKED}
		}
		e.Charge(CostLogin)
		got := pinHash(h.tok.pinSalt, who, pin)
		if !hmac.Equal(got[:], want[:]) {
			*fails++
			if int(*fails) >= h.cfg.PINAttemptsMax {
				*locked = true
			}
			h.saveToken(e)
			e.Observe(env.ObserveKV(ObsPINFail, "user", who.String(), "count", strconv.Itoa(int(*fails))))
			if *locked {
				e.Observe(env.ObserveKV(ObsLocked, "user", who.String()))
				return result{rv: CKR_PIN_LOCKED}
			}
			return result{rv: CKR_PIN_INCORRECT}
		}
		if *fails != 0 {
			*fails = 0
			h.saveToken(e)
		}
		sess.role = who
		return result{rv: CKR_OK}
	})
	return rvErr(op, opID, r.rv)
}

// InitPIN sets a new user PIN and clears its lock and failure count
// (C_InitPIN). Only a session logged in as the SO may call it.
func (h *HSM) InitPIN(e env.Env, s Session, opID uint64, newPIN string) error {
	r := h.run(e, call{op: opInitPIN, opID: opID, s: s}, func() result {
		sess := h.session(s)
		switch {
		case sess == nil:
			return result{rv: CKR_SESSION_HANDLE_INVALID}
		case sess.role != roleSO || !h.tok.initialized:
			return result{rv: CKR_USER_NOT_LOGGED_IN}
		case !validPIN(newPIN):
			return result{rv: CKR_ARGUMENTS_BAD}
		}
		h.tok.userHash = pinHash(h.tok.pinSalt, roleUser, newPIN)
		h.tok.userFails, h.tok.userLocked = 0, false
		h.saveToken(e)
		e.Observe(env.ObserveKV(ObsPINReset, "user", roleUser.String()))
		return result{rv: CKR_OK}
	})
	return rvErr(opInitPIN, opID, r.rv)
}

func validPIN(p string) bool { return len(p) >= PINLenMin && len(p) <= PINLenMax }

// pinHash is HMAC-SHA256 under the token's random salt of the role and the
// PIN: PINs are never stored, and the user and SO hashes of one PIN differ.
func pinHash(salt [16]byte, who role, pin string) [32]byte {
	m := hmac.New(sha256.New, salt[:])
	m.Write([]byte{byte(who)})
	m.Write([]byte(pin))
	var out [32]byte
	copy(out[:], m.Sum(nil))
	return out
}
