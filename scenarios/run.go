package scenarios

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"runtime/debug"
	"slices"
	"sort"
	"strings"
	"time"

	"vaultdrill/checkers"
	"vaultdrill/checkers/history"
	"vaultdrill/faults"
	"vaultdrill/reports"
	"vaultdrill/sim"
	"vaultdrill/system/env"
	"vaultdrill/system/mpc"
	"vaultdrill/system/topology"
)

// Options are the per-run knobs that are not part of the scenario.
type Options struct {
	Seed   uint64
	Commit string
	// Trace receives the world's readable event trace (optional).
	Trace io.Writer
	// Interrupted is polled between slices of simulated time; when it
	// returns true the run stops and judges what it recorded so far.
	Interrupted func() bool
	// Progress is called between slices with simulated time done and total.
	Progress func(done, total time.Duration)
}

// Outcome is a finished run: the report and the evidence it was judged on.
type Outcome struct {
	Report       *reports.Report
	History      []history.Event
	Observations []history.Observation
	// Wall-clock split, for bench only (never in the report).
	SimWall, CheckWall time.Duration
}

// run is one execution of a scenario: the world, the deployment, the
// recorders. Workload actors reach it to record history.
type run struct {
	s      *Scenario
	world  *sim.World
	topo   topology.Topology
	deploy *inProcess
	wl     Workload
	// MPC runs: the committees' public keys and the leak scanner.
	publicKeys map[mpc.KeyID][]byte
	keys       *keyScanner
	// custody is the custody workload's setup (nil for other workloads).
	custody *custodySetup
	hist    []history.Event
	obs     []history.Observation
	procs   int
	counts  map[string]int
	tl      []reports.TimelineItem
	// signAttacker plays the signing-path attacks of a custody run
	// (penetration.go).
	signAttacker *signingAttacker
	// truth is the label of every subject an actor made (world.truth),
	// when the custody run has its risk layer; reviewers investigate it.
	truth map[string]string
	// compliance is the custody run's screening service; it follows the
	// chain's mined transactions (chain.tx).
	compliance *complianceOracle
}

func (r *run) newProcess() int {
	p := r.procs
	r.procs++
	return p
}

func (r *run) record(e history.Event) {
	e.V = history.Version
	e.Time = int64(r.world.Now())
	r.hist = append(r.hist, e)
}

// slice is how much simulated time runs between interrupt and progress checks.
const slice = time.Second

// traceContent keeps MPC payloads out of the trace hash: their bytes are not
// reproducible (see sim.Config.TraceContent), their type, ends and timing are.
func traceContent(payload []byte) []byte {
	if isMPC(payload) {
		return payload[:2]
	}
	return payload
}

// Plan returns the fault plan a seed gets: the generated part (drawn from
// the seed's "faults/plan" stream) merged by time with the written part.
func (s *Scenario) PlanFor(seed uint64) (faults.Plan, error) {
	p := faults.Plan{Actions: append([]faults.Action(nil), s.Plan.Actions...)}
	if s.Faults.Generate != nil {
		spec, err := s.genSpec()
		if err != nil {
			return p, err
		}
		g, err := faults.Generate(sim.NewRand(seed, "faults/plan"), s.Topology, spec)
		if err != nil {
			return p, fmt.Errorf("generate faults: %w", err)
		}
		p.Actions = append(p.Actions, g.Actions...)
	}
	if s.Faults.Threshold != nil {
		p.Actions = append(p.Actions, s.thresholdPlan(s.drawThreshold(seed))...)
	}
	sort.SliceStable(p.Actions, func(i, j int) bool { return p.Actions[i].At < p.Actions[j].At })
	return p, nil
}

