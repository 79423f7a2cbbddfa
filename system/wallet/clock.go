package wallet

import (
	"time"

	"vaultdrill/system/chain"
	"vaultdrill/system/env"
)

// The gateway's clock check. TOTP is only as good as the clock that judges
// it: a wallet node whose clock runs 90 s behind would take a code from
// three steps ago, one an eavesdropper photographed and the user never
// typed (DOMAIN.md attack 11). So a node with a gateway compares its clock,
// every clockEvery, with the time the chain's newest block was produced
// (a clock no custody node keeps) and tells the gateway how far off it is
// (access.Gateway.NoteClock); beyond the gateway's tolerance, codes are
// refused until the two agree again. Only a block newer than the last one
// measured is used, so a stalled chain says nothing rather than something
// stale. A block is up to one block interval old when it is read: the
// measured offset is that much high, far below the tolerance.

const clockEvery = 30 * time.Second

func (n *Node) clockTick(e env.Env) {
	if n.gw == nil || n.cfg.Bug == BugNoClockCheck {
		return
	}
	e.After(clockEvery, "clock")
	n.query(e, chain.Query{Kind: chain.QueryTip}, func(e env.Env, r *chain.QueryResult) {
		if r == nil || r.Tip <= n.clockHeight {
			return
		}
		n.query(e, chain.Query{Kind: chain.QueryBlock, Height: r.Tip}, func(e env.Env, b *chain.QueryResult) {
			if b == nil || b.Block == nil || b.Block.Height <= n.clockHeight || n.gw == nil {
				return
			}
			n.clockHeight = b.Block.Height
			off := time.Duration(e.Now().UnixNano() - b.Block.Time)
			for _, f := range n.gw.NoteClock(off) {
				e.Observe(f)
			}
		})
	})
}
