package approval

import (
	"bytes"
	"cmp"
	"fmt"
	"slices"
	"strings"
	"time"
)

// Rejection reasons: why one approval did not count. Checked in this
// order, so an approval gets the first that applies: a claim about the
// device, then the policy, then the signature, then time, then the rules of
// counting.
const (
	ReasonUnknownDevice = "unknown-device" // no such registered device
	ReasonHumanMismatch = "human-mismatch" // the device is registered to another human
	ReasonWrongPolicy   = "wrong-policy"   // the subject names another policy version than the one enforced
	ReasonBadSignature  = "bad-signature"  // not the device's signature of exactly this subject
	ReasonFuture        = "future"         // given after now
	ReasonExpired       = "expired"        // now is past At + the tier's expiry
	ReasonInitiator     = "initiator"      // the initiator never approves their own withdrawal
	ReasonSameDevice    = "same-device"    // the device already counted
	ReasonSameHuman     = "same-human"     // the human already counted, from another device
)

// Rejection is one approval that did not count, and why (a Reason*).
type Rejection struct {
	Device, Human, Reason string
}

// Result is what Check found: the tier that applies, the humans counted
// (sorted) and the approvals rejected (sorted by device, human, reason).
type Result struct {
	Tier     Tier
	Counted  []string
	Rejected []Rejection
}

// Bug plants a known approval bug, for the harness to prove its checkers
// catch it. The zero value is no bug.
type Bug string

// BugCountInitiator counts the initiator's own approval toward the quorum
// (a violation of INV-QUORUM).
const BugCountInitiator Bug = "count-initiator"

// Check decides whether approvals meet policy p for s at now: at least the
// tier's number of distinct humans on distinct devices, none of them the
// initiator, each approval a valid signature of exactly s by the device
// registered under its id to its human, given no later than now and no
// earlier than the tier's expiry before it. It fails closed: an invalid
// policy, a nil registry or a subject without withdrawal id or initiator
// is an error, not a pass. Neither the result nor the error depends on the
// order of approvals.
//
// Errors wrap ErrQuorum (the result says who counted and who did not),
// ErrNoTier, ErrBadPolicy, ErrRegistry or ErrSubject.
func Check(p Policy, reg *Registry, s Subject, approvals []Approval, now time.Time) (Result, error) {
	return check("", p, reg, s, approvals, now)
}

// CheckWithBug is Check with a planted bug; used only to plant a violation
// the checkers must report. The empty bug is Check.
func CheckWithBug(b Bug, p Policy, reg *Registry, s Subject, approvals []Approval, now time.Time) (Result, error) {
	if b != "" && b != BugCountInitiator {
		return Result{}, fmt.Errorf("approval: unknown bug %q", b)
	}
	return check(b, p, reg, s, approvals, now)
}

func check(bug Bug, p Policy, reg *Registry, s Subject, approvals []Approval, now time.Time) (Result, error) {
	var res Result
	if err := p.Validate(); err != nil {
		return res, err
	}
	if reg == nil {
		return res, fmt.Errorf("%w: none given", ErrRegistry)
	}
	if s.Withdrawal == "" || s.Initiator == "" {
		return res, fmt.Errorf("%w: withdrawal %q with initiator %q", ErrSubject, s.Withdrawal, s.Initiator)
	}
	t, err := p.TierFor(s.Wallet, s.Amount)
	if err != nil {
		return res, err
	}
	res.Tier = t

	// Judge in a canonical order, so which of two duplicates counts (and so
	// the whole result) does not depend on the order approvals arrived in.
	as := slices.Clone(approvals)
	slices.SortFunc(as, func(a, b Approval) int {
		return cmp.Or(a.At.Compare(b.At), strings.Compare(a.Device, b.Device),
			strings.Compare(a.Human, b.Human), bytes.Compare(a.Sig, b.Sig))
	})
	humans := make(map[string]bool, len(as))  // looked up, never ranged over
	devices := make(map[string]bool, len(as)) // looked up, never ranged over
	for _, a := range as {
		why := ""
		d, ok := reg.Lookup(a.Device)
		switch {
		case !ok:
			why = ReasonUnknownDevice
		case d.Human != a.Human:
			why = ReasonHumanMismatch
		case s.PolicyVersion != p.Version:
			why = ReasonWrongPolicy
		case !Verify(d.PublicKey, s, a):
			why = ReasonBadSignature
		case a.At.After(now):
			why = ReasonFuture
		case now.Sub(a.At) > t.Expiry:
			why = ReasonExpired
		case a.Human == s.Initiator && bug != BugCountInitiator:
			why = ReasonInitiator
		case devices[a.Device]:
			why = ReasonSameDevice
		case humans[a.Human]:
			why = ReasonSameHuman
		}
		if why != "" {
			res.Rejected = append(res.Rejected, Rejection{Device: a.Device, Human: a.Human, Reason: why})
			continue
		}
		humans[a.Human], devices[a.Device] = true, true
		res.Counted = append(res.Counted, a.Human)
	}
	slices.Sort(res.Counted)
	slices.SortFunc(res.Rejected, func(a, b Rejection) int {
		return cmp.Or(strings.Compare(a.Device, b.Device), strings.Compare(a.Human, b.Human), strings.Compare(a.Reason, b.Reason))
	})
	if len(res.Counted) < t.Approvers {
		return res, fmt.Errorf("%w: %d of %d approvers for %s (tier %s, policy %s)",
			ErrQuorum, len(res.Counted), t.Approvers, s.Withdrawal, t.Name, p.Version)
	}
	return res, nil
}