// Run executes the scenario for one seed on the in-process deployment and
// judges it. An error means the harness failed, not the system.
func Run(s *Scenario, opt Options) (*Outcome, error) {
	plan, err := s.PlanFor(opt.Seed)
	if err != nil {
		return nil, err
	}
	r := &run{s: s, topo: s.Topology, counts: map[string]int{}}
	cfg := sim.Config{Seed: opt.Seed, Observe: r.observe, TraceContent: traceContent}
	if len(s.signerKeys) > 0 && s.MPC.Engine == mpc.EngineTSS {
		// tss-lib's signatures are not byte-reproducible (D10), and with
		// them everything a signature flows into: results, transactions,
		// txids, block hashes, courier bags. The trace then proves the
		// schedule (type, ends, time of every message), not the bytes.
		cfg.TraceContent = func(p []byte) []byte {
			if len(p) < 2 {
				return p
			}
			return p[:2]
		}
	}
	if s.Network != (NetworkSpec{}) {
		cfg.Latency = sim.Latency{SameRegion: s.Network.SameRegion, CrossRegion: s.Network.CrossRegion, JitterMax: s.Network.Jitter}
	}
	if opt.Trace != nil {
		cfg.Trace = opt.Trace
	}
	r.world = sim.New(cfg)
	r.deploy = &inProcess{world: r.world, topo: r.topo, downBy: map[topology.Region][]env.NodeID{}, worldObs: r.worldObs}
	if err := r.deploy.install(s); err != nil {
		return nil, err
	}
	r.custody = s.custodyOf(opt.Seed)
	if r.custody != nil {
		r.signAttacker = newSigningAttacker(r)
	}
	r.deploy.custody = r.custody
	pubs, shares, err := r.deploy.installMPC(s, opt.Seed)
	if err != nil {
		return nil, err
	}
	r.publicKeys = pubs
	if len(shares) > 0 {
		r.keys = newKeyScanner(r, shares)
		r.deploy.witness = r.keys.addShare
		ks := r.keys
		r.world.Network().SetTap(func(from, to env.NodeID, payload []byte) {
			ks.wire(from, to, payload)
			r.tapCustody(from, to, payload)
		})
		r.keys.schedule(s.Duration)
		r.deploy.attacks = newMPCAttacks(r)
	}
	if s.Faults.Threshold != nil {
		r.observeThreshold(s.drawThreshold(opt.Seed))
	}
	r.wl = s.NewWorkload()
	r.wl.Install(r)
	for _, a := range plan.Actions {
		a := a
		r.world.At(a.At, "fault "+string(a.Kind), func() { r.inject(a) })
	}
	interrupted := false
	simStart := time.Now()
	advance := func(until time.Duration) bool {
		for r.world.Now() < until {
			if opt.Interrupted != nil && opt.Interrupted() {
				interrupted = true
				return false
			}
			next := r.world.Now() + slice
			if next > until {
				next = until
			}
			r.world.RunUntil(next)
			if opt.Progress != nil {
				opt.Progress(r.world.Now(), s.Duration)
			}
		}
		return true
	}
	if advance(s.Duration) {
		r.finish(advance)
	}
	if r.keys != nil {
		r.keys.disks(true)
	}
	out := &Outcome{History: r.hist, Observations: r.obs, SimWall: time.Since(simStart)}
	checkStart := time.Now()
	out.Report = r.report(opt, plan, interrupted)
	out.CheckWall = time.Since(checkStart)
	return out, nil
}

// finish stops the workload, lets outstanding operations end, then reads
// every account once (the final reads INV-RPO judges), retrying until each
// answers or the bound passes.
func (r *run) finish(advance func(time.Duration) bool) {
	wl := r.wl
	wl.Stop()
	lc, _ := wl.(*ledgerClients)
	drain := 10 * time.Second
	if lc != nil {
		drain = lc.p.OpTimeout + time.Second
	}
	if d, ok := wl.(interface{ Drain() time.Duration }); ok {
		drain = d.Drain()
	}
	if !advance(r.world.Now() + drain) {
		return
	}
	accts := wl.Accounts()
	clients := r.clientIDs()
	for i, a := range accts {
		r.world.Inject(finalSender, clients[i%len(clients)], []byte(finalPrefix+a))
	}
	// Bounded: the final reads retry until answered, for at most 5 minutes.
	deadline := r.world.Now() + 5*time.Minute
	for r.world.Now() < deadline {
		if !advance(r.world.Now() + slice) {
			return
		}
		if r.finalReadsDone(len(accts)) {
			break
		}
	}
	if r.custody != nil {
		// the world's last look at the chain, for INV-CONSERVE
		r.world.Inject(finalSender, samplerNode, []byte("final"))
		advance(r.world.Now() + time.Second)
		r.auditTrailFinal(advance) // the world reads the audit trail (audit_trail.go)
	}
}

const (
	finalSender env.NodeID = "harness"
	finalPrefix            = "vaultdrill-final-read:"
)

func (r *run) clientIDs() []env.NodeID {
	var out []env.NodeID
	for _, id := range r.world.Nodes() {
		if strings.HasPrefix(string(id), "client-") {
			out = append(out, id)
		}
	}
	return out
}

func (r *run) finalReadsDone(n int) bool {
	done := 0
	for _, e := range r.hist {
		if e.Detail == "final" && e.Kind == history.OK {
			done++
		}
	}
	return done >= n
}

func (r *run) inject(a faults.Action) {
	text := faults.Plan{Actions: []faults.Action{a}}.String()
	text = strings.TrimSpace(text)
	err := faults.Apply(r.deploy, a)
	item := reports.TimelineItem{At: int64(r.world.Now()), What: text}
	if err != nil {
		item.Error = err.Error()
	} else {
		r.counts[string(a.Kind)]++
	}
	r.tl = append(r.tl, item)
	detail := text
	if err != nil {
		detail += " (failed: " + err.Error() + ")"
	}
	r.record(history.Event{Kind: history.Fault, Process: history.NemesisProcess, Op: string(a.Kind), Key: string(a.Region), Detail: detail})
}

