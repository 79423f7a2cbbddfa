package hsm

import (
	"errors"
	"fmt"
)

// RV is a PKCS#11 return value (CK_RV). The constants carry the numeric
// values of the PKCS#11 v2.40/v3.0 headers, so a drill report can be read
// against vendor documentation.
type RV uint32

// The PKCS#11 subset this emulator returns. The names are PKCS#11's own.
const (
	CKR_OK                       RV = 0x00000000
	CKR_GENERAL_ERROR            RV = 0x00000005 // outcome unknown: reconcile
	CKR_FUNCTION_FAILED          RV = 0x00000006
	CKR_ARGUMENTS_BAD            RV = 0x00000007
	CKR_DEVICE_ERROR             RV = 0x00000030
	CKR_DEVICE_MEMORY            RV = 0x00000031
	CKR_DEVICE_REMOVED           RV = 0x00000032
	CKR_ENCRYPTED_DATA_INVALID   RV = 0x00000040
	CKR_KEY_UNEXTRACTABLE        RV = 0x0000006A
	CKR_PIN_INCORRECT            RV = 0x000000A0
	CKR_PIN_LOCKED               RV = 0x000000A4
	CKR_SESSION_HANDLE_INVALID   RV = 0x000000B3
	CKR_TOKEN_NOT_PRESENT        RV = 0x000000E0
	CKR_USER_ALREADY_LOGGED_IN   RV = 0x00000100
	CKR_USER_NOT_LOGGED_IN       RV = 0x00000101
	CKR_USER_PIN_NOT_INITIALIZED RV = 0x00000102
)

func (r RV) String() string {
	switch r {
	case CKR_OK:
		return "CKR_OK"
	case CKR_GENERAL_ERROR:
		return "CKR_GENERAL_ERROR"
	case CKR_FUNCTION_FAILED:
		return "CKR_FUNCTION_FAILED"
	case CKR_ARGUMENTS_BAD:
		return "CKR_ARGUMENTS_BAD"
	case CKR_DEVICE_ERROR:
		return "CKR_DEVICE_ERROR"
	case CKR_DEVICE_MEMORY:
		return "CKR_DEVICE_MEMORY"
	case CKR_DEVICE_REMOVED:
		return "CKR_DEVICE_REMOVED"
	case CKR_ENCRYPTED_DATA_INVALID:
		return "CKR_ENCRYPTED_DATA_INVALID"
	case CKR_KEY_UNEXTRACTABLE:
		return "CKR_KEY_UNEXTRACTABLE"
	case CKR_PIN_INCORRECT:
		return "CKR_PIN_INCORRECT"
	case CKR_PIN_LOCKED:
		return "CKR_PIN_LOCKED"
	case CKR_SESSION_HANDLE_INVALID:
		return "CKR_SESSION_HANDLE_INVALID"
	case CKR_TOKEN_NOT_PRESENT:
		return "CKR_TOKEN_NOT_PRESENT"
	case CKR_USER_ALREADY_LOGGED_IN:
		return "CKR_USER_ALREADY_LOGGED_IN"
	case CKR_USER_NOT_LOGGED_IN:
		return "CKR_USER_NOT_LOGGED_IN"
	case CKR_USER_PIN_NOT_INITIALIZED:
		return "CKR_USER_PIN_NOT_INITIALIZED"
	}
	return fmt.Sprintf("CKR_0x%08X", uint32(r))
}

// Error is a failed HSM call: the operation, the caller's opID (0 for the
// session calls, which take none) and the return value. It never carries
// key material, PINs or plaintext.
type Error struct {
	Op   string
	OpID uint64
	RV   RV
}

func (e *Error) Error() string {
	if e.Op == "" {
		return "hsm: " + e.RV.String()
	}
	if e.OpID == 0 {
		return fmt.Sprintf("hsm: %s: %s", e.Op, e.RV)
	}
	return fmt.Sprintf("hsm: %s (op %d): %s", e.Op, e.OpID, e.RV)
}

// Is makes every Error match the sentinel of its RV: errors.Is(err,
// hsm.ErrPINLocked). A target with an Op must match the Op too.
func (e *Error) Is(target error) bool {
	var t *Error
	if !errors.As(target, &t) {
		return false
	}
	return t.RV == e.RV && (t.Op == "" || t.Op == e.Op)
}

// Sentinels, one per RV the emulator returns; compare with errors.Is.
var (
	ErrGeneralError          = &Error{RV: CKR_GENERAL_ERROR}
	ErrFunctionFailed        = &Error{RV: CKR_FUNCTION_FAILED}
	ErrArgumentsBad          = &Error{RV: CKR_ARGUMENTS_BAD}
	ErrDeviceError           = &Error{RV: CKR_DEVICE_ERROR}
	ErrDeviceMemory          = &Error{RV: CKR_DEVICE_MEMORY}
	ErrDeviceRemoved         = &Error{RV: CKR_DEVICE_REMOVED}
	ErrEncryptedDataInvalid  = &Error{RV: CKR_ENCRYPTED_DATA_INVALID}
	ErrKeyUnextractable      = &Error{RV: CKR_KEY_UNEXTRACTABLE}
	ErrPINIncorrect          = &Error{RV: CKR_PIN_INCORRECT}
	ErrPINLocked             = &Error{RV: CKR_PIN_LOCKED}
	ErrSessionHandleInvalid  = &Error{RV: CKR_SESSION_HANDLE_INVALID}
	ErrTokenNotPresent       = &Error{RV: CKR_TOKEN_NOT_PRESENT}
	ErrUserAlreadyLoggedIn   = &Error{RV: CKR_USER_ALREADY_LOGGED_IN}
	ErrUserNotLoggedIn       = &Error{RV: CKR_USER_NOT_LOGGED_IN}
	ErrUserPINNotInitialized = &Error{RV: CKR_USER_PIN_NOT_INITIALIZED}
)

// RVOf returns the RV an error carries: CKR_OK for nil, CKR_FUNCTION_FAILED
// for an error that did not come from this package.
func RVOf(err error) RV {
	if err == nil {
		return CKR_OK
	}
	var e *Error
	if errors.As(err, &e) {
		return e.RV
	}
	return CKR_FUNCTION_FAILED
}

// IsUnknown reports whether err leaves the operation's outcome unknown
// (CKR_GENERAL_ERROR): the caller must Reconcile the opID, never retry
// blindly (INV-HSMUNKNOWN).
func IsUnknown(err error) bool { return RVOf(err) == CKR_GENERAL_ERROR }

func rvErr(op opKind, opID uint64, rv RV) error {
	if rv == CKR_OK {
		return nil
	}
	return &Error{Op: op.String(), OpID: opID, RV: rv}
}
