package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"

	"vaultdrill/reports"
)

const mergeStory = `
Merges the sweep.json files of the shards of one sweep (vaultdrill sweep
--shard i/n, run by a CI matrix or a Kubernetes Indexed Job) and reports as
one sweep would: seeds run, failures, the lowest failing seed and its replay
command. The shards must come from the same scenario hash and overrides.
Exit code: that of the lowest failing seed, 0 when all passed, 2 when the
files disagree or cannot be read.`

type sweepFile struct {
	Scenario     string       `json:"scenario"`
	ScenarioHash string       `json:"scenario_hash"`
	Overrides    []string     `json:"overrides"`
	Shard        string       `json:"shard"`
	SeedsPlanned int          `json:"seeds_planned"`
	SeedsRun     int          `json:"seeds_run"`
	Results      []seedResult `json:"results"`
}

func mergeCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("merge", "<sweep.json>...", mergeStory, stderr)
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(pos) == 0 {
		fmt.Fprintln(stderr, "vaultdrill merge: name the shards' sweep.json files")
		return reports.ExitUsage
	}
	var all []seedResult
	var first *sweepFile
	planned, run := 0, 0
	seen := map[uint64]string{}
	for _, path := range pos {
		b, err := os.ReadFile(path)
		if err != nil {
			fmt.Fprintf(stderr, "vaultdrill merge: %v\n", err)
			return reports.ExitUsage
		}
		var f sweepFile
		if err := json.Unmarshal(b, &f); err != nil {
			fmt.Fprintf(stderr, "vaultdrill merge: %s: %v\n", path, err)
			return reports.ExitUsage
		}
		if first == nil {
			first = &f
		} else if f.ScenarioHash != first.ScenarioHash {
			fmt.Fprintf(stderr, "vaultdrill merge: %s is a sweep of another scenario or overrides (hash %.12s, first file %.12s)\n", path, f.ScenarioHash, first.ScenarioHash)
			return reports.ExitUsage
		}
		for _, r := range f.Results {
			if prev, dup := seen[r.Seed]; dup {
				fmt.Fprintf(stderr, "vaultdrill merge: seed %d is in both %s and %s (overlapping shards)\n", r.Seed, prev, path)
				return reports.ExitUsage
			}
			seen[r.Seed] = path
		}
		planned += f.SeedsPlanned
		run += f.SeedsRun
		all = append(all, f.Results...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Seed < all[j].Seed })
	var failing []seedResult
	for _, r := range all {
		if r.Exit != 0 {
			failing = append(failing, r)
		}
	}
	fmt.Fprintf(stdout, "%s: %d shards, %d of %d seeds run, %d failing\n", first.Scenario, len(pos), run, planned, len(failing))
	if len(failing) == 0 {
		if run < planned {
			fmt.Fprintln(stdout, "some shards stopped early or were interrupted")
		}
		return reports.ExitValid
	}
	low := failing[0]
	fmt.Fprintf(stdout, "lowest failing seed: %d (exit %d, %s)\n", low.Seed, low.Exit, low.Verdict)
	for _, f := range low.Failing {
		fmt.Fprintf(stdout, "  %s\n", f)
	}
	fmt.Fprintf(stdout, "replay: %s\n", low.Replay)
	return low.Exit
}
