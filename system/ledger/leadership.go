package ledger

import (
	"strconv"

	"go.etcd.io/raft/v3"
	"go.etcd.io/raft/v3/tracker"

	"vaultdrill/system/env"
)

// preferLeader moves leadership home. A custody platform runs its primary
// region as the active site: the leader belongs there whenever a replica
// there is healthy, so losing the primary region is a real failover (the
// leader goes with it) and its return is a real fail-back.
//
// A leader outside PreferredRegion that has led for a full election timeout
// (so a flapping region does not bounce leadership) hands over to the
// lowest-id replica in the preferred region whose log matches its own, if
// no transfer is already under way. Raft aborts a transfer that does not
// complete within an election timeout, and this retries on a later tick.
func (n *Node) preferLeader(e env.Env) {
	if n.cfg.PreferredRegion == "" || n.leaderTerm == 0 || n.inPreferred(n.cfg.ID) {
		return
	}
	if n.ticks-n.leaderSince < uint64(n.cfg.ElectionTicks) {
		return
	}
	st := n.rn.Status()
	if st.RaftState != raft.StateLeader || st.LeadTransferee != raft.None {
		return
	}
	last, err := n.storage.LastIndex()
	if err != nil {
		return
	}
	best := uint64(0)
	for _, id := range n.voters {
		if id == n.cfg.RaftID || !n.inPreferred(n.byRaft[id]) {
			continue
		}
		pr, ok := st.Progress[id]
		if !ok || pr.State != tracker.StateReplicate || pr.Match < last {
			continue
		}
		best = id
		break // voters are sorted: the lowest id wins
	}
	if best == 0 {
		return
	}
	e.Observe(env.ObserveKV(ObsTransfer, "term", strconv.FormatUint(st.Term, 10), "to", string(n.byRaft[best])))
	n.rn.TransferLeader(best)
}

func (n *Node) inPreferred(id env.NodeID) bool {
	for _, p := range n.cfg.Peers {
		if p.ID == id {
			return p.Region == n.cfg.PreferredRegion
		}
	}
	return false
}
