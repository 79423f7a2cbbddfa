package scenarios

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
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
			if o.Fields["kind"] != "" { // a wire attack (an HSM attack has none)
				attacks = append(attacks, o)
			}
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

// Every HSM fault of the catalog, and a PIN brute force, at the hot
// signers: each fails closed (the party aborts, the coordinator signs with
// others), a locked-out signer is restored by the security officer, and a
// tampered HSM's party never signs again while the other two carry on.
func TestHSMFaultsFailClosed(t *testing.T) {
	plan := "+1m hsm signer-hot-1 removed-mid-op\n+2m hsm signer-hot-2 slow 2s\n+3m hsm signer-hot-2 restore\n" +
		"+3m30s hsm signer-hot-3 pin-bruteforce 20\n+3m31s crash signer-hot-3\n+3m40s restart signer-hot-3\n" +
		"+5m hsm signer-hot-3 pin-reset\n+5m30s hsm signer-hot-2 unavailable\n+6m hsm signer-hot-2 restore\n+6m30s hsm signer-hot-1 tamper"
	out := runOwnFaults(t, 8, plan)
	if out.Report.Verdict != checkers.Valid {
		t.Fatalf("verdict %s: %+v", out.Report.Verdict, out.Report.Expectations)
	}
	tamper := 6*time.Minute + 30*time.Second
	var removed, locked, lockedAborts, reset, signedAfterTamper, tamperedSigned, slowAborts int
	for _, o := range out.Observations {
		switch {
		case o.Kind == "hsm.op" && o.Fields["rv"] == "CKR_DEVICE_REMOVED":
			removed++
		case o.Kind == "hsm.locked":
			locked++
		case o.Kind == "signer.abort" && strings.Contains(o.Fields["reason"], "CKR_PIN_LOCKED"):
			lockedAborts++
		case o.Kind == "signer.abort" && strings.Contains(o.Fields["reason"], "timeout") && o.Time > int64(2*time.Minute) && o.Time < int64(3*time.Minute):
			slowAborts++
		case o.Kind == "signer.control" && o.Fields["control"] == "pin-reset" && o.Fields["result"] == "ok":
			reset++
		case o.Kind == "signer.signed" && o.Time > int64(tamper)+int64(time.Second):
			signedAfterTamper++
			if o.Node == "signer-hot-1" {
				tamperedSigned++
			}
		}
	}
	t.Logf("removed %d, locked %d (aborts %d), reset %d, signed after tamper %d", removed, locked, lockedAborts, reset, signedAfterTamper)
	switch {
	case removed == 0:
		t.Fatal("removed-mid-op never failed an operation")
	case locked == 0 || lockedAborts == 0:
		t.Fatalf("PIN brute force: %d lockouts, %d aborts on CKR_PIN_LOCKED", locked, lockedAborts)
	case reset == 0:
		t.Fatal("the SO's PIN reset did not succeed")
	case tamperedSigned > 0:
		t.Fatalf("the tampered signer signed %d times after zeroization", tamperedSigned)
	case signedAfterTamper == 0:
		t.Fatal("no signature after the tamper: two healthy signers of 2-of-3 must carry on")
	}
	pairs, err := history.Pair(out.History)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pairs {
		if p.Invoke.Op == "sign" && p.Done.Kind != history.OK {
			t.Errorf("sign at %v: %s %s: with at most one HSM out, every request must be signed", time.Duration(p.Invoke.Time), p.Done.Kind, p.Done.Error)
		}
	}
}

// runOwnFaults runs the hot committee's signing driver under exactly the
// given plan: the mpc-resilience drill's threshold plan would cut signers
// too, so these tests use a file without one.
func runOwnFaults(t *testing.T, seed uint64, plan string, extra ...string) *Outcome {
	t.Helper()
	file := filepath.Join(t.TempDir(), "own-faults.yaml")
	yaml := "schema: 1\nname: own-faults\nduration: 8m\ntopology:\n  regions: [primary, secondary, dr]\n  ledger: [0, 0, 0]\n" +
		"  signers: {hot: [1, 1, 1]}\n  chain: [secp256k1]\nmpc: {engine: ideal, round_timeout: 2s}\n" +
		"workload:\n  kind: signing-driver\n  params: {key: hot, interval: 15s, attempt_timeout: 45s, op_timeout: 2m}\n" +
		"expect:\n  - kind: shares\n  - kind: sealed\n  - kind: mpcbind\n  - kind: quarantine\n  - kind: hsmunknown\n"
	if err := os.WriteFile(file, []byte(yaml), 0o644); err != nil {
		t.Fatal(err)
	}
	sets := append([]string(nil), extra...)
	if plan != "" {
		sets = append(sets, "faults.plan="+plan)
	}
	return runDrill(t, file, seed, sets...)
}

