package access

import (
	"fmt"
	"slices"
	"time"
)

// ApproverCheck is the MFA an approval path asks of one approver: the
// approver's registered device and a fresh TOTP code (and a biometric
// score, when supplied, at or above BiometricMin).
type ApproverCheck struct {
	User, Device string
	Code         string
	Biometric    int // or BiometricNone
}

// CheckApprover checks an approver's MFA on the gateway's clock now. A
// deny says why (Reason, Err); otherwise the decision is pending on the
// code's once-key, like a login, and Resolve yields the allow. It reports
// access.otp (and access.lock) facts, not access.decision: an approval is
// not an op of the vocabulary, the approval path records its own.
func (g *Gateway) CheckApprover(now time.Time, a ApproverCheck) Decision {
	var f facts
	u := g.users[a.User]
	switch {
	case u == nil:
		return Decision{Result: ResultDeny, Reason: "credentials", Err: fmt.Errorf("%w: approver %s", ErrCredentials, a.User)}
	case !slices.Contains(u.devices, a.Device):
		return Decision{Result: ResultDeny, Reason: "device", Err: fmt.Errorf("%w: approver %s's device %s is not registered", ErrCredentials, a.User, a.Device)}
	case a.Biometric < BiometricNone || a.Biometric > BiometricMax || a.Biometric != BiometricNone && a.Biometric < g.cfg.BiometricMin:
		return Decision{Result: ResultDeny, Reason: "biometric", Err: fmt.Errorf("%w: %d", ErrBiometric, a.Biometric)}
	}
	step, why, err := g.checkOTP(now, u, a.Code, &f)
	if err != nil {
		return Decision{Result: ResultDeny, Reason: why, Err: err, Facts: f}
	}
	return wait(&pending{kind: pendApprove, u: u, step: step, req: Request{User: a.User, Device: a.Device}}, &f, otpOnce(u.id, step))
}
