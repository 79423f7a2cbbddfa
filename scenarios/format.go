package scenarios

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"vaultdrill/faults"
	"vaultdrill/system/chain"
	"vaultdrill/system/env"
	"vaultdrill/system/mpc"
	"vaultdrill/system/signer"
	"vaultdrill/system/topology"
)

// SchemaVersion is the scenario format this build reads.
const SchemaVersion = 1

// ErrBadScenario wraps every error about a scenario's content or overrides:
// the command maps it to exit code 2 (bad input).
var ErrBadScenario = errors.New("bad scenario")

// File is a scenario as written. Kinds (workload, expectations) are looked up
// in registries, so later components add kinds without changing the format.
type File struct {
	Schema      int           `yaml:"schema"`
	Name        string        `yaml:"name"`
	Description string        `yaml:"description"`
	Type        string        `yaml:"type"`     // drill type for the report: chaos, dr-switchover, ...
	Duration    time.Duration `yaml:"duration"` // simulated
	Deployment  string        `yaml:"deployment"`
	Topology    TopologySpec  `yaml:"topology"`
	Network     NetworkSpec   `yaml:"network"`
	Ledger      LedgerSpec    `yaml:"ledger"`
	MPC         MPCSpec       `yaml:"mpc"`
	Workload    KindSpec      `yaml:"workload"`
	Faults      FaultsSpec    `yaml:"faults"`
	Expect      []KindSpec    `yaml:"expect"`
}

// TopologySpec places ledger replicas per region; the first region is primary.
type TopologySpec struct {
	Regions []string `yaml:"regions"`
	Ledger  []int    `yaml:"ledger"`
	// Signers places MPC committees' signers per region, by committee
	// name (hot: [1, 1, 1]); each needs its default key (system/mpc).
	Signers map[string][]int `yaml:"signers"`
	// Chain adds the simulated blockchain node(s): secp256k1, ed25519.
	Chain []string `yaml:"chain"`
	// Wallets places withdrawal-pipeline nodes, a count per region.
	Wallets []int `yaml:"wallets"`
}

// MPCSpec chooses the signing engine and its timing.
type MPCSpec struct {
	Engine       string        `yaml:"engine"` // tss (default) or ideal
	RoundTimeout time.Duration `yaml:"round_timeout"`
	// RoundTimeouts overrides round_timeout per key (per wallet): the
	// cold key's rounds travel by courier.
	RoundTimeouts map[string]time.Duration `yaml:"round_timeouts"`
	AttemptsMax   int                      `yaml:"attempts_max"`
	// Bug plants a known signer bug, to prove the checkers catch it.
	Bug string `yaml:"bug"`
}

// NetworkSpec overrides the simulated latency model.
type NetworkSpec struct {
	SameRegion  time.Duration `yaml:"same_region"`
	CrossRegion time.Duration `yaml:"cross_region"`
	Jitter      time.Duration `yaml:"jitter"`
}

// LedgerSpec tunes the ledger replicas.
type LedgerSpec struct {
	Tick            time.Duration `yaml:"tick"`
	ElectionTicks   int           `yaml:"election_ticks"`
	HeartbeatTicks  int           `yaml:"heartbeat_ticks"`
	SnapshotEntries uint64        `yaml:"snapshot_entries"`
	// PreferredRegion is where the leader belongs (default: the first
	// region; "none": wherever elections put it).
	PreferredRegion string `yaml:"preferred_region"`
	// Bug plants a known ledger bug, to prove the checkers catch it.
	Bug string `yaml:"bug"`
}

// KindSpec is a registry kind plus its parameters, decoded by the kind.
type KindSpec struct {
	Kind   string    `yaml:"kind"`
	Params yaml.Node `yaml:"params"`
	line   int
}

// FaultsSpec: a generated plan, a written one, or both (merged by time).
type FaultsSpec struct {
	Generate  *GenerateSpec  `yaml:"generate"`
	Threshold *ThresholdSpec `yaml:"threshold"`
	Plan      string         `yaml:"plan"`
	planLine  int
}

