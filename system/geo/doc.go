// Package geo owns places and the one distance computation the custody
// system needs: Point (microdegrees, known or not, with its text form) and
// how far apart two places on Earth are, in whole kilometres, with no
// floating point (the risk engine's geography feature and the access
// gateway's impossible-travel check both decide on it, and a decision path
// must give the same answer on every machine).
//
// Method: an equirectangular projection at the mean latitude, with cosines
// from a table of whole degrees (interpolated linearly), then an integer
// square root. Against the great-circle distance it errs by under 1% up to
// about 1000 km at mid latitudes, the range where travel thresholds decide
// anything; it overestimates long east-west routes far from the equator
// (10-20% on intercontinental routes), which only concerns distances far
// above any threshold.
//
// Determinism contract: pure functions of their arguments; no clock, no
// randomness, no goroutines, no maps.
package geo
