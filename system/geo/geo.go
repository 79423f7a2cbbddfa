package geo

import "fmt"

// cosE4 is cos(d degrees) * 10000, rounded, for d = 0..90.
var cosE4 = [91]int64{
	10000, 9998, 9994, 9986, 9976, 9962, 9945, 9925, 9903, 9877, 9848, 9816, 9781, 9744, 9703, 9659, 9613, 9563,
	9511, 9455, 9397, 9336, 9272, 9205, 9135, 9063, 8988, 8910, 8829, 8746, 8660, 8572, 8480, 8387, 8290, 8192,
	8090, 7986, 7880, 7771, 7660, 7547, 7431, 7314, 7193, 7071, 6947, 6820, 6691, 6561, 6428, 6293, 6157, 6018,
	5878, 5736, 5592, 5446, 5299, 5150, 5000, 4848, 4695, 4540, 4384, 4226, 4067, 3907, 3746, 3584, 3420, 3256,
	3090, 2924, 2756, 2588, 2419, 2250, 2079, 1908, 1736, 1564, 1392, 1219, 1045, 872, 698, 523, 349, 175, 0,
}

// cosLat is cos(latitude) * 10000 for a latitude in microdegrees.
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

// Km is the distance in whole kilometres between two places given as
// latitude and longitude in microdegrees (latitudes within ±90e6,
// longitudes within ±180e6). It is symmetric and zero for one place.
func Km(aLatE6, aLonE6, bLatE6, bLonE6 int32) int64 {
	dlat := int64(bLatE6) - int64(aLatE6)
	dlon := int64(bLonE6) - int64(aLonE6)
	for dlon > 180_000_000 {
		dlon -= 360_000_000
	}
	for dlon < -180_000_000 {
		dlon += 360_000_000
	}
	x := dlon * cosLat((int64(aLatE6)+int64(bLatE6))/2) / 10_000
	d := isqrt(uint64(x*x + dlat*dlat)) // microdegrees; at most about 4e8, so the squares fit
	return int64(d) * metresPerDegree / 1_000_000_000
}

// isqrt is the integer square root (the largest r with r*r <= n).
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

// Point is a place in microdegrees; the zero Point (Known false) is
// "unknown".
type Point struct {
	Known bool
	LatE6 int32 // -90e6..90e6
	LonE6 int32 // -180e6..180e6
}

// Valid: a known point within range, or the zero unknown one.
func (p Point) Valid() bool {
	if !p.Known {
		return p.LatE6 == 0 && p.LonE6 == 0
	}
	return p.LatE6 >= -90_000_000 && p.LatE6 <= 90_000_000 && p.LonE6 >= -180_000_000 && p.LonE6 <= 180_000_000
}

// DistanceKm is Km between two points (both known).
func DistanceKm(a, b Point) int64 { return Km(a.LatE6, a.LonE6, b.LatE6, b.LonE6) }

// String is "lat,lon" in decimal degrees (six places), or empty when the
// point is unknown.
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
