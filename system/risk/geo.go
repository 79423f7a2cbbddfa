package risk

import "vaultdrill/system/geo"

// DistanceKm is the distance between two known points in whole kilometres
// (system/geo: integer arithmetic, so the decision path has no floating
// point).
func DistanceKm(a, b Point) int64 { return geo.Km(a.LatE6, a.LonE6, b.LatE6, b.LonE6) }
