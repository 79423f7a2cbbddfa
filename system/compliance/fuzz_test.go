package compliance

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"vaultdrill/system/chain"
)

// FuzzParseList: ParseList never panics; every error is a *ListError
// wrapping ErrBadList; a list that parses renders canonically (String),
// and the rendering parses back to the same version and tags and renders
// to the same text.
//
//	go test -run '^$' -fuzz FuzzParseList -fuzztime 10s ./system/compliance/
func FuzzParseList(f *testing.F) {
	a, b, e := k1(1), k1(2), addr("ed", 3)
	f.Add("version v1\nsanctioned " + a + "\n")
	f.Add("# list\r\nversion 2026-11-24.1 # rev\r\n\r\nsanctioned " + strings.ToUpper(a) + "\nmixer " + a[:2] + "0x" + a[2:] +
		"\nscam " + group(b, 4, "-") + "\nexchange " + group(e, 2, ":") + "\n")
	f.Add("version v1\nexchange " + a + "\nsanctioned " + a + "\n")
	f.Add("sanctioned " + a + "\nversion v1\n")
	f.Add("version v1\nversion v2\n")
	f.Add("version v1\nmixr " + a + "\n")
	f.Add("version\n")
	f.Add("version v1\nscam\n")
	f.Add("version v1\nscam k1\n")
	f.Add("")
	f.Add("#")
	f.Add("version v1\nsanctioned \u212a1" + a[2:] + "\n")
	f.Fuzz(func(t *testing.T, text string) {
		l, err := ParseList(text)
		if err != nil {
			var le *ListError
			if !errors.Is(err, ErrBadList) || !errors.As(err, &le) || !strings.HasPrefix(err.Error(), "compliance: list") {
				t.Fatalf("error %q is not a *ListError wrapping ErrBadList", err)
			}
			return
		}
		r := l.String()
		l2, err := ParseList(r)
		if err != nil {
			t.Fatalf("accepted %q but its rendering %q does not parse: %v", text, r, err)
		}
		if l2.Version != l.Version || !slices.Equal(l2.Addresses(), l.Addresses()) {
			t.Fatalf("re-parse of %q: version %q addresses %v, want %q %v", r, l2.Version, l2.Addresses(), l.Version, l.Addresses())
		}
		for _, x := range l.Addresses() {
			if chain.FlavourOf(x) == "" {
				t.Fatalf("list holds %q, not a canonical address", x)
			}
			if !slices.Equal(l2.Tags(x), l.Tags(x)) || len(l.Tags(x)) == 0 {
				t.Fatalf("tags of %s: %v after re-parse, %v before", x, l2.Tags(x), l.Tags(x))
			}
		}
		if l2.String() != r {
			t.Fatalf("rendering is not canonical:\n%s\nthen\n%s", r, l2.String())
		}
	})
}

// FuzzNormalize: Normalize never panics; it is idempotent; what it
// returns is a canonical address of the flavour its prefix names; its
// errors wrap ErrNotAddress.
//
//	go test -run '^$' -fuzz FuzzNormalize -fuzztime 10s ./system/compliance/
func FuzzNormalize(f *testing.F) {
	for _, c := range []string{k1(1), addr("ed", 2)} {
		for _, v := range variants(c) {
			f.Add(v[1])
		}
	}
	for _, s := range []string{"", " ", "k1", "ed", "k10x", "0xk1", "k-1", "\u212a1", "k1\uff10", "K1-0X-", "ed::0x::ff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, x string) {
		n, err := Normalize(x)
		n2, err2 := Normalize(n)
		if n2 != n {
			t.Fatalf("Normalize(%q) = %q but Normalize(%q) = %q", x, n, n, n2)
		}
		if err != nil {
			if n != "" || !errors.Is(err, ErrNotAddress) {
				t.Fatalf("Normalize(%q) = %q, %v", x, n, err)
			}
			return
		}
		if err2 != nil || len(n) != chain.AddressLen {
			t.Fatalf("Normalize(%q) = %q, which does not normalize: %v", x, n, err2)
		}
		want := map[string]string{"k1": chain.Secp256k1, "ed": chain.Ed25519}[n[:2]]
		if err := chain.CheckAddress(want, n); err != nil {
			t.Fatalf("Normalize(%q) = %q: %v", x, n, err)
		}
		// The input, less blanks around it, separators, case and a "0x"
		// after the prefix, is the output.
		kept := strings.ToLower(strings.Map(func(r rune) rune {
			if r < 0x80 && isSeparator(byte(r)) {
				return -1
			}
			return r
		}, strings.TrimSpace(x)))
		if kept != n && kept != n[:2]+"0x"+n[2:] {
			t.Fatalf("Normalize(%q) = %q changed more than case, separators and 0x", x, n)
		}
	})
}
