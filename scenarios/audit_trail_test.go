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
	return auditByOrigin(checkers.Input{History: out.History, Observations: out.Observations})
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

// A replica that forks from its origin, or a log rewritten after it was
// anchored, is Invalid even when nothing else differs; the grouping by
// origin keeps different logs from being compared with one another.
func TestAuditByOrigin(t *testing.T) {
	fact := func(node, entries, head, verify string) history.Observation {
		return history.Observation{V: history.Version, Source: "world", Kind: "world.audit",
			Fields: map[string]string{"node": node, "entries": entries, "head": head, "verify": verify, "missing_fields": ""}}
	}
	clean := []history.Observation{
		fact("wallet-1", "40", "aa", "ok"), fact("wallet-2/replica/wallet-1", "40", "aa", "ok"),
		fact("wallet-2", "35", "bb", "ok"), fact("wallet-1/replica/wallet-2", "35", "bb", "ok"),
	}
	cases := []struct {
		name string
		obs  []history.Observation
		want checkers.Verdict
	}{
		{"two logs, each with its replica", clean, checkers.Valid},
		{"a forked replica", append(clean[:3:3], fact("wallet-1/replica/wallet-2", "35", "cc", "ok")), checkers.Invalid},
		{"a replica that lags", append(clean[:3:3], fact("wallet-1/replica/wallet-2", "30", "dd", "ok")), checkers.Unknown},
		{"a log that misses an anchor", append(clean[:3:3], fact("wallet-1/replica/wallet-2", "35", "bb", "anchor wallet-2@30: broken")), checkers.Invalid},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := auditByOrigin(checkers.Input{Observations: tc.obs}); got.Verdict != tc.want {
				t.Fatalf("got %s (%s), want %s", got.Verdict, got.Summary, tc.want)
			}
		})
	}
}
