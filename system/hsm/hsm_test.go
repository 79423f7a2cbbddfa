package hsm

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestSealUnsealRoundTrip(t *testing.T) {
	tests := []struct {
		name  string
		label string
		pt    []byte
	}{
		{"empty plaintext", "share/hot/ecdsa/1", nil},
		{"one byte", "share/hot/ecdsa/1", []byte{0x42}},
		{"4 KiB share", "share/cold/eddsa/3", bytes.Repeat([]byte("share"), 820)},
		{"empty label", "", []byte("secret")},
		{"longest label", strings.Repeat("l", LabelMax), []byte("secret")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, 1, Config{})
			s := r.ready()
			blob := r.seal(s, tc.label, tc.pt)
			if !bytes.HasPrefix(blob, []byte("VDHSM1\x01")) {
				t.Fatalf("blob starts %x, want magic VDHSM1 and version 1", blob[:min(7, len(blob))])
			}
			if len(blob) != len(tc.pt)+BlobOverhead {
				t.Fatalf("blob is %d bytes for %d of plaintext, want +%d", len(blob), len(tc.pt), BlobOverhead)
			}
			if len(tc.pt) > 0 && bytes.Contains(blob, tc.pt) {
				t.Fatal("the blob holds the plaintext in clear")
			}
			got, err := r.unseal(s, tc.label, blob)
			wantRV(t, "Unseal", err, CKR_OK)
			if !bytes.Equal(got, tc.pt) {
				t.Fatalf("unsealed %q, want %q", got, tc.pt)
			}
			us := r.observed(ObsUnseal)
			if len(us) != 1 || us[0].Fields["label"] != tc.label || us[0].Fields["session"] != fmt.Sprint(uint64(s)) {
				t.Fatalf("hsm.unseal observations: %v", us)
			}
		})
	}
}

func TestSealTwiceGivesDistinctBlobs(t *testing.T) {
	r := newRig(t, 1, Config{})
	s := r.ready()
	a, b := r.seal(s, "x", []byte("same")), r.seal(s, "x", []byte("same"))
	if bytes.Equal(a[:blobHeader+BlobNonceSize], b[:blobHeader+BlobNonceSize]) {
		t.Fatal("two seals of the same plaintext share a nonce")
	}
}

func TestUnsealRejects(t *testing.T) {
	const label = "share/hot/ecdsa/2"
	flip := func(i int) func([]byte) []byte {
		return func(b []byte) []byte {
			b = append([]byte(nil), b...)
			b[i] ^= 0x01
			return b
		}
	}
	tests := []struct {
		name   string
		label  string
		mangle func([]byte) []byte
	}{
		{"wrong label", "share/hot/ecdsa/3", nil},
		{"label prefix", "share/hot/ecdsa/", nil},
		{"flipped magic", label, flip(0)},
		{"flipped version", label, flip(6)},
		{"flipped nonce", label, flip(7)},
		{"flipped ciphertext", label, flip(blobHeader + BlobNonceSize)},
		{"flipped tag", label, func(b []byte) []byte { return flip(len(b) - 1)(b) }},
		{"truncated", label, func(b []byte) []byte { return b[:len(b)-1] }},
		{"extended", label, func(b []byte) []byte { return append(append([]byte(nil), b...), 0) }},
		{"header only", label, func(b []byte) []byte { return b[:blobHeader] }},
		{"empty", label, func([]byte) []byte { return nil }},
		{"clear data", label, func([]byte) []byte { return []byte("this is a share in clear, not sealed at all") }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, 1, Config{})
			s := r.ready()
			blob := r.seal(s, label, []byte("the key share"))
			if tc.mangle != nil {
				blob = tc.mangle(blob)
			}
			pt, err := r.unseal(s, tc.label, blob)
			wantRV(t, "Unseal", err, CKR_ENCRYPTED_DATA_INVALID)
			if pt != nil {
				t.Fatalf("a failed Unseal returned %q", pt)
			}
			if n := len(r.observed(ObsUnseal)); n != 0 {
				t.Fatalf("%d hsm.unseal observations for a failed unseal", n)
			}
		})
	}
	t.Run("blob of another HSM", func(t *testing.T) {
		a, b := newRig(t, 1, Config{}), newRig(t, 2, Config{})
		sa, sb := a.ready(), b.ready()
		blob := a.seal(sa, label, []byte("share"))
		_, err := b.unseal(sb, label, blob)
		wantRV(t, "Unseal on another HSM", err, CKR_ENCRYPTED_DATA_INVALID)
	})
}

