package hsm

import (
	"io"
	"strconv"
	"time"

	"vaultdrill/system/env"
)

// Defaults for the zero fields of Config, and PIN bounds.
const (
	DefaultSessionsMax    = 4
	DefaultPINAttemptsMax = 3
	DefaultJournalMax     = 128
	PINLenMin             = 4
	PINLenMax             = 64
)

// Config sizes one HSM.
type Config struct {
	// SessionsMax bounds open sessions; one more is refused with
	// CKR_DEVICE_MEMORY (default 4).
	SessionsMax int
	// PINAttemptsMax consecutive wrong PINs lock that PIN (user or SO;
	// default 3).
	PINAttemptsMax int
	// JournalMax is how many recent token operations Reconcile can always
	// answer for (default 128; the journal holds up to twice that).
	JournalMax int
}

func (c Config) withDefaults() Config {
	if c.SessionsMax <= 0 {
		c.SessionsMax = DefaultSessionsMax
	}
	if c.PINAttemptsMax <= 0 {
		c.PINAttemptsMax = DefaultPINAttemptsMax
	}
	if c.PINAttemptsMax > 255 {
		c.PINAttemptsMax = 255
	}
	if c.JournalMax <= 0 {
		c.JournalMax = DefaultJournalMax
	}
	return c
}

// Fixed virtual CPU costs, charged with e.Charge; never measured.
const (
	CostCall    = 20 * time.Microsecond  // every call that reaches the device (plus a slow fault's latency)
	CostSync    = 1 * time.Millisecond   // every Sync of secure storage
	CostLogin   = 2 * time.Millisecond   // a PIN check (deliberately slow, as in hardware)
	CostKeyGen  = 10 * time.Millisecond  // InitToken: master key generation
	CostSeal    = 200 * time.Microsecond // one AES-256-GCM seal
	CostUnseal  = 200 * time.Microsecond // one AES-256-GCM unseal
	CostZeroize = 1 * time.Millisecond   // a tamper response (its Sync is extra)
)

// Observation kinds this package emits. No field ever holds key material,
// a PIN or plaintext.
const (
	ObsOp            = "hsm.op"             // every call: op, op_id, rv, session, label
	ObsUnseal        = "hsm.unseal"         // a blob was decrypted: label, session, op_id
	ObsExportRefused = "hsm.export_refused" // an export attempt: op, op_id, session, label
	ObsPINFail       = "hsm.pin_fail"       // a wrong PIN counted: user (user|so), count
	ObsLocked        = "hsm.locked"         // a PIN locked: user
	ObsPINReset      = "hsm.pin_reset"      // the SO reset (and unlocked) the user PIN
	ObsTruth         = "hsm.truth"          // what a CKR_GENERAL_ERROR really did: op, op_id, happened, rv (empty unless happened), label
	ObsReconcile     = "hsm.reconcile"      // a Reconcile answer: op_id, known, happened
	ObsZeroize       = "hsm.zeroize"        // tamper response: tamper_count, generation
	ObsFault         = "hsm.fault"          // a fault applied: kind, fault (its text form)
	ObsInit          = "hsm.init"           // a token initialised: generation
	ObsOpen          = "hsm.open"           // the HSM loaded at node start: boot, initialized, generation, tamper_count, torn_bytes, failed
)

// Session is a session handle. Handles are never reused, across restarts
// included (the boot counter is in the high 32 bits).
type Session uint64

type role uint8

const (
	roleNone role = iota
	roleUser
	roleSO
)

func (r role) String() string {
	if r == roleSO {
		return "so"
	}
	return "user"
}

type session struct {
	handle Session
	role   role
}

// opKind names an operation. Token operations (journaled) take an opID.
type opKind uint8

const (
	opInitToken opKind = iota + 1
	opLogin
	opLoginSO
	opInitPIN
	opSeal
	opUnseal
	opExportKey
	opWrapKeyOut
	opOpenSession
	opCloseSession
	opLogout
	opReconcile
	opTokenInfo
)

func (o opKind) String() string {
	switch o {
	case opInitToken:
		return "init_token"
	case opLogin:
		return "login"
	case opLoginSO:
		return "login_so"
	case opInitPIN:
		return "init_pin"
	case opSeal:
		return "seal"
	case opUnseal:
		return "unseal"
	case opExportKey:
		return "export_key"
	case opWrapKeyOut:
		return "wrap_key_out"
	case opOpenSession:
		return "open_session"
	case opCloseSession:
		return "close_session"
	case opLogout:
		return "logout"
	case opReconcile:
		return "reconcile"
	case opTokenInfo:
		return "token_info"
	}
	return "op_" + strconv.Itoa(int(o))
}

