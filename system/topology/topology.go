package topology

import (
	"fmt"
	"sort"

	"vaultdrill/system/env"
)

// Region names a failure domain.
type Region string

// Default region names.
const (
	Primary   Region = "primary"
	Secondary Region = "secondary"
	DR        Region = "dr"
)

// Role says what a node does.
type Role string

const (
	RoleLedger Role = "ledger"
	RoleSigner Role = "signer" // an MPC signer with its HSM
	RoleChain  Role = "chain"  // the simulated blockchain (the outside world)
	RoleClient Role = "client" // a harness actor, not part of the custody system
	RoleWallet Role = "wallet" // a withdrawal-pipeline node (system/wallet)
)

// Node places one node.
type Node struct {
	ID     env.NodeID
	Region Region
	Role   Role
	// RaftID is the ledger replica's raft id (1-based); zero for other roles.
	RaftID uint64
}

// Topology is plain data: regions in order (the first is the primary) and
// nodes. It is part of a scenario and of the report.
type Topology struct {
	Regions []Region
	Nodes   []Node
}

// Default is 3 regions and 5 ledger replicas: 2 primary, 2 secondary, 1 DR.
func Default() Topology {
	return Ledger([]Region{Primary, Secondary, DR}, []int{2, 2, 1})
}

// Ledger builds a topology with perRegion[i] ledger replicas in regions[i].
func Ledger(regions []Region, perRegion []int) Topology {
	t := Topology{Regions: append([]Region(nil), regions...)}
	id := uint64(0)
	for i, r := range regions {
		for j := 0; j < perRegion[i]; j++ {
			id++
			t.Nodes = append(t.Nodes, Node{
				ID:     env.NodeID(fmt.Sprintf("ledger-%d", id)),
				Region: r,
				Role:   RoleLedger,
				RaftID: id,
			})
		}
	}
	return t
}

// AddSigners places a committee's signers: perRegion[i] of them in
// t.Regions[i], named "signer-NAME-1", "signer-NAME-2", ... in region order.
func (t Topology) AddSigners(name string, perRegion []int) Topology {
	return t.place("signer-"+name+"-", RoleSigner, perRegion)
}

// place adds perRegion[i] nodes of a role in t.Regions[i], named prefix
// plus 1, 2, ... in region order.
func (t Topology) place(prefix string, role Role, perRegion []int) Topology {
	out := Topology{Regions: t.Regions, Nodes: append([]Node(nil), t.Nodes...)}
	n := 0
	for i, r := range t.Regions {
		if i >= len(perRegion) {
			break
		}
		for j := 0; j < perRegion[i]; j++ {
			n++
			out.Nodes = append(out.Nodes, Node{ID: env.NodeID(fmt.Sprintf("%s%d", prefix, n)), Region: r, Role: role})
		}
	}
	return out
}

// AddWallets places perRegion[i] wallet nodes in t.Regions[i], named
// "wallet-1", "wallet-2", ... in region order.
func (t Topology) AddWallets(perRegion []int) Topology {
	return t.place("wallet-", RoleWallet, perRegion)
}

// RegionOf returns the region of a node ("" when unknown).
func (t Topology) RegionOf(id env.NodeID) Region {
	if n, ok := t.Find(id); ok {
		return n.Region
	}
	return ""
}

// ByRole returns the nodes with the role, in topology order.
func (t Topology) ByRole(role Role) []Node {
	var out []Node
	for _, n := range t.Nodes {
		if n.Role == role {
			out = append(out, n)
		}
	}
	return out
}

// InRegion returns the ids of nodes in the region, sorted.
func (t Topology) InRegion(r Region) []env.NodeID {
	var out []env.NodeID
	for _, n := range t.Nodes {
		if n.Region == r {
			out = append(out, n.ID)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Find returns the node with the id.
func (t Topology) Find(id env.NodeID) (Node, bool) {
	for _, n := range t.Nodes {
		if n.ID == id {
			return n, true
		}
	}
	return Node{}, false
}

// Ledger replicas' ids, in raft id order.
func (t Topology) LedgerIDs() []env.NodeID {
	var out []env.NodeID
	for _, n := range t.ByRole(RoleLedger) {
		out = append(out, n.ID)
	}
	return out
}

// HasRegion reports whether r is one of the topology's regions.
func (t Topology) HasRegion(r Region) bool {
	for _, x := range t.Regions {
		if x == r {
			return true
		}
	}
	return false
}
