package faults

import "sort"

// Kind names one fault action. The string is the word used in a plan's text
// and in scenario files.
type Kind string

const (
	Crash   Kind = "crash"
	Restart Kind = "restart"
	Pause   Kind = "pause"
	Resume  Kind = "resume"
	// Partition is a symmetric cut between Groups. Nodes named in no group
	// stay connected to every node.
	Partition Kind = "partition"
	// PartitionOneWay blocks the Nodes -> To direction only.
	PartitionOneWay Kind = "partition-oneway"
	// RegionDown crashes a region's nodes and cuts its links; RegionUp
	// restores the links and restarts the nodes.
	RegionDown Kind = "region-down"
	RegionUp   Kind = "region-up"
	// Heal removes every partition (symmetric and one-way); region cuts stay.
	Heal Kind = "heal"
	// HealAll ends the chaos window: partitions healed, paused nodes resumed,
	// crashed nodes restarted, regions up, skews and link faults cleared.
	HealAll Kind = "heal-all"
	// Skew sets each node's clock offset to Duration (may be negative).
	Skew Kind = "skew"
	// ClockJump adds Duration to each node's clock offset.
	ClockJump Kind = "clock-jump"
	// LinkFaults sets network-wide loss, duplication, reordering and extra
	// delay (Link); a zero Link turns them off.
	LinkFaults Kind = "links"
	// DiskTorn arms a torn write: at the node's next crash, the last unsynced
	// append of a file survives as a prefix.
	DiskTorn Kind = "disk-torn"
	// HSM injects a fault into each node's HSM: Arg is the HSM's fault text
	// (device-error 2, removed-mid-op, general-error, slow 50ms,
	// unavailable, tamper, restore).
	HSM Kind = "hsm"
	// MPCTamper corrupts every MPC payload the nodes send (a malicious
	// party); MPCWithhold drops them; MPCReplay makes an attacker replay the
	// nodes' earlier MPC messages from another session to their peers;
	// MPCSpoof makes an attacker send MPC messages claiming to be the nodes.
	// MPCClear stops every MPC attack.
	MPCTamper   Kind = "mpc-tamper"
	MPCWithhold Kind = "mpc-withhold"
	MPCReplay   Kind = "mpc-replay"
	MPCSpoof    Kind = "mpc-spoof"
	MPCClear    Kind = "mpc-clear"
	// ChainReorg undoes the chain's last Count blocks.
	ChainReorg Kind = "chain-reorg"
	// ChainFeeSpike multiplies the chain's minimum fee by Count (1 ends
	// the spike): transactions under it stay pending until bumped.
	ChainFeeSpike Kind = "chain-fee-spike"
	// AuditOutage cuts each node off its audit sink (INV-AUDIT: with no
	// sink that can record, custody operations halt); AuditRestore
	// reconnects it.
	AuditOutage  Kind = "audit-outage"
	AuditRestore Kind = "audit-restore"
)

// shape says which Action fields a kind uses; the text form and Validate
// both follow it, so they cannot disagree.
type shape uint8

const (
	shapeNone     shape = iota // heal, heal-all
	shapeNodes                 // Nodes
	shapeNodesDur              // Nodes, Duration
	shapeGroups                // Groups
	shapeFromTo                // Nodes -> To
	shapeRegion                // Region
	shapeLink                  // Link
	shapeNodesArg              // Nodes, Arg (the rest of the line)
	shapeCount                 // Count
)

// KindInfo is one entry of the fault catalog.
type KindInfo struct {
	Kind Kind
	// Start is true for kinds that begin a fault (and may be drawn by
	// Generate); false for undos such as restart or heal.
	Start bool
	// Undo is what Generate emits to end a fault of this kind.
	Undo Kind
	// Args is the argument syntax in a plan's text.
	Args string
	// Summary is one line for --help.
	Summary string
	shape   shape
}

