package access

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"vaultdrill/system/env"
)

// Gateway is the zero-trust gateway of one wallet node: a plain value owned
// by one caller, which gives it the node's clock on every call.
type Gateway struct {
	cfg          Config
	stepSec      int64
	epochCounter int64

	users    map[string]*user   // bounded by UsersMax; registration beyond is refused
	keys     map[string]*apiKey // bounded by KeysMax, revoked keys included
	ips      *lru[*ipState]     // bounded by IPsMax, least recently touched forgotten
	usedChal *lru[bool]         // bounded by ChallengesUsedMax; the ledger's once-keys outlive it
	chalSeq  uint64             // challenges issued by this gateway incarnation

	// clockOff: how far the node's clock was last found off trusted time
	// (NoteClock); clockBad: beyond ClockTolerance, so no code is judged
	clockOff time.Duration
	clockBad bool
}

// usedStepsMax bounds the TOTP steps remembered per user: accepted steps
// lie within one of the clock's step, so the last 16 cover minutes; older
// ones are refused by their once-keys in the ledger.
const usedStepsMax = 16

type user struct {
	id       string
	secret   []byte
	key32    string   // secret in base32, as the TOTP library takes it
	devices  []string // sorted, at most DevicesMax
	pin      [32]byte
	scopes   []Scope
	pinFails int
	otpFails int
	pinUntil time.Time
	otpUntil time.Time
	used     []int64 // TOTP steps used or reserved, oldest first, at most usedStepsMax

	lastGeo Point // where the last allowed login came from, and when
	lastAt  time.Time

	factorAt  time.Time // the last second-factor change, if factorSet
	factorSet bool

	rate        window
	rateAlertAt time.Time

	keysUntil time.Time // the user's API keys are locked until then
	verify    bool      // and wait for a secondary verification
	// keysLockedAt: when the last API-key lock was taken (here);
	// verifiedAt: the last secondary verification (here or shared)
	keysLockedAt, verifiedAt time.Time
	liveKeys                 int
}

type apiKey struct {
	id, user string
	scopes   []Scope
	revoked  bool
	rate     window
}

type ipState struct {
	fails        []ipFail // distinct users, oldest first, at most StuffingUsers
	blockedUntil time.Time
}

type ipFail struct {
	user string
	at   time.Time
}

// New builds a gateway; cfg is completed with WithDefaults and must
// validate.
func New(cfg Config) (*Gateway, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	cfg.Key = slices.Clone(cfg.Key)
	s := int64(cfg.TOTPStep / time.Second)
	return &Gateway{cfg: cfg, stepSec: s, epochCounter: epochCounterOf(s),
		users: map[string]*user{}, keys: map[string]*apiKey{},
		ips: newLRU[*ipState](cfg.IPsMax), usedChal: newLRU[bool](cfg.ChallengesUsedMax)}, nil
}

// Config is the gateway's configuration, defaults filled in.
func (g *Gateway) Config() Config { return g.cfg }

// UserSpec registers a user.
type UserSpec struct {
	ID      string
	Secret  []byte   // the TOTP key, 10 to 64 bytes
	Devices []string // registered device fingerprints
	Home    Point
	PIN     string  // 4 to 64 bytes
	Scopes  []Scope // the user's rights; nil: DefaultScopes
}

// AddUser registers a user (at most UsersMax).
func (g *Gateway) AddUser(s UserSpec) error {
	switch {
	case !validID(s.ID):
		return fmt.Errorf("%w: user id %q", ErrMalformed, s.ID)
	case g.users[s.ID] != nil:
		return fmt.Errorf("%w: user %s", ErrExists, s.ID)
	case len(g.users) >= g.cfg.UsersMax:
		return fmt.Errorf("%w: %d users", ErrBound, len(g.users))
	case len(s.Secret) < 10 || len(s.Secret) > 64:
		return fmt.Errorf("%w: user %s: a %d-byte TOTP secret", ErrMalformed, s.ID, len(s.Secret))
	case len(s.PIN) < 4 || len(s.PIN) > 64:
		return fmt.Errorf("%w: user %s: PIN length", ErrMalformed, s.ID)
	case !s.Home.Valid():
		return fmt.Errorf("%w: user %s: home", ErrMalformed, s.ID)
	case len(s.Devices) > g.cfg.DevicesMax:
		return fmt.Errorf("%w: user %s: %d devices", ErrBound, s.ID, len(s.Devices))
	}
	devs := slices.Clone(s.Devices)
	slices.Sort(devs)
	devs = slices.Compact(devs)
	for _, d := range devs {
		if !validID(d) {
			return fmt.Errorf("%w: user %s: device %q", ErrMalformed, s.ID, d)
		}
	}
	scopes := slices.Clone(s.Scopes)
	if scopes == nil {
		scopes = slices.Clone(DefaultScopes)
	}
	u := &user{id: s.ID, secret: slices.Clone(s.Secret), key32: base32.StdEncoding.EncodeToString(s.Secret), devices: devs, pin: pinHash(s.ID, s.PIN), scopes: scopes}
	if s.Home.Known {
		// a first login is judged against home; lastAt stays zero, so
		// no speed since then is impossible
		u.lastGeo = s.Home
	}
	g.users[s.ID] = u
	return nil
}

func pinHash(user, pin string) [32]byte {
	return sha256.Sum256([]byte("vaultdrill/pin/v1\x00" + user + "\x00" + pin))
}