func TestExportAlwaysRefused(t *testing.T) {
	tests := []struct {
		name  string
		setup func(r *rig) Session
		opID  uint64
	}{
		{"logged-in user", func(r *rig) Session { return r.ready() }, 1000},
		{"no login", func(r *rig) Session { r.init(); s, _ := r.h.OpenSession(r); return s }, 1000},
		{"bogus session", func(r *rig) Session { r.init(); return 0xdead }, 1000},
		{"uninitialised token", func(r *rig) Session { s, _ := r.h.OpenSession(r); return s }, 1000},
		{"opID zero", func(r *rig) Session { return r.ready() }, 0},
		{"general error armed", func(r *rig) Session {
			s := r.ready()
			if err := r.h.ApplyFault(r, Fault{Kind: FaultGeneralError}); err != nil {
				r.t.Fatal(err)
			}
			return s
		}, 1000},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, 1, Config{})
			s := tc.setup(r)
			before := len(r.observed(ObsExportRefused))
			wantRV(t, "ExportKey", r.note(r.h.ExportKey(r, s, tc.opID)), CKR_KEY_UNEXTRACTABLE)
			out, err := r.h.WrapKeyOut(r, s, tc.opID+1, "master", []byte("attacker key"))
			wantRV(t, "WrapKeyOut", r.note(err), CKR_KEY_UNEXTRACTABLE)
			if out != nil {
				t.Fatalf("WrapKeyOut returned %d bytes", len(out))
			}
			ex := r.observed(ObsExportRefused)
			if len(ex)-before != 2 || ex[before].Fields["op"] != "export_key" || ex[before+1].Fields["op"] != "wrap_key_out" {
				t.Fatalf("hsm.export_refused observations: %v", ex[before:])
			}
		})
	}
	t.Run("removed device", func(t *testing.T) {
		r := newRig(t, 1, Config{})
		s := r.ready()
		if err := r.h.ApplyFault(r, Fault{Kind: FaultUnavailable}); err != nil {
			t.Fatal(err)
		}
		wantRV(t, "ExportKey on a removed device", r.h.ExportKey(r, s, r.next()), CKR_DEVICE_REMOVED)
	})
}

func TestPINLockout(t *testing.T) {
	r := newRig(t, 3, Config{})
	r.init()
	s, _ := r.h.OpenSession(r)
	login := func(pin string) error { return r.note(r.h.Login(r, s, r.next(), pin)) }

	// A right PIN resets the count.
	wantRV(t, "wrong 1", login("wrong-1"), CKR_PIN_INCORRECT)
	wantRV(t, "wrong 2", login("wrong-2"), CKR_PIN_INCORRECT)
	wantRV(t, "right", login(testUserPIN), CKR_OK)
	if info, _ := r.h.TokenInfo(r); info.UserPINFailures != 0 {
		t.Fatalf("failures after a right PIN: %d, want 0", info.UserPINFailures)
	}
	_ = r.h.Logout(r, s)

	// Two wrong, a crash, one more wrong: locked (the count was durable).
	wantRV(t, "wrong 1", login("wrong-1"), CKR_PIN_INCORRECT)
	wantRV(t, "wrong 2", login("wrong-2"), CKR_PIN_INCORRECT)
	r.restart(false)
	if info, _ := r.h.TokenInfo(r); info.UserPINFailures != 2 || info.UserPINLocked {
		t.Fatalf("after restart: %+v, want 2 failures, not locked", info)
	}
	s, _ = r.h.OpenSession(r)
	wantRV(t, "wrong 3", login("wrong-3"), CKR_PIN_LOCKED)
	wantRV(t, "right PIN while locked", login(testUserPIN), CKR_PIN_LOCKED)
	r.restart(true)
	s, _ = r.h.OpenSession(r)
	wantRV(t, "right PIN after restart", login(testUserPIN), CKR_PIN_LOCKED)
	if info, _ := r.h.TokenInfo(r); !info.UserPINLocked {
		t.Fatalf("after restart: %+v, want locked", info)
	}

	var counts []string
	for _, o := range r.observed(ObsPINFail) {
		counts = append(counts, o.Fields["count"])
	}
	if got := strings.Join(counts, ","); got != "1,2,1,2,3" {
		t.Fatalf("hsm.pin_fail counts %s, want 1,2,1,2,3", got)
	}
	if l := r.observed(ObsLocked); len(l) != 1 || l[0].Fields["user"] != "user" {
		t.Fatalf("hsm.locked observations: %v", l)
	}

	// Only the SO can unlock, by setting a new PIN.
	so, _ := r.h.OpenSession(r)
	wantRV(t, "InitPIN without SO login", r.h.InitPIN(r, so, r.next(), "new-user-pin"), CKR_USER_NOT_LOGGED_IN)
	wantRV(t, "InitPIN from a user-less session", r.h.InitPIN(r, s, r.next(), "new-user-pin"), CKR_USER_NOT_LOGGED_IN)
	wantRV(t, "LoginSO", r.h.LoginSO(r, so, r.next(), testSOPIN), CKR_OK)
	wantRV(t, "InitPIN", r.h.InitPIN(r, so, r.next(), "new-user-pin"), CKR_OK)
	r.restart(false)
	s, _ = r.h.OpenSession(r)
	wantRV(t, "old PIN", login(testUserPIN), CKR_PIN_INCORRECT)
	wantRV(t, "new PIN", login("new-user-pin"), CKR_OK)
	if len(r.observed(ObsPINReset)) != 1 {
		t.Fatal("no hsm.pin_reset observed")
	}
}

