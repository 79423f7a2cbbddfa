package checkers

import (
	"fmt"
	"strconv"

	"vaultdrill/checkers/history"
)

// obsInt parses an integer field of an observation.
func obsInt(ob history.Observation, field string) (int64, error) {
	s, ok := ob.Fields[field]
	if !ok {
		return 0, fmt.Errorf("%s %s: no field %q", ob.Node, ob.Kind, field)
	}
	v, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("%s %s: field %q: %v", ob.Node, ob.Kind, field, err)
	}
	return v, nil
}