// worldObs records a fact the world saw for itself (Source "world").
func (r *run) worldObs(node env.NodeID, kind string, kv ...string) {
	r.observe(r.world.Now(), node, "world", env.ObserveKV(kind, kv...))
}

func (r *run) observe(at time.Duration, node env.NodeID, source string, o env.Observation) {
	f := make(map[string]string, len(o.Fields))
	for k, v := range o.Fields { // determinism: allowed (a copy)
		f[k] = v
	}
	r.obs = append(r.obs, history.Observation{V: history.Version, Time: int64(at), Node: string(node), Source: source, Kind: o.Kind, Fields: f})
	if o.Kind == "chain.tx" && r.compliance != nil {
		r.compliance.observeTx(f)
	}
}

func (r *run) report(opt Options, plan faults.Plan, interrupted bool) *reports.Report {
	s := r.s
	in := checkers.Input{History: r.hist, Observations: r.obs}
	rep := &reports.Report{
		Format: reports.FormatVersion,
		Seed:   opt.Seed,
		Commit: opt.Commit,
		Scenario: reports.ScenarioInfo{
			Name: s.Name, Type: s.Type, Description: strings.TrimSpace(s.Description),
			Source: s.Source, Hash: s.Hash, Overrides: s.Overrides,
		},
		Deployment:  s.Deployment,
		Topology:    r.topo,
		Versions:    Versions(),
		Workload:    r.wl.Describe(),
		SimDuration: int64(r.world.Now()),
		FaultPlan:   plan.String(),
		FaultCounts: r.counts,
		Timeline:    r.tl,
		Interrupted: interrupted,
		Replay:      ReplayCommand(s, opt.Seed),
	}
	sum := sha256.Sum256([]byte(fmt.Sprintf("%s/%d/%s", s.Hash, opt.Seed, opt.Commit)))
	rep.DrillID = "VD-" + strings.ToUpper(hex.EncodeToString(sum[:6]))
	for _, x := range s.Expects {
		res := x.Check(in)
		rep.Expectations = append(rep.Expectations, reports.Expectation{Name: x.Name(), Pass: res.Verdict == checkers.Valid, Result: res})
		switch res.Checker {
		case "INV-RTO":
			rep.RTO = &reports.RTO{Measured: -1, Injected: res.Measured["fault_ns"], Restored: res.Measured["recovered_ns"]}
			if rx, ok := x.(rtoExpect); ok {
				rep.RTO.Fault, rep.RTO.Target = rx.p.Fault, int64(rx.p.Max)
			}
			if v, ok := res.Measured["rto_ns"]; ok {
				rep.RTO.Measured = v
			}
		case "INV-RPO":
			rep.RPO = &reports.RPO{Target: 0, LostAcked: res.Measured["lost_acked"]}
		}
	}
	var vs []checkers.Verdict
	for _, e := range rep.Expectations {
		vs = append(vs, e.Result.Verdict)
	}
	rep.Verdict = checkers.Compose(vs...)
	rep.Attacks = attackTable(rep.Expectations)
	rep.ExitCode = reports.ExitCodeFor(rep.Expectations)
	if interrupted {
		rep.ExitCode = reports.ExitInterrupted
	}
	rep.Failover = failover(r.hist)
	if len(s.signerKeys) > 0 {
		keys := make([]string, len(s.signerKeys))
		for i, k := range s.signerKeys {
			keys[i] = string(k)
		}
		// keys made by ceremonies during the run, after the configured ones
		var made []string
		for k := range r.publicKeys { // determinism: allowed (sorted below)
			if !slices.Contains(keys, string(k)) {
				made = append(made, string(k))
			}
		}
		sort.Strings(made)
		keys = append(keys, made...)
		rep.Signing = signingStats(s.MPC.Engine, keys, r.hist, r.obs)
	}
	if r.custody != nil {
		rep.Custody = custodyStats(r.hist, r.obs)
		rep.Risk = riskStats(r.obs)
	}
	rep.Ops = opStats(r.hist)
	net := r.world.Network()
	rep.World = reports.WorldInfo{
		Events: r.world.Events, Steps: r.world.Steps, MsgSent: net.Sent, MsgDelivered: net.Delivered,
		MsgDropped: net.Dropped, MsgDup: net.Duplicated, TraceHash: r.world.TraceHash(), Observations: len(r.obs),
	}
	return rep
}

