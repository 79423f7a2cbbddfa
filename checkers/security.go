package checkers

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"vaultdrill/checkers/history"
)

// The security checkers judge the access gateway, the risk engine, policy
// changes and the audit trail from the observation stream (and, where a
// refusal or a request's parameters matter, the client history) alone;
// docs/security-vocabulary.md fixes every kind, field and rule they read.
// They share no code with system/access, system/risk, system/approval or
// system/audit: the parameter digest is restated here from that page.

// Checker ids of the security invariants.
const (
	CheckOTP    = "INV-OTP"
	CheckStepUp = "INV-STEPUP"
	CheckFrozen = "INV-FROZEN"
	CheckPolicy = "INV-POLICY"
	CheckAudit  = "INV-AUDIT"
	// CheckAttack prefixes the per-attack expectation: Attack's Result
	// carries Checker CheckAttack + ":" + the attack id.
	CheckAttack      = "ATTACK"
	CheckRiskQuality = "RISK-QUALITY"
)

// Observation kinds of the security vocabulary.
const (
	obsUser       = "world.user"
	obsAdmins     = "world.admins"
	obsAttack     = "world.attack"
	obsTruth      = "world.truth"
	obsAudit      = "world.audit"
	obsAuditSinks = "world.audit_sinks"
	obsOTP        = "access.otp"
	obsStepUp     = "access.stepup"
	obsDecision   = "access.decision"
	obsAlert      = "access.alert"
	obsLock       = "access.lock"
	obsScore      = "risk.score"
	obsFreeze     = "risk.freeze"
	obsRelease    = "risk.release"
	obsCase       = "risk.case"
	obsChange     = "policy.change"
	obsAuditHalt  = "audit.halt"
	obsWallet     = "wallet.state"
	obsApply      = "ledger.apply"
)

// Values the vocabulary fixes.
const (
	labelBenign    = "benign"
	byAutomation   = "automation"
	decisionAllow  = "allow"
	decisionDeny   = "deny"
	opWithdraw     = "withdraw"
	opSetting      = "setting"
	opAPIKeyCreate = "apikey-create"
	opAPIKeyRevoke = "apikey-revoke"
	opAPIKeyUse    = "apikey-use"
	opPolicy       = "policy"
)

// sensitiveOps are the ops that need a step-up.
var sensitiveOps = map[string]bool{opWithdraw: true, opSetting: true, opAPIKeyCreate: true, opAPIKeyRevoke: true}

