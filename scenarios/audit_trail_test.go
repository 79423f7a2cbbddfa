package scenarios

import (
	"strings"
	"testing"

	"vaultdrill/checkers"
	"vaultdrill/checkers/history"
	"vaultdrill/system/audit"
)

func auditFacts(out *Outcome) map[string]history.Observation {
	facts := map[string]history.Observation{}
	for _, o := range out.Observations {
		if o.Kind == "world.audit" {
			facts[o.Fields["node"]] = o
		}
	}
	return facts
}

func auditVerdict(out *Outcome) checkers.Result {
	return checkers.Audit(checkers.Input{History: out.History, Observations: out.Observations})
}

// A CI-length custody day: the world reads every wallet node's own log and
// every replica of it, all verify and agree with their origin, each node
// anchored its log on chain, and INV-AUDIT is valid.
func TestAuditTrailReplicatedAndAnchored(t *testing.T) {
	out := runCustody(t, 3)
	facts := auditFacts(out)
	wallets := []string{"wallet-1", "wallet-2", "wallet-3"}
	for _, origin := range wallets {
		own, ok := facts[origin]
		if !ok {
			t.Fatalf("no world.audit for %s's own log", origin)
		}
		if own.Fields["entries"] == "0" {
			t.Errorf("%s recorded nothing", origin)
		}
		if own.Fields["anchors"] == "0" || own.Fields["origin"] != origin {
			t.Errorf("%s's own log: checked against %s anchors, origin %q: the world must have matched its anchors", origin, own.Fields["anchors"], own.Fields["origin"])
		}
		for _, holder := range wallets {
			node := origin
			if holder != origin {
				node = holder + "/replica/" + origin
			}
			f, ok := facts[node]
			if !ok {
				t.Fatalf("no world.audit for %s", node)
			}
			if f.Fields["verify"] != "ok" || f.Fields["missing_fields"] != "" {
				t.Errorf("%s: verify %q, missing %q", node, f.Fields["verify"], f.Fields["missing_fields"])
			}
			if f.Fields["entries"] != own.Fields["entries"] || f.Fields["head"] != own.Fields["head"] {
				t.Errorf("%s holds %s entries ending %s; %s's own log %s ending %s", node, f.Fields["entries"], f.Fields["head"],
					origin, own.Fields["entries"], own.Fields["head"])
			}
		}
	}
	anchors := map[string]int{}
	for _, o := range out.Observations {
		if o.Kind == "chain.tx" && audit.IsAnchor(o.Fields["memo"]) {
			a, err := audit.ParseAnchor(o.Fields["memo"])
			if err != nil {
				t.Fatalf("anchor memo %q: %v", o.Fields["memo"], err)
			}
			anchors[a.Origin]++
		}
	}
	for _, w := range wallets {
		if anchors[w] < 3 {
			t.Errorf("%s anchored %d times on chain in two hours", w, anchors[w])
		}
	}
	if res := auditVerdict(out); res.Verdict != checkers.Valid {
		t.Fatalf("INV-AUDIT %s: %s %+v", res.Verdict, res.Summary, res.First)
	}
	if out.Report.Verdict != checkers.Valid {
		t.Fatalf("verdict %s: %+v", out.Report.Verdict, out.Report.Expectations)
	}
}

// The planted audit-skip-field bug (entries without device and IP) is
// caught by INV-AUDIT, and the same seed without it is valid.
func TestAuditSkipFieldCaught(t *testing.T) {
	res := auditVerdict(runCustody(t, 2, "workload.params.bug=audit-skip-field"))
	if res.Verdict != checkers.Invalid || !strings.Contains(res.Summary+firstDescs(res), "device,ip") {
		t.Fatalf("INV-AUDIT %s: %s %+v", res.Verdict, res.Summary, res.First)
	}
	if res := auditVerdict(runCustody(t, 2)); res.Verdict != checkers.Valid {
		t.Fatalf("control: INV-AUDIT %s: %s", res.Verdict, res.Summary)
	}
}

func firstDescs(r checkers.Result) string {
	var b strings.Builder
	for _, f := range r.First {
		b.WriteString(f.Desc + "\n")
	}
	return b.String()
}