func (o opKind) journaled() bool { return o >= opInitToken && o <= opWrapKeyOut }

// needsToken: calls made on the slot rather than a session answer
// CKR_TOKEN_NOT_PRESENT while the device is unavailable.
func (o opKind) needsToken() bool {
	return o == opInitToken || o == opOpenSession || o == opTokenInfo
}

// HSM is one emulated device, owned by the signer node that hosts it. All
// methods take that node's env for the current step; none keeps it.
type HSM struct {
	cfg      Config
	dev      device
	tok      token
	keys     *keys // nil unless initialised
	jr       journal
	sessions []session
	// nextSession numbers this boot's sessions.
	nextSession uint32
	// failed names storage that did not decode: every call then answers
	// CKR_DEVICE_ERROR until a zeroization rewrites it.
	failed string
}

// Open loads the HSM from its storage on the node's Disk; a signer calls it
// on every InputStart (a fresh start or a restart after a crash: a power
// cycle for the device). A fresh disk gives an uninitialised token.
func Open(e env.Env, cfg Config) *HSM {
	cfg = cfg.withDefaults()
	l := load(e.Disk())
	h := &HSM{cfg: cfg, dev: l.dev, tok: l.tok, jr: journal{header: l.header, entries: l.entries}, failed: l.failed}
	if h.failed == "" && h.tok.initialized {
		k, err := deriveKeys(h.tok.master[:])
		if err != nil {
			h.failed = fileToken
		}
		h.keys = k
	}
	h.dev.boot++
	h.saveDevice(e)
	e.Observe(env.ObserveKV(ObsOpen,
		"boot", strconv.FormatUint(h.dev.boot, 10),
		"initialized", strconv.FormatBool(h.tok.initialized),
		"generation", strconv.FormatUint(uint64(h.jr.header.generation), 10),
		"tamper_count", strconv.FormatUint(uint64(h.jr.header.tamperCount), 10),
		"torn_bytes", strconv.Itoa(l.tornBytes),
		"failed", h.failed))
	return h
}

// TokenInfo is the token's public state (C_GetTokenInfo's flags, roughly).
type TokenInfo struct {
	Initialized     bool
	Generation      uint32 // InitToken calls so far
	TamperCount     uint32 // zeroizations so far (the tamper latch)
	UserPINLocked   bool
	UserPINFailures int
	SOPINLocked     bool
	SOPINFailures   int
	Sessions        int
	SessionsMax     int
}

// TokenInfo reports the token's state. It is a device call: faults apply.
func (h *HSM) TokenInfo(e env.Env) (TokenInfo, error) {
	var info TokenInfo
	rv := h.plain(e, call{op: opTokenInfo}, func() RV {
		info = TokenInfo{
			Initialized:     h.tok.initialized,
			Generation:      h.jr.header.generation,
			TamperCount:     h.jr.header.tamperCount,
			UserPINLocked:   h.tok.userLocked,
			UserPINFailures: int(h.tok.userFails),
			SOPINLocked:     h.tok.soLocked,
			SOPINFailures:   int(h.tok.soFails),
			Sessions:        len(h.sessions),
			SessionsMax:     h.cfg.SessionsMax,
		}
		return CKR_OK
	})
	return info, rvErr(opTokenInfo, 0, rv)
}

// call is one call's identity, for the gate and the observations.
type call struct {
	op    opKind
	opID  uint64
	s     Session
	label string
}

// result is what a token operation's body produced.
type result struct {
	rv    RV
	blob  []byte // Seal
	plain []byte // Unseal
}

// gate applies the device-level faults every call meets first.
func (h *HSM) gate(e env.Env, op opKind) RV {
	switch {
	case h.dev.unavailable && op.needsToken():
		return CKR_TOKEN_NOT_PRESENT
	case h.dev.unavailable:
		return CKR_DEVICE_REMOVED
	case h.failed != "":
		return CKR_DEVICE_ERROR
	case h.dev.deviceErrors > 0:
		h.dev.deviceErrors--
		h.saveDevice(e)
		return CKR_DEVICE_ERROR
	}
	return CKR_OK
}

