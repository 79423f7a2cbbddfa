package scenarios

import (
	"sort"
	"strings"

	"vaultdrill/checkers/history"
	"vaultdrill/reports"
)

// signingStats reads the signing figures off the history ("sign" ops) and
// the observations (signer.*, chain.tx): what the report shows per key.
func signingStats(engine string, keys []string, h []history.Event, obs []history.Observation) []reports.SigningStats {
	var out []reports.SigningStats
	pairs, _ := history.Pair(h)
	for _, key := range keys {
		st := reports.SigningStats{Key: key, Engine: engine}
		var times []int64
		for _, p := range pairs {
			if p.Invoke.Op != "sign" || p.Invoke.Key != key {
				continue
			}
			st.Requests++
			switch p.Done.Kind {
			case history.OK:
				st.Signed++
				times = append(times, p.Done.Time-p.Invoke.Time)
			case history.Fail:
				st.Failed++
			default:
				st.Unknown++
			}
		}
		culprits, quarantined := map[string]bool{}, map[string]bool{}
		sessions := map[string]bool{}
		for _, o := range obs {
			f := o.Fields
			switch o.Kind {
			case "signer.begin":
				if f["key"] == key {
					sessions[f["session"]] = true
				}
			case "signer.abort":
				if strings.HasPrefix(f["session"], key+"/") {
					st.Aborts++
				}
			case "signer.reject":
				if strings.HasPrefix(f["session"], key+"/") {
					st.Rejected++
				}
			case "signer.blame":
				if strings.HasPrefix(f["session"], key+"/") && f["attributable"] == "true" {
					for _, c := range strings.Split(f["culprits"], ",") {
						if c != "" {
							culprits[c] = true
						}
					}
				}
			case "signer.quarantine":
				quarantined[f["party"]] = true
			case "chain.tx":
				if f["memo"] == "vaultdrill:"+key {
					st.ChainTxs++
				}
			}
		}
		st.Attempts = len(sessions)
		st.Culprits, st.Quarantined = sortedSet(culprits), sortedSet(quarantined)
		if len(times) > 0 {
			sort.Slice(times, func(i, j int) bool { return times[i] < times[j] })
			st.TimeMin, st.TimeMedian, st.TimeMax = times[0], times[len(times)/2], times[len(times)-1]
		}
		out = append(out, st)
	}
	return out
}

func sortedSet(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
