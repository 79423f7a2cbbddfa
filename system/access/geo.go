package access

import (
	"fmt"
	"time"

	"vaultdrill/system/geo"
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

// DistanceKm is the distance between two known points in whole kilometres
// (system/geo: integer arithmetic; under 1% off up to about 1000 km, the
// range where the 50 km and 1000 km/h thresholds decide anything).
func DistanceKm(a, b Point) int64 { return geo.Km(a.LatE6, a.LonE6, b.LatE6, b.LonE6) }

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
