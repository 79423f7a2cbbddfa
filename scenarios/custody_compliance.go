package scenarios

import (
	"fmt"
	"strconv"
	"strings"

	"vaultdrill/system/chain"
	"vaultdrill/system/compliance"
	"vaultdrill/system/wallet"
)

// complianceOracle is the screening service of a custody run, shared by the
// wallet nodes as the ideal MPC engine is shared by the signers: it holds
// the sanctions list in force, takes the list update and the outage the
// scenario schedules, follows the chain's transfers as they are mined (the
// fund-flow graph taint and the peel-chain detector read), and answers the
// pipeline's decision hooks.
type complianceOracle struct {
	s     *compliance.Screener
	graph *compliance.Graph
}

// exposureHops is how far back the oracle looks for a mixer when it gives
// the risk engine a deposit's evidence: further than screening's taint
// (3), so the engine sees exposure that screening let through, weighted
// down by its distance.
const exposureHops = 6

func (o *complianceOracle) ScreenWithdrawal(to string, amount int64) wallet.Screening {
	res := o.s.ScreenWithdrawal(to, amount)
	return wallet.Screening{Decision: string(res.Decision), Reason: res.Reason, ListVersion: res.ListVersion}
}

func (o *complianceOracle) ScreenDeposit(from string, amount int64, height uint64) wallet.DepositScreening {
	res := o.s.ScreenDepositAt(from, amount, height)
	mixer, peel, _ := o.s.Exposure(from, height, exposureHops)
	return wallet.DepositScreening{Screening: wallet.Screening{Decision: string(res.Decision), Reason: res.Reason, ListVersion: res.ListVersion},
		Error: res.IsError(), MixerHops: mixer, PeelHops: peel}
}

// observeTx adds a mined transaction (a chain.tx fact) to the graph.
func (o *complianceOracle) observeTx(f map[string]string) {
	amount, err1 := strconv.ParseInt(f["amount"], 10, 64)
	height, err2 := strconv.ParseUint(f["height"], 10, 64)
	if err1 != nil || err2 != nil {
		return
	}
	o.graph.Add(compliance.Transfer{From: f["from"], To: f["to"], Amount: amount, Height: height})
}

// sanctionedNames are the external parties the lists tag: two sanctioned
// from the start, a mixer, one more sanctioned by the mid-run update, and
// an exchange (whose payments carry no taint).
var sanctionedNames = []struct{ name, tag, fromVersion string }{
	{"sanctioned-1", "sanctioned", "v1"},
	{"sanctioned-2", "sanctioned", "v1"},
	{"mixer-1", "mixer", "v1"},
	{"sanctioned-3", "sanctioned", "v2"},
	{"exchange-1", "exchange", "v1"},
}

// taggedParty is one external party a list tags.
type taggedParty = struct{ name, tag, fromVersion string }

// riskyParties are the tagged parties no funds may go to or come from:
// the sanctionedNames other than exchanges.
func riskyParties() []taggedParty {
	var out []taggedParty
	for _, p := range sanctionedNames {
		if p.tag != "exchange" {
			out = append(out, p)
		}
	}
	return out
}

// variant writes an address the way a list maintainer might: upper case,
// a "0x" after the prefix, dashes every eight characters.
func variant(addr string) string {
	hex := strings.ToUpper(addr[2:])
	var parts []string
	for i := 0; i < len(hex); i += 8 {
		parts = append(parts, hex[i:min(i+8, len(hex))])
	}
	return strings.ToUpper(addr[:2]) + "0x" + strings.Join(parts, "-")
}

// sanctionsList renders the list file of a version: every tagged party of
// that version or earlier, written in a formatting variant, and the
// custody addresses as the exchange they are (a custodian pools funds, so
// a sanctioned deposit held in it taints none of its payments). canon is
// the addresses no funds may go to or come from (exchanges left out).
func sanctionsList(seed uint64, version string, custody []string) (text string, canon []string) {
	var b strings.Builder
	fmt.Fprintf(&b, "# sanctions and tags, as published\nversion sanctions-%s\n", version)
	for _, p := range sanctionedNames {
		if p.fromVersion > version {
			continue
		}
		a := chain.MustExternalKey(seed, p.name, chain.Secp256k1).Address
		fmt.Fprintf(&b, "%s %s\n", p.tag, variant(a))
		if p.tag != "exchange" {
			canon = append(canon, a)
		}
	}
	for _, a := range custody {
		fmt.Fprintf(&b, "exchange %s # our own custody address\n", a)
	}
	return b.String(), canon
}

// installCompliance builds the oracle, schedules the list update and the
// screening outage, and reports each list in force to the checkers
// ("world.sanctions"). custody are the custody addresses.
func (r *run) installCompliance(p custodyParams, custody []string) (*complianceOracle, error) {
	text, canon := sanctionsList(r.world.Seed(), "v1", custody)
	l, err := compliance.ParseList(text)
	if err != nil {
		return nil, fmt.Errorf("custody: sanctions list v1: %w", err)
	}
	g := compliance.NewGraph()
	s := compliance.NewScreener(l, g, 3)
	if p.Bug == "fail-open" {
		s = s.WithBug(compliance.BugFailOpen)
	}
	o := &complianceOracle{s: s, graph: g}
	r.compliance = o
	r.worldObs("", "world.sanctions", "version", l.Version, "addresses", strings.Join(canon, ","))
	cur, down := l, false
	if p.SanctionsUpdate > 0 {
		text2, canon2 := sanctionsList(r.world.Seed(), "v2", custody)
		l2, err := compliance.ParseList(text2)
		if err != nil {
			return nil, fmt.Errorf("custody: sanctions list v2: %w", err)
		}
		r.world.At(p.SanctionsUpdate, "sanctions list update", func() {
			cur = l2
			if !down {
				s.SetList(l2)
			}
			r.worldObs("", "world.sanctions", "version", l2.Version, "addresses", strings.Join(canon2, ","))
		})
	}
	if p.ScreeningOutageFor > 0 {
		// the screening service fails: the screener has no list, which it
		// must treat as an error (fail closed)
		r.world.At(p.ScreeningOutageAt, "screening outage", func() { down = true; s.SetList(nil) })
		r.world.At(p.ScreeningOutageAt+p.ScreeningOutageFor, "screening restored", func() { down = false; s.SetList(cur) })
	}
	return o, nil
}