// failover reads the first region-down off the history: the last write
// committed before it and the first committed after.
func failover(h []history.Event) *reports.Failover {
	var f *reports.Failover
	lastBefore := ""
	invokedAt := map[int]int64{}
	for _, e := range h {
		if e.Kind == history.Invoke {
			invokedAt[e.Process] = e.Time
		}
		if e.Kind == history.Fault && e.Op == string(faults.RegionDown) && f == nil {
			f = &reports.Failover{Region: e.Key, InjectedAt: e.Time, FirstAfter: "none"}
			continue
		}
		if e.Kind == history.Fault && e.Op == string(faults.RegionUp) && f != nil && f.HealedAt == 0 {
			f.HealedAt = e.Time
		}
		isWrite := e.Op == "deposit" || e.Op == "withdraw"
		if e.Kind != history.OK || !isWrite {
			continue
		}
		desc := fmt.Sprintf("%s %d on %s by process %d via %s, completed at %s", e.Op, e.Value, e.Key, e.Process, e.Node, time.Duration(e.Time))
		if f == nil {
			lastBefore = desc
			continue
		}
		if f.FirstAfter == "none" && invokedAt[e.Process] > f.InjectedAt {
			f.FirstAfter = desc
			f.RecoveredAt = e.Time
		}
	}
	if f != nil {
		f.LastBefore = lastBefore
		if f.LastBefore == "" {
			f.LastBefore = "none"
		}
	}
	return f
}

func opStats(h []history.Event) reports.OpStats {
	st := reports.OpStats{ByOp: map[string]map[string]int{}}
	for _, e := range h {
		if e.Kind == history.Fault {
			continue
		}
		if st.ByOp[e.Op] == nil {
			st.ByOp[e.Op] = map[string]int{}
		}
		switch {
		case e.Kind == history.Invoke:
			st.Invoked++
		case e.Kind == history.OK && e.Refused:
			st.ByOp[e.Op]["refused"]++
		default:
			st.ByOp[e.Op][string(e.Kind)]++
		}
	}
	return st
}

// ReplayCommand is the exact command that re-runs this scenario and seed.
func ReplayCommand(s *Scenario, seed uint64) string {
	ref := s.Source
	if strings.HasPrefix(ref, "builtin:") {
		ref = strings.TrimPrefix(ref, "builtin:")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "vaultdrill run %s --seed %d", shellQuote(ref), seed)
	for _, o := range s.Overrides {
		fmt.Fprintf(&b, " --set %s", shellQuote(o))
	}
	return b.String()
}

func shellQuote(s string) string {
	if s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r == '-' || r == '_' || r == '.' || r == '/' || r == '=' || r == ':' || r == ',' ||
			(r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9'))
	}) < 0 {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// Versions lists the dependency versions compiled in (for the report).
func Versions() map[string]string {
	out := map[string]string{}
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return out
	}
	out["go"] = bi.GoVersion
	for _, d := range bi.Deps {
		switch d.Path {
		case "go.etcd.io/raft/v3", "github.com/anishathalye/porcupine", "gopkg.in/yaml.v3":
			out[d.Path] = d.Version
		}
	}
	return out
}

// Evidence renders the files of a run's bundle: report.json, summary.md,
// junit.xml, history.jsonl, observations.jsonl, fault-plan.txt, scenario.yaml.
func (o *Outcome) Evidence(s *Scenario) map[string][]byte {
	var hb, ob bytes.Buffer
	hw := history.NewWriter(&hb)
	for _, e := range o.History {
		_ = hw.Write(e)
	}
	_ = hw.Flush()
	ow := history.NewObsWriter(&ob)
	for _, x := range o.Observations {
		_ = ow.Write(x)
	}
	_ = ow.Flush()
	files := map[string][]byte{
		"report.json":        o.Report.JSON(),
		"summary.md":         o.Report.Markdown(),
		"junit.xml":          o.Report.JUnit(),
		"history.jsonl":      hb.Bytes(),
		"observations.jsonl": ob.Bytes(),
		"fault-plan.txt":     []byte(o.Report.FaultPlan),
		"scenario.yaml":      s.Raw,
	}
	// porcupine's visualization of every account that failed the
	// linearizability check, for a developer to step through.
	in := checkers.Input{History: o.History, Observations: o.Observations}
	for _, e := range o.Report.Expectations {
		if e.Result.Checker != "INV-LINEARIZABLE" || e.Result.Verdict != checkers.Invalid {
			continue
		}
		seen := map[string]bool{}
		for _, op := range e.Result.First {
			if op.Key == "" || seen[op.Key] {
				continue
			}
			seen[op.Key] = true
			var b bytes.Buffer
			if checkers.LinearizabilityViz(in, op.Key, &b) == nil {
				files["linearizability-"+op.Key+".html"] = b.Bytes()
			}
		}
	}
	return files
}
