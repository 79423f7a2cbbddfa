package compliance

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"vaultdrill/system/chain"
)

// Tag is what the list says about an address.
type Tag string

const (
	// TagSanctioned: on a sanctions list; no funds may go to it and none
	// from it may be credited.
	TagSanctioned Tag = "sanctioned"
	// TagMixer: a mixing service; funds are held for review.
	TagMixer Tag = "mixer"
	// TagScam: a known scam or theft address; funds are held for review.
	TagScam Tag = "scam"
	// TagExchange: a regulated exchange or custodian. It screens its own
	// inflows and pools funds, so taint does not pass through it (see
	// Graph.Taint); it never carries a risk tag as well.
	TagExchange Tag = "exchange"
)

// AllTags lists every known tag in sorted order.
var AllTags = []Tag{TagExchange, TagMixer, TagSanctioned, TagScam}

// ParseTag returns the tag spelled exactly s (lower case), if it is known.
func ParseTag(s string) (Tag, bool) {
	t := Tag(s)
	return t, slices.Contains(AllTags, t)
}

// risky reports whether a tag marks funds that screening must stop.
func risky(t Tag) bool { return t == TagSanctioned || t == TagMixer || t == TagScam }

// conflicts reports whether one address may not carry both tags: an
// exchange is, by being one, a counterparty we pay, which a sanctioned,
// mixer or scam address is not. Risk tags combine (a sanctioned mixer).
func conflicts(a, b Tag) bool {
	return a == TagExchange && risky(b) || b == TagExchange && risky(a)
}

// ErrNotAddress: a text that is not an address in any formatting variant.
var ErrNotAddress = errors.New("compliance: not an address")

// AddressTextMax bounds the length of an address as written (after
// trimming surrounding blanks): 42 characters plus "0x" and a separator
// between every pair of hex digits fit with room to spare.
const AddressTextMax = 128

// quoteMax bounds how much of a rejected text an error quotes.
const quoteMax = 64

// isSeparator reports whether c may appear between the prefix, the "0x"
// and the hex digits of an address as written by people and tools.
func isSeparator(c byte) bool {
	return c == '-' || c == ':' || c == '_' || c == ' ' || c == '\t'
}

// Normalize returns the canonical form of an address written in a
// formatting variant: surrounding blanks, any mix of upper and lower case,
// an optional "0x" after the two-letter prefix, and separators ('-', ':',
// '_', space, tab) anywhere after the prefix. The result is checked with
// chain.CheckAddress for the flavour the prefix names ("k1": secp256k1,
// "ed": ed25519). Anything else is an error wrapping ErrNotAddress; the
// prefix itself may not be split ("k-1" is not an address) and only ASCII
// is accepted, so look-alike letters from other scripts never match.
//
// Normalize is idempotent: a canonical address normalizes to itself.
func Normalize(addr string) (string, error) {
	a, why := normalize(addr)
	if why != "" {
		return "", fmt.Errorf("%w: %s", ErrNotAddress, why)
	}
	return a, nil
}

// normalize is Normalize with the reason as text, so that the list parser
// and the screener can word their own errors around it.
func normalize(addr string) (string, string) {
	s := strings.TrimSpace(addr)
	if s == "" {
		return "", "empty"
	}
	if len(s) > AddressTextMax {
		return "", fmt.Sprintf("%q...: %d characters, max %d", clip(s), len(s), AddressTextMax)
	}
	var b strings.Builder
	b.Grow(chain.AddressLen)
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c >= 0x80 {
			return "", fmt.Sprintf("%q: not ASCII", clip(s))
		}
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		b.WriteByte(c)
	}
	low := b.String()
	if len(low) < 2 {
		return "", fmt.Sprintf("%q: no k1 or ed prefix", clip(s))
	}
	var flavour string
	switch low[:2] {
	case "k1":
		flavour = chain.Secp256k1
	case "ed":
		flavour = chain.Ed25519
	default:
		return "", fmt.Sprintf("%q: no k1 or ed prefix", clip(s))
	}
	rest := strings.TrimLeft(low[2:], "-:_ \t")
	rest = strings.TrimPrefix(rest, "0x")
	b.Reset()
	b.WriteString(low[:2])
	for i := 0; i < len(rest); i++ {
		c := rest[i]
		switch {
		case isSeparator(c):
		case '0' <= c && c <= '9' || 'a' <= c && c <= 'f':
			b.WriteByte(c)
		default:
			return "", fmt.Sprintf("%q: %q is not a hex digit or separator", clip(s), c)
		}
	}
	out := b.String()
	if chain.CheckAddress(flavour, out) != nil {
		return "", fmt.Sprintf("%q: %d hex digits, want %d", clip(s), len(out)-2, chain.AddressLen-2)
	}
	return out, ""
}

// clip shortens a text for quoting in an error.
func clip(s string) string {
	if len(s) > quoteMax {
		return s[:quoteMax]
	}
	return s
}
