package access

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
)

func sampleRequests() []Request {
	return []Request{
		{Kind: KindLogin, ID: "r1", User: "alice", Device: "alice-phone", IP: "10.0.0.1", Geo: paris, Biometric: 900, PIN: "1234", Code: "123456"},
		{Kind: KindOTP, ID: "r2", User: "alice", Device: "alice-phone", Biometric: BiometricNone, Session: "s1|alice|alice-phone|5|00", Code: "654321"},
		{Kind: KindOp, ID: "r3", User: "alice", Device: "d", Geo: Point{Known: true, LatE6: -90_000_000, LonE6: 180_000_000},
			Biometric: 0, Session: "s", Op: OpWithdraw, Params: withdrawParams("alice", "wd-1", 5)},
		{Kind: KindStepUp, ID: "r4", User: "alice", Device: "d", Biometric: BiometricMax, Session: "s", Challenge: "ch:w:1:2:ab",
			Code: "12345678", Op: OpSetting, Params: []string{"alice", "phone", ""}},
		{Kind: KindAPIKey, ID: "r5", Biometric: BiometricNone, APIKey: "key-1", KeyToken: "k1|key-1|ff", Op: OpRead,
			Params: []string{"alice", strings.Repeat("x", FieldMax)}},
	}
}

// Every request survives the round trip; truncations, trailing bytes,
// other versions and out-of-range fields are refused.
func TestRequestCodec(t *testing.T) {
	for _, r := range sampleRequests() {
		b := EncodeRequest(r)
		got, err := DecodeRequest(b)
		if err != nil || !reflect.DeepEqual(got, r) {
			t.Fatalf("%s: %v\n got %+v\nwant %+v", r.Kind, err, got, r)
		}
		for cut := 0; cut < len(b); cut++ {
			if _, err := DecodeRequest(b[:cut]); !errors.Is(err, ErrMessage) {
				t.Fatalf("%s accepted cut to %d bytes", r.Kind, cut)
			}
		}
		if _, err := DecodeRequest(append(bytes.Clone(b), 0)); !errors.Is(err, ErrMessage) {
			t.Fatalf("%s accepted a trailing byte", r.Kind)
		}
		bad := bytes.Clone(b)
		bad[0] = CodecVersion + 1
		if _, err := DecodeRequest(bad); !errors.Is(err, ErrMessage) {
			t.Fatalf("%s accepted version %d", r.Kind, bad[0])
		}
	}
	base := EncodeRequest(Request{Kind: KindLogin, Biometric: BiometricNone})
	// Offsets into base: version, kind, 4 empty strings (8 bytes), geo at 10.
	for _, c := range []struct {
		name string
		edit func(b []byte) []byte
	}{
		{"kind 0", func(b []byte) []byte { b[1] = 0; return b }},
		{"kind 6", func(b []byte) []byte { b[1] = 6; return b }},
		{"geo flag 2", func(b []byte) []byte { b[10] = 2; return b }},
		{"unknown geo with a latitude", func(b []byte) []byte { b[14] = 1; return b }},
		{"latitude 91", func(b []byte) []byte { b[10] = 1; copy(b[11:15], []byte{0x05, 0x6C, 0x8A, 0xE0}); return b }},
		{"biometric 1001", func(b []byte) []byte { b[19], b[20] = 0x03, 0xE9; return b }},
		{"biometric -2", func(b []byte) []byte { b[19], b[20] = 0xFF, 0xFE; return b }},
		{"a string over FieldMax", func(b []byte) []byte { b[2], b[3] = 0x02, 0x01; return b }},
		{"9 params", func(b []byte) []byte { b[len(b)-1] = 9; return b }},
	} {
		if _, err := DecodeRequest(c.edit(bytes.Clone(base))); !errors.Is(err, ErrMessage) {
			t.Errorf("%s: accepted (%v)", c.name, err)
		}
	}
}

// FuzzDecodeRequest: decoding never panics, whatever decodes encodes back
// to the same bytes (one spelling per request), and the gateway handles it
// without panicking.
func FuzzDecodeRequest(f *testing.F) {
	for _, r := range sampleRequests() {
		f.Add(EncodeRequest(r))
	}
	f.Add([]byte{CodecVersion})
	g, err := New(Config{ID: "wallet-1", Key: testKey})
	if err != nil {
		f.Fatal(err)
	}
	if err := g.AddUser(UserSpec{ID: "alice", Secret: secretOf("alice"), Devices: []string{"d"}, PIN: "1234"}); err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		r, err := DecodeRequest(b)
		if err != nil {
			if !errors.Is(err, ErrMessage) {
				t.Fatalf("error not wrapping ErrMessage: %v", err)
			}
			return
		}
		if again := EncodeRequest(r); !bytes.Equal(again, b) {
			t.Fatalf("re-encoded differently:\n in %x\nout %x", b, again)
		}
		if d := g.Handle(t0, r); d.Result == ResultPending {
			g.Resolve(t0, d, make([]bool, len(d.Once)))
		}
	})
}