// plain runs a session-management call: no opID, not journaled, not
// subject to the general-error or removed-mid-op faults.
func (h *HSM) plain(e env.Env, c call, body func() RV) RV {
	e.Charge(CostCall + h.dev.slow)
	rv := h.gate(e, c.op)
	if rv == CKR_OK {
		rv = body()
	}
	h.observeOp(e, c, rv)
	return rv
}

// run runs a token operation: gate, opID check, the one-shot faults, the
// body, the journal record, one Sync, the observation.
func (h *HSM) run(e env.Env, c call, body func() result) result {
	e.Charge(CostCall + h.dev.slow)
	r := h.dispatch(e, c, body)
	h.observeOp(e, c, r.rv)
	return r
}

func (h *HSM) dispatch(e env.Env, c call, body func() result) result {
	if rv := h.gate(e, c.op); rv != CKR_OK {
		return result{rv: rv}
	}
	// A reused opID the journal still holds is refused: the one case where
	// the HSM itself can stop a blind retry.
	if c.opID == 0 || h.jr.find(c.opID) != nil || len(c.label) > LabelMax {
		return result{rv: CKR_ARGUMENTS_BAD}
	}
	if h.dev.removedArmed && (c.op == opSeal || c.op == opUnseal) {
		h.dev.removedArmed = false
		h.closeAll()
		h.saveDevice(e)
		return result{rv: CKR_DEVICE_REMOVED}
	}
	if h.dev.generalArmed {
		h.dev.generalArmed = false
		h.saveDevice(e)
		happened := h.coin(e)
		var real result
		if happened {
			real = body()
		}
		en := entry{opID: c.opID, op: c.op, happened: happened, rv: real.rv, session: c.s, label: c.label}
		if happened && c.op == opSeal && real.rv == CKR_OK {
			en.blob = real.blob // the caller never gets it: Reconcile will
		}
		clear(real.plain)
		h.jr.add(e.Disk(), en, h.cfg.JournalMax)
		h.sync(e)
		rv := "" // it did not run: it has no result
		if happened {
			rv = real.rv.String()
		}
		e.Observe(env.ObserveKV(ObsTruth,
			"op", c.op.String(), "op_id", strconv.FormatUint(c.opID, 10),
			"happened", strconv.FormatBool(happened), "rv", rv, "label", c.label))
		return result{rv: CKR_GENERAL_ERROR}
	}
	r := body()
	h.jr.add(e.Disk(), entry{opID: c.opID, op: c.op, happened: true, rv: r.rv, session: c.s, label: c.label}, h.cfg.JournalMax)
	h.sync(e)
	return r
}

func (h *HSM) observeOp(e env.Env, c call, rv RV) {
	e.Observe(env.ObserveKV(ObsOp,
		"op", c.op.String(), "op_id", strconv.FormatUint(c.opID, 10), "rv", rv.String(),
		"session", strconv.FormatUint(uint64(c.s), 10), "label", c.label))
}

// coin decides a general error's truth from the entropy reader.
func (h *HSM) coin(e env.Env) bool {
	var b [1]byte
	if _, err := io.ReadFull(e.Entropy(), b[:]); err != nil {
		return false
	}
	return b[0]&1 == 1
}

func (h *HSM) sync(e env.Env) {
	e.Disk().Sync()
	e.Charge(CostSync)
}

func (h *HSM) saveToken(e env.Env) {
	e.Disk().Write(fileToken, env.Record(h.tok.encode()))
}

// saveDevice persists the device condition at once: it models hardware,
// so a restart must not undo an injected fault nor revive a consumed one.
// Bookkeeping, not work: no cost is charged.
func (h *HSM) saveDevice(e env.Env) {
	e.Disk().Write(fileDevice, env.Record(h.dev.encode()))
	e.Disk().Sync()
}

func (h *HSM) session(s Session) *session {
	for i := range h.sessions {
		if h.sessions[i].handle == s {
			return &h.sessions[i]
		}
	}
	return nil
}

func (h *HSM) closeAll() { h.sessions = h.sessions[:0] }

