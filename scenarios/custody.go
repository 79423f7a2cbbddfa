package scenarios

import (
	"fmt"
	"strings"
	"time"

	"vaultdrill/system/chain"
	"vaultdrill/system/env"
	"vaultdrill/system/mpc"
	"vaultdrill/system/signer"
	"vaultdrill/system/topology"
)

// chainGenesis is what the key's address and each external user start with.
const chainGenesis = 1_000_000_000_000

// installMPC places the signer nodes of every committee in the topology, with
// the default key shares (the key ceremony's output, kept as test data) and
// the run's engine, and the chain nodes with the committees' addresses
// funded. It returns the committees' public keys and the shares (for the
// leak scanner: the harness holds them, the system never reports them).
func (d *inProcess) installMPC(s *Scenario, seed uint64) (map[mpc.KeyID][]byte, []*mpc.KeyShare, error) {
	pubs := map[mpc.KeyID][]byte{}
	var all []*mpc.KeyShare
	if len(s.signerKeys) == 0 && len(d.topo.ByRole(topology.RoleChain)) == 0 {
		return pubs, nil, nil
	}
	var engine mpc.Engine = mpc.NewTSS()
	var ideal *mpc.Ideal
	if s.MPC.Engine == mpc.EngineIdeal {
		ideal = mpc.NewIdealDefault(seed)
		engine = ideal
	}
	pool, err := mpc.LoadDefaultPool()
	if err != nil {
		return nil, nil, err
	}
	// A share a ceremony makes inside a signer is handed to the leak
	// scanner through the witness (the simulator's view into a node's
	// memory); the scanner exists once installMPC returned.
	witness := func(sh *mpc.KeyShare) {
		if d.witness != nil {
			d.witness(sh)
		}
	}
	cfgs := map[mpc.PartyID]*signer.Config{}
	var order []mpc.PartyID
	for _, k := range s.signerKeys {
		shares, err := mpc.LoadDefaultKey(k)
		if err != nil {
			return nil, nil, fmt.Errorf("key %s: %w", k, err)
		}
		c, _ := mpc.DefaultCommittee(k)
		pubs[k] = shares[0].PublicKey
		if ideal != nil {
			pubs[k], _ = ideal.PublicKey(k)
		}
		for _, sh := range shares {
			all = append(all, sh)
			cfg := cfgs[sh.Party]
			if cfg == nil {
				cfg = &signer.Config{ID: sh.Party, Shares: map[mpc.KeyID]*mpc.KeyShare{}, PublicKeys: pubs, Engine: engine,
					Requesters: []env.NodeID{driverNode}, RoundTimeout: s.MPC.RoundTimeout, AttemptsMax: s.MPC.AttemptsMax,
					Bug: signer.Bug(s.MPC.Bug), ShareWitness: witness, RoundTimeouts: map[mpc.KeyID]time.Duration{}}
				for k, d := range s.MPC.RoundTimeouts { // determinism: allowed (copied into a map)
					cfg.RoundTimeouts[mpc.KeyID(k)] = d
				}
				// Parties without a pool slot (the EdDSA-only ones) refuse
				// ECDSA ceremonies.
				cfg.PreParams, _ = pool.For(sh.Party)
				cfgs[sh.Party] = cfg
				order = append(order, sh.Party)
			}
			cfg.Committees = append(cfg.Committees, c)
			cfg.Shares[k] = sh
		}
	}
	if cs := d.custody; cs != nil {
		// Custody signers: they serve the wallet nodes, re-check every
		// transaction (Guard), and the cold ones are air-gapped.
		var wallets []env.NodeID
		for _, n := range d.topo.ByRole(topology.RoleWallet) {
			wallets = append(wallets, n.ID)
		}
		g := cs.guard(pubs)
		for _, p := range order {
			cfg := cfgs[p]
			cfg.Requesters = append(append([]env.NodeID(nil), wallets...), driverNode)
			cfg.Guard = g
			if strings.HasPrefix(string(p), "signer-cold-") {
				cfg.Relay = courierNode
			}
		}
	}
	for _, p := range order {
		cfg := *cfgs[p]
		n, ok := d.topo.Find(env.NodeID(p))
		if !ok {
			return nil, nil, fmt.Errorf("signer %s is not in the topology", p)
		}
		d.world.Add(n.ID, n.Region, func() env.Node { return signer.New(cfg) })
	}
	for _, cn := range d.topo.ByRole(topology.RoleChain) {
		flavour := string(cn.ID)[len("chain-"):]
		var genesis []chain.Allocation
		for _, k := range s.signerKeys {
			c, _ := mpc.DefaultCommittee(k)
			if (c.Algo == mpc.ECDSA) != (flavour == chain.Secp256k1) {
				continue
			}
			addr, err := chain.Address(flavour, pubs[k])
			if err != nil {
				return nil, nil, err
			}
			genesis = append(genesis, chain.Allocation{Address: addr, Amount: chainGenesis})
		}
		genesis = append(genesis, chain.Allocation{Address: chain.MustExternalKey(seed, "user-1", flavour).Address, Amount: chainGenesis})
		if d.custody != nil && flavour == chain.Secp256k1 {
			genesis = append(d.custody.genesis(seed, flavour, pubs), anchorGenesis(seed, flavour, d.topo)...)
		}
		cfg := chain.Config{ID: cn.ID, Flavour: flavour, Genesis: genesis}
		if err := cfg.Validate(); err != nil {
			return nil, nil, err
		}
		d.world.Add(cn.ID, cn.Region, func() env.Node { return chain.New(cfg) })
	}
	return pubs, all, nil
}
