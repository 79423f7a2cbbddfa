package approval

import (
	"errors"
	"fmt"
	"time"
)

// Tier is one row of the policy: withdrawals from Wallet up to AmountMax
// need Approvers distinct humans on distinct devices, the initiator never
// counting, each approval valid for Expiry after it was given.
type Tier struct {
	Name      string
	Wallet    string        // "hot", "cold" or "*"
	AmountMax int64         // inclusive upper bound; 0 = no bound
	Approvers int           // distinct humans on distinct devices; the initiator never counts
	Expiry    time.Duration // how long an approval stays valid after it was given
}

// Policy is the versioned list of tiers, tried in order: the first whose
// wallet matches and whose AmountMax bounds the amount applies.
type Policy struct {
	Version string
	Tiers   []Tier
}

// Wallet names a tier may carry.
const (
	WalletHot  = "hot"
	WalletCold = "cold"
	WalletAny  = "*"
)

// Sentinel errors: the expected ways a check or a configuration fails.
var (
	ErrNoTier    = errors.New("approval: no policy tier")
	ErrQuorum    = errors.New("approval: quorum not met")
	ErrBadPolicy = errors.New("approval: bad policy")
	ErrRegistry  = errors.New("approval: bad device registry")
	ErrSubject   = errors.New("approval: bad subject")
)

// Validate names the first tier that is wrong and what is wrong with it.
// Beyond the fields of each tier it rejects two shapes that read as a
// policy but do not act as one: a tier that earlier tiers shadow for every
// wallet it names (it would never apply), and a tier that asks fewer
// approvers than a tier for smaller amounts of the same wallet (splitting
// nothing, an insider would just ask for more).
func (p Policy) Validate() error {
	if p.Version == "" {
		return fmt.Errorf("%w: no version", ErrBadPolicy)
	}
	if len(p.Tiers) == 0 {
		return fmt.Errorf("%w %s: no tiers", ErrBadPolicy, p.Version)
	}
	names := make(map[string]bool, len(p.Tiers))
	for i, t := range p.Tiers {
		if t.Name == "" {
			return fmt.Errorf("%w %s: tier %d has no name", ErrBadPolicy, p.Version, i+1)
		}
		bad := func(what string, args ...any) error {
			return fmt.Errorf("%w %s: tier %s: %s", ErrBadPolicy, p.Version, t.Name, fmt.Sprintf(what, args...))
		}
		switch {
		case names[t.Name]:
			return bad("name used twice")
		case t.Wallet != WalletHot && t.Wallet != WalletCold && t.Wallet != WalletAny:
			return bad("wallet %q (want %q, %q or %q)", t.Wallet, WalletHot, WalletCold, WalletAny)
		case t.AmountMax < 0:
			return bad("negative amount_max %d", t.AmountMax)
		case t.Approvers < 1:
			return bad("needs at least one approver, has %d", t.Approvers)
		case t.Expiry <= 0:
			return bad("needs a positive expiry, has %v", t.Expiry)
		}
		names[t.Name] = true
	}
	return p.validateReach()
}

// validateReach walks the tiers once per kind of wallet ("" stands for any
// wallet other than hot and cold, which only "*" tiers reach). Every tier
// covers the amounts from 0 up to its bound, so what earlier tiers cover
// for a wallet is always one prefix: a tier whose bound lies inside it is
// dead for that wallet.
func (p Policy) validateReach() error {
	live := make([]bool, len(p.Tiers))
	for _, w := range []string{WalletHot, WalletCold, ""} {
		covered, unbounded := int64(-1), false
		prev := -1 // the last live tier for w
		for i, t := range p.Tiers {
			if t.Wallet != w && t.Wallet != WalletAny {
				continue
			}
			if unbounded || (t.AmountMax != 0 && t.AmountMax <= covered) {
				continue
			}
			if prev >= 0 && t.Approvers < p.Tiers[prev].Approvers {
				return fmt.Errorf("%w %s: tier %s: %d approvers for larger amounts than tier %s, which needs %d",
					ErrBadPolicy, p.Version, t.Name, t.Approvers, p.Tiers[prev].Name, p.Tiers[prev].Approvers)
			}
			live[i], prev = true, i
			if t.AmountMax == 0 {
				unbounded = true
			} else {
				covered = t.AmountMax
			}
		}
	}
	for i, t := range p.Tiers {
		if !live[i] {
			return fmt.Errorf("%w %s: tier %s is unreachable: earlier tiers cover every amount it bounds", ErrBadPolicy, p.Version, t.Name)
		}
	}
	return nil
}

// TierFor returns the tier that governs a withdrawal of amount from wallet.
func (p Policy) TierFor(wallet string, amount int64) (Tier, error) {
	if amount < 0 {
		return Tier{}, fmt.Errorf("%w for a negative amount %d (policy %s)", ErrNoTier, amount, p.Version)
	}
	for _, t := range p.Tiers {
		if (t.Wallet == wallet || t.Wallet == WalletAny) && (t.AmountMax == 0 || amount <= t.AmountMax) {
			return t, nil
		}
	}
	return Tier{}, fmt.Errorf("%w for %d from %q (policy %s)", ErrNoTier, amount, wallet, p.Version)
}

// DefaultPolicy: hot up to 10,000 needs one approver, up to 1,000,000 two,
// anything more three; cold always three; approvals valid for an hour.
func DefaultPolicy() Policy {
	return Policy{Version: "policy-v1", Tiers: []Tier{
		{Name: "hot-small", Wallet: WalletHot, AmountMax: 10_000, Approvers: 1, Expiry: time.Hour},
		{Name: "hot-medium", Wallet: WalletHot, AmountMax: 1_000_000, Approvers: 2, Expiry: time.Hour},
		{Name: "hot-large", Wallet: WalletHot, Approvers: 3, Expiry: time.Hour},
		{Name: "cold", Wallet: WalletCold, Approvers: 3, Expiry: time.Hour},
	}}
}
