package access

import (
	"encoding/binary"
	"errors"
	"fmt"

	"vaultdrill/system/env"
)

// MsgRequest is the env.MsgType proposed for a Request sent to a wallet
// (80-89 reserved for access).
const MsgRequest env.MsgType = 80

// Kind says what a client request asks.
type Kind byte

const (
	// KindLogin opens a session: User, Device, IP, Geo, PIN, Code,
	// Biometric.
	KindLogin Kind = 1
	// KindOTP is a secondary verification with a fresh code (Session,
	// User, Device, Code): it clears the verification an API-key lock
	// demands.
	KindOTP Kind = 2
	// KindStepUp answers a challenge: the same Op and Params as the
	// request that got it, with Challenge and a fresh Code (and Session,
	// or APIKey and KeyToken, as before).
	KindStepUp Kind = 3
	// KindOp is an operation under a session: Session, User, Device, IP,
	// Geo, Biometric, Op, Params.
	KindOp Kind = 4
	// KindAPIKey is an operation made with an API key: APIKey, KeyToken,
	// IP, Op, Params.
	KindAPIKey Kind = 5
)

func (k Kind) String() string {
	switch k {
	case KindLogin:
		return "login"
	case KindOTP:
		return "otp"
	case KindStepUp:
		return "stepup"
	case KindOp:
		return "op"
	case KindAPIKey:
		return "apikey"
	}
	return fmt.Sprintf("kind(%d)", byte(k))
}

// BiometricNone says no biometric score was supplied; BiometricMax is a
// perfect match.
const (
	BiometricNone = -1
	BiometricMax  = 1000
)

// Request is one client request to the gateway, as the client sends it.
type Request struct {
	Kind Kind
	// ID is the client's request id: the suffix of the once idempotency
	// keys, so a retry of the same request gets the same ledger answers.
	ID        string
	User      string
	Device    string // the device fingerprint
	IP        string
	Geo       Point
	Biometric int // 0..BiometricMax, or BiometricNone
	Session   string
	APIKey    string
	KeyToken  string
	PIN       string
	Code      string // the TOTP code
	Challenge string
	Op        Op
	Params    []string
}

// The wire form: CodecVersion, the kind byte, then every field in the
// order of Request, whatever the kind:
//
//	string  2-byte big-endian length (at most FieldMax), then the bytes
//	geo     1 byte known (0 or 1), then lat and lon as 4-byte big-endian
//	        two's complement microdegrees (zero when unknown)
//	bio     2-byte big-endian two's complement, BiometricNone..BiometricMax
//	params  1 byte count (at most ParamsMax), then each as a string
//
// There is one encoding per value (a decoder that accepts a request
// re-encodes it to the same bytes), and trailing bytes are an error.

// CodecVersion is the first byte of every encoded request.
const CodecVersion byte = 1

// Field bounds.
const (
	FieldMax  = 512
	ParamsMax = 8
)

// ErrMessage is wrapped by every decoding error.
var ErrMessage = errors.New("access: bad message")

// EncodeRequest encodes r. It panics on a field over its bound (a caller
// bug: DecodeRequest never yields one).
func EncodeRequest(r Request) []byte {
	b := []byte{CodecVersion, byte(r.Kind)}
	str := func(s string) {
		if len(s) > FieldMax {
			panic(fmt.Sprintf("access: encode: a %d-byte field", len(s)))
		}
		b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
		b = append(b, s...)
	}
	str(r.ID)
	str(r.User)
	str(r.Device)
	str(r.IP)
	if r.Geo.Known {
		b = append(b, 1)
	} else {
		b = append(b, 0)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(r.Geo.LatE6))
	b = binary.BigEndian.AppendUint32(b, uint32(r.Geo.LonE6))
	if r.Biometric < BiometricNone || r.Biometric > BiometricMax {
		panic(fmt.Sprintf("access: encode: biometric %d", r.Biometric))
	}
	b = binary.BigEndian.AppendUint16(b, uint16(int16(r.Biometric)))
	for _, s := range []string{r.Session, r.APIKey, r.KeyToken, r.PIN, r.Code, r.Challenge, string(r.Op)} {
		str(s)
	}
	if len(r.Params) > ParamsMax {
		panic(fmt.Sprintf("access: encode: %d params", len(r.Params)))
	}
	b = append(b, byte(len(r.Params)))
	for _, p := range r.Params {
		str(p)
	}
	return b
}

// DecodeRequest decodes one request strictly.
func DecodeRequest(b []byte) (Request, error) {
	var r Request
	var err error
	fail := func(format string, a ...any) {
		if err == nil {
			err = fmt.Errorf("%w: "+format, append([]any{ErrMessage}, a...)...)
		}
	}
	take := func(n int, what string) []byte {
		if err != nil {
			return nil
		}
		if n > len(b) {
			fail("%s: %d bytes needed, %d left", what, n, len(b))
			return nil
		}
		p := b[:n]
		b = b[n:]
		return p
	}
	str := func(what string) string {
		p := take(2, what)
		if p == nil {
			return ""
		}
		n := int(binary.BigEndian.Uint16(p))
		if n > FieldMax {
			fail("%s: %d bytes, max %d", what, n, FieldMax)
			return ""
		}
		return string(take(n, what))
	}
	if h := take(2, "header"); h != nil {
		if h[0] != CodecVersion {
			fail("version %d", h[0])
		}
		r.Kind = Kind(h[1])
		if r.Kind < KindLogin || r.Kind > KindAPIKey {
			fail("kind %d", h[1])
		}
	}
	r.ID, r.User, r.Device, r.IP = str("id"), str("user"), str("device"), str("ip")
	if p := take(9, "geo"); p != nil {
		if p[0] > 1 {
			fail("geo: bool byte %d", p[0])
		}
		r.Geo = Point{Known: p[0] == 1, LatE6: int32(binary.BigEndian.Uint32(p[1:5])), LonE6: int32(binary.BigEndian.Uint32(p[5:9]))}
		if !r.Geo.Valid() {
			fail("geo: %d,%d out of range (known %v)", r.Geo.LatE6, r.Geo.LonE6, r.Geo.Known)
		}
	}
	if p := take(2, "biometric"); p != nil {
		r.Biometric = int(int16(binary.BigEndian.Uint16(p)))
		if r.Biometric < BiometricNone || r.Biometric > BiometricMax {
			fail("biometric %d", r.Biometric)
		}
	}
	r.Session, r.APIKey, r.KeyToken, r.PIN = str("session"), str("apikey"), str("key token"), str("pin")
	r.Code, r.Challenge, r.Op = str("code"), str("challenge"), Op(str("op"))
	if p := take(1, "params"); p != nil {
		n := int(p[0])
		if n > ParamsMax {
			fail("params: %d, max %d", n, ParamsMax)
		}
		for i := 0; i < n && err == nil; i++ {
			r.Params = append(r.Params, str("param"))
		}
	}
	if err == nil && len(b) > 0 {
		fail("%d trailing bytes", len(b))
	}
	if err != nil {
		return Request{}, err
	}
	return r, nil
}
