package checkers

import (
	"testing"
	"time"

	"vaultdrill/checkers/history"
)

func ob(t time.Duration, node, kind string, kv ...string) history.Observation {
	f := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		f[kv[i]] = kv[i+1]
	}
	return history.Observation{V: 1, Time: int64(t), Node: node, Source: "world", Kind: kind, Fields: f}
}

var hotCommittee = ob(0, "", "world.committee", "key", "hot", "k", "2", "n", "3")

func TestKeyCheckersCatchPlantedViolations(t *testing.T) {
	s := time.Second
	seen := func(party, where, place, region string) history.Observation {
		return ob(s, place, "world.share_seen", "key", "hot", "party", party, "where", where, "place", place, "region", region, "file", "f")
	}
	cases := []struct {
		name  string
		check func(Input) Result
		obs   []history.Observation
		want  Verdict
	}{
		{"shares: one per node is fine", Shares, []history.Observation{hotCommittee, seen("signer-hot-1", "disk", "signer-hot-1", "primary"), seen("signer-hot-2", "disk", "signer-hot-2", "secondary")}, Valid},
		{"shares: k at one node", Shares, []history.Observation{hotCommittee, seen("signer-hot-1", "disk", "signer-hot-1", "primary"), seen("signer-hot-2", "wire", "signer-hot-2->signer-hot-1", "primary")}, Invalid},
		{"shares: k in one region", Shares, []history.Observation{hotCommittee, seen("signer-hot-1", "disk", "a", "primary"), seen("signer-hot-2", "disk", "b", "primary")}, Invalid},
		{"shares: no committee", Shares, []history.Observation{seen("signer-hot-1", "disk", "a", "primary")}, Unknown},
		{"sealed: clean", Sealed, []history.Observation{ob(s, "signer-hot-1", "signer.begin"), ob(s, "signer-hot-1", "world.sealed_file", "node", "signer-hot-1", "file", "signer/share/hot", "sealed", "true")}, Valid},
		{"sealed: share written in clear", Sealed, []history.Observation{seen("signer-hot-1", "disk", "signer-hot-1", "primary"), ob(s, "signer-hot-1", "world.sealed_file", "sealed", "true")}, Invalid},
		{"sealed: unsealed file", Sealed, []history.Observation{ob(s, "n", "world.sealed_file", "node", "n", "file", "signer/share/hot", "sealed", "false")}, Invalid},
		{"sealed: nothing scanned", Sealed, []history.Observation{ob(s, "n", "signer.begin")}, Unknown},
		{"bind: replay rejected", MPCBind, []history.Observation{ob(s, "b", "world.attack", "kind", "replay", "from", "a"), ob(2*s, "b", "signer.reject", "sender", "a", "reason", "replay")}, Valid},
		{"bind: replay accepted", MPCBind, []history.Observation{ob(s, "b", "world.attack", "kind", "replay", "from", "a"), ob(2*s, "c", "signer.reject", "sender", "a")}, Invalid},
		{"bind: spoof rejected too late", MPCBind, []history.Observation{ob(s, "b", "world.attack", "kind", "spoof", "from", "x"), ob(9*s, "b", "signer.reject", "sender", "x")}, Invalid},
		{"bind: tamper blamed", MPCBind, []history.Observation{ob(s, "b", "world.attack", "kind", "tamper", "from", "a"), ob(2*s, "b", "signer.blame", "culprits", "a", "attributable", "true")}, Valid},
		{"quarantine: backed by blame", Quarantine, []history.Observation{ob(s, "b", "signer.blame", "culprits", "a", "attributable", "true"), ob(2*s, "b", "signer.blame", "culprits", "a", "attributable", "true"), ob(3*s, "c", "signer.quarantine", "party", "a", "strikes", "2")}, Valid},
		{"quarantine: on inconsistent blame", Quarantine, []history.Observation{ob(s, "b", "signer.blame", "culprits", "a", "attributable", "false"), ob(2*s, "b", "signer.blame", "culprits", "a", "attributable", "false"), ob(3*s, "c", "signer.quarantine", "party", "a", "strikes", "2")}, Invalid},
		{"quarantine: repeat offender left in", Quarantine, []history.Observation{ob(s, "b", "signer.blame", "culprits", "a", "attributable", "true"), ob(2*s, "b", "signer.blame", "culprits", "a", "attributable", "true"), ob(3*s, "b", "signer.blame", "culprits", "a", "attributable", "true")}, Invalid},
		{"quarantine: attempt reused with other material", Quarantine, []history.Observation{ob(s, "b", "signer.begin", "key", "hot", "session", "hot/1/1", "parties", "a,b", "digest", "00"), ob(2*s, "c", "signer.begin", "key", "hot", "session", "hot/1/1", "parties", "a,b", "digest", "01")}, Invalid},
		{"hsm: reconciled", HSMUnknown, []history.Observation{ob(s, "n", "hsm.op", "op", "unseal", "op_id", "7", "rv", "CKR_GENERAL_ERROR"), ob(s, "n", "hsm.truth", "op_id", "7", "happened", "false"), ob(s, "n", "hsm.op", "op", "reconcile", "op_id", "7", "rv", "CKR_OK"), ob(s, "n", "signer.reconcile", "opid", "7", "known", "true", "happened", "false")}, Valid},
		{"hsm: blind retry", HSMUnknown, []history.Observation{ob(s, "n", "hsm.op", "op", "unseal", "op_id", "7", "rv", "CKR_GENERAL_ERROR"), ob(s, "n", "hsm.op", "op", "unseal", "op_id", "8", "rv", "CKR_OK")}, Invalid},
		{"hsm: reconcile contradicts the truth", HSMUnknown, []history.Observation{ob(s, "n", "hsm.op", "op", "unseal", "op_id", "7", "rv", "CKR_GENERAL_ERROR"), ob(s, "n", "hsm.truth", "op_id", "7", "happened", "true"), ob(s, "n", "hsm.op", "op", "reconcile", "op_id", "7", "rv", "CKR_OK"), ob(s, "n", "signer.reconcile", "opid", "7", "known", "true", "happened", "false")}, Invalid},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.check(Input{Observations: c.obs})
			if r.Verdict != c.want {
				t.Fatalf("%s: %s (%s), want %s", r.Checker, r.Verdict, r.Summary, c.want)
			}
			if r.Verdict == Invalid && len(r.First) == 0 {
				t.Fatal("an invalid verdict names nothing")
			}
		})
	}
}
