package hsm

import (
	"bytes"
	"testing"
)

// FuzzUnseal: arbitrary blobs and labels never panic, and anything but the
// one blob sealed under that label fails CKR_ENCRYPTED_DATA_INVALID.
func FuzzUnseal(f *testing.F) {
	r := newRig(f, 1, Config{})
	s := r.ready()
	good := r.seal(s, "share", []byte("the key share"))
	f.Add(good, "share")
	f.Add(good[:BlobOverhead], "share")
	f.Add([]byte(BlobMagic+"\x01"), "")
	f.Add([]byte{}, "share")
	f.Add(bytes.Repeat([]byte{0xff}, 64), "x")
	f.Fuzz(func(t *testing.T, blob []byte, label string) {
		r.t = t
		pt, err := r.h.Unseal(r, s, r.next(), label, blob)
		r.obs, r.errs = r.obs[:0], r.errs[:0]
		switch RVOf(err) {
		case CKR_OK:
			if label != "share" || !bytes.Equal(blob, good) || string(pt) != "the key share" {
				t.Fatalf("Unseal accepted a blob it never sealed (label %q, %x)", label, blob)
			}
		case CKR_ENCRYPTED_DATA_INVALID, CKR_ARGUMENTS_BAD:
			if pt != nil {
				t.Fatal("a failed Unseal returned plaintext")
			}
		default:
			t.Fatalf("Unseal: %v", err)
		}
	})
}

// FuzzParseFault: never panics; what parses round-trips.
func FuzzParseFault(f *testing.F) {
	for _, s := range []string{"unavailable", "slow 50ms", "device-error 3", "removed-mid-op", "general-error", "tamper", "restore", "slow", "device-error -1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		fl, err := ParseFault(s)
		if err != nil {
			return
		}
		if err := fl.Validate(); err != nil {
			t.Fatalf("ParseFault(%q) gave an invalid fault: %v", s, err)
		}
		back, err := ParseFault(fl.String())
		if err != nil || back != fl {
			t.Fatalf("%q: %q does not round-trip: %+v, %v", s, fl.String(), back, err)
		}
	})
}

// FuzzOpen: whatever bytes the HSM's files hold, Open and a first call
// never panic (the device fails closed instead).
func FuzzOpen(f *testing.F) {
	r := newRig(f, 1, Config{})
	s := r.ready()
	r.seal(s, "x", []byte("y"))
	tok, _ := r.disk.Read(fileToken)
	jr, _ := r.disk.Read(fileJournal)
	dev, _ := r.disk.Read(fileDevice)
	f.Add(tok, jr, dev)
	f.Add([]byte{}, []byte{}, []byte{})
	f.Add(tok[:len(tok)-1], jr[:len(jr)-3], dev)
	f.Fuzz(func(t *testing.T, tok, jr, dev []byte) {
		r := newRig(t, 1, Config{})
		r.disk.Write(fileToken, tok)
		r.disk.Write(fileJournal, jr)
		r.disk.Write(fileDevice, dev)
		r.disk.Sync()
		r.h = Open(r, r.cfg)
		if s, err := r.h.OpenSession(r); err == nil {
			_ = r.h.Login(r, s, r.next(), testUserPIN)
			_, _ = r.h.Reconcile(r, s, 1)
		}
	})
}