func TestSOPINLocksForGood(t *testing.T) {
	r := newRig(t, 3, Config{PINAttemptsMax: 2})
	r.init()
	s, _ := r.h.OpenSession(r)
	wantRV(t, "so wrong 1", r.h.LoginSO(r, s, r.next(), "nope"), CKR_PIN_INCORRECT)
	wantRV(t, "so wrong 2", r.h.LoginSO(r, s, r.next(), "nope"), CKR_PIN_LOCKED)
	wantRV(t, "so right", r.h.LoginSO(r, s, r.next(), testSOPIN), CKR_PIN_LOCKED)
	wantRV(t, "user unaffected", r.h.Login(r, s, r.next(), testUserPIN), CKR_OK)
}

func TestSessions(t *testing.T) {
	r := newRig(t, 1, Config{SessionsMax: 2})
	s0, err := r.h.OpenSession(r)
	wantRV(t, "OpenSession on an uninitialised token", err, CKR_OK)
	wantRV(t, "Login on an uninitialised token", r.h.Login(r, s0, r.next(), testUserPIN), CKR_USER_PIN_NOT_INITIALIZED)
	r.init()
	wantRV(t, "InitToken twice", r.h.InitToken(r, r.next(), testSOPIN, testUserPIN), CKR_FUNCTION_FAILED)
	s1, err := r.h.OpenSession(r)
	wantRV(t, "second session", err, CKR_OK)
	_, err = r.h.OpenSession(r)
	wantRV(t, "third session", err, CKR_DEVICE_MEMORY)
	wantRV(t, "close", r.h.CloseSession(r, s0), CKR_OK)
	wantRV(t, "close twice", r.h.CloseSession(r, s0), CKR_SESSION_HANDLE_INVALID)
	s2, err := r.h.OpenSession(r)
	wantRV(t, "session after a close", err, CKR_OK)
	if s2 == s0 || s2 == s1 {
		t.Fatalf("handle %d reused", s2)
	}
	_, err = r.h.Seal(r, s2, r.next(), "x", []byte("y"))
	wantRV(t, "Seal without login", err, CKR_USER_NOT_LOGGED_IN)
	_, err = r.h.Seal(r, s0, r.next(), "x", []byte("y"))
	wantRV(t, "Seal on a closed session", err, CKR_SESSION_HANDLE_INVALID)
	wantRV(t, "Login", r.h.Login(r, s2, r.next(), testUserPIN), CKR_OK)
	wantRV(t, "Login twice", r.h.Login(r, s2, r.next(), testUserPIN), CKR_USER_ALREADY_LOGGED_IN)
	_, err = r.h.Seal(r, s2, r.next(), strings.Repeat("l", LabelMax+1), []byte("y"))
	wantRV(t, "Seal with a too long label", err, CKR_ARGUMENTS_BAD)
	_, err = r.h.OpenSession(r)
	wantRV(t, "third session again", err, CKR_DEVICE_MEMORY)
	wantRV(t, "LoginSO", r.h.LoginSO(r, s1, r.next(), testSOPIN), CKR_OK)
	_, err = r.h.Seal(r, s1, r.next(), "x", []byte("y"))
	wantRV(t, "Seal as SO", err, CKR_USER_NOT_LOGGED_IN)
	wantRV(t, "Logout", r.h.Logout(r, s2), CKR_OK)
	wantRV(t, "Logout twice", r.h.Logout(r, s2), CKR_USER_NOT_LOGGED_IN)
	_, err = r.h.Seal(r, s2, r.next(), "x", []byte("y"))
	wantRV(t, "Seal after logout", err, CKR_USER_NOT_LOGGED_IN)

	r.restart(false)
	s3, err := r.h.OpenSession(r)
	wantRV(t, "session after restart", err, CKR_OK)
	if s3 == s0 || s3 == s1 || s3 == s2 {
		t.Fatalf("handle %d reused across a restart", s3)
	}
	wantRV(t, "old handle after restart", r.h.Login(r, s2, r.next(), testUserPIN), CKR_SESSION_HANDLE_INVALID)
	wantRV(t, "opID zero", r.h.Login(r, s3, 0, testUserPIN), CKR_ARGUMENTS_BAD)
}

