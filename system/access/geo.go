package access

import (
	"time"

	"vaultdrill/system/geo"
)

// Point is a position in microdegrees (system/geo); the zero Point is
// "unknown".
type Point = geo.Point

// impossibleTravel reports whether going from a (at ta) to b (at tb) is
// more than minKm and faster than maxKmh, with its distance. Two logins
// at the same instant (or out of order) far apart are impossible.
func impossibleTravel(a Point, ta time.Time, b Point, tb time.Time, minKm, maxKmh int64) (bool, int64) {
	if !a.Known || !b.Known {
		return false, 0
	}
	km := geo.DistanceKm(a, b) // under 1% off up to about 1000 km, where the thresholds decide
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
