package scenarios

import (
	"testing"
	"time"

	"vaultdrill/checkers"
	"vaultdrill/checkers/history"
	"vaultdrill/sim"
	"vaultdrill/system/env"
	"vaultdrill/system/mpc"
	"vaultdrill/system/topology"
)

// The wire attacks and HSM faults of the fault catalog reach the signers,
// and every attack is rejected (or blamed) at its target, naming the
// sender; a CKR_GENERAL_ERROR is reconciled, and signing carries on.
func TestMPCAttacksAreRejectedAndNamed(t *testing.T) {
	plan := "+1m mpc-spoof signer-hot-2\n+1m mpc-replay signer-hot-3\n+3m mpc-clear\n+4m mpc-tamper signer-hot-1\n+6m mpc-clear\n" +
		"+6m hsm signer-hot-2 general-error\n+7m hsm signer-hot-3 device-error 2\n+7m30s mpc-withhold signer-hot-3,signer-hot-1\n+9m mpc-clear\n+9m30s chain-reorg 2"
	s, err := Load("mpc-resilience", []string{"mpc.engine=ideal", "faults.plan=" + plan})
	if err != nil {
		t.Fatal(err)
	}
	out, err := Run(s, Options{Seed: 5, Commit: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if out.Report.Verdict != checkers.Valid {
		t.Fatalf("verdict %s: %+v", out.Report.Verdict, out.Report.Expectations)
	}
	var attacks, reacts []history.Observation
	reconciled := 0
	for _, o := range out.Observations {
		switch o.Kind {
		case "world.attack":
			attacks = append(attacks, o)
		case "signer.reject", "signer.blame":
			reacts = append(reacts, o)
		case "signer.reconcile":
			reconciled++
		}
	}
	kinds := map[string]int{}
	for _, a := range attacks {
		kinds[a.Fields["kind"]]++
		if a.Fields["kind"] == "withhold" {
			continue // nothing arrives to reject: the attempt times out
		}
		from := a.Fields["from"]
		ok := false
		for _, r := range reacts {
			if r.Node == a.Node && r.Time >= a.Time && r.Time <= a.Time+5e9 &&
				(r.Fields["sender"] == from || r.Fields["culprits"] == from) {
				ok = true
				break
			}
		}
		if !ok {
			t.Fatalf("%s from %s to %s at %d was not rejected", a.Fields["kind"], from, a.Node, a.Time)
		}
	}
	reorgs := 0
	for _, o := range out.Observations {
		if o.Kind == "chain.reorg" {
			reorgs++
		}
	}
	if reorgs != 1 || out.Report.FaultCounts["chain-reorg"] != 1 {
		t.Fatalf("chain reorg: %d observed, %d applied", reorgs, out.Report.FaultCounts["chain-reorg"])
	}
	if kinds["spoof"] == 0 || kinds["replay"] == 0 || kinds["tamper"] == 0 || kinds["withhold"] == 0 {
		t.Fatalf("attacks did not all happen: %v", kinds)
	}
	if reconciled == 0 {
		t.Fatal("no reconcile after CKR_GENERAL_ERROR")
	}
	if st := out.Report.Signing[0]; st.Aborts == 0 || st.Signed < st.Requests-2 {
		t.Fatalf("signing figures: %+v", st)
	}
}

// No clear share is ever seen on a signer's disk or on the wire, and every
// share file is an HSM-sealed blob.
func TestSharesStaySealed(t *testing.T) {
	s, err := Load("mpc-resilience", []string{"mpc.engine=ideal"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := Run(s, Options{Seed: 3, Commit: "test"})
	if err != nil {
		t.Fatal(err)
	}
	sealed := 0
	for _, o := range out.Observations {
		switch o.Kind {
		case "world.share_seen":
			t.Fatalf("clear share seen: %v", o.Fields)
		case "world.sealed_file":
			if o.Fields["sealed"] != "true" {
				t.Fatalf("unsealed key file: %v", o.Fields)
			}
			sealed++
		}
	}
	if sealed != 3 {
		t.Fatalf("%d sealed share files scanned, want 3 (one per hot signer)", sealed)
	}
}

// The leak scanner catches a planted clear share on a signer's disk and on
// the wire.
func TestKeyScannerCatchesPlantedLeaks(t *testing.T) {
	shares, err := mpc.LoadDefaultKey(mpc.KeyHot)
	if err != nil {
		t.Fatal(err)
	}
	clearShare, _ := mpc.MarshalShare(shares[0])
	r := &run{topo: topology.Default().AddSigners("hot", []int{1, 1, 1})}
	r.world = sim.New(sim.Config{Seed: 1, Observe: r.observe})
	leaky := func(e env.Env, in env.Input) {
		if in.Kind == env.InputStart {
			e.Disk().Write("signer/share/hot", clearShare)
			e.Send("signer-hot-2", env.Encode(env.MsgType(33), clearShare))
		}
	}
	r.world.Add("signer-hot-1", topology.Primary, func() env.Node { return nodeFunc(leaky) })
	r.world.Add("signer-hot-2", topology.Secondary, func() env.Node { return nodeFunc(func(env.Env, env.Input) {}) })
	r.world.Add("signer-hot-3", topology.DR, func() env.Node { return nodeFunc(func(env.Env, env.Input) {}) })
	ks := newKeyScanner(r, shares)
	r.world.Network().SetTap(ks.wire)
	r.world.RunFor(time.Second)
	ks.disks(true)
	seen := map[string]bool{}
	for _, o := range r.obs {
		if o.Kind == "world.share_seen" {
			seen[o.Fields["where"]+":"+o.Fields["party"]] = true
		}
		if o.Kind == "world.sealed_file" && o.Fields["sealed"] != "false" {
			t.Fatalf("a clear share file reported sealed: %v", o.Fields)
		}
	}
	if !seen["disk:signer-hot-1"] || !seen["wire:signer-hot-1"] {
		t.Fatalf("planted leaks not found: %v", seen)
	}
}

type nodeFunc func(env.Env, env.Input)

func (f nodeFunc) Step(e env.Env, in env.Input) { f(e, in) }

// Each planted signer bug makes the drill fail with the checker that
// guards against it.
func TestPlantedSignerBugsAreCaught(t *testing.T) {
	plan := "faults.plan=+1m mpc-tamper signer-hot-1\n+2m mpc-replay signer-hot-2\n+3m mpc-spoof signer-hot-3\n+5m mpc-clear\n+6m hsm signer-hot-2 general-error"
	for bug, checker := range map[string]string{
		"unsealed-share":     "INV-SEALED",
		"accept-replay":      "INV-MPCBIND",
		"blind-retry":        "INV-HSMUNKNOWN",
		"blame-inconsistent": "INV-QUARANTINE",
	} {
		s, err := Load("mpc-resilience", []string{"mpc.engine=ideal", "mpc.bug=" + bug, plan})
		if err != nil {
			t.Fatal(err)
		}
		out, err := Run(s, Options{Seed: 5, Commit: "test"})
		if err != nil {
			t.Fatal(err)
		}
		caught := false
		for _, e := range out.Report.Expectations {
			if e.Result.Checker == checker && e.Result.Verdict == checkers.Invalid && len(e.Result.First) > 0 {
				caught = true
			}
		}
		if !caught {
			t.Errorf("planted %s: %s did not fail\nreplay: %s", bug, checker, out.Report.Replay)
		}
	}
}

// The cold key (ECDSA 3-of-5, two signers in each of two regions and one in
// the third) with the ideal engine, and the hot EdDSA key with the real
// tss-lib engine on the ed25519 chain: the same drill, other committees,
// chosen by overrides.
func TestOtherCommittees(t *testing.T) {
	for _, c := range []struct {
		key, signers, chain, engine string
		seed                        uint64
	}{
		{"cold", "{cold: [2, 2, 1]}", "[secp256k1]", "ideal", 4},
		{"hot-ed", "{hot-ed: [1, 1, 1]}", "[ed25519]", "tss", 3},
	} {
		s, err := Load("mpc-resilience", []string{"topology.signers=" + c.signers, "topology.chain=" + c.chain,
			"mpc.engine=" + c.engine, "workload.params.key=" + c.key, "faults.threshold.key=" + c.key,
			"expect=[{kind: mpc-threshold, params: {key: " + c.key + "}}, {kind: mpc-liveness, params: {key: " + c.key + ", bound: 3m}}, {kind: shares}, {kind: sealed}]"})
		if err != nil {
			t.Fatal(err)
		}
		out, err := Run(s, Options{Seed: c.seed, Commit: "test"})
		if err != nil {
			t.Fatal(err)
		}
		st := out.Report.Signing[0]
		if out.Report.Verdict != checkers.Valid || st.Signed == 0 || st.ChainTxs != st.Signed {
			t.Fatalf("%s: %s, %+v\n%+v", c.key, out.Report.Verdict, st, out.Report.Expectations)
		}
	}
}
