// Package reports owns the drill report: report.json (the source of truth, a
// pure function of commit, scenario, overrides and seed, byte-identical
// across runs), the renderings made from it (Markdown, JUnit XML), the
// run-metadata file for wall-clock facts, and the evidence bundle whose
// manifest hashes every file so the bundle is tamper-evident.
//
// It also owns the exit-code table every command uses.
package reports