func TestFaults(t *testing.T) {
	const label = "share/hot/ecdsa/1"
	pt := []byte("the key share")
	apply := func(r *rig, s string) {
		r.t.Helper()
		f, err := ParseFault(s)
		if err != nil {
			r.t.Fatal(err)
		}
		if err := r.h.ApplyFault(r, f); err != nil {
			r.t.Fatal(err)
		}
	}
	tests := []struct {
		name string
		run  func(t *testing.T, r *rig, s Session, blob []byte)
	}{
		{"unavailable", func(t *testing.T, r *rig, s Session, blob []byte) {
			apply(r, "unavailable")
			_, err := r.h.Seal(r, s, r.next(), label, pt)
			wantRV(t, "Seal on a session", err, CKR_DEVICE_REMOVED)
			_, err = r.unseal(s, label, blob)
			wantRV(t, "Unseal on a session", err, CKR_DEVICE_REMOVED)
			_, err = r.h.OpenSession(r)
			wantRV(t, "OpenSession", err, CKR_TOKEN_NOT_PRESENT)
			_, err = r.h.TokenInfo(r)
			wantRV(t, "TokenInfo", err, CKR_TOKEN_NOT_PRESENT)
			r.restart(false) // the card is still out after a reboot
			_, err = r.h.OpenSession(r)
			wantRV(t, "OpenSession after restart", err, CKR_TOKEN_NOT_PRESENT)
			apply(r, "restore")
			_, err = r.unseal(s, label, blob)
			wantRV(t, "old session after restore", err, CKR_SESSION_HANDLE_INVALID)
			s = r.user()
			got, err := r.unseal(s, label, blob)
			wantRV(t, "Unseal after restore", err, CKR_OK)
			if !bytes.Equal(got, pt) {
				t.Fatal("wrong plaintext after restore")
			}
		}},
		{"unavailable closes sessions at once", func(t *testing.T, r *rig, s Session, blob []byte) {
			apply(r, "unavailable")
			apply(r, "restore")
			_, err := r.unseal(s, label, blob)
			wantRV(t, "session from before the removal", err, CKR_SESSION_HANDLE_INVALID)
		}},
		{"device-error", func(t *testing.T, r *rig, s Session, blob []byte) {
			apply(r, "device-error 2")
			id := r.next()
			out, err := r.h.Seal(r, s, id, label, pt)
			wantRV(t, "Seal 1", err, CKR_DEVICE_ERROR)
			if out != nil {
				t.Fatal("a failed Seal returned a blob")
			}
			_, err = r.unseal(s, label, blob)
			wantRV(t, "Unseal 2", err, CKR_DEVICE_ERROR)
			if n := len(r.observed(ObsUnseal)); n != 0 {
				t.Fatal("a device error decrypted something")
			}
			o, err := r.h.Reconcile(r, s, id)
			wantRV(t, "Reconcile", err, CKR_OK)
			if !o.Known || o.Happened {
				t.Fatalf("Reconcile of a device-error op: %+v, want known, not happened", o)
			}
			// The same opID may be used again: it definitely did not happen.
			_, err = r.h.Seal(r, s, id, label, pt)
			wantRV(t, "Seal 3 (same opID)", err, CKR_OK)
		}},
		{"device-error survives restart", func(t *testing.T, r *rig, s Session, blob []byte) {
			apply(r, "device-error 1")
			r.restart(false)
			_, err := r.h.OpenSession(r)
			wantRV(t, "OpenSession after restart", err, CKR_DEVICE_ERROR)
			_, err = r.h.OpenSession(r)
			wantRV(t, "OpenSession again", err, CKR_OK)
		}},
		{"removed-mid-op", func(t *testing.T, r *rig, s Session, blob []byte) {
			apply(r, "removed-mid-op")
			_, err := r.h.TokenInfo(r)
			wantRV(t, "TokenInfo is not a seal", err, CKR_OK)
			id := r.next()
			out, err := r.h.Unseal(r, s, id, label, blob)
			wantRV(t, "Unseal", err, CKR_DEVICE_REMOVED)
			if out != nil || len(r.observed(ObsUnseal)) != 0 {
				t.Fatal("a removed-mid-op Unseal decrypted something")
			}
			_, err = r.unseal(s, label, blob)
			wantRV(t, "same session afterwards", err, CKR_SESSION_HANDLE_INVALID)
			s = r.user()
			o, _ := r.h.Reconcile(r, s, id)
			if !o.Known || o.Happened {
				t.Fatalf("Reconcile: %+v, want known, not happened", o)
			}
			got, err := r.unseal(s, label, blob)
			wantRV(t, "Unseal on a new session", err, CKR_OK)
			if !bytes.Equal(got, pt) {
				t.Fatal("wrong plaintext")
			}
		}},
		{"removed-mid-op seal", func(t *testing.T, r *rig, s Session, blob []byte) {
			apply(r, "removed-mid-op")
			id := r.next()
			out, err := r.h.Seal(r, s, id, label, pt)
			wantRV(t, "Seal", err, CKR_DEVICE_REMOVED)
			if out != nil {
				t.Fatal("a removed-mid-op Seal returned a blob")
			}
			s = r.user()
			if o, _ := r.h.Reconcile(r, s, id); !o.Known || o.Happened || o.Blob != nil {
				t.Fatalf("Reconcile: %+v, want known, not happened, no blob", o)
			}
			r.seal(s, label, pt) // one shot: the device is back
		}},
		{"slow", func(t *testing.T, r *rig, s Session, blob []byte) {
			apply(r, "slow 40ms")
			before := r.charged
			if _, err := r.unseal(s, label, blob); err != nil {
				t.Fatal(err)
			}
			want := 40*time.Millisecond + CostCall + CostUnseal + CostSync
			if got := r.charged - before; got != want {
				t.Fatalf("slow Unseal charged %v, want %v", got, want)
			}
			apply(r, "restore")
			before = r.charged
			if _, err := r.unseal(s, label, blob); err != nil {
				t.Fatal(err)
			}
			if got := r.charged - before; got != CostCall+CostUnseal+CostSync {
				t.Fatalf("restored Unseal charged %v", got)
			}
		}},
		{"tamper", func(t *testing.T, r *rig, s Session, blob []byte) {
			master := append([]byte(nil), r.h.tok.master[:]...)
			apply(r, "tamper")
			if len(r.observed(ObsZeroize)) != 1 {
				t.Fatal("no hsm.zeroize observed")
			}
			_, err := r.unseal(s, label, blob)
			wantRV(t, "Unseal on the old session", err, CKR_SESSION_HANDLE_INVALID)
			s2, _ := r.h.OpenSession(r)
			wantRV(t, "Login after zeroize", r.h.Login(r, s2, r.next(), testUserPIN), CKR_USER_PIN_NOT_INITIALIZED)
			_, err = r.unseal(s2, label, blob)
			wantRV(t, "Unseal after zeroize", err, CKR_USER_NOT_LOGGED_IN)
			apply(r, "restore") // restore does not bring the key back
			for _, torn := range []bool{false, true} {
				r.restart(torn)
				info, _ := r.h.TokenInfo(r)
				if info.Initialized || info.TamperCount != 1 {
					t.Fatalf("after restart: %+v, want uninitialised, tamper latch 1", info)
				}
				if containsSecret(dump(r.disk, ""), master) {
					t.Fatal("the master key is still on the disk")
				}
				s2, _ = r.h.OpenSession(r)
				wantRV(t, "Login after restart", r.h.Login(r, s2, r.next(), testUserPIN), CKR_USER_PIN_NOT_INITIALIZED)
				_ = r.h.CloseSession(r, s2)
			}
			// A new key for new shares; the old blob stays dead.
			r.init()
			s2 = r.user()
			_, err = r.unseal(s2, label, blob)
			wantRV(t, "old blob under the new key", err, CKR_ENCRYPTED_DATA_INVALID)
			if info, _ := r.h.TokenInfo(r); info.Generation != 2 || info.TamperCount != 1 {
				t.Fatalf("after re-init: %+v, want generation 2, tamper latch 1", info)
			}
			nb := r.seal(s2, label, pt)
			if got, err := r.unseal(s2, label, nb); err != nil || !bytes.Equal(got, pt) {
				t.Fatalf("new key round trip: %v", err)
			}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := newRig(t, 4, Config{})
			s := r.ready()
			blob := r.seal(s, label, pt)
			tc.run(t, r, s, blob)
			if kinds := r.observed(ObsFault); len(kinds) == 0 {
				t.Fatal("no hsm.fault observed")
			}
		})
	}
}

