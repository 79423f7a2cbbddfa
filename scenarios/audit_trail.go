package scenarios

import (
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"vaultdrill/checkers"
	"vaultdrill/system/audit"
	"vaultdrill/system/chain"
	"vaultdrill/system/env"
	"vaultdrill/system/topology"
	"vaultdrill/system/wallet"
)

// The audit trail in a custody run (INV-AUDIT): each wallet node keeps its
// own hash-chained log (wallet.OwnAuditFile), replicates it to the other
// wallet nodes, in the other regions (each keeps wallet.ReplicaFile(origin)),
// and anchors its head on the chain from an anchor address of its own,
// funded at genesis.
//
// At the end of the run the world reads every wallet node's disk and
// reports one "world.audit" per copy of a log: node is the wallet node for
// its own log ("wallet-1"), and HOLDER/replica/ORIGIN for the replica HOLDER
// keeps of ORIGIN's log ("wallet-2/replica/wallet-1"). verify is "ok" when
// the copy's chain verifies, reaches every anchor of its origin found on
// the chain (a replica: every anchor within its length), and, for a
// replica, is a prefix of the origin's own log; otherwise the first
// failure. missing_fields names the required fields (actor, action,
// subject, decision, policy_version, device, ip) some entry left empty;
// digest and detail may be empty (not every decision is about a
// transaction).
//
// origin names the log a copy is of: INV-AUDIT compares only the copies of
// one log. anchors counts the on-chain anchors the copy was checked
// against.

const (
	anchorKeyPrefix = "audit-anchor/"
	anchorSinkName  = "audit-anchor-sink"
	// anchorFunding pays for every anchor of a long run (one every 10
	// minutes, fee 10 bumped fourfold at most to 640, 1 unit each) many
	// times over.
	anchorFunding = 10_000_000
	// auditSettleMax bounds the wait at the end for replicas to catch up
	// with their origins before the world reads them.
	auditSettleMax = 2 * time.Minute
	replicaInfix   = "/replica/"
)

func anchorKey(seed uint64, id env.NodeID, flavour string) chain.Key {
	return chain.MustExternalKey(seed, anchorKeyPrefix+string(id), flavour)
}

// anchorGenesis funds every wallet node's anchor address.
func anchorGenesis(seed uint64, flavour string, topo topology.Topology) []chain.Allocation {
	var out []chain.Allocation
	for _, n := range topo.ByRole(topology.RoleWallet) {
		out = append(out, chain.Allocation{Address: anchorKey(seed, n.ID, flavour).Address, Amount: anchorFunding})
	}
	return out
}

// auditTrailConfig is wallet node id's audit trail: replicas at every
// other wallet node, anchors from its own key, and the machine identity
// its own decisions are stamped with.
func (r *run) auditTrailConfig(id env.NodeID, wallets []env.NodeID, flavour string) wallet.AuditTrailConfig {
	k := anchorKey(r.world.Seed(), id, flavour)
	region, idx := 0, 0
	for i, reg := range r.topo.Regions {
		if reg == r.topo.RegionOf(id) {
			region = i + 1
		}
	}
	for i, w := range wallets {
		if w == id {
			idx = i + 1
		}
	}
	return wallet.AuditTrailConfig{
		Peers:      append([]env.NodeID(nil), wallets...),
		AnchorKey:  &k,
		AnchorSink: chain.MustExternalKey(r.world.Seed(), anchorSinkName, flavour).Address,
		Device:     "host-" + string(id),
		IP:         fmt.Sprintf("10.%d.0.%d", region, idx),
	}
}

// auditCopy is one copy of a log as the world read it.
type auditCopy struct {
	node, holder, origin string
	entries              []audit.Entry
	err                  error // ParseFile's
}

func (r *run) readAuditCopies() []auditCopy {
	var out []auditCopy
	wallets := r.custody.wallets
	for _, w := range wallets {
		read := func(node, origin, file string) {
			b, _ := r.world.Disk(w).Read(file)
			entries, _, err := audit.ParseFile(file, b)
			out = append(out, auditCopy{node: node, holder: string(w), origin: origin, entries: entries, err: err})
		}
		read(string(w), string(w), wallet.OwnAuditFile)
		for _, o := range wallets {
			if o != w {
				read(string(w)+replicaInfix+string(o), string(o), wallet.ReplicaFile(o))
			}
		}
	}
	return out
}

// auditSettled: every replica holds as many entries as its origin's log.
func auditSettled(copies []auditCopy) bool {
	own := map[string]int{}
	for _, c := range copies {
		if c.holder == c.origin {
			own[c.origin] = len(c.entries)
		}
	}
	for _, c := range copies {
		if c.err == nil && len(c.entries) != own[c.origin] {
			return false
		}
	}
	return true
}