// OpParams is the parameter digest a step-up is bound to, restated from
// the vocabulary page: lowercase hex of sha256("vaultdrill/op/v1" 0x00 op
// 0x00 field1 0x00 field2 ...), the fields in the order the op's row gives
// (withdraw: user, withdrawal id, to, decimal amount).
func OpParams(op string, fields ...string) string {
	h := sha256.New()
	h.Write([]byte("vaultdrill/op/v1"))
	h.Write([]byte{0})
	h.Write([]byte(op))
	for _, f := range fields {
		h.Write([]byte{0})
		h.Write([]byte(f))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// fact is one observation with its index in the stream ("before" between
// facts is stream order, which is true-time order).
type fact struct {
	idx int
	history.Observation
}

func (f fact) get(k string) string { return f.Fields[k] }

func (f fact) ref(key, desc string) OpRef {
	return OpRef{Index: -1, Process: -1, Op: f.Kind, Key: key, Time: f.Time, Desc: desc}
}

// totpUser is a user's TOTP parameters (world.user).
type totpUser struct {
	step   int64 // ns
	window int64 // steps either side
}

// adminSet is world.admins, parsed.
type adminSet struct {
	member   map[string]bool
	quorum   int
	timelock int64 // ns
}

// secFacts is everything the security checkers read, in stream order.
type secFacts struct {
	kinds map[string][]fact
	users map[string]totpUser
	// userErrs: world.user facts that did not parse, in stream order.
	userErrs  []string
	admins    *adminSet
	adminsErr error
}

func readSecurity(in Input) *secFacts {
	s := &secFacts{kinds: map[string][]fact{}, users: map[string]totpUser{}}
	for i, o := range in.Observations {
		f := fact{idx: i, Observation: o}
		s.kinds[o.Kind] = append(s.kinds[o.Kind], f)
		switch o.Kind {
		case obsUser:
			step, err1 := obsInt(o, "totp_step_ms")
			win, err2 := obsInt(o, "totp_window")
			switch {
			case err1 != nil:
				s.userErrs = append(s.userErrs, err1.Error())
			case err2 != nil:
				s.userErrs = append(s.userErrs, err2.Error())
			case step <= 0 || win < 0:
				s.userErrs = append(s.userErrs, fmt.Sprintf("world.user %s: step %d ms, window %d", o.Fields["user"], step, win))
			default:
				s.users[o.Fields["user"]] = totpUser{step: step * int64(time.Millisecond), window: win}
			}
		case obsAdmins:
			a, err := parseAdmins(o)
			s.admins, s.adminsErr = a, err
		}
	}
	return s
}

func parseAdmins(o history.Observation) (*adminSet, error) {
	q, err := obsInt(o, "policy_quorum")
	if err != nil {
		return nil, err
	}
	lock, err := obsInt(o, "timelock_ms")
	if err != nil {
		return nil, err
	}
	a := &adminSet{member: map[string]bool{}, quorum: int(q), timelock: lock * int64(time.Millisecond)}
	for _, h := range splitList(o.Fields["admins"]) {
		a.member[h] = true
	}
	if len(a.member) == 0 || q < 1 || lock < 0 {
		return nil, fmt.Errorf("world.admins: %d admins, quorum %d, time lock %d ms", len(a.member), q, lock)
	}
	return a, nil
}

func (s *secFacts) of(kind string) []fact { return s.kinds[kind] }

// any reports whether any fact of the kinds was observed.
func (s *secFacts) any(kinds ...string) bool {
	for _, k := range kinds {
		if len(s.kinds[k]) > 0 {
			return true
		}
	}
	return false
}

// reserve is a withdrawal reservation: the first ledger.apply with result
// ok under idem wd:ID (later replicas applying the same entry are the same
// effect, not a new one).
type reserve struct {
	fact
	id string
}

func (s *secFacts) reserves() []reserve {
	var out []reserve
	seen := map[string]bool{}
	for _, f := range s.of(obsApply) {
		idem := f.get("idem")
		id, ok := strings.CutPrefix(idem, memoWithdrawal)
		if !ok || id == "" || f.get("result") != "ok" || seen[idem] {
			continue
		}
		seen[idem] = true
		out = append(out, reserve{fact: f, id: id})
	}
	return out
}

// truthLabels maps each world.truth subject to its label: an operation
// labeled other than benign makes its subject non-benign.
func (s *secFacts) truthLabels() map[string]string {
	out := map[string]string{}
	for _, f := range s.of(obsTruth) {
		sub, l := f.get("subject"), f.get("label")
		if cur, ok := out[sub]; !ok || cur == labelBenign {
			out[sub] = l
		}
	}
	return out
}

// splitList splits a comma-separated field, dropping blanks.
func splitList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func hasItem(list, item string) bool {
	for _, p := range splitList(list) {
		if p == item {
			return true
		}
	}
	return false
}

// at renders a stream time for a description.
func nsStr(ns int64) string { return time.Duration(ns).String() }

func floorDiv(a, b int64) int64 {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

// countsOf renders a reason -> count map as "n reason, ..." in key order.
func countsOf(m map[string]int64) string {
	var parts []string
	for _, k := range sortedKeys(m) {
		parts = append(parts, strconv.FormatInt(m[k], 10)+" "+k)
	}
	if len(parts) == 0 {
		return "none"
	}
	return strings.Join(parts, ", ")
}