// General error: the caller sees only CKR_GENERAL_ERROR; the HSM decided
// from its entropy stream whether the operation took effect, observed that
// truth, and Reconcile reports exactly it. The seeds are chosen so both
// outcomes occur (the coin is the low bit of the 49th entropy byte: 48
// went to InitToken); if the entropy derivation changes, re-pick them.
func TestGeneralError(t *testing.T) {
	const label = "share/hot/ecdsa/1"
	pt := []byte("the key share")
	tests := []struct {
		name     string
		seed     uint64
		happened bool
	}{
		{"did not happen", 1, false},
		{"happened", 2, true},
	}
	for _, tc := range tests {
		t.Run("seal "+tc.name, func(t *testing.T) {
			r := newRig(t, tc.seed, Config{})
			s := r.ready()
			if err := r.h.ApplyFault(r, Fault{Kind: FaultGeneralError}); err != nil {
				t.Fatal(err)
			}
			id := r.next()
			out, err := r.h.Seal(r, s, id, label, pt)
			wantRV(t, "Seal", err, CKR_GENERAL_ERROR)
			if !IsUnknown(err) || out != nil {
				t.Fatalf("general error: unknown=%v, blob %d bytes; want unknown, no blob", IsUnknown(err), len(out))
			}
			truth := r.observed(ObsTruth)
			if len(truth) != 1 || truth[0].Fields["op_id"] != fmt.Sprint(id) {
				t.Fatalf("hsm.truth observations: %v", truth)
			}
			if got := truth[0].Fields["happened"] == "true"; got != tc.happened {
				t.Fatalf("seed %d: truth happened=%v, the test expects %v (re-pick the seed)", tc.seed, got, tc.happened)
			}
			if wantRV := map[bool]string{true: "CKR_OK", false: ""}[tc.happened]; truth[0].Fields["rv"] != wantRV {
				t.Fatalf("hsm.truth rv %q, want %q", truth[0].Fields["rv"], wantRV)
			}
			// A blind retry under the same opID is refused.
			_, err = r.h.Seal(r, s, id, label, pt)
			wantRV(t, "blind retry", err, CKR_ARGUMENTS_BAD)
			// Reconcile survives a crash: the truth was journaled and synced.
			r.restart(true)
			s = r.user()
			o, err := r.h.Reconcile(r, s, id)
			wantRV(t, "Reconcile", err, CKR_OK)
			if !o.Known || o.Happened != tc.happened || o.Op != "seal" || o.Label != label {
				t.Fatalf("Reconcile: %+v, want known, happened=%v", o, tc.happened)
			}
			rc := r.observed(ObsReconcile)
			if len(rc) != 1 || rc[0].Fields["happened"] != truth[0].Fields["happened"] {
				t.Fatalf("hsm.reconcile %v disagrees with hsm.truth %v", rc, truth)
			}
			if tc.happened {
				if o.RV != CKR_OK || o.Blob == nil {
					t.Fatalf("Reconcile of a seal that happened: rv %v, blob %d bytes", o.RV, len(o.Blob))
				}
				got, err := r.unseal(s, label, o.Blob)
				wantRV(t, "Unseal of the reconciled blob", err, CKR_OK)
				if !bytes.Equal(got, pt) {
					t.Fatal("reconciled blob holds the wrong plaintext")
				}
			} else if o.Blob != nil {
				t.Fatal("Reconcile returned a blob for a seal that did not happen")
			}
			// One shot: the next operation is normal.
			r.seal(s, label, pt)
		})
		t.Run("login "+tc.name, func(t *testing.T) {
			r := newRig(t, tc.seed, Config{})
			r.ready()
			s, _ := r.h.OpenSession(r)
			if err := r.h.ApplyFault(r, Fault{Kind: FaultGeneralError}); err != nil {
				t.Fatal(err)
			}
			id := r.next()
			wantRV(t, "Login", r.h.Login(r, s, id, "wrong-pin"), CKR_GENERAL_ERROR)
			r.restart(false)
			info, _ := r.h.TokenInfo(r)
			want := 0
			if tc.happened {
				want = 1
			}
			if info.UserPINFailures != want {
				t.Fatalf("PIN failures %d after a general error that happened=%v", info.UserPINFailures, tc.happened)
			}
			s, _ = r.h.OpenSession(r)
			o, _ := r.h.Reconcile(r, s, id)
			if !o.Known || o.Happened != tc.happened || (tc.happened && o.RV != CKR_PIN_INCORRECT) {
				t.Fatalf("Reconcile: %+v", o)
			}
		})
	}
}

