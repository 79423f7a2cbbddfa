package scenarios

import (
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"vaultdrill/checkers"
)

// The security layer's expectation kinds (docs/security-vocabulary.md):
// the access invariants and one expectation per rehearsed attack.
func init() {
	expectKinds["otp"] = ExpectKind{Doc: "INV-OTP: a TOTP code is accepted at most once per user and step, within one step of the true time",
		New: simpleExpect("otp", checkers.OTP)}
	expectKinds["stepup"] = ExpectKind{Doc: "INV-STEPUP: withdrawals, setting and API-key changes only with a step-up bound to their parameters, unexpired, used once",
		New: simpleExpect("stepup", checkers.StepUp)}
	expectKinds["policy"] = ExpectKind{Doc: "INV-POLICY: a policy change takes effect only with the quorum of the riskiest operation it enables, after its time lock, other admins alerted",
		New: simpleExpect("policy", checkers.Policy)}
	expectKinds["attack"] = ExpectKind{Doc: "ATTACK:<id>: the attack was tried, answered within bound (alert, freeze or refusal), the parties in notify alerted, and it had no effect (params: attack, bound, notify)",
		New: newAttackExpect}
}

// attackParams are an attack expectation's parameters.
type attackParams struct {
	Attack string        `yaml:"attack"`
	Bound  time.Duration `yaml:"bound"`
	// Notify: who must have been alerted (user, security, admins).
	Notify []string `yaml:"notify"`
}

func newAttackExpect(file string, p *yaml.Node) (Expectation, error) {
	var ap attackParams
	if p.Kind == 0 {
		return nil, fmt.Errorf("%s: attack needs params (attack, bound)", file)
	}
	if err := decodeStrict(file, p, &ap); err != nil {
		return nil, err
	}
	if !checkers.KnownAttack(ap.Attack) {
		return nil, fmt.Errorf("%s:%d: attack %q is not an attack id of DOMAIN.md (known: %s)", file, p.Line, ap.Attack, checkers.AttackIDs())
	}
	if ap.Bound <= 0 {
		return nil, fmt.Errorf("%s:%d: attack %s needs a positive bound", file, p.Line, ap.Attack)
	}
	for _, party := range ap.Notify {
		if party != "user" && party != "security" && party != "admins" {
			return nil, fmt.Errorf("%s:%d: attack %s: notify %q: user, security or admins", file, p.Line, ap.Attack, party)
		}
	}
	name := fmt.Sprintf("attack %s is stopped and answered within %v", ap.Attack, ap.Bound)
	if len(ap.Notify) > 0 {
		name += ", alerting " + strings.Join(ap.Notify, " and ")
	}
	return funcExpect{name: name, fn: func(in checkers.Input) checkers.Result {
		return checkers.Attack(in, ap.Attack, ap.Bound, ap.Notify...)
	}}, nil
}
