package access

import (
	"crypto/subtle"
	"encoding/base32"
	"time"

	"github.com/pquerna/otp"
	"github.com/pquerna/otp/hotp"

	"vaultdrill/system/env"
)

// TOTP per RFC 6238: the code of time t is HOTP(K, T) with
// T = floor((unix(t) - T0) / X), T0 = 0, computed by pquerna/otp's hotp
// with the counter given explicitly (its Generate functions read
// crypto/rand and are never called). Steps are whole numbers of seconds, so
// the counter is plain integer division of the Unix second.

// Algorithm is the HMAC hash of the codes.
type Algorithm string

const (
	AlgSHA1   Algorithm = "SHA1"
	AlgSHA256 Algorithm = "SHA256"
	AlgSHA512 Algorithm = "SHA512"
)

// hash maps to pquerna's enum, -1 for an unknown name.
func (a Algorithm) hash() otp.Algorithm {
	switch a {
	case AlgSHA1:
		return otp.AlgorithmSHA1
	case AlgSHA256:
		return otp.AlgorithmSHA256
	case AlgSHA512:
		return otp.AlgorithmSHA512
	}
	return -1
}

// TOTPCounter is the RFC 6238 counter T of time t for a step of stepSec
// seconds (T0 = 0); negative before 1970.
func TOTPCounter(t time.Time, stepSec int64) int64 { return floorDiv(t.Unix(), stepSec) }

// HOTPCode is the code of counter c (RFC 4226 with RFC 6238's hashes):
// digits 6 or 8, secret the raw key bytes. ok is false for a negative
// counter or bad options.
func HOTPCode(secret []byte, c int64, digits int, alg Algorithm) (string, bool) {
	if len(secret) == 0 {
		return "", false
	}
	return hotpCode(base32.StdEncoding.EncodeToString(secret), c, digits, alg)
}

// hotpCode is HOTPCode of a key already in base32, the form pquerna/otp
// takes (a user's is encoded once, at registration: a wrong code is tried
// against up to 2*TOTPProbe+1 steps).
func hotpCode(key32 string, c int64, digits int, alg Algorithm) (string, bool) {
	if c < 0 || (digits != 6 && digits != 8) || alg.hash() < 0 || key32 == "" {
		return "", false
	}
	code, err := hotp.GenerateCodeCustom(key32, uint64(c), hotp.ValidateOpts{
		Digits: otp.Digits(digits), Algorithm: alg.hash(),
	})
	return code, err == nil
}

// TOTPCode is the code a user's authenticator shows at t under cfg (after
// WithDefaults); the harness's user actors call it with their own clock.
func TOTPCode(cfg Config, secret []byte, t time.Time) string {
	c, _ := HOTPCode(secret, TOTPCounter(t, int64(cfg.TOTPStep/time.Second)), cfg.TOTPDigits, cfg.TOTPAlgorithm)
	return c
}

// Step is the step number the observations carry: the TOTP step of t
// counted from env.Epoch, i.e. floor((t - Epoch) / X), which is the RFC
// counter minus the Epoch's (Config.Validate makes X divide a day, and the
// Epoch is a midnight, so the two differ by exactly that constant).
func (g *Gateway) Step(t time.Time) int64 { return TOTPCounter(t, g.stepSec) - g.epochCounter }

// codeMatches compares a presented code with user u's code of step s in
// constant time.
func (g *Gateway) codeMatches(u *user, s int64, code string) bool {
	want, ok := hotpCode(u.key32, s+g.epochCounter, g.cfg.TOTPDigits, g.cfg.TOTPAlgorithm)
	return ok && len(code) == len(want) && subtle.ConstantTimeCompare([]byte(code), []byte(want)) == 1
}

// epochCounterOf is the RFC counter of env.Epoch.
func epochCounterOf(stepSec int64) int64 { return TOTPCounter(env.Epoch, stepSec) }

// floorDiv is integer division rounding toward minus infinity.
func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b != 0 && (a < 0) != (b < 0) {
		q--
	}
	return q
}