func TestCrashAfterSealKeepsBlob(t *testing.T) {
	const label = "share/cold/eddsa/2"
	pt := []byte("the cold share")
	for _, torn := range []bool{false, true} {
		t.Run(fmt.Sprintf("torn=%v", torn), func(t *testing.T) {
			r := newRig(t, 5, Config{})
			s := r.ready()
			blob := r.seal(s, label, pt)
			id := r.opID
			r.restart(torn)
			s = r.user()
			got, err := r.unseal(s, label, blob)
			wantRV(t, "Unseal after crash", err, CKR_OK)
			if !bytes.Equal(got, pt) {
				t.Fatal("wrong plaintext after crash")
			}
			if o, _ := r.h.Reconcile(r, s, id); !o.Known || !o.Happened || o.RV != CKR_OK {
				t.Fatalf("Reconcile of the acknowledged seal: %+v", o)
			}
		})
	}
}

func TestTornJournalTailIsCut(t *testing.T) {
	r := newRig(t, 5, Config{})
	s := r.ready()
	blob := r.seal(s, "x", []byte("y"))
	// An unsynced half record at the journal's end, as a torn write leaves.
	good, _ := r.disk.Read(fileJournal)
	r.disk.Append(fileJournal, []byte{0, 0, 0, 40, 1, 2, 3})
	r.disk.Sync()
	r.h = Open(r, r.cfg)
	if got, _ := r.disk.Read(fileJournal); !bytes.Equal(got, good) {
		t.Fatalf("journal is %d bytes after Open, want the %d-byte valid prefix", len(got), len(good))
	}
	open := r.observed(ObsOpen)
	if last := open[len(open)-1]; last.Fields["torn_bytes"] != "7" || last.Fields["failed"] != "" {
		t.Fatalf("hsm.open: %v", last.Fields)
	}
	s = r.user()
	if _, err := r.unseal(s, "x", blob); err != nil {
		t.Fatal(err)
	}
}

func TestCorruptStorageFailsClosed(t *testing.T) {
	r := newRig(t, 5, Config{})
	r.ready()
	r.disk.Write(fileToken, []byte("garbage"))
	r.disk.Sync()
	r.h = Open(r, r.cfg)
	_, err := r.h.OpenSession(r)
	wantRV(t, "OpenSession on corrupt storage", err, CKR_DEVICE_ERROR)
	if open := r.observed(ObsOpen); open[len(open)-1].Fields["failed"] != fileToken {
		t.Fatalf("hsm.open: %v", open[len(open)-1].Fields)
	}
	// Zeroization rewrites secure storage: usable again, with a new key.
	if err := r.h.ApplyFault(r, Fault{Kind: FaultTamper}); err != nil {
		t.Fatal(err)
	}
	r.ready()
}