// catalog lists every kind, sorted by name.
var catalog = []KindInfo{
	{Kind: AuditOutage, Args: "NODES", Summary: "cut the nodes (wallet nodes) off their audit sink: they take no custody step until it is back", shape: shapeNodes},
	{Kind: AuditRestore, Args: "NODES", Summary: "reconnect the nodes' audit sink", shape: shapeNodes},
	{Kind: ChainFeeSpike, Args: "MULTIPLIER", Summary: "multiply the chain's minimum fee (1 ends the spike); cheaper transactions wait until bumped", shape: shapeCount},
	{Kind: ChainReorg, Args: "DEPTH", Summary: "undo the chain's last DEPTH blocks; their transactions return to the mempool", shape: shapeCount},
	{Kind: ClockJump, Start: true, Undo: Skew, Args: "NODES DURATION", Summary: "add DURATION (may be negative) to the nodes' clock offset", shape: shapeNodesDur},
	{Kind: Crash, Start: true, Undo: Restart, Args: "NODES", Summary: "crash the nodes (unsynced disk state is lost)", shape: shapeNodes},
	{Kind: DiskTorn, Start: true, Undo: Restart, Args: "NODES", Summary: "arm a torn write: at the node's next crash the last unsynced append survives as a prefix (generated with a crash)", shape: shapeNodes},
	{Kind: Heal, Args: "", Summary: "remove every partition (symmetric and one-way)", shape: shapeNone},
	{Kind: HealAll, Args: "", Summary: "end of chaos: heal, resume, restart, regions up, clear skew and link faults", shape: shapeNone},
	{Kind: HSM, Args: "NODES FAULT", Summary: "inject an HSM fault in each node's HSM (device-error N, removed-mid-op, general-error, slow DURATION, unavailable, tamper, restore), or a host event at it (pin-bruteforce N: an attacker tries N user PINs; pin-reset: the SO resets the user PIN)", shape: shapeNodesArg},
	{Kind: LinkFaults, Start: true, Undo: LinkFaults, Args: "off | loss=PERMILLE dup=PERMILLE reorder=PERMILLE delay=DURATION", Summary: "set network-wide link faults (per mille); off clears them", shape: shapeLink},
	{Kind: MPCClear, Args: "", Summary: "stop every MPC attack", shape: shapeNone},
	{Kind: MPCReplay, Args: "NODES", Summary: "an attacker replays the nodes' earlier MPC messages (another session) to their peers", shape: shapeNodes},
	{Kind: MPCSpoof, Args: "NODES", Summary: "an attacker sends MPC messages claiming to be the nodes", shape: shapeNodes},
	{Kind: MPCTamper, Args: "NODES", Summary: "the nodes act maliciously: every MPC payload they send is corrupted", shape: shapeNodes},
	{Kind: MPCWithhold, Args: "NODES", Summary: "the nodes' MPC messages never arrive (a silent party)", shape: shapeNodes},
	{Kind: Partition, Start: true, Undo: Heal, Args: "NODES | NODES [| NODES ...]", Summary: "symmetric cut between the groups; unnamed nodes stay connected", shape: shapeGroups},
	{Kind: PartitionOneWay, Start: true, Undo: Heal, Args: "NODES -> NODES", Summary: "block messages from the first set to the second only", shape: shapeFromTo},
	{Kind: Pause, Start: true, Undo: Resume, Args: "NODES", Summary: "stop stepping the nodes (state kept, timers and messages wait)", shape: shapeNodes},
	{Kind: RegionDown, Start: true, Undo: RegionUp, Args: "REGION", Summary: "crash the region's nodes and cut its links", shape: shapeRegion},
	{Kind: RegionUp, Args: "REGION", Summary: "restore the region's links and restart its nodes", shape: shapeRegion},
	{Kind: Restart, Args: "NODES", Summary: "restart crashed nodes from their durable disk", shape: shapeNodes},
	{Kind: Resume, Args: "NODES", Summary: "resume paused nodes", shape: shapeNodes},
	{Kind: Skew, Start: true, Undo: Skew, Args: "NODES DURATION", Summary: "set the nodes' clock offset to DURATION (may be negative; 0 clears it)", shape: shapeNodesDur},
}

// Info returns the catalog entry for k.
func Info(k Kind) (KindInfo, bool) {
	for _, ki := range catalog {
		if ki.Kind == k {
			return ki, true
		}
	}
	return KindInfo{}, false
}

// Catalog returns every kind's entry, sorted by name.
func Catalog() []KindInfo { return append([]KindInfo(nil), catalog...) }

// KindNames returns every kind's name, sorted, for --help and scenario
// validation.
func KindNames() []string {
	out := make([]string, len(catalog))
	for i, ki := range catalog {
		out[i] = string(ki.Kind)
	}
	return out
}

// StartKinds returns the kinds Generate may draw, sorted.
func StartKinds() []Kind {
	var out []Kind
	for _, ki := range catalog {
		if ki.Start {
			out = append(out, ki.Kind)
		}
	}
	return out
}

// SortedKinds returns m's keys sorted by name, so a report iterates counts in
// a stable order.
func SortedKinds(m map[Kind]int) []Kind {
	out := make([]Kind, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}