// chainAnchors collects, per origin, the anchors the chain took from that
// origin's anchor address (any chain.tx the chain reported, reorged or
// not: a head a node ever published must be in its log), and the anchor
// memos from it that do not parse.
func (r *run) chainAnchors() (map[string][]audit.Anchor, map[string][]string) {
	flavour := chain.Secp256k1
	owner := map[string]string{}
	for _, w := range r.custody.wallets {
		owner[anchorKey(r.world.Seed(), w, flavour).Address] = string(w)
	}
	anchors, bad := map[string][]audit.Anchor{}, map[string][]string{}
	seen := map[string]bool{}
	for _, o := range r.obs {
		if o.Kind != chain.ObsTx || !audit.IsAnchor(o.Fields["memo"]) || seen[o.Fields["txid"]] {
			continue
		}
		seen[o.Fields["txid"]] = true
		origin, ok := owner[o.Fields["from"]]
		if !ok {
			continue // anyone may write an anchor-like memo; only the node's own address speaks for it
		}
		a, err := audit.ParseAnchor(o.Fields["memo"])
		switch {
		case err != nil:
			bad[origin] = append(bad[origin], fmt.Sprintf("tx %s: %v", o.Fields["txid"], err))
		case a.Origin != origin:
			bad[origin] = append(bad[origin], fmt.Sprintf("tx %s anchors %s's log from %s's address", o.Fields["txid"], a.Origin, origin))
		default:
			anchors[origin] = append(anchors[origin], a)
		}
	}
	return anchors, bad
}

// requiredFields are the entry fields no decision may leave empty, by the
// names world.audit reports.
var requiredFields = []struct {
	name string
	get  func(*audit.Entry) string
}{
	{"actor", func(e *audit.Entry) string { return e.Actor }},
	{"action", func(e *audit.Entry) string { return e.Action }},
	{"subject", func(e *audit.Entry) string { return e.Subject }},
	{"decision", func(e *audit.Entry) string { return e.Decision }},
	{"policy_version", func(e *audit.Entry) string { return e.PolicyVersion }},
	{"device", func(e *audit.Entry) string { return e.Device }},
	{"ip", func(e *audit.Entry) string { return e.IP }},
}

func missingFields(entries []audit.Entry) string {
	var out []string
	for _, f := range requiredFields {
		for i := range entries {
			if f.get(&entries[i]) == "" {
				out = append(out, f.name)
				break
			}
		}
	}
	return strings.Join(out, ",")
}

// auditTrailFinal is the world's last look at the audit trail: it lets the
// replicas catch up (bounded), then reports every copy of every log
// (world.audit) and the anchors it checked them against.
func (r *run) auditTrailFinal(advance func(time.Duration) bool) {
	if r.custody == nil || len(r.custody.wallets) == 0 {
		return
	}
	copies := r.readAuditCopies()
	for deadline := r.world.Now() + auditSettleMax; !auditSettled(copies) && r.world.Now() < deadline; {
		if !advance(r.world.Now() + 5*slice) {
			return
		}
		copies = r.readAuditCopies()
	}
	anchors, bad := r.chainAnchors()
	own := map[string][]audit.Entry{}
	for _, c := range copies {
		if c.holder == c.origin && c.err == nil {
			own[c.origin] = c.entries
		}
	}
	for _, c := range copies {
		verify := "ok"
		checked, err := c.check(anchors[c.origin], bad[c.origin], own)
		if err != nil {
			verify = err.Error()
		}
		var head string
		if n := len(c.entries); n > 0 {
			head = hex.EncodeToString(c.entries[n-1].Hash[:])
		}
		r.worldObs(env.NodeID(c.holder), "world.audit", "node", c.node, "origin", c.origin, "entries", strconv.Itoa(len(c.entries)),
			"head", head, "verify", verify, "missing_fields", missingFields(c.entries), "anchors", strconv.Itoa(checked))
	}
}

// check is a copy's verify: the chain, the anchors, and for a replica its
// origin's log (own holds the origin logs, each verified as its own copy).
// It returns how many anchors the copy was checked against.
func (c auditCopy) check(anchors []audit.Anchor, bad []string, own map[string][]audit.Entry) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if c.holder == c.origin && len(bad) > 0 {
		return 0, fmt.Errorf("audit: %d malformed anchors on chain (first: %s)", len(bad), bad[0])
	}
	var in []audit.Anchor
	for _, a := range anchors {
		// the origin's own log must reach every anchor; a replica, those
		// within its length (it may lag)
		if c.holder == c.origin || a.Seq <= uint64(len(c.entries)) {
			in = append(in, a)
		}
	}
	if err := audit.VerifyAnchors(c.entries, in); err != nil {
		return len(in), err
	}
	if c.holder != c.origin && len(c.entries) > 0 {
		o, ok := own[c.origin]
		if !ok {
			return len(in), fmt.Errorf("audit: the origin %s's own log is unreadable", c.origin)
		}
		// the origin's log is verified as its own copy: whether this
		// replica is a prefix of it is one head to find
		last := c.entries[len(c.entries)-1]
		if err := audit.Reaches(o, last.Seq, last.Hash); err != nil {
			return len(in), fmt.Errorf("audit: not a prefix of %s's log: %w", c.origin, err)
		}
	}
	return len(in), nil
}

func init() {
	expectKinds["audit"] = ExpectKind{
		Doc: "INV-AUDIT: every copy of every wallet node's audit log verifies, reaches its on-chain anchors, has no empty field, and agrees with the other copies; no custody progress while the audit sinks are down",
		New: simpleExpect("audit", checkers.Audit),
	}
}