func TestJournalBounded(t *testing.T) {
	r := newRig(t, 6, Config{JournalMax: 4})
	s := r.ready()
	first := r.next()
	if _, err := r.h.Seal(r, s, first, "x", []byte("y")); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		r.seal(s, "x", []byte("y"))
	}
	last := r.opID
	if n := len(r.h.jr.entries); n > 8 {
		t.Fatalf("journal holds %d entries, want at most 2*JournalMax", n)
	}
	for _, restart := range []bool{false, true} {
		if restart {
			r.restart(false)
			s = r.user()
		}
		for _, tc := range []struct {
			id           uint64
			known, happy bool
		}{
			{first, false, false},     // evicted: cannot tell
			{last, true, true},        // still journaled
			{last + 100, true, false}, // never used
		} {
			o, err := r.h.Reconcile(r, s, tc.id)
			if err != nil || o.Known != tc.known || o.Happened != tc.happy {
				t.Fatalf("restart=%v: Reconcile(%d) = %+v, %v; want known=%v happened=%v", restart, tc.id, o, err, tc.known, tc.happy)
			}
		}
	}
	// Evicted opIDs may be reused: the HSM can no longer tell a retry.
	if _, err := r.h.Seal(r, s, first, "x", []byte("y")); err != nil {
		t.Fatalf("reuse of an evicted opID: %v", err)
	}
}

// The master key must never leave secure storage: not in an observation,
// an error string, a blob, a Reconcile answer or any other file.
func TestMasterKeyNeverLeaks(t *testing.T) {
	r := newRig(t, 7, Config{JournalMax: 4})
	s := r.ready()
	master := append([]byte(nil), r.h.tok.master[:]...)
	if bytes.Equal(master, make([]byte, masterKeySize)) {
		t.Fatal("master key is all zero")
	}
	var out [][]byte
	for i := 0; i < 12; i++ {
		pt := bytes.Repeat([]byte{byte(i)}, 64*i)
		b := r.seal(s, fmt.Sprintf("share/%d", i), pt)
		out = append(out, b)
		if _, err := r.unseal(s, fmt.Sprintf("share/%d", i), b); err != nil {
			t.Fatal(err)
		}
		_, _ = r.unseal(s, "wrong", b)
	}
	r.note(r.h.ExportKey(r, s, r.next()))
	w, err := r.h.WrapKeyOut(r, s, r.next(), "master", nil)
	r.note(err)
	out = append(out, w)
	s2, _ := r.h.OpenSession(r)
	r.note(r.h.Login(r, s2, r.next(), "wrong-pin"))
	for _, f := range []string{"general-error", "device-error 1", "slow 1ms", "removed-mid-op"} {
		fl, _ := ParseFault(f)
		_ = r.h.ApplyFault(r, fl)
		id := r.next()
		b, err := r.h.Seal(r, s, id, "share/f", []byte("share"))
		r.note(err)
		out = append(out, b)
		_ = r.h.CloseSession(r, s)
		s = r.user()
		o, err := r.h.Reconcile(r, s, id)
		r.note(err)
		out = append(out, o.Blob, []byte(fmt.Sprintf("%+v", o)))
	}
	r.restart(false)

	var errText bytes.Buffer
	for _, e := range r.errs {
		errText.WriteString(e.Error() + "\n")
	}
	places := map[string][]byte{
		"observations":         []byte(obsText(r.obs)),
		"error strings":        errText.Bytes(),
		"blobs and outcomes":   bytes.Join(out, nil),
		"files outside secure": dump(r.disk, SecurePrefix),
		"journal":              diskFile(r.disk, fileJournal),
	}
	for _, name := range []string{"observations", "error strings", "blobs and outcomes", "files outside secure", "journal"} {
		if containsSecret(places[name], master) {
			t.Errorf("the master key appears in the %s", name)
		}
		for _, pin := range []string{testUserPIN, testSOPIN} {
			if bytes.Contains(places[name], []byte(pin)) {
				t.Errorf("PIN %q appears in the %s", pin, name)
			}
		}
	}
	// The scan can find the key where it does live.
	if !containsSecret(diskFile(r.disk, fileToken), master) {
		t.Fatal("scan self-test: the key is not found in the token file")
	}
}