// InitToken initialises an uninitialised (fresh or zeroized) token: it
// generates the master key and the PIN salt from e.Entropy() and sets both
// PINs. An initialised token refuses with CKR_FUNCTION_FAILED: the only
// way to destroy a key is a zeroization.
func (h *HSM) InitToken(e env.Env, opID uint64, soPIN, userPIN string) error {
	r := h.run(e, call{op: opInitToken, opID: opID}, func() result {
		if h.tok.initialized {
			return result{rv: CKR_FUNCTION_FAILED}
		}
		if !validPIN(soPIN) || !validPIN(userPIN) {
			return result{rv: CKR_ARGUMENTS_BAD}
		}
		var fresh [masterKeySize + 16]byte
		if _, err := io.ReadFull(e.Entropy(), fresh[:]); err != nil {
			return result{rv: CKR_FUNCTION_FAILED}
		}
		defer clear(fresh[:])
		e.Charge(CostKeyGen)
		k, err := deriveKeys(fresh[:masterKeySize])
		if err != nil {
			return result{rv: CKR_FUNCTION_FAILED}
		}
		t := token{initialized: true}
		copy(t.master[:], fresh[:masterKeySize])
		copy(t.pinSalt[:], fresh[masterKeySize:])
		t.soHash = pinHash(t.pinSalt, roleSO, soPIN)
		t.userHash = pinHash(t.pinSalt, roleUser, userPIN)
		h.tok, h.keys = t, k
		h.jr.header.generation++
		h.jr.rewrite(e.Disk())
		h.saveToken(e)
		e.Observe(env.ObserveKV(ObsInit, "generation", strconv.FormatUint(uint64(h.jr.header.generation), 10)))
		return result{rv: CKR_OK}
	})
	return rvErr(opInitToken, opID, r.rv)
}

// Seal encrypts plaintext under the master key with label as additional
// data and returns the blob (layout in doc.go) for the caller to store.
// Needs a user login. The blob is safe anywhere; only this HSM opens it.
func (h *HSM) Seal(e env.Env, s Session, opID uint64, label string, plaintext []byte) ([]byte, error) {
	r := h.run(e, call{op: opSeal, opID: opID, s: s, label: label}, func() result {
		if rv := h.userSession(s); rv != CKR_OK {
			return result{rv: rv}
		}
		if len(plaintext) > PlaintextMax {
			return result{rv: CKR_ARGUMENTS_BAD}
		}
		var fresh [nonceEntropy]byte
		if _, err := io.ReadFull(e.Entropy(), fresh[:]); err != nil {
			return result{rv: CKR_FUNCTION_FAILED}
		}
		e.Charge(CostSeal)
		return result{rv: CKR_OK, blob: h.keys.seal(fresh[:], label, plaintext)}
	})
	return r.blob, rvErr(opSeal, opID, r.rv)
}

// Unseal authenticates and decrypts a blob sealed under the same label by
// this token's current key. Anything else (another label, a flipped byte,
// a blob of another key or generation, garbage) is
// CKR_ENCRYPTED_DATA_INVALID. Needs a user login.
func (h *HSM) Unseal(e env.Env, s Session, opID uint64, label string, blob []byte) ([]byte, error) {
	r := h.run(e, call{op: opUnseal, opID: opID, s: s, label: label}, func() result {
		if rv := h.userSession(s); rv != CKR_OK {
			return result{rv: rv}
		}
		if len(blob) > PlaintextMax+BlobOverhead {
			return result{rv: CKR_ARGUMENTS_BAD}
		}
		e.Charge(CostUnseal)
		pt, err := h.keys.open(label, blob)
		if err != nil {
			return result{rv: CKR_ENCRYPTED_DATA_INVALID}
		}
		e.Observe(env.ObserveKV(ObsUnseal,
			"label", label, "session", strconv.FormatUint(uint64(s), 10), "op_id", strconv.FormatUint(opID, 10)))
		return result{rv: CKR_OK, plain: pt}
	})
	return r.plain, rvErr(opUnseal, opID, r.rv)
}

// userSession checks that s is open, logged in as the user, on a token
// that has a key.
func (h *HSM) userSession(s Session) RV {
	sess := h.session(s)
	switch {
	case sess == nil:
		return CKR_SESSION_HANDLE_INVALID
	case sess.role != roleUser || h.keys == nil:
		return CKR_USER_NOT_LOGGED_IN
	}
	return CKR_OK
}

// ExportKey asks for the master key in clear. It always fails with
// CKR_KEY_UNEXTRACTABLE (once the call reaches the device) and reports the
// attempt (hsm.export_refused): exfiltration is an attack, not a feature.
func (h *HSM) ExportKey(e env.Env, s Session, opID uint64) error {
	return h.refuseExport(e, call{op: opExportKey, opID: opID, s: s})
}

