package approval

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"
)

// FuzzPolicyValidate builds a policy of up to four tiers from the input:
// Validate and TierFor never panic, and a policy Validate accepts always
// yields tiers that need an approver and whose bound holds the amount.
//
//	go test -run '^$' -fuzz FuzzPolicyValidate -fuzztime 10s ./system/approval/
func FuzzPolicyValidate(f *testing.F) {
	f.Add([]byte{0, 10, 1, 60, 0, 100, 2, 60, 0, 0, 3, 60, 1, 0, 3, 60}, int64(50))
	f.Add([]byte{2, 0, 1, 1}, int64(-1))
	f.Add([]byte{0, 0, 2, 1, 0, 10, 1, 1}, int64(5))
	f.Add([]byte{3, 255, 0, 0}, int64(0))
	f.Fuzz(func(t *testing.T, b []byte, amount int64) {
		wallets := []string{WalletHot, WalletCold, WalletAny, "warm", ""}
		p := Policy{Version: "fuzz"}
		for i := 0; i+4 <= len(b) && len(p.Tiers) < 4; i += 4 {
			p.Tiers = append(p.Tiers, Tier{
				Name:      string(rune('a' + int(b[i])%5)), // names may repeat
				Wallet:    wallets[int(b[i])%len(wallets)],
				AmountMax: int64(int8(b[i+1])) * 1000,
				Approvers: int(int8(b[i+2])) % 6,
				Expiry:    time.Duration(int8(b[i+3])) * time.Minute,
			})
		}
		err := p.Validate()
		if err != nil && !errors.Is(err, ErrBadPolicy) {
			t.Fatalf("Validate: %v is not ErrBadPolicy", err)
		}
		for _, w := range wallets {
			tier, terr := p.TierFor(w, amount)
			if terr != nil {
				if !errors.Is(terr, ErrNoTier) {
					t.Fatalf("TierFor: %v is not ErrNoTier", terr)
				}
				continue
			}
			if amount < 0 || (tier.AmountMax != 0 && amount > tier.AmountMax) {
				t.Fatalf("TierFor(%q, %d) = %+v", w, amount, tier)
			}
			if err == nil && (tier.Approvers < 1 || tier.Expiry <= 0) {
				t.Fatalf("valid policy %+v gave tier %+v", p, tier)
			}
		}
	})
}

// FuzzApprovalEncoding: the signed encoding parses back to exactly the
// fields it was made from (so no two subjects share a signature), and
// Check never panics on arbitrary approvals nor counts a signature the
// registered key did not make.
//
//	go test -run '^$' -fuzz FuzzApprovalEncoding -fuzztime 10s ./system/approval/
func FuzzApprovalEncoding(f *testing.F) {
	f.Add("w1", "hot", int64(5000), []byte("digest"), "ivan", "policy-v1", "alice-phone", "alice", int64(0), uint32(0), []byte{1, 2})
	f.Add("", "", int64(-1), []byte{}, "", "", "", "", int64(-1<<63), uint32(999_999_999), []byte{})
	f.Add("w\x00", "cold", int64(1<<62), []byte{0xff}, "bob", "v", "bob-phone", "bob", int64(1<<40), uint32(7), make([]byte, 64))
	reg := testRegistry(f)
	f.Fuzz(func(t *testing.T, wd, wallet string, amount int64, digest []byte, initiator, version, device, human string, sec int64, nsec uint32, sig []byte) {
		s := Subject{Withdrawal: wd, Wallet: wallet, Amount: amount, Initiator: initiator, PolicyVersion: version}
		copy(s.Digest[:], digest)
		at := time.Unix(sec, int64(nsec%1_000_000_000)).UTC()
		got, gdev, ghuman, gat, ok := parseMessage(message(s, device, human, at))
		if !ok || got != s || gdev != device || ghuman != human || !gat.Equal(at) {
			t.Fatalf("encoding does not round-trip: %+v %q %q %v -> %+v %q %q %v (ok %v)", s, device, human, at, got, gdev, ghuman, gat, ok)
		}
		now := at.Add(time.Minute)
		a := Approval{Device: device, Human: human, At: at, Sig: sig}
		res, _ := Check(DefaultPolicy(), reg, s, []Approval{a}, now)
		if len(res.Counted)+len(res.Rejected) > 1 {
			t.Fatalf("one approval judged twice: %+v", res)
		}
		if len(res.Counted) == 1 {
			t.Fatalf("a fuzzed signature counted: %+v", a)
		}
		// A real signature of the same fields by the device under that id
		// counts exactly when the device, human, subject and time allow it.
		for _, d := range []testDev{alice1, ivan} {
			res, err := Check(DefaultPolicy(), reg, s, []Approval{Sign(d.priv, d.id, human, s, at)}, now)
			if err == nil && (human != d.human || initiator == d.human || s.PolicyVersion != "policy-v1") {
				t.Fatalf("counted %+v for subject %+v by %s claiming %q", res, s, d.id, human)
			}
		}
	})
}

// parseMessage reads message's output back; the test's own reading of the
// format, so a change of encoding must change both.
func parseMessage(b []byte) (s Subject, device, human string, at time.Time, ok bool) {
	str := func() string {
		if len(b) < 4 || uint64(len(b)-4) < uint64(binary.BigEndian.Uint32(b)) {
			ok = false
			b = nil
			return ""
		}
		n := binary.BigEndian.Uint32(b)
		v := string(b[4 : 4+n])
		b = b[4+n:]
		return v
	}
	fixed := func(n int) []byte {
		if len(b) < n {
			ok = false
			b = nil
			return make([]byte, n)
		}
		v := b[:n]
		b = b[n:]
		return v
	}
	ok = true
	if str() != signDomain {
		return s, "", "", at, false
	}
	s.Withdrawal = str()
	s.Wallet = str()
	s.Amount = int64(binary.BigEndian.Uint64(fixed(8)))
	copy(s.Digest[:], fixed(32))
	s.Initiator = str()
	s.PolicyVersion = str()
	device = str()
	human = str()
	sec := int64(binary.BigEndian.Uint64(fixed(8)))
	nsec := int64(binary.BigEndian.Uint32(fixed(4)))
	at = time.Unix(sec, nsec)
	return s, device, human, at, ok && len(b) == 0
}