// Same entropy seed and same calls: byte-identical blobs, storage and
// observations. Another seed: different blobs.
func TestDeterminism(t *testing.T) {
	script := func(seed uint64) (blobs [][]byte, disk []byte, obs string) {
		r := newRig(t, seed, Config{JournalMax: 3})
		s := r.ready()
		for i := 0; i < 6; i++ {
			blobs = append(blobs, r.seal(s, fmt.Sprintf("share/%d", i), []byte(fmt.Sprintf("share %d", i))))
		}
		_ = r.h.ApplyFault(r, Fault{Kind: FaultGeneralError})
		b, _ := r.h.Seal(r, s, r.next(), "share/g", []byte("g"))
		blobs = append(blobs, b)
		o, _ := r.h.Reconcile(r, s, r.opID)
		blobs = append(blobs, o.Blob)
		r.restart(false)
		s = r.user()
		blobs = append(blobs, r.seal(s, "share/after", []byte("after")))
		return blobs, dump(r.disk, ""), obsText(r.obs)
	}
	b1, d1, o1 := script(11)
	b2, d2, o2 := script(11)
	for i := range b1 {
		if !bytes.Equal(b1[i], b2[i]) {
			t.Fatalf("seed 11: blob %d differs between runs", i)
		}
	}
	if !bytes.Equal(d1, d2) {
		t.Fatal("seed 11: disk contents differ between runs")
	}
	if o1 != o2 {
		t.Fatalf("seed 11: observations differ between runs:\n%s\n---\n%s", o1, o2)
	}
	b3, _, _ := script(12)
	if bytes.Equal(b1[0], b3[0]) {
		t.Fatal("seeds 11 and 12 sealed identical blobs")
	}
}

func TestFaultText(t *testing.T) {
	good := []struct {
		in   string
		want Fault
	}{
		{"unavailable", Fault{Kind: FaultUnavailable}},
		{"slow 50ms", Fault{Kind: FaultSlow, Latency: 50 * time.Millisecond}},
		{"device-error", Fault{Kind: FaultDeviceError, Count: 1}},
		{"device-error 3", Fault{Kind: FaultDeviceError, Count: 3}},
		{"removed-mid-op", Fault{Kind: FaultRemovedMidOp}},
		{"general-error", Fault{Kind: FaultGeneralError}},
		{"tamper", Fault{Kind: FaultTamper}},
		{"  restore ", Fault{Kind: FaultRestore}},
	}
	for _, tc := range good {
		f, err := ParseFault(tc.in)
		if err != nil || f != tc.want {
			t.Errorf("ParseFault(%q) = %+v, %v; want %+v", tc.in, f, err, tc.want)
			continue
		}
		back, err := ParseFault(f.String())
		if err != nil || back != f {
			t.Errorf("%q does not round-trip: %q -> %+v, %v", tc.in, f.String(), back, err)
		}
	}
	for _, bad := range []string{"", "melt", "slow", "slow 0s", "slow -1s", "slow 2h", "slow 1s 2s",
		"device-error 0", "device-error x", "device-error 1001", "tamper now", "unavailable 1"} {
		if f, err := ParseFault(bad); err == nil {
			t.Errorf("ParseFault(%q) = %+v, want an error", bad, f)
		}
	}
	r := newRig(t, 1, Config{})
	if err := r.h.ApplyFault(r, Fault{Kind: "melt"}); err == nil {
		t.Error("ApplyFault accepted an unknown kind")
	}
}

func TestErrors(t *testing.T) {
	err := rvErr(opSeal, 42, CKR_DEVICE_REMOVED)
	if got := err.Error(); got != "hsm: seal (op 42): CKR_DEVICE_REMOVED" {
		t.Errorf("Error() = %q", got)
	}
	if !errors.Is(err, ErrDeviceRemoved) || errors.Is(err, ErrDeviceError) {
		t.Error("errors.Is does not compare by RV")
	}
	if !errors.Is(fmt.Errorf("signer: %w", err), &Error{Op: "seal", RV: CKR_DEVICE_REMOVED}) {
		t.Error("errors.Is with an Op does not match through wrapping")
	}
	if errors.Is(err, &Error{Op: "unseal", RV: CKR_DEVICE_REMOVED}) {
		t.Error("errors.Is matched another op")
	}
	if RVOf(nil) != CKR_OK || RVOf(errors.New("x")) != CKR_FUNCTION_FAILED || IsUnknown(err) || !IsUnknown(ErrGeneralError) {
		t.Error("RVOf / IsUnknown")
	}
	for rv, want := range map[RV]uint32{ // determinism: allowed (test table)
		CKR_OK: 0, CKR_GENERAL_ERROR: 5, CKR_FUNCTION_FAILED: 6, CKR_DEVICE_ERROR: 0x30, CKR_DEVICE_MEMORY: 0x31,
		CKR_DEVICE_REMOVED: 0x32, CKR_ENCRYPTED_DATA_INVALID: 0x40, CKR_KEY_UNEXTRACTABLE: 0x6A,
		CKR_PIN_INCORRECT: 0xA0, CKR_PIN_LOCKED: 0xA4, CKR_SESSION_HANDLE_INVALID: 0xB3,
		CKR_TOKEN_NOT_PRESENT: 0xE0, CKR_USER_NOT_LOGGED_IN: 0x101,
	} {
		if uint32(rv) != want || strings.HasPrefix(rv.String(), "CKR_0x") {
			t.Errorf("%v = %#x, want %#x", rv, uint32(rv), want)
		}
	}
}
