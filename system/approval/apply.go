package approval

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseQuorumValue splits a quorum change's value "TIER=N".
func ParseQuorumValue(v string) (tier string, n int, err error) {
	tier, num, ok := strings.Cut(v, "=")
	if ok {
		n, err = strconv.Atoi(num)
	}
	if !ok || err != nil || tier == "" || n < 1 {
		return "", 0, fmt.Errorf("%w: quorum change %q (want TIER=N, N >= 1)", ErrBadPolicy, v)
	}
	return tier, n, nil
}

// CheckChange says whether c is well formed against policy p: a quorum
// change names a tier of p and yields a policy that still validates (a
// larger tier may not ask fewer approvers than a smaller one); a whitelist
// change names an address; a limit change is a non-negative integer.
func CheckChange(p Policy, c Change) error {
	if c.ID == "" || strings.ContainsAny(c.ID, " \t\n,") {
		return fmt.Errorf("%w: change id %q", ErrBadPolicy, c.ID)
	}
	switch c.Kind {
	case ChangeQuorum:
		_, err := ApplyQuorum(p, c)
		return err
	case ChangeWhitelist:
		if c.Value == "" || strings.ContainsAny(c.Value, " \t\n,") {
			return fmt.Errorf("%w: whitelist address %q", ErrBadPolicy, c.Value)
		}
		return nil
	case ChangeLimit:
		// 0 would mean "no velocity limit" to the wallets: a policy
		// change never removes the limit
		if n, err := strconv.ParseInt(c.Value, 10, 64); err != nil || n < 1 {
			return fmt.Errorf("%w: limit %q (want a positive integer: a change never removes the limit)", ErrBadPolicy, c.Value)
		}
		return nil
	}
	return fmt.Errorf("%w: change kind %q (quorum, whitelist, limit)", ErrBadPolicy, c.Kind)
}

// ApplyQuorum returns p with c's tier asking c's number of approvers,
// under a new version (the old one with "+" and the change id), so an
// approval given under the old tiers never counts under the new ones.
func ApplyQuorum(p Policy, c Change) (Policy, error) {
	if c.Kind != ChangeQuorum {
		return p, fmt.Errorf("%w: change %s is a %s change, not a quorum change", ErrBadPolicy, c.ID, c.Kind)
	}
	tier, n, err := ParseQuorumValue(c.Value)
	if err != nil {
		return p, err
	}
	q := Policy{Version: p.Version + "+" + c.ID, Tiers: append([]Tier(nil), p.Tiers...)}
	found := false
	for i := range q.Tiers {
		if q.Tiers[i].Name == tier {
			q.Tiers[i].Approvers, found = n, true
		}
	}
	if !found {
		return p, fmt.Errorf("%w: quorum change %s names no tier %q of policy %s", ErrBadPolicy, c.ID, tier, p.Version)
	}
	if err := q.Validate(); err != nil {
		return p, err
	}
	return q, nil
}

// Policy is the policy the Governor judges changes against.
func (g *Governor) Policy() Policy { return g.policy }

// SetPolicy replaces the policy the Governor judges later changes against
// (after a quorum change took effect): a proposal's required quorum is
// fixed when it is proposed.
func (g *Governor) SetPolicy(p Policy) { g.policy = p }

// Changes returns every change's progress, in proposal order.
func (g *Governor) Changes() []ChangeStatus {
	out := make([]ChangeStatus, 0, len(g.order))
	for _, id := range g.order {
		s := *g.changes[id]
		s.Approvers = append([]string(nil), s.Approvers...)
		out = append(out, s)
	}
	return out
}