// AddDevice registers a device for a user (a setting applied elsewhere,
// or replicated from another gateway).
func (g *Gateway) AddDevice(userID, device string) error {
	u := g.users[userID]
	switch {
	case u == nil:
		return fmt.Errorf("%w: user %s", ErrUnknown, userID)
	case !validID(device):
		return fmt.Errorf("%w: device %q", ErrMalformed, device)
	case slices.Contains(u.devices, device):
		return nil
	case len(u.devices) >= g.cfg.DevicesMax:
		return fmt.Errorf("%w: user %s: %d devices", ErrBound, userID, len(u.devices))
	}
	u.devices = append(u.devices, device)
	slices.Sort(u.devices)
	return nil
}

// NoteFactorChange records that a user's phone number or second factor
// changed at now (told by the wallet, e.g. from a carrier or support
// desk): withdrawals within SIMSwapWindow are held.
func (g *Gateway) NoteFactorChange(now time.Time, userID string) error {
	u := g.users[userID]
	if u == nil {
		return fmt.Errorf("%w: user %s", ErrUnknown, userID)
	}
	if !u.factorSet || now.After(u.factorAt) {
		u.factorAt, u.factorSet = now, true
	}
	return nil
}

// KeySpec registers an API key.
type KeySpec struct {
	ID, User string
	Scopes   []Scope
}

// AddAPIKey registers a key (at start, or replicated from the gateway that
// allowed its apikey-create) and returns its token.
func (g *Gateway) AddAPIKey(k KeySpec) (string, error) {
	u := g.users[k.User]
	scopes, ok := ParseKeyScopes(FormatScopes(k.Scopes))
	switch {
	case u == nil:
		return "", fmt.Errorf("%w: user %s", ErrUnknown, k.User)
	case !validID(k.ID) || !ok:
		return "", fmt.Errorf("%w: key %q scopes %v", ErrMalformed, k.ID, k.Scopes)
	case g.keys[k.ID] != nil:
		return "", fmt.Errorf("%w: key %s", ErrExists, k.ID)
	case len(g.keys) >= g.cfg.KeysMax || u.liveKeys >= g.cfg.KeysPerUserMax:
		return "", fmt.Errorf("%w: keys", ErrBound)
	}
	g.keys[k.ID] = &apiKey{id: k.ID, user: k.User, scopes: scopes}
	u.liveKeys++
	return g.keyToken(k.ID, k.User), nil
}

// RevokeAPIKey revokes a key for good (revoked keys stay known, so their
// use is refused as revoked).
func (g *Gateway) RevokeAPIKey(id string) error {
	k := g.keys[id]
	if k == nil {
		return fmt.Errorf("%w: key %s", ErrUnknown, id)
	}
	return g.revoke(k)
}

// TombstoneAPIKey revokes a key this gateway may not know yet (a
// revocation shared by another gateway, arriving before the key's
// creation, or replayed): the id stays revoked, and a later AddAPIKey of
// it is refused as existing.
func (g *Gateway) TombstoneAPIKey(id string) error {
	if k := g.keys[id]; k != nil {
		return g.revoke(k)
	}
	if !validID(id) || len(g.keys) >= g.cfg.KeysMax {
		return fmt.Errorf("%w: key %q", ErrBound, id)
	}
	g.keys[id] = &apiKey{id: id, revoked: true}
	return nil
}

func (g *Gateway) revoke(k *apiKey) error {
	if !k.revoked {
		k.revoked = true
		if u := g.users[k.user]; u != nil {
			u.liveKeys--
		}
	}
	return nil
}

// mac is the gateway MAC of parts, hex, 128 bits.
func (g *Gateway) mac(parts ...string) string { return macUnder(g.cfg.Key, parts...) }

func macUnder(key []byte, parts ...string) string {
	h := hmac.New(sha256.New, key)
	h.Write([]byte("vaultdrill/access/v1"))
	for _, p := range parts {
		h.Write([]byte{0})
		h.Write([]byte(p))
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}

func (g *Gateway) keyToken(id, userID string) string { return KeyToken(g.cfg.Key, id, userID) }

// KeyToken is the token of API key id of user under a deployment's
// Config.Key, as AddAPIKey returns it: what the key's holder presents.
func KeyToken(key []byte, id, userID string) string {
	return "k1|" + id + "|" + macUnder(key, "apikey", id, userID)
}

// session tokens are s1|user|device|expires-ns|mac: any gateway holding
// the deployment's key checks them without shared state.
func (g *Gateway) sessionToken(userID, device string, expires time.Time) string {
	e := ns(expires)
	return "s1|" + userID + "|" + device + "|" + e + "|" + g.mac("session", userID, device, e)
}

// checkSession reports whether tok is a live session of user on device.
func (g *Gateway) checkSession(now time.Time, tok, userID, device string) bool {
	p := strings.Split(tok, "|")
	if len(p) != 5 || p[0] != "s1" || p[1] != userID || p[2] != device {
		return false
	}
	e, err := strconv.ParseInt(p[3], 10, 64)
	if err != nil || !hmac.Equal([]byte(p[4]), []byte(g.mac("session", p[1], p[2], p[3]))) {
		return false
	}
	return now.Before(env.Epoch.Add(time.Duration(e)))
}

// window is a rolling window of admitted request times, oldest first,
// holding at most the limit's count.
type window struct{ at []time.Time }

// admit admits a request at now if fewer than max were admitted within
// span before it.
func (w *window) admit(now time.Time, span time.Duration, max int) bool {
	i := 0
	for i < len(w.at) && !w.at[i].After(now.Add(-span)) {
		i++
	}
	w.at = slices.Delete(w.at, 0, i)
	if len(w.at) >= max {
		return false
	}
	w.at = append(w.at, now)
	return true
}
