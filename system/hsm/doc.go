// Package hsm emulates the hardware security module inside a signer's host
// (think of a PCIe HSM card), with PKCS#11 semantics. It is not a node: a
// signer node owns one *HSM, opens it on every InputStart, and calls it
// during its own Step, passing its env (Now, Entropy, Disk, Observe,
// Charge). Fault injection reaches it the same way: the harness sends the
// signer a control message and the signer calls ApplyFault.
//
// # What it owns
//
// A token with a user PIN and an SO PIN, sessions, and one wrapping
// (master) key generated inside the HSM by InitToken from the entropy
// reader. The master key lives only in the HSM's secure storage, the files
// under SecurePrefix ("hsm/secure/") on the node's Disk, which stand for
// memory inside the tamper boundary: world-side scanners must count them as
// inside the HSM. No API returns the key, and no observation, error or blob
// contains it. The HSM also owns "hsm/device" (the injected hardware
// condition). The layout of both is in store.go; the signer must not touch
// "hsm/".
//
// Key shares are kept by the signer as sealed blobs (Seal), on its own
// disk, and unsealed (Unseal) only for a signing session (INV-SEALED). An
// export (ExportKey, WrapKeyOut) always fails with CKR_KEY_UNEXTRACTABLE
// and is observed (attack 8, exfiltration).
//
// # The PKCS#11 subset
//
//	call          PKCS#11          needs                 notable RVs
//	Open          (power-on)       -                     -
//	TokenInfo     C_GetTokenInfo   -                     TOKEN_NOT_PRESENT
//	InitToken     C_InitToken      uninitialised token   FUNCTION_FAILED (already initialised)
//	OpenSession   C_OpenSession    -                     DEVICE_MEMORY (SessionsMax), TOKEN_NOT_PRESENT
//	CloseSession  C_CloseSession   session               SESSION_HANDLE_INVALID
//	Login         C_Login(USER)    session               PIN_INCORRECT, PIN_LOCKED, USER_PIN_NOT_INITIALIZED
//	LoginSO       C_Login(SO)      session               PIN_INCORRECT, PIN_LOCKED
//	Logout        C_Logout         session               USER_NOT_LOGGED_IN
//	InitPIN       C_InitPIN        SO session            USER_NOT_LOGGED_IN
//	Seal          C_Encrypt (GCM)  user session          USER_NOT_LOGGED_IN, ARGUMENTS_BAD
//	Unseal        C_Decrypt (GCM)  user session          ENCRYPTED_DATA_INVALID
//	ExportKey     C_GetAttributeValue(CKA_VALUE)         always KEY_UNEXTRACTABLE
//	WrapKeyOut    C_WrapKey        -                     always KEY_UNEXTRACTABLE
//	Reconcile     (vendor)         session               -
//
// Every RV is PKCS#11's numeric value (rv.go). A failed call returns an
// *Error (op, opID, RV); errors.Is(err, ErrPINLocked) and friends compare
// by RV, RVOf extracts it, IsUnknown tells CKR_GENERAL_ERROR. Deviations
// from PKCS#11, on purpose: too many sessions is CKR_DEVICE_MEMORY (not
// CKR_SESSION_COUNT); login state is per session; the label of a sealed
// blob is not stored in it but given again at Unseal, like GCM's additional
// data; PIN length errors are CKR_ARGUMENTS_BAD.
//
// PIN lockout: PINAttemptsMax (default 3) consecutive wrong PINs lock that
// PIN. The count is in secure storage and synced before the answer, so a
// crash does not reset it. The locking attempt and every later login
// answer CKR_PIN_LOCKED; the SO unlocks the user PIN by setting a new one
// (InitPIN). A locked SO PIN is terminal.
//
// # Operation ids and Reconcile (INV-HSMUNKNOWN)
//
// Every token operation (InitToken, Login, LoginSO, InitPIN, Seal, Unseal,
// ExportKey, WrapKeyOut) takes a caller-chosen opID, unique per HSM and
// non-zero; session bookkeeping (OpenSession, CloseSession, Logout,
// TokenInfo) takes none, and Reconcile takes the opID it asks about. Each
// token operation that reaches the token is journaled durably (opID, op,
// happened, real RV, session, label). A reused opID still in the journal
// is refused with CKR_ARGUMENTS_BAD: a blind retry of an unknown outcome
// is what INV-HSMUNKNOWN forbids. Reconcile(opID) answers:
//
//   - in the journal: Known, Happened as recorded, the real RV, and for a
//     Seal whose reply was lost, its blob (the caller stores it as if the
//     Seal had answered CKR_OK);
//   - not in the journal, above the largest opID ever evicted: Known, not
//     Happened (it never reached the token, or failed with no effect);
//   - otherwise (evicted by compaction or destroyed by zeroization):
//     not Known.
//
// The journal keeps the newest JournalMax (default 128) records at least.
//
// # Fault model
//
// Faults are data (Fault, with a text form that round-trips through
// ParseFault) applied by ApplyFault, and they are the hardware's state: they
// persist in "hsm/device" across node restarts, until FaultRestore.
//
//   - unavailable: every open session is closed; until restore, calls on
//     the slot (OpenSession, InitToken, TokenInfo) answer
//     CKR_TOKEN_NOT_PRESENT and calls on a session CKR_DEVICE_REMOVED.
//     Nothing happens.
//   - slow LATENCY: every call charges LATENCY extra (e.Charge).
//   - device-error N: the next N calls that reach the device answer
//     CKR_DEVICE_ERROR; nothing happens.
//   - removed-mid-op: the next Seal or Unseal answers CKR_DEVICE_REMOVED,
//     nothing happens (no blob persisted, nothing decrypted), and every
//     session is gone; the device is back for the next OpenSession.
//   - general-error: the next token operation (not an export, not
//     Reconcile) answers CKR_GENERAL_ERROR. One byte from the entropy
//     reader decides whether it really took effect (low bit set: it did),
//     and if so it ran in full: a Seal's blob is kept in the journal, a
//     PIN attempt is counted, a Login logged the session in. The truth is
//     journaled and observed (hsm.truth); the caller learns it only through
//     Reconcile.
//   - tamper: zeroization, at once: the master key, the PIN hashes and the
//     journal are destroyed in memory and in secure storage, all sessions
//     close, and only the tamper latch remains (TokenInfo.TamperCount). No
//     blob sealed before can ever be unsealed again, after a restart
//     included; InitToken may make a new key (a new Generation) for new
//     shares, which must come back by resharing (restore by quorum).
//   - restore: clears unavailable, slow and the armed one-shots. It does
//     not undo a zeroization.
//
// Order of checks on every call: unavailable, failed storage, device-error,
// then (token operations) the opID and label-length check
// (CKR_ARGUMENTS_BAD, not journaled), removed-mid-op (Seal, Unseal only),
// general-error, and the operation itself.
//
// Crash semantics: every token operation Syncs the Disk before it returns,
// whatever its RV, so an acknowledged Seal's key generation, a counted PIN
// attempt and every journal record survive a crash; sessions and logins do
// not (a restart is a power cycle). Open reloads secure storage, cuts a torn
// journal tail, and fails closed (every call CKR_DEVICE_ERROR, observation
// hsm.open with failed set) if secure storage does not decode: it never
// panics on disk bytes. Note that Sync is the node's: it also makes the
// signer's own pending writes durable, which only ever adds durability.
//
// # Sealed blob layout
//
//	offset  size    field
//	0       6       magic, ASCII "VDHSM1" (BlobMagic)
//	6       1       version, 0x01 (BlobVersion)
//	7       12      AES-GCM nonce
//	19      n + 16  AES-256-GCM ciphertext of the n-byte plaintext, then the
//	                16-byte tag
//
// A blob is exactly BlobOverhead (35) bytes longer than its plaintext. The
// additional data is the 7 header bytes followed by the label. A
// world-side scanner tells a sealed blob from clear data by the magic and
// version at offset 0 and a length of at least 35; it cannot (and must not
// be able to) read anything else from it. The AES key is derived from the
// master key with HKDF-SHA256 ("vaultdrill/hsm seal key v1"); the nonce is
// the first 12 bytes of HMAC-SHA256, under a second derived key, of 16
// fresh entropy bytes, the label and the plaintext, so it is random when
// the entropy is and still never repeats for different contents if an
// entropy stream were ever replayed.
//
// # Costs
//
// Fixed virtual CPU costs, charged with e.Charge, never measured: CostCall
// (20µs) for every call that reaches the device, plus a slow fault's
// latency; CostLogin (2ms) per PIN check; CostKeyGen (10ms) for InitToken;
// CostSeal and CostUnseal (200µs each); CostSync (1ms) per Sync of secure
// storage after a token operation; CostZeroize (1ms) for a tamper
// response.
//
// # Observations
//
// hsm.op (op, op_id, rv, session, label) for every call; hsm.unseal (label,
// session, op_id) whenever a blob is decrypted, also inside a general error
// that took effect; hsm.export_refused (op, op_id, session, label);
// hsm.pin_fail (user, count); hsm.locked (user); hsm.pin_reset (user);
// hsm.truth (op, op_id, happened, rv: the real result, empty when it did
// not happen, label) for each general error;
// hsm.reconcile (op_id, known, happened, op, rv); hsm.zeroize
// (tamper_count, generation); hsm.fault (kind, fault); hsm.init
// (generation); hsm.open (boot, initialized, generation, tamper_count,
// torn_bytes, failed). None carries key material, a PIN or plaintext.
//
// # Determinism contract
//
// The HSM reads no clock, starts no goroutine, ranges over no map and has
// no randomness of its own: the master key, the PIN salt, every nonce's
// entropy and every general error's truth come from e.Entropy(), in call
// order. So the same entropy stream and the same calls give byte-identical
// blobs, storage and observations. Costs are constants. It imports only
// the standard library (crypto/aes, crypto/cipher, crypto/hkdf,
// crypto/hmac, crypto/sha256; never crypto/rand) and system/env.
package hsm
