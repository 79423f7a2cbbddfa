package main

import (
	"fmt"
	"io"
	"strings"

	"vaultdrill/faults"
	"vaultdrill/reports"
	"vaultdrill/scenarios"
)

func listCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("list", "", "Lists the built-in drills and every kind a scenario file may name.", stderr)
	if _, code, ok := parseFlags(fs, args); !ok {
		return code
	}
	fmt.Fprintln(stdout, "Built-in drills (vaultdrill show NAME prints one):")
	for _, n := range scenarios.DrillNames() {
		s, err := scenarios.Load(n, nil)
		if err != nil {
			return exitForErr(stderr, err)
		}
		fmt.Fprintf(stdout, "  %-18s %s, %v simulated: %s\n", n, s.Type, s.Duration, firstSentence(s.Description))
	}
	w, e := scenarios.KindDocs()
	fmt.Fprintln(stdout, "\nWorkload kinds:")
	for _, l := range w {
		fmt.Fprintln(stdout, "  "+l)
	}
	fmt.Fprintln(stdout, "\nExpectation kinds:")
	for _, l := range e {
		fmt.Fprintln(stdout, "  "+l)
	}
	fmt.Fprintf(stdout, "\nFault kinds: %s\n", strings.Join(faults.KindNames(), ", "))
	return reports.ExitValid
}

func firstSentence(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if i := strings.Index(s, ". "); i > 0 {
		return s[:i+1]
	}
	return s
}

func showCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("show", "<drill>", "Prints a built-in drill's scenario file: copy it to write your own.", stderr)
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintf(stderr, "vaultdrill show: name one drill (%s)\n", strings.Join(scenarios.DrillNames(), ", "))
		return reports.ExitUsage
	}
	b, err := scenarios.DrillSource(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "vaultdrill show: no built-in drill %q (%s)\n", pos[0], strings.Join(scenarios.DrillNames(), ", "))
		return reports.ExitUsage
	}
	stdout.Write(b)
	return reports.ExitValid
}

func verifyCmd(args []string, stdout, stderr io.Writer) int {
	fs := newFlagSet("verify", "<bundle-dir>", "Re-hashes every file of an evidence bundle against its manifest.json and\nreports any altered, missing or unlisted file. Exit 0 intact, 1 tampered, 2 unreadable.", stderr)
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "vaultdrill verify: name one bundle directory")
		return reports.ExitUsage
	}
	problems, err := reports.VerifyBundle(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "vaultdrill verify: %v\n", err)
		return reports.ExitUsage
	}
	if len(problems) > 0 {
		for _, p := range problems {
			fmt.Fprintln(stdout, "TAMPERED "+p)
		}
		return reports.ExitInvalid
	}
	fmt.Fprintf(stdout, "%s: intact\n", pos[0])
	return reports.ExitValid
}