// A signer crashed in the middle of a signing round: the same seed is run
// once to find when a session is under way at signer-hot-2, then again with
// the crash one millisecond into that session (the schedule is identical
// up to the crash). The attempt is abandoned, a retry with another subset
// signs, nothing is signed twice for the client, and the restarted signer
// takes part again later.
func TestSignerCrashMidRound(t *testing.T) {
	const seed = 4
	dry := runOwnFaults(t, seed, "")
	var at int64
	var session string
	for _, o := range dry.Observations {
		if o.Kind == "signer.begin" && o.Node == "signer-hot-2" && o.Time > int64(time.Minute) {
			at, session = o.Time, o.Fields["session"]
			break
		}
	}
	if session == "" {
		t.Fatal("signer-hot-2 never joined a session after 1m")
	}
	crash := time.Duration(at) + time.Millisecond
	plan := fmt.Sprintf("+%v crash signer-hot-2\n+%v restart signer-hot-2", crash, crash+30*time.Second)
	out := runOwnFaults(t, seed, plan)
	if out.Report.Verdict != checkers.Valid {
		t.Fatalf("verdict %s: %+v", out.Report.Verdict, out.Report.Expectations)
	}
	// "hot/SESSION/ATTEMPT[parties]": the request's attempts share "hot/SESSION/"
	head := session[:strings.Index(session, "[")]
	prefix := head[:strings.LastIndex(head, "/")+1]
	began, finished, retried, laterSigned := false, false, false, false
	for _, o := range out.Observations {
		switch {
		case o.Kind == "signer.begin" && o.Node == "signer-hot-2" && o.Fields["session"] == session:
			began = true
		case o.Kind == "signer.signed" && o.Node == "signer-hot-2" && o.Fields["session"] == session:
			finished = true
		case o.Kind == "signer.signature" && strings.HasPrefix(o.Fields["session"], prefix) && o.Fields["attempts"] != "1":
			retried = true // the coordinator retried with another subset
		case o.Kind == "signer.signed" && o.Node == "signer-hot-2" && o.Time > int64(crash+30*time.Second):
			laterSigned = true
		}
	}
	if !began || finished {
		t.Fatalf("the crash did not land inside the session (began %v, finished %v)", began, finished)
	}
	pairs, _ := history.Pair(out.History)
	for _, p := range pairs {
		if p.Invoke.Op == "sign" && p.Invoke.Time <= int64(crash) && p.Done.Time >= int64(crash) && p.Done.Kind == history.OK {
			retried = true // or the client, when the crashed signer coordinated
		}
	}
	if !retried {
		t.Fatal("the request in flight at the crash was never signed")
	}
	if !laterSigned {
		t.Fatal("the restarted signer never signed again")
	}
	for _, p := range pairs {
		if p.Invoke.Op == "sign" && p.Done.Kind != history.OK {
			t.Errorf("sign at %v: %s %s", time.Duration(p.Invoke.Time), p.Done.Kind, p.Done.Error)
		}
	}
}

// Round timeouts are per key: the same silent party costs an attempt 9
// rounds of the key's own bound (ECDSA signing has 9 rounds).
func TestRoundTimeoutPerKey(t *testing.T) {
	firstTimeout := func(sets ...string) time.Duration {
		out := runOwnFaults(t, 2, "+1m mpc-withhold signer-hot-1\n+7m mpc-clear", sets...)
		begun := map[string]int64{}
		for _, o := range out.Observations {
			switch {
			case o.Kind == "signer.begin" && o.Node == o.Fields["coordinator"]:
				begun[o.Fields["session"]] = o.Time
			case o.Kind == "signer.abort" && o.Fields["reason"] == "timeout" && o.Time > int64(time.Minute):
				return time.Duration(o.Time - begun[o.Fields["session"]])
			}
		}
		t.Fatalf("%v: no attempt timed out", sets)
		return 0
	}
	def, slow := firstTimeout(), firstTimeout("mpc.round_timeouts={hot: 10s}")
	if def > 19*time.Second || slow < 89*time.Second || slow > 91*time.Second {
		t.Fatalf("attempt timeouts: default %v (want 9 x 2s), hot at 10s per round %v (want 9 x 10s)", def, slow)
	}
}
