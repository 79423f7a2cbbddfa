package checkers_test

import (
	"testing"

	"vaultdrill/checkers"
)

func TestCompose(t *testing.T) {
	V, I, U := checkers.Valid, checkers.Invalid, checkers.Unknown
	for _, tc := range []struct {
		in   []checkers.Verdict
		want checkers.Verdict
	}{
		{nil, V},
		{[]checkers.Verdict{V}, V},
		{[]checkers.Verdict{V, V}, V},
		{[]checkers.Verdict{V, U}, U},
		{[]checkers.Verdict{U, V}, U},
		{[]checkers.Verdict{U, I, V}, I},
		{[]checkers.Verdict{I, U}, I},
		{[]checkers.Verdict{V, "bogus"}, U},
	} {
		if got := checkers.Compose(tc.in...); got != tc.want {
			t.Errorf("Compose(%v) = %s, want %s", tc.in, got, tc.want)
		}
	}
}
