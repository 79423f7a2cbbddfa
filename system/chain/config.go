package chain

import (
	"fmt"
	"math"
	"time"

	"vaultdrill/system/env"
)

// Defaults for the zero fields of Config.
const (
	DefaultBlockIntervalSecp256k1 = 10 * time.Second
	DefaultBlockIntervalEd25519   = 2 * time.Second
	DefaultMaxTxPerBlock          = 100
	DefaultMempoolMax             = 4096
	DefaultMempoolPerSenderMax    = 64
	DefaultMinFee                 = 1
	DefaultReorgDepthMax          = 16
)

// Hard bounds on the configurable ones, and on the rest.
const (
	MaxTxPerBlockMax = 10_000
	MempoolMaxMax    = 1 << 20
	ReorgDepthMaxMax = 1024
	FeeMultiplierMax = 1_000_000
	// GenesisMax bounds the genesis allocations.
	GenesisMax = 100_000
	// stuckMax bounds the txids marked stuck at once.
	stuckMax = 1024
	// droppedMax bounds how many dropped txids are remembered for status
	// queries (oldest forgotten first).
	droppedMax = 4096
)

// Allocation is one genesis balance.
type Allocation struct {
	Address string
	Amount  int64
}

// Config configures one chain node.
type Config struct {
	ID      env.NodeID
	Flavour string // Secp256k1 or Ed25519
	// BlockInterval is the block period (default 10s secp256k1, 2s ed25519).
	BlockInterval time.Duration
	// MaxTxPerBlock caps a block (default 100).
	MaxTxPerBlock int
	// MempoolMax caps the pending transactions (default 4096), and
	// MempoolPerSenderMax one sender's (default 64). A reorg may return
	// up to ReorgDepthMax*MaxTxPerBlock more; new submissions wait for room.
	MempoolMax, MempoolPerSenderMax int
	// MinFee is the minimum fee outside a fee spike (default 1; a
	// negative value means 0).
	MinFee int64
	// ReorgDepthMax caps a reorg's depth (default 16).
	ReorgDepthMax int
	// Genesis lists the initial balances (external users, attackers,
	// sanctioned parties, custody addresses): canonical addresses of the
	// flavour, distinct, positive amounts whose sum fits an int64.
	Genesis []Allocation
	// ControlSender is the one sender whose Control messages are obeyed
	// (default ControlSender, "harness").
	ControlSender env.NodeID
}

// Validate reports a configuration that cannot run, before defaults: an
// unknown flavour, out-of-range bounds, a bad genesis.
func (c Config) Validate() error {
	if !ValidFlavour(c.Flavour) {
		return fmt.Errorf("chain: %s: unknown flavour %q (known: %s, %s)", c.ID, c.Flavour, Secp256k1, Ed25519)
	}
	if c.BlockInterval < 0 {
		return fmt.Errorf("chain: %s: negative block interval %v", c.ID, c.BlockInterval)
	}
	if c.MaxTxPerBlock < 0 || c.MaxTxPerBlock > MaxTxPerBlockMax {
		return fmt.Errorf("chain: %s: max txs per block %d out of 0..%d", c.ID, c.MaxTxPerBlock, MaxTxPerBlockMax)
	}
	if c.MempoolMax < 0 || c.MempoolMax > MempoolMaxMax || c.MempoolPerSenderMax < 0 {
		return fmt.Errorf("chain: %s: mempool bounds %d, %d out of range", c.ID, c.MempoolMax, c.MempoolPerSenderMax)
	}
	if c.ReorgDepthMax < 0 || c.ReorgDepthMax > ReorgDepthMaxMax {
		return fmt.Errorf("chain: %s: reorg depth max %d out of 0..%d", c.ID, c.ReorgDepthMax, ReorgDepthMaxMax)
	}
	if len(c.Genesis) > GenesisMax {
		return fmt.Errorf("chain: %s: %d genesis allocations, max %d", c.ID, len(c.Genesis), GenesisMax)
	}
	seen := make(map[string]bool, len(c.Genesis))
	var total int64
	for _, a := range c.Genesis {
		if err := CheckAddress(c.Flavour, a.Address); err != nil {
			return fmt.Errorf("chain: %s: genesis: %v", c.ID, err)
		}
		if seen[a.Address] {
			return fmt.Errorf("chain: %s: genesis: %s listed twice", c.ID, a.Address)
		}
		seen[a.Address] = true
		if a.Amount <= 0 {
			return fmt.Errorf("chain: %s: genesis: %s has amount %d", c.ID, a.Address, a.Amount)
		}
		if a.Amount > math.MaxInt64-total {
			return fmt.Errorf("chain: %s: genesis total overflows int64", c.ID)
		}
		total += a.Amount
	}
	return nil
}

// withDefaults fills zero fields; it panics on a configuration Validate
// rejects.
func (c Config) withDefaults() Config {
	if err := c.Validate(); err != nil {
		panic(err.Error())
	}
	if c.BlockInterval == 0 {
		c.BlockInterval = DefaultBlockIntervalSecp256k1
		if c.Flavour == Ed25519 {
			c.BlockInterval = DefaultBlockIntervalEd25519
		}
	}
	if c.MaxTxPerBlock == 0 {
		c.MaxTxPerBlock = DefaultMaxTxPerBlock
	}
	if c.MempoolMax == 0 {
		c.MempoolMax = DefaultMempoolMax
	}
	if c.MempoolPerSenderMax == 0 {
		c.MempoolPerSenderMax = DefaultMempoolPerSenderMax
	}
	if c.MinFee == 0 {
		c.MinFee = DefaultMinFee
	}
	if c.MinFee < 0 {
		c.MinFee = 0
	}
	if c.ReorgDepthMax == 0 {
		c.ReorgDepthMax = DefaultReorgDepthMax
	}
	if c.ControlSender == "" {
		c.ControlSender = ControlSender
	}
	return c
}

// TotalSupply is the sum of the genesis balances: what the chain's balances
// plus its burned fees always add up to.
func (c Config) TotalSupply() int64 {
	var total int64
	for _, a := range c.Genesis {
		total += a.Amount
	}
	return total
}
