package scenarios

import (
	"fmt"
	"strings"

	"vaultdrill/system/chain"
	"vaultdrill/system/compliance"
	"vaultdrill/system/wallet"
)

// complianceOracle is the screening service of a custody run, shared by the
// wallet nodes as the ideal MPC engine is shared by the signers: it holds
// the sanctions list in force, takes the list update and the outage the
// scenario schedules, and answers the pipeline's decision hook.
type complianceOracle struct {
	s *compliance.Screener
}

func (o *complianceOracle) ScreenWithdrawal(to string, amount int64) wallet.Screening {
	res := o.s.ScreenWithdrawal(to, amount)
	return wallet.Screening{Decision: string(res.Decision), Reason: res.Reason, ListVersion: res.ListVersion}
}

// sanctionedNames are the external parties the lists tag: two sanctioned
// from the start, a mixer, and one more sanctioned by the mid-run update.
var sanctionedNames = []struct{ name, tag, fromVersion string }{
	{"sanctioned-1", "sanctioned", "v1"},
	{"sanctioned-2", "sanctioned", "v1"},
	{"mixer-1", "mixer", "v1"},
	{"sanctioned-3", "sanctioned", "v2"},
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
// that version or earlier, written in a formatting variant.
func sanctionsList(seed uint64, version string) (text string, canon []string) {
	var b strings.Builder
	fmt.Fprintf(&b, "# sanctions and tags, as published\nversion sanctions-%s\n", version)
	for _, p := range sanctionedNames {
		if p.fromVersion > version {
			continue
		}
		a := chain.MustExternalKey(seed, p.name, chain.Secp256k1).Address
		fmt.Fprintf(&b, "%s %s\n", p.tag, variant(a))
		canon = append(canon, a)
	}
	return b.String(), canon
}

// installCompliance builds the oracle, schedules the list update and the
// screening outage, and reports each list in force to the checkers
// ("world.sanctions").
func (r *run) installCompliance(p custodyParams) (*complianceOracle, error) {
	text, canon := sanctionsList(r.world.Seed(), "v1")
	l, err := compliance.ParseList(text)
	if err != nil {
		return nil, fmt.Errorf("custody: sanctions list v1: %w", err)
	}
	s := compliance.NewScreener(l, compliance.NewGraph(), 3)
	if p.Bug == "fail-open" {
		s = s.WithBug(compliance.BugFailOpen)
	}
	o := &complianceOracle{s: s}
	r.worldObs("", "world.sanctions", "version", l.Version, "addresses", strings.Join(canon, ","))
	cur, down := l, false
	if p.SanctionsUpdate > 0 {
		text2, canon2 := sanctionsList(r.world.Seed(), "v2")
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
