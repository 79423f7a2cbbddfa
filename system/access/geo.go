package access

import (
	"fmt"
	"time"
)

// Point is a position in microdegrees; the zero Point (Known false) is
// "unknown".
type Point struct {
	Known        bool
	LatE6, LonE6 int32
}

func (p Point) valid() bool {
	if !p.Known {
		return p.LatE6 == 0 && p.LonE6 == 0
	}
	return p.LatE6 >= -90_000_000 && p.LatE6 <= 90_000_000 && p.LonE6 >= -180_000_000 && p.LonE6 <= 180_000_000
}

// String is the geo field of access.decision: "lat,lon" in decimal
// degrees, or empty when unknown.
func (p Point) String() string {
	if !p.Known {
		return ""
	}
	return e6(p.LatE6) + "," + e6(p.LonE6)
}

func e6(v int32) string {
	sign, a := "", int64(v)
	if a < 0 {
		sign, a = "-", -a
	}
	return fmt.Sprintf("%s%d.%06d", sign, a/1_000_000, a%1_000_000)
}

// Distances are integer arithmetic (the same method as system/risk, which
// this package may not import): an equirectangular projection at the mean
// latitude with cosines from a table of whole degrees, interpolated, then
// an integer square root. Against the great-circle distance it errs by
// under 1% up to about 1000 km at mid latitudes (geo_test.go measures it),
// the range where the 50 km and 1000 km/h thresholds decide anything; on
// intercontinental routes it can be off by 10-20% (it overestimates
// east-west distances far from the equator), which only ever concerns
// speeds far above or below the threshold.

// cosE4 is cos(d degrees) * 10000, rounded, for d = 0..90.
var cosE4 = [91]int64{
	10000, 9998, 9994, 9986, 9976, 9962, 9945, 9925, 9903, 9877, 9848, 9816, 9781, 9744, 9703, 9659, 9613, 9563,
	9511, 9455, 9397, 9336, 9272, 9205, 9135, 9063, 8988, 8910, 8829, 8746, 8660, 8572, 8480, 8387, 8290, 8192,
	8090, 7986, 7880, 7771, 7660, 7547, 7431, 7314, 7193, 7071, 6947, 6820, 6691, 6561, 6428, 6293, 6157, 6018,
	5878, 5736, 5592, 5446, 5299, 5150, 5000, 4848, 4695, 4540, 4384, 4226, 4067, 3907, 3746, 3584, 3420, 3256,
	3090, 2924, 2756, 2588, 2419, 2250, 2079, 1908, 1736, 1564, 1392, 1219, 1045, 872, 698, 523, 349, 175, 0,
}

func cosLat(latE6 int64) int64 {
	if latE6 < 0 {
		latE6 = -latE6
	}
	if latE6 >= 90_000_000 {
		return 0
	}
	d, frac := latE6/1_000_000, latE6%1_000_000
	return cosE4[d] - (cosE4[d]-cosE4[d+1])*frac/1_000_000
}

// metresPerDegree is the length of one degree of a great circle.
const metresPerDegree = 111_195

// DistanceKm is the distance between two known points in whole kilometres.
func DistanceKm(a, b Point) int64 {
	dlat := int64(b.LatE6) - int64(a.LatE6)
	dlon := int64(b.LonE6) - int64(a.LonE6)
	if dlon > 180_000_000 {
		dlon -= 360_000_000
	} else if dlon < -180_000_000 {
		dlon += 360_000_000
	}
	x := dlon * cosLat((int64(a.LatE6)+int64(b.LatE6))/2) / 10_000
	d := isqrt(uint64(x*x + dlat*dlat)) // microdegrees, at most about 4e8: the squares fit
	return int64(d) * metresPerDegree / 1_000_000_000
}

func isqrt(n uint64) uint64 {
	var r uint64
	for bit := uint64(1) << 62; bit != 0; bit >>= 2 {
		if n >= r+bit {
			n -= r + bit
			r = r>>1 + bit
		} else {
			r >>= 1
		}
	}
	return r
}

// impossibleTravel reports whether going from a (at ta) to b (at tb) is
// more than minKm and faster than maxKmh, with its distance. Two logins
// at the same instant (or out of order) far apart are impossible.
func impossibleTravel(a Point, ta time.Time, b Point, tb time.Time, minKm, maxKmh int64) (bool, int64) {
	if !a.Known || !b.Known {
		return false, 0
	}
	km := DistanceKm(a, b)
	if km <= minKm {
		return false, km
	}
	dt := tb.Sub(ta)
	if dt <= 0 {
		return true, km
	}
	// km / (dt/h) > maxKmh  <=>  dt < km * 1h / maxKmh (to the
	// nanosecond); km is at most about 2e4, so km * 1h fits.
	return dt < time.Duration(km*int64(time.Hour)/maxKmh), km
}
