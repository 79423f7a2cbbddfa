package compliance

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Bounds of a list file. A list is loaded whole at start or on an update;
// these keep a corrupt or hostile file from eating the process.
const (
	ListMax    = 1 << 16 // lines, comments and blanks included
	LineMax    = 512     // bytes per line, its newline excluded
	VersionMax = 64      // bytes of the version token
)

// ErrBadList: the list file does not parse. Every such error is a
// *ListError, which names the line.
var ErrBadList = errors.New("compliance: bad list")

// ListError is a parse error at a line of a list file (1-based; 0 when it
// concerns the file as a whole, such as a missing version line).
type ListError struct {
	Line int
	Msg  string
}

func (e *ListError) Error() string {
	if e.Line == 0 {
		return "compliance: list: " + e.Msg
	}
	return fmt.Sprintf("compliance: list line %d: %s", e.Line, e.Msg)
}

// Unwrap makes every ListError match ErrBadList.
func (e *ListError) Unwrap() error { return ErrBadList }

// List is a parsed sanctions and tags list with its version. The zero List
// and a nil *List tag nothing; a Screener refuses a nil one (fail closed).
type List struct {
	Version string
	tags    map[string][]Tag // normalized address -> sorted, distinct tags
	addrs   []string         // the keys of tags, sorted
}

// ParseList parses a list file. The format is line-oriented text:
//
//	# OFAC update of 24 November, second revision
//	version 2026-11-24.1
//	sanctioned K1AB-CD...        # any formatting variant of an address
//	sanctioned k1ef...
//	mixer      ed0x12...
//	exchange   k199...
//
// A '#' starts a comment that runs to the end of the line; blank lines
// are ignored; fields are separated by blanks. The first line that is not
// blank or a comment must be "version V", V being 1 to VersionMax
// characters from [A-Za-z0-9._:+-]; it appears once. Every other line is
// "TAG ADDRESS": TAG one of exchange, mixer, sanctioned, scam (lower case),
// ADDRESS the rest of the line, in any variant Normalize accepts (so it may
// contain blanks). An address may carry several risk tags (one per line);
// listing the same tag for it twice is harmless; an exchange tag next to a
// risk tag is a conflict and an error. Errors are *ListError values naming
// the line, e.g. "compliance: list line 7: unknown tag \"mixr\"".
func ParseList(text string) (*List, error) {
	if len(text) > ListMax*(LineMax+1) {
		return nil, &ListError{0, fmt.Sprintf("%d bytes, max %d", len(text), ListMax*(LineMax+1))}
	}
	l := &List{tags: map[string][]Tag{}}
	first := map[string]int{} // normalized address -> line it first appeared on
	versionLine := 0
	line := 0
	for rest := text; rest != ""; {
		var raw string
		raw, rest, _ = strings.Cut(rest, "\n")
		line++
		if line > ListMax {
			return nil, &ListError{line, fmt.Sprintf("more than %d lines", ListMax)}
		}
		raw = strings.TrimSuffix(raw, "\r")
		if len(raw) > LineMax {
			return nil, &ListError{line, fmt.Sprintf("%d bytes, max %d", len(raw), LineMax)}
		}
		if i := strings.IndexByte(raw, '#'); i >= 0 {
			raw = raw[:i]
		}
		s := strings.TrimSpace(raw)
		if s == "" {
			continue
		}
		word, arg := s, ""
		if i := strings.IndexAny(s, " \t"); i >= 0 {
			word, arg = s[:i], strings.TrimSpace(s[i:])
		}
		if versionLine == 0 {
			if word != "version" {
				return nil, &ListError{line, fmt.Sprintf("want \"version V\" before any entry, got %q", clip(s))}
			}
			if !validVersion(arg) {
				return nil, &ListError{line, fmt.Sprintf("bad version %q (1 to %d of A-Z a-z 0-9 . _ : + -)", clip(arg), VersionMax)}
			}
			l.Version, versionLine = arg, line
			continue
		}
		if word == "version" {
			return nil, &ListError{line, fmt.Sprintf("second version line (the version was set at line %d)", versionLine)}
		}
		tag, ok := ParseTag(word)
		if !ok {
			return nil, &ListError{line, fmt.Sprintf("unknown tag %q (known: exchange, mixer, sanctioned, scam)", clip(word))}
		}
		if arg == "" {
			return nil, &ListError{line, fmt.Sprintf("tag %s without an address", tag)}
		}
		addr, why := normalize(arg)
		if why != "" {
			return nil, &ListError{line, "not an address: " + why}
		}
		have := l.tags[addr]
		if slices.Contains(have, tag) {
			continue
		}
		for _, h := range have {
			if conflicts(h, tag) {
				return nil, &ListError{line, fmt.Sprintf("%s tagged %s conflicts with its tag %s (address first listed at line %d)", addr, tag, h, first[addr])}
			}
		}
		if len(have) == 0 {
			first[addr] = line
			l.addrs = append(l.addrs, addr)
		}
		have = append(have, tag)
		slices.Sort(have)
		l.tags[addr] = have
	}
	if versionLine == 0 {
		return nil, &ListError{0, "no version line"}
	}
	slices.Sort(l.addrs)
	return l, nil
}

func validVersion(v string) bool {
	if v == "" || len(v) > VersionMax {
		return false
	}
	for i := 0; i < len(v); i++ {
		c := v[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("._:+-", c) >= 0) {
			return false
		}
	}
	return true
}

// Tags returns the tags of an address written in any formatting variant,
// sorted; nil when it is untagged or not an address.
func (l *List) Tags(addr string) []Tag {
	a, err := Normalize(addr)
	if err != nil {
		return nil
	}
	return slices.Clone(l.tagsOf(a))
}

// Has reports whether addr (any variant) carries any of the tags.
func (l *List) Has(addr string, tags ...Tag) bool {
	for _, t := range l.Tags(addr) {
		if slices.Contains(tags, t) {
			return true
		}
	}
	return false
}

// tagsOf looks up a normalized address; the result must not be modified.
func (l *List) tagsOf(norm string) []Tag {
	if l == nil {
		return nil
	}
	return l.tags[norm]
}

// Addresses returns every tagged address, normalized and sorted.
func (l *List) Addresses() []string {
	if l == nil {
		return nil
	}
	return slices.Clone(l.addrs)
}

// Len is the number of tagged addresses.
func (l *List) Len() int {
	if l == nil {
		return 0
	}
	return len(l.addrs)
}

// String renders the list canonically: the version line, then one line
// per (address, tag), addresses sorted and each address's tags sorted,
// every address normalized. ParseList(l.String()) gives back the same list.
func (l *List) String() string {
	if l == nil {
		return ""
	}
	var b strings.Builder
	b.WriteString("version " + l.Version + "\n")
	for _, a := range l.addrs {
		for _, t := range l.tags[a] {
			fmt.Fprintf(&b, "%-10s %s\n", t, a)
		}
	}
	return b.String()
}
