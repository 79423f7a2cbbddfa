package hsm

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// FaultKind names one device fault. The string is the word used in the
// fault's text form (and in fault plans).
type FaultKind string

const (
	// FaultUnavailable: the device is gone until FaultRestore. Every open
	// session is closed at once; calls that need the token
	// (OpenSession, InitToken, TokenInfo) answer CKR_TOKEN_NOT_PRESENT,
	// calls on a session CKR_DEVICE_REMOVED.
	FaultUnavailable FaultKind = "unavailable"
	// FaultSlow adds Latency of virtual time to every call (e.Charge) until
	// FaultRestore.
	FaultSlow FaultKind = "slow"
	// FaultDeviceError: the next Count calls fail CKR_DEVICE_ERROR and have
	// no effect.
	FaultDeviceError FaultKind = "device-error"
	// FaultRemovedMidOp: the next Seal or Unseal fails CKR_DEVICE_REMOVED,
	// has no effect, and every session is gone (the device was pulled and
	// reseated mid-operation).
	FaultRemovedMidOp FaultKind = "removed-mid-op"
	// FaultGeneralError: the next token operation answers CKR_GENERAL_ERROR
	// and the HSM draws from the entropy reader whether it took effect; the
	// truth is observed (hsm.truth) and journaled for Reconcile.
	FaultGeneralError FaultKind = "general-error"
	// FaultTamper zeroizes the device: master key, PINs and journal are
	// destroyed at once; only the tamper latch remains. Irreversible.
	FaultTamper FaultKind = "tamper"
	// FaultRestore clears unavailable, slow and every armed one-shot fault.
	// It does not undo a zeroization.
	FaultRestore FaultKind = "restore"
)

// Bounds on fault parameters.
const (
	FaultLatencyMax     = time.Minute
	FaultDeviceErrorMax = 1000
)

// Fault is one fault applied to the device. Faults are data: String and
// ParseFault round-trip, so a signer node can carry one in a control
// message as text.
type Fault struct {
	Kind FaultKind
	// Latency is FaultSlow's extra virtual time per call.
	Latency time.Duration
	// Count is FaultDeviceError's number of failing calls (0 means 1).
	Count int
}

// String is the fault's text form: the kind, then its parameter if any
// ("slow 50ms", "device-error 3").
func (f Fault) String() string {
	switch f.Kind {
	case FaultSlow:
		return string(f.Kind) + " " + f.Latency.String()
	case FaultDeviceError:
		return string(f.Kind) + " " + strconv.Itoa(f.count())
	}
	return string(f.Kind)
}

func (f Fault) count() int {
	if f.Count == 0 {
		return 1
	}
	return f.Count
}

// Validate reports a fault the device cannot apply.
func (f Fault) Validate() error {
	switch f.Kind {
	case FaultUnavailable, FaultRemovedMidOp, FaultGeneralError, FaultTamper, FaultRestore:
		if f.Latency != 0 || f.Count != 0 {
			return fmt.Errorf("hsm: fault %s takes no parameter", f.Kind)
		}
	case FaultSlow:
		if f.Latency <= 0 || f.Latency > FaultLatencyMax || f.Count != 0 {
			return fmt.Errorf("hsm: fault slow needs a latency in (0, %v], got %v", FaultLatencyMax, f.Latency)
		}
	case FaultDeviceError:
		if f.Count < 0 || f.Count > FaultDeviceErrorMax || f.Latency != 0 {
			return fmt.Errorf("hsm: fault device-error needs a count in [1, %d], got %d", FaultDeviceErrorMax, f.Count)
		}
	default:
		return fmt.Errorf("hsm: unknown fault kind %q", f.Kind)
	}
	return nil
}

// ParseFault parses the text form written by Fault.String.
func ParseFault(s string) (Fault, error) {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return Fault{}, fmt.Errorf("hsm: empty fault")
	}
	f := Fault{Kind: FaultKind(fields[0])}
	switch f.Kind {
	case FaultSlow:
		if len(fields) != 2 {
			return Fault{}, fmt.Errorf("hsm: fault %q: want \"slow DURATION\"", s)
		}
		d, err := time.ParseDuration(fields[1])
		if err != nil {
			return Fault{}, fmt.Errorf("hsm: fault %q: %v", s, err)
		}
		f.Latency = d
	case FaultDeviceError:
		switch len(fields) {
		case 1:
			f.Count = 1
		case 2:
			n, err := strconv.Atoi(fields[1])
			if err != nil || n < 1 {
				return Fault{}, fmt.Errorf("hsm: fault %q: want \"device-error [COUNT>=1]\"", s)
			}
			f.Count = n
		default:
			return Fault{}, fmt.Errorf("hsm: fault %q: want \"device-error [COUNT]\"", s)
		}
	default:
		if len(fields) != 1 {
			return Fault{}, fmt.Errorf("hsm: fault %q: %s takes no parameter", s, fields[0])
		}
	}
	if err := f.Validate(); err != nil {
		return Fault{}, err
	}
	return f, nil
}
