package audit

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// An anchor is a log head published where the log's keeper cannot take it
// back: the memo of a chain transaction. Its text is
//
//	audit1:ORIGIN:SEQ:HASH
//
// ORIGIN the node whose log it is (1 to OriginMax bytes of [A-Za-z0-9._/-]),
// SEQ the head's Seq in decimal (at least 1, no leading zeros), HASH the
// head's Hash in 64 lowercase hex digits. One head has exactly one
// spelling, and the longest anchor (AnchorMax bytes) fits a chain memo.
const (
	AnchorPrefix = "audit1:"
	OriginMax    = 64
	AnchorMax    = len(AnchorPrefix) + OriginMax + 1 + 20 + 1 + 64
)

// ErrAnchor: text that is not an anchor's one spelling, or an anchor that
// has none (an origin out of bounds, Seq 0).
var ErrAnchor = errors.New("audit: malformed anchor")

// Anchor commits to the head (Seq, Hash) of Origin's log.
type Anchor struct {
	Origin string
	Seq    uint64
	Hash   [32]byte
}

func validOrigin(s string) bool {
	if len(s) == 0 || len(s) > OriginMax {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '.', c == '_', c == '/', c == '-':
		default:
			return false
		}
	}
	return true
}

// Memo is the anchor's text, or ErrAnchor when it has none.
func (a Anchor) Memo() (string, error) {
	if !validOrigin(a.Origin) || a.Seq == 0 {
		return "", fmt.Errorf("%w: origin %q, seq %d", ErrAnchor, a.Origin, a.Seq)
	}
	return AnchorPrefix + a.Origin + ":" + strconv.FormatUint(a.Seq, 10) + ":" + hex.EncodeToString(a.Hash[:]), nil
}

func (a Anchor) String() string {
	return fmt.Sprintf("%s@%d:%s", a.Origin, a.Seq, hex.EncodeToString(a.Hash[:4]))
}

// IsAnchor reports whether a memo claims to be an anchor (ParseAnchor
// decides whether it is one).
func IsAnchor(memo string) bool { return strings.HasPrefix(memo, AnchorPrefix) }

// ParseAnchor parses exactly what Memo writes.
func ParseAnchor(s string) (Anchor, error) {
	bad := func(why string) (Anchor, error) {
		return Anchor{}, fmt.Errorf("%w: %s", ErrAnchor, why)
	}
	if len(s) > AnchorMax {
		return bad(fmt.Sprintf("%d bytes, max %d", len(s), AnchorMax))
	}
	rest, ok := strings.CutPrefix(s, AnchorPrefix)
	if !ok {
		return bad("no " + AnchorPrefix + " prefix")
	}
	// The origin holds no ':', so the last two separate SEQ and HASH.
	parts := strings.Split(rest, ":")
	if len(parts) != 3 {
		return bad(fmt.Sprintf("%d fields, want 3", len(parts)))
	}
	a := Anchor{Origin: parts[0]}
	if !validOrigin(a.Origin) {
		return bad(fmt.Sprintf("origin %q", a.Origin))
	}
	seq := parts[1]
	if seq == "" || seq[0] == '0' || strings.TrimLeft(seq, "0123456789") != "" {
		return bad(fmt.Sprintf("seq %q", seq))
	}
	n, err := strconv.ParseUint(seq, 10, 64)
	if err != nil {
		return bad(fmt.Sprintf("seq %q", seq))
	}
	a.Seq = n
	h := parts[2]
	if len(h) != 64 || strings.ToLower(h) != h {
		return bad(fmt.Sprintf("hash %q", h))
	}
	if _, err := hex.Decode(a.Hash[:], []byte(h)); err != nil {
		return bad(fmt.Sprintf("hash %q", h))
	}
	return a, nil
}

// VerifyAnchors checks a whole log against anchors published for it: the
// chain verifies, and it reaches every anchored head (VerifyHead per
// anchor; the chain only once). The first failure names the anchor. A log
// that stops short of an anchor lost entries from its end; one with
// another entry at an anchored Seq was rewritten after it was anchored.
// The caller picks the anchors of this log's origin.
func VerifyAnchors(entries []Entry, anchors []Anchor) error {
	if err := Verify(entries); err != nil {
		return err
	}
	for _, a := range anchors {
		if err := Reaches(entries, a.Seq, a.Hash); err != nil {
			return fmt.Errorf("anchor %s: %w", a, err)
		}
	}
	return nil
}