// WrapKeyOut asks for the object named label wrapped under a caller's key
// (C_WrapKey to the outside). Like ExportKey it always fails with
// CKR_KEY_UNEXTRACTABLE and reports the attempt; it never returns bytes.
func (h *HSM) WrapKeyOut(e env.Env, s Session, opID uint64, label string, wrappingKey []byte) ([]byte, error) {
	_ = wrappingKey
	return nil, h.refuseExport(e, call{op: opWrapKeyOut, opID: opID, s: s, label: label})
}

// refuseExport: no fault but a missing or failed device can change the
// answer, and the general-error fault does not apply (it would make a
// refusal "unknown"). The attempt is journaled when its opID is usable.
func (h *HSM) refuseExport(e env.Env, c call) error {
	e.Charge(CostCall + h.dev.slow)
	rv := h.gate(e, c.op)
	if rv == CKR_OK {
		rv = CKR_KEY_UNEXTRACTABLE
		e.Observe(env.ObserveKV(ObsExportRefused,
			"op", c.op.String(), "op_id", strconv.FormatUint(c.opID, 10),
			"session", strconv.FormatUint(uint64(c.s), 10), "label", c.label))
		if c.opID != 0 && h.jr.find(c.opID) == nil && len(c.label) <= LabelMax {
			h.jr.add(e.Disk(), entry{opID: c.opID, op: c.op, happened: true, rv: rv, session: c.s, label: c.label}, h.cfg.JournalMax)
			h.sync(e)
		}
	}
	h.observeOp(e, c, rv)
	return rvErr(c.op, c.opID, rv)
}

// Reconcile reports what the operation opID really did: the answer to a
// CKR_GENERAL_ERROR. Any open session may ask (no login needed: the answer
// holds no secret; a Seal's blob is sealed). It changes nothing, so it may
// be retried; faults other than general-error and removed-mid-op apply.
func (h *HSM) Reconcile(e env.Env, s Session, opID uint64) (Outcome, error) {
	var o Outcome
	rv := h.plain(e, call{op: opReconcile, opID: opID, s: s}, func() RV {
		if h.session(s) == nil {
			return CKR_SESSION_HANDLE_INVALID
		}
		o = h.jr.outcome(opID)
		e.Observe(env.ObserveKV(ObsReconcile,
			"op_id", strconv.FormatUint(opID, 10), "known", strconv.FormatBool(o.Known),
			"happened", strconv.FormatBool(o.Happened), "op", o.Op, "rv", o.RV.String()))
		return CKR_OK
	})
	return o, rvErr(opReconcile, opID, rv)
}

// ApplyFault applies a harness fault (the signer forwards it from a control
// message). It is the hardware changing, not a call: it always works, even
// on a missing or failed device. Tamper zeroizes at once.
func (h *HSM) ApplyFault(e env.Env, f Fault) error {
	if err := f.Validate(); err != nil {
		return err
	}
	switch f.Kind {
	case FaultUnavailable:
		h.dev.unavailable = true
		h.closeAll()
	case FaultSlow:
		h.dev.slow = f.Latency
	case FaultDeviceError:
		h.dev.deviceErrors = uint32(min(int(h.dev.deviceErrors)+f.count(), FaultDeviceErrorMax))
	case FaultRemovedMidOp:
		h.dev.removedArmed = true
	case FaultGeneralError:
		h.dev.generalArmed = true
	case FaultTamper:
		h.zeroize(e)
	case FaultRestore:
		h.dev = device{boot: h.dev.boot}
	}
	h.saveDevice(e)
	e.Observe(env.ObserveKV(ObsFault, "kind", string(f.Kind), "fault", f.String()))
	return nil
}

// zeroize destroys the master key, the PINs and the journal at once, in
// memory and in secure storage, keeping only the tamper latch (journal
// header). Old blobs can never be opened again, by this device or any
// other: the key existed nowhere else.
func (h *HSM) zeroize(e env.Env) {
	clear(h.tok.master[:])
	clear(h.tok.pinSalt[:])
	h.tok = token{}
	h.keys.wipe()
	h.keys = nil
	h.jr.zeroize()
	h.closeAll()
	d := e.Disk()
	for _, name := range d.List(SecurePrefix) {
		d.Delete(name)
	}
	h.jr.rewrite(d)
	h.failed = ""
	e.Charge(CostZeroize)
	h.sync(e)
	e.Observe(env.ObserveKV(ObsZeroize,
		"tamper_count", strconv.FormatUint(uint64(h.jr.header.tamperCount), 10),
		"generation", strconv.FormatUint(uint64(h.jr.header.generation), 10)))
}
