package signer

import (
	"fmt"
	"strconv"
	"strings"

	"vaultdrill/system/env"
	"vaultdrill/system/hsm"
)

// Controls a harness may send a signer (MsgControl from HarnessSender), as
// text: an HSM fault (hsm.ParseFault), or one of the host-level events
// below, which act through the HSM's own PKCS#11 interface.
const (
	// ControlPINBruteforce: an attacker on the signer's host tries N wrong
	// user PINs in a session of its own; the HSM's lockout must stop it.
	ControlPINBruteforce = "pin-bruteforce"
	// ControlPINReset: the security officer resets the user PIN (C_InitPIN
	// under an SO login), restoring a locked-out signer.
	ControlPINReset = "pin-reset"
	// pinGuessesMax bounds one brute-force control.
	pinGuessesMax = 100
)

// ObsControl reports a host-level control the signer carried out.
const ObsControl = "signer.control"

// ParseControl checks a control text: an HSM fault or a host-level event.
func ParseControl(s string) error {
	f := strings.Fields(s)
	if len(f) > 0 {
		switch f[0] {
		case ControlPINBruteforce:
			if len(f) != 2 {
				return fmt.Errorf("signer: control %q: want %q", s, ControlPINBruteforce+" N")
			}
			if n, err := strconv.Atoi(f[1]); err != nil || n < 1 || n > pinGuessesMax {
				return fmt.Errorf("signer: control %q: N must be 1..%d", s, pinGuessesMax)
			}
			return nil
		case ControlPINReset:
			if len(f) != 1 {
				return fmt.Errorf("signer: control %q takes no argument", s)
			}
			return nil
		}
	}
	_, err := hsm.ParseFault(s)
	if err != nil {
		return fmt.Errorf("%v (or %s N, %s)", err, ControlPINBruteforce, ControlPINReset)
	}
	return nil
}

func (n *Node) control(e env.Env, text string) {
	if ParseControl(text) != nil {
		e.Observe(env.ObserveKV("signer.control_refused", "sender", string(HarnessSender), "text", text))
		return
	}
	f := strings.Fields(text)
	switch f[0] {
	case ControlPINBruteforce:
		guesses, _ := strconv.Atoi(f[1])
		s, err := n.h.OpenSession(e)
		if err != nil {
			return
		}
		last := "CKR_OK"
		for i := 0; i < guesses; i++ {
			err := n.h.Login(e, s, n.nextOp(e), "guess-"+strconv.Itoa(i))
			last = hsm.RVOf(err).String()
			if hsm.RVOf(err) == hsm.CKR_PIN_LOCKED {
				break
			}
		}
		_ = n.h.CloseSession(e, s)
		e.Observe(env.ObserveKV(ObsControl, "control", ControlPINBruteforce, "guesses", f[1], "last", last))
	case ControlPINReset:
		s, err := n.h.OpenSession(e)
		if err == nil {
			err = n.h.LoginSO(e, s, n.nextOp(e), n.cfg.SOPIN)
		}
		if err == nil {
			err = n.h.InitPIN(e, s, n.nextOp(e), n.cfg.UserPIN)
		}
		if s != 0 {
			_ = n.h.CloseSession(e, s)
		}
		n.dropSession(e)
		result := "ok"
		if err != nil {
			result = hsm.RVOf(err).String()
		}
		e.Observe(env.ObserveKV(ObsControl, "control", ControlPINReset, "result", result))
	default:
		fault, _ := hsm.ParseFault(text)
		_ = n.h.ApplyFault(e, fault) // a closed session shows at the next call
	}
}