// GenerateSpec is faults.GenSpec as written.
type GenerateSpec struct {
	MeanGap   time.Duration  `yaml:"mean_gap"`
	WindowMin time.Duration  `yaml:"window_min"`
	WindowMax time.Duration  `yaml:"window_max"`
	Quiet     time.Duration  `yaml:"quiet"`
	Kinds     []string       `yaml:"kinds"`
	Weights   map[string]int `yaml:"weights"`
	MaxDown   int            `yaml:"max_down"`
	// Spare lists node-id prefixes never faulted (e.g. signer-cold: the
	// air-gapped signers sit in vaults).
	Spare []string `yaml:"spare"`
}

// chainRegion is where the simulated chains run: not a custody region.
const chainRegion topology.Region = "world"

// Scenario is a decoded, validated scenario with its provenance.
type Scenario struct {
	File
	Source    string   // a path, or "builtin:NAME"
	Raw       []byte   // the bytes as read
	Overrides []string // key=value, in the order given
	Hash      string   // sha256 over Raw and the overrides
	Topology  topology.Topology
	// NewWorkload builds a fresh workload for one run (workloads keep state).
	NewWorkload func() Workload
	Expects     []Expectation
	Plan        faults.Plan // the written part; the generated part comes per seed
	// signerKeys are the committees placed, in name order.
	signerKeys []mpc.KeyID
}

// Load reads a scenario by path or by built-in drill name, applies overrides
// and validates everything. Every error wraps ErrBadScenario and names the
// file and line where it can.
func Load(ref string, overrides []string) (*Scenario, error) {
	raw, source, err := readRef(ref)
	if err != nil {
		return nil, err
	}
	return Parse(source, raw, overrides)
}

func readRef(ref string) ([]byte, string, error) {
	if b, err := drillFS.ReadFile("drills/" + ref + ".yaml"); err == nil && !strings.ContainsAny(ref, "/\\.") {
		return b, "builtin:" + ref, nil
	}
	b, err := os.ReadFile(ref)
	if err != nil {
		if os.IsNotExist(err) {
			return nil, "", fmt.Errorf("%w: %s: no such file, and no built-in drill of that name (built-in: %s)", ErrBadScenario, ref, strings.Join(DrillNames(), ", "))
		}
		return nil, "", fmt.Errorf("%w: %v", ErrBadScenario, err)
	}
	return b, ref, nil
}

