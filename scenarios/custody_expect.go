package scenarios

import (
	"fmt"
	"time"

	"gopkg.in/yaml.v3"

	"vaultdrill/checkers"
	"vaultdrill/checkers/history"
)

// The custody pipeline's expectation kinds (docs/custody-vocabulary.md).
func init() {
	for k, v := range map[string]ExpectKind{
		"once":              {Doc: "INV-ONCE: no withdrawal is paid twice on chain", New: simpleExpect("once", checkers.Once)},
		"outflow":           {Doc: "INV-OUTFLOW: every custody outflow maps to a withdrawal, sweep or refill", New: simpleExpect("outflow", checkers.Outflow)},
		"quorum":            {Doc: "INV-QUORUM: every paid withdrawal had the policy's approvers, distinct humans on distinct devices, never the initiator", New: simpleExpect("quorum", checkers.Quorum)},
		"wysiwys":           {Doc: "INV-WYSIWYS: what was approved is what was signed and paid", New: simpleExpect("wysiwys", checkers.WYSIWYS)},
		"cold":              {Doc: "INV-COLD: after each sweep window cold holds at least 90% and hot at most its cap", New: simpleExpect("cold", checkers.Cold)},
		"velocity":          {Doc: "INV-VELOCITY: withdrawals per velocity window stay within the limit", New: simpleExpect("velocity", checkers.Velocity)},
		"deposit":           {Doc: "INV-DEPOSIT: deposits are credited only at the required confirmations", New: simpleExpect("deposit", checkers.Deposit)},
		"airgap":            {Doc: "INV-AIRGAP: cold signers receive nothing but the courier's deliveries", New: simpleExpect("airgap", func(in checkers.Input) checkers.Result { return checkers.Airgap(in, string(courierNode)) })},
		"sanctions":         {Doc: "INV-SANCTIONS: no funds to, and no credit from, an address on the sanctions list in force", New: simpleExpect("sanctions", checkers.Sanctions)},
		"custody-conserve":  {Doc: "INV-CONSERVE: at the end, user and house balances equal the custody addresses' chain holdings", New: simpleExpect("custody-conserve", checkers.CustodyConserve)},
		"custody-nonneg":    {Doc: "INV-NONNEG: no ledger balance is ever negative", New: simpleExpect("custody-nonneg", checkers.CustodyNonNeg)},
		"withdraw-liveness": {Doc: "LIVENESS-WITHDRAW: every withdrawal completes or fails explicitly within bound after faults heal (params: bound)", New: newWithdrawLiveExpect},
	} { // determinism: allowed (registration into a map)
		expectKinds[k] = v
	}
}

func newWithdrawLiveExpect(file string, p *yaml.Node) (Expectation, error) {
	tp := thresholdParams{Bound: 8 * time.Hour}
	if p.Kind != 0 {
		if err := decodeStrict(file, p, &tp); err != nil {
			return nil, err
		}
	}
	if tp.Bound <= 0 {
		return nil, fmt.Errorf("%s:%d: withdraw-liveness needs a positive bound", file, p.Line)
	}
	return funcExpect{name: fmt.Sprintf("withdrawals complete within %v after faults heal", tp.Bound),
		fn: func(in checkers.Input) checkers.Result {
			return checkers.WithdrawLiveness(in, lastHeal(in), tp.Bound)
		}}, nil
}

// lastHeal is the time of the last fault line in the history (the nemesis
// records each applied fault): liveness bounds count from there.
func lastHeal(in checkers.Input) int64 {
	var t int64
	for _, e := range in.History {
		if e.Kind == history.Fault && e.Time > t {
			t = e.Time
		}
	}
	return t
}
