package access

import (
	"crypto/sha256"
	"encoding/hex"
	"slices"
	"strconv"
	"strings"
)

// Op is an operation of docs/security-vocabulary.md (plus OpRead, what a
// read-only API key is for).
type Op string

const (
	OpLogin        Op = "login"         // params: user, device
	OpWithdraw     Op = "withdraw"      // params: user, withdrawal id, to, amount
	OpSetting      Op = "setting"       // params: user, setting name, new value
	OpAPIKeyCreate Op = "apikey-create" // params: user, key id, scopes (comma-separated, sorted)
	OpAPIKeyRevoke Op = "apikey-revoke" // params: user, key id, scopes
	OpAPIKeyUse    Op = "apikey-use"    // params: key id, op the key is used for
	OpPolicy       Op = "policy"        // params: change id, kind, new value
	OpRead         Op = "read"          // params: user, what
)

// Sensitive reports whether the op needs a step-up whatever the session.
func (o Op) Sensitive() bool {
	switch o {
	case OpWithdraw, OpSetting, OpAPIKeyCreate, OpAPIKeyRevoke:
		return true
	}
	return false
}

// Scope is a right a user holds and an API key may carry.
type Scope string

const (
	ScopeRead         Scope = "read"
	ScopeWithdraw     Scope = "withdraw"
	ScopeAPIKeyManage Scope = "apikey-manage"
	ScopeSetting      Scope = "setting" // users only: no API key changes settings
	ScopePolicy       Scope = "policy"  // users only (admins)
)

// DefaultScopes are a registered user's rights when none are given.
var DefaultScopes = []Scope{ScopeAPIKeyManage, ScopeRead, ScopeSetting, ScopeWithdraw}

// keyScopes are the scopes an API key may carry.
var keyScopes = []Scope{ScopeAPIKeyManage, ScopeRead, ScopeWithdraw}

// opTable says, per client op, its parameter count, the scope it needs,
// and the parameter naming its subject.
var opTable = map[Op]struct {
	params  int
	scope   Scope
	subject int
}{
	OpWithdraw:     {4, ScopeWithdraw, 1},
	OpSetting:      {3, ScopeSetting, 1},
	OpAPIKeyCreate: {3, ScopeAPIKeyManage, 1},
	OpAPIKeyRevoke: {3, ScopeAPIKeyManage, 1},
	OpPolicy:       {3, ScopePolicy, 0},
	OpRead:         {2, ScopeRead, 1},
}

// Settings the gateway itself acts on when a setting op is allowed.
const (
	SettingDevice       = "device"        // value: a device fingerprint to register
	SettingPhone        = "phone"         // a second-factor change: later withdrawals are held (sim-swap)
	SettingSecondFactor = "second-factor" // likewise
)

// ParamsDigest is the vocabulary's params: the lowercase hex of
// sha256("vaultdrill/op/v1" 0x00 op 0x00 field1 0x00 field2 ...).
func ParamsDigest(op Op, fields ...string) string {
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

// FormatScopes is the canonical scopes parameter: sorted, deduplicated,
// comma-separated.
func FormatScopes(s []Scope) string {
	c := slices.Clone(s)
	slices.Sort(c)
	c = slices.Compact(c)
	parts := make([]string, len(c))
	for i, x := range c {
		parts[i] = string(x)
	}
	return strings.Join(parts, ",")
}

// ParseKeyScopes parses an API key's scopes as FormatScopes writes them
// (sorted, comma-separated, each a key scope).
func ParseKeyScopes(p string) ([]Scope, bool) {
	if p == "" {
		return nil, false
	}
	var out []Scope
	for _, s := range strings.Split(p, ",") {
		if !slices.Contains(keyScopes, Scope(s)) {
			return nil, false
		}
		out = append(out, Scope(s))
	}
	return out, FormatScopes(out) == p
}

// checkParams validates a client op's parameters; user is the principal,
// and every user-owned op must name it first. It returns the subject.
func checkParams(op Op, user string, params []string) (string, bool) {
	row, ok := opTable[op]
	if !ok || len(params) != row.params {
		return "", false
	}
	for _, p := range params {
		if strings.IndexByte(p, 0) >= 0 {
			return "", false
		}
	}
	if op != OpPolicy && params[0] != user {
		return "", false
	}
	switch op {
	case OpWithdraw:
		if n, err := strconv.ParseInt(params[3], 10, 64); err != nil || n < 1 || strconv.FormatInt(n, 10) != params[3] ||
			!validID(params[1]) || params[2] == "" {
			return "", false
		}
	case OpAPIKeyCreate, OpAPIKeyRevoke:
		if _, ok := ParseKeyScopes(params[2]); !ok || !validID(params[1]) {
			return "", false
		}
	case OpSetting, OpPolicy:
		if !validID(params[row.subject]) {
			return "", false
		}
	}
	return params[row.subject], true
}

// validID accepts the identifiers the gateway keys its state by: 1 to 128
// characters of [A-Za-z0-9._@-], so ':' and '|' can separate them in
// once-keys, tokens and challenge ids.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 128 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '_' || c == '@' || c == '-') {
			return false
		}
	}
	return true
}
