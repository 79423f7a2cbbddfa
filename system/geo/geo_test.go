package geo

import "testing"

func TestKm(t *testing.T) {
	type p struct{ lat, lon int32 }
	paris, london, tokyo := p{48_856_600, 2_352_200}, p{51_507_400, -127_800}, p{35_676_200, 139_650_300}
	for _, c := range []struct {
		a, b     p
		min, max int64
	}{
		{paris, london, 330, 360},
		{paris, paris, 0, 0},
		{paris, tokyo, 9000, 12000},
		{p{0, 179_900_000}, p{0, -179_900_000}, 20, 25}, // across the antimeridian
		{p{-90_000_000, 0}, p{90_000_000, 0}, 20000, 20030},
	} {
		d, back := Km(c.a.lat, c.a.lon, c.b.lat, c.b.lon), Km(c.b.lat, c.b.lon, c.a.lat, c.a.lon)
		if d < c.min || d > c.max || d != back {
			t.Errorf("%v-%v: %d km (back %d), want %d..%d and symmetric", c.a, c.b, d, back, c.min, c.max)
		}
	}
}

func TestIsqrt(t *testing.T) {
	for _, n := range []uint64{0, 1, 2, 3, 4, 99, 100, 1 << 40, 1<<63 + 12345} {
		r := isqrt(n)
		if r*r > n || (r+1)*(r+1) <= n && r+1 < 1<<32 {
			t.Errorf("isqrt(%d) = %d", n, r)
		}
	}
}