// Hash is the scenario hash: the bytes as read, then each override.
func Hash(raw []byte, overrides []string) string {
	h := sha256.New()
	h.Write(raw)
	for _, o := range overrides {
		h.Write([]byte("\x00--set " + o))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Parse decodes raw scenario bytes; source names them in errors.
func Parse(source string, raw []byte, overrides []string) (*Scenario, error) {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("%w: "+format, append([]any{ErrBadScenario}, a...)...)
	}
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	if err := dec.Decode(&doc); err != nil {
		return nil, bad("%s: %s", source, yamlErr(err))
	}
	for _, o := range overrides {
		if err := applyOverride(&doc, o); err != nil {
			return nil, bad("--set %s: %v", o, err)
		}
	}
	var f File
	if err := decodeStrict(source, &doc, &f); err != nil {
		return nil, bad("%v", err)
	}
	root := doc.Content[0]
	f.Workload.line = lineOf(root, "workload")
	f.Faults.planLine = lineOf(valueOf(root, "faults"), "plan")
	if ex := valueOf(root, "expect"); ex != nil {
		for i := range f.Expect {
			if i < len(ex.Content) {
				f.Expect[i].line = ex.Content[i].Line
			}
		}
	}
	s := &Scenario{File: f, Source: source, Raw: raw, Overrides: append([]string(nil), overrides...), Hash: Hash(raw, overrides)}
	if err := s.validate(); err != nil {
		return nil, bad("%s: %v", source, err)
	}
	return s, nil
}

func (s *Scenario) validate() error {
	f := &s.File
	if f.Schema != SchemaVersion {
		return fmt.Errorf("schema %d: this build reads schema %d", f.Schema, SchemaVersion)
	}
	if f.Name == "" {
		return errors.New("name is required")
	}
	if f.Duration <= 0 {
		return errors.New("duration must be positive (e.g. 10m)")
	}
	switch f.Deployment {
	case "", "in-process":
		f.Deployment = "in-process"
	default:
		return fmt.Errorf("deployment %q: this build runs in-process only", f.Deployment)
	}
	if f.Type == "" {
		f.Type = "chaos"
	}
	// Topology.
	if len(f.Topology.Regions) == 0 {
		s.Topology = topology.Default()
	} else {
		if len(f.Topology.Regions) != len(f.Topology.Ledger) {
			return fmt.Errorf("topology: %d regions but %d ledger counts", len(f.Topology.Regions), len(f.Topology.Ledger))
		}
		var rs []topology.Region
		total := 0
		for i, r := range f.Topology.Regions {
			if r == "" || r == string(clientRegion) {
				return fmt.Errorf("topology: region name %q is reserved or empty", r)
			}
			if f.Topology.Ledger[i] < 0 {
				return fmt.Errorf("topology: negative replica count for %s", r)
			}
			total += f.Topology.Ledger[i]
			rs = append(rs, topology.Region(r))
		}
		if total > 9 || total < 1 && len(f.Topology.Signers) == 0 {
			return fmt.Errorf("topology: %d ledger replicas; 1 to 9 are supported (0 only with signers)", total)
		}
		s.Topology = topology.Ledger(rs, f.Topology.Ledger)
	}
	for _, name := range sortedKeys(f.Topology.Signers) {
		per := f.Topology.Signers[name]
		c, ok := mpc.DefaultCommittee(mpc.KeyID(name))
		if !ok {
			return fmt.Errorf("topology.signers: %q has no default key (hot, cold, hot-ed, cold-ed)", name)
		}
		sum := 0
		for _, x := range per {
			if x < 0 {
				return fmt.Errorf("topology.signers.%s: negative count", name)
			}
			sum += x
		}
		if sum != c.N() || len(per) != len(s.Topology.Regions) {
			return fmt.Errorf("topology.signers.%s: %v places %d signers over %d regions; the key has %d (one count per region)", name, per, sum, len(s.Topology.Regions), c.N())
		}
		if _, dup := s.Topology.Find(env.NodeID(c.Parties[0])); dup {
			return fmt.Errorf("topology.signers.%s: its signers are already placed (hot and hot-ed share signers: place one of them)", name)
		}
		s.Topology = s.Topology.AddSigners(strings.TrimSuffix(name, "-ed"), per)
		s.signerKeys = append(s.signerKeys, mpc.KeyID(name))
	}
	for _, fl := range f.Topology.Chain {
		if fl != chain.Secp256k1 && fl != chain.Ed25519 {
			return fmt.Errorf("topology.chain: %q is not a chain (secp256k1, ed25519)", fl)
		}
		id := env.NodeID("chain-" + fl)
		if _, dup := s.Topology.Find(id); dup {
			return fmt.Errorf("topology.chain: %s twice", fl)
		}
		// The chain is the outside world: it sits in no custody region,
		// so losing a region does not stop the blockchain.
		s.Topology.Nodes = append(s.Topology.Nodes, topology.Node{ID: id, Region: chainRegion, Role: topology.RoleChain})
	}
	if w := f.Topology.Wallets; len(w) > 0 {
		if len(w) != len(s.Topology.Regions) {
			return fmt.Errorf("topology.wallets: %v: one count per region (%d regions)", w, len(s.Topology.Regions))
		}
		for _, x := range w {
			if x < 0 || x > 8 {
				return fmt.Errorf("topology.wallets: %v: counts must be 0..8", w)
			}
		}
		s.Topology = s.Topology.AddWallets(w)
	}
	switch f.MPC.Engine {
	case "":
		f.MPC.Engine = mpc.EngineTSS
	case mpc.EngineTSS, mpc.EngineIdeal:
	default:
		return fmt.Errorf("mpc.engine %q: tss or ideal", f.MPC.Engine)
	}
	if _, err := signer.ParseBug(f.MPC.Bug); err != nil {
		return fmt.Errorf("mpc.bug: %v", err)
	}
	if f.MPC.RoundTimeout < 0 || f.MPC.AttemptsMax < 0 {
		return errors.New("mpc: round_timeout and attempts_max must not be negative")
	}
	for _, k := range sortedKeys(f.MPC.RoundTimeouts) {
		if _, ok := f.Topology.Signers[k]; !ok {
			return fmt.Errorf("mpc.round_timeouts: key %q has no signers in the topology", k)
		}
		if f.MPC.RoundTimeouts[k] <= 0 {
			return fmt.Errorf("mpc.round_timeouts: %s must be positive", k)
		}
	}
	if pr := f.Ledger.PreferredRegion; pr != "" && pr != "none" && !s.Topology.HasRegion(topology.Region(pr)) {
		return fmt.Errorf("ledger.preferred_region %q is not a region of the topology", pr)
	}
	if _, err := ledgerBug(f.Ledger.Bug); err != nil {
		return fmt.Errorf("ledger.bug: %v", err)
	}
	// Workload.
	wk, ok := workloadKinds[f.Workload.Kind]
	if !ok {
		return fmt.Errorf("line %d: workload kind %q unknown (known: %s)", f.Workload.line, f.Workload.Kind, strings.Join(sortedKeys(workloadKinds), ", "))
	}
	params := f.Workload.Params
	if _, err := wk.New(s.Source, &params); err != nil {
		return err
	}
	src := s.Source
	s.NewWorkload = func() Workload {
		p := params
		wl, err := wk.New(src, &p)
		if err != nil {
			panic(fmt.Sprintf("scenarios: workload valid once, invalid now: %v", err))
		}
		return wl
	}
	// Expectations.
	for _, e := range f.Expect {
		ek, ok := expectKinds[e.Kind]
		if !ok {
			return fmt.Errorf("line %d: expectation kind %q unknown (known: %s)", e.line, e.Kind, strings.Join(sortedKeys(expectKinds), ", "))
		}
		p := e.Params
		x, err := ek.New(s.Source, &p)
		if err != nil {
			return err
		}
		s.Expects = append(s.Expects, x)
	}
	if len(s.Expects) == 0 {
		return errors.New("expect: at least one expectation is required")
	}
	// Faults.
	if f.Faults.Plan != "" {
		p, err := faults.ParsePlan(f.Faults.Plan)
		if err != nil {
			return fmt.Errorf("faults.plan (starting line %d): %v", f.Faults.planLine+1, err)
		}
		if err := p.Validate(s.Topology); err != nil {
			return fmt.Errorf("faults.plan: %v", err)
		}
		for _, a := range p.Actions {
			if a.At > f.Duration {
				return fmt.Errorf("faults.plan: action at %v is after the scenario's duration %v", a.At, f.Duration)
			}
		}
		s.Plan = p
	}
	if f.Faults.Threshold != nil {
		if err := s.validateThreshold(); err != nil {
			return err
		}
	}
	if g := f.Faults.Generate; g != nil {
		spec, err := s.genSpec()
		if err != nil {
			return fmt.Errorf("faults.generate: %v", err)
		}
		if _, err := spec.WithDefaults(s.Topology); err != nil {
			return fmt.Errorf("faults.generate: %v", err)
		}
		if g.Quiet >= f.Duration {
			return fmt.Errorf("faults.generate.quiet %v leaves no chaos window in %v", g.Quiet, f.Duration)
		}
	}
	return nil
}

func (s *Scenario) genSpec() (faults.GenSpec, error) {
	g := s.Faults.Generate
	spec := faults.GenSpec{
		Duration: s.Duration, Quiet: g.Quiet, MeanGap: g.MeanGap,
		WindowMin: g.WindowMin, WindowMax: g.WindowMax, MaxDown: g.MaxDown, Spare: g.Spare,
	}
	if spec.MeanGap <= 0 || spec.WindowMin <= 0 || spec.WindowMax < spec.WindowMin {
		return spec, errors.New("mean_gap, window_min and window_max must be positive with window_min <= window_max")
	}
	known := map[string]bool{}
	for _, k := range faults.KindNames() {
		known[k] = true
	}
	for _, k := range g.Kinds {
		if !known[k] {
			return spec, fmt.Errorf("unknown fault kind %q (known: %s)", k, strings.Join(faults.KindNames(), ", "))
		}
		spec.Kinds = append(spec.Kinds, faults.Kind(k))
	}
	if len(spec.Kinds) == 0 {
		return spec, errors.New("kinds: name at least one fault kind")
	}
	if len(g.Weights) > 0 {
		spec.Weights = map[faults.Kind]int{}
		for _, k := range sortedKeys(g.Weights) {
			if !known[k] {
				return spec, fmt.Errorf("weights: unknown fault kind %q", k)
			}
			spec.Weights[faults.Kind(k)] = g.Weights[k]
		}
	}
	return spec, nil
}

// applyOverride sets a dotted key (duration, workload.params.clients, ...)
// in the document to a scalar value, creating missing mapping keys; strict
// decoding then rejects keys the format does not have.
func applyOverride(doc *yaml.Node, o string) error {
	key, val, ok := strings.Cut(o, "=")
	if !ok || key == "" {
		return errors.New("want key=value, e.g. duration=3m or workload.params.clients=20")
	}
	n := doc.Content[0]
	parts := strings.Split(key, ".")
	for i, p := range parts {
		if n.Kind == yaml.SequenceNode {
			idx, err := strconv.Atoi(p)
			if err != nil || idx < 0 || idx >= len(n.Content) {
				return fmt.Errorf("%s: %q is not an index of a %d-item list", strings.Join(parts[:i], "."), p, len(n.Content))
			}
			if i == len(parts)-1 {
				setScalar(n.Content[idx], val)
				return nil
			}
			n = n.Content[idx]
			continue
		}
		if n.Kind != yaml.MappingNode {
			if n.Kind == yaml.ScalarNode && n.Tag == "!!null" || n.Kind == 0 {
				n.Kind, n.Tag, n.Value = yaml.MappingNode, "!!map", ""
			} else {
				return fmt.Errorf("%s is not a mapping", strings.Join(parts[:i], "."))
			}
		}
		v := valueOf(n, p)
		if v == nil {
			v = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
			n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: p}, v)
		}
		if i == len(parts)-1 {
			setScalar(v, val)
			return nil
		}
		n = v
	}
	return nil
}

// setScalar sets a value as if written in the file: a scalar (yaml
// resolves int, bool, string), or a flow list or mapping ([1, 1, 1],
// {hot: [2, 2, 1]}) that replaces the node whole.
func setScalar(n *yaml.Node, val string) {
	var probe yaml.Node
	if yaml.Unmarshal([]byte(val), &probe) == nil && len(probe.Content) == 1 {
		if c := probe.Content[0]; c.Kind == yaml.SequenceNode || c.Kind == yaml.MappingNode {
			*n = *c
			return
		}
	}
	*n = yaml.Node{Kind: yaml.ScalarNode, Value: val}
	if len(probe.Content) == 1 && probe.Content[0].Kind == yaml.ScalarNode {
		n.Tag = probe.Content[0].Tag
	}
}

func valueOf(m *yaml.Node, key string) *yaml.Node {
	if m == nil || m.Kind != yaml.MappingNode {
		return nil
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i+1]
		}
	}
	return nil
}

func lineOf(m *yaml.Node, key string) int {
	if m == nil || m.Kind != yaml.MappingNode {
		return 0
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return m.Content[i].Line
		}
	}
	return m.Line
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
