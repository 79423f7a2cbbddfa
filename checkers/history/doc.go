// Package history owns the versioned JSON Lines formats every host records
// into and every checker reads: the client history (invoke, then ok, fail or
// info; fault lines from the nemesis) and the observation stream. Both hosts,
// sim and live, write the same format, so one set of checkers judges both.
package history
