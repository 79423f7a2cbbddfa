package reports

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

func dur(ns int64) string { return time.Duration(ns).String() }

// Markdown renders the report for a human: verdicts first, then what ran,
// what was injected, what was measured, and how to replay it.
func (r *Report) Markdown() []byte {
	var b strings.Builder
	p := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	p("# Drill %s: %s\n\n", r.DrillID, r.Scenario.Name)
	p("**Verdict: %s** (exit code %d)", strings.ToUpper(string(r.Verdict)), r.ExitCode)
	if r.Interrupted {
		p(", interrupted: partial results")
	}
	p("\n\n")
	p("| | |\n|---|---|\n")
	p("| type | %s |\n| scenario | %s (%s) |\n| scenario sha256 | `%s` |\n", r.Scenario.Type, r.Scenario.Name, r.Scenario.Source, r.Scenario.Hash)
	if len(r.Scenario.Overrides) > 0 {
		ov := make([]string, len(r.Scenario.Overrides))
		for i, o := range r.Scenario.Overrides {
			ov[i] = strings.ReplaceAll(o, "\n", `\n`)
		}
		p("| overrides | `%s` |\n", strings.Join(ov, "` `"))
	}
	p("| seed | %d |\n| commit | `%s` |\n| deployment | %s |\n| simulated time | %s |\n| workload | %s |\n", r.Seed, r.Commit, r.Deployment, dur(r.SimDuration), r.Workload)
	p("\n%s\n\n", r.Scenario.Description)

	p("## Expectations\n\n| expectation | checker | verdict | summary |\n|---|---|---|---|\n")
	for _, e := range r.Expectations {
		mark := "pass"
		if !e.Pass {
			mark = "**FAIL**"
		}
		p("| %s | %s | %s %s | %s |\n", e.Name, e.Result.Checker, mark, e.Result.Verdict, mdCell(e.Result.Summary))
	}
	for _, e := range r.Expectations {
		if len(e.Result.First) == 0 {
			continue
		}
		p("\nFirst offending operations for %s (%s):\n\n", e.Result.Checker, e.Name)
		if e.Result.Checker == "INV-LINEARIZABLE" {
			p("(porcupine's step-through view of each named account: linearizability-ACCOUNT.html in this bundle)\n\n")
		}
		for _, o := range e.Result.First {
			p("- history line %d, process %d, at %s: %s\n", o.Index+1, o.Process, dur(o.Time), o.Desc)
		}
	}

	if r.RTO != nil || r.RPO != nil {
		p("\n## Recovery\n\n| measure | target | measured |\n|---|---|---|\n")
		if r.RTO != nil {
			m := "not restored"
			if r.RTO.Measured >= 0 {
				m = dur(r.RTO.Measured)
			}
			t := "none"
			if r.RTO.Target > 0 {
				t = dur(r.RTO.Target)
			}
			p("| RTO after %s (injected at %s) | %s | %s |\n", r.RTO.Fault, dur(r.RTO.Injected), t, m)
		}
		if r.RPO != nil {
			p("| RPO (acknowledged writes lost) | %d | %d |\n", r.RPO.Target, r.RPO.LostAcked)
		}
	}
	if f := r.Failover; f != nil {
		p("\n## Failover of region %s\n\n", f.Region)
		p("- injected at %s\n- last write committed before: %s\n- first write committed after: %s (at %s)\n", dur(f.InjectedAt), f.LastBefore, f.FirstAfter, dur(f.RecoveredAt))
		if f.HealedAt > 0 {
			p("- region healed at %s\n", dur(f.HealedAt))
		}
	}

	if len(r.Signing) > 0 {
		p("\n## Signing sessions\n\n| key | engine | requests | signed | failed | unknown | attempts | aborts | rejected msgs | culprits | quarantined | time to signature (min / median / max) | chain txs verified |\n|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
		for _, g := range r.Signing {
			p("| %s | %s | %d | %d | %d | %d | %d | %d | %d | %s | %s | %s / %s / %s | %d |\n", g.Key, g.Engine, g.Requests, g.Signed, g.Failed, g.Unknown,
				g.Attempts, g.Aborts, g.Rejected, orNone(g.Culprits), orNone(g.Quarantined), dur(g.TimeMin), dur(g.TimeMedian), dur(g.TimeMax), g.ChainTxs)
		}
	}

	if c := r.Custody; c != nil {
		p("\n## Custody\n\n")
		p("Approvals delivered: %d. Deposits credited: %d. Courier hops: %d. Signer refusals: %d.\n\n", c.Approvals, c.Deposits, c.CourierHops, c.Refused)
		p("| withdrawals | count |\n|---|---|\n")
		ks := make([]string, 0, len(c.Withdrawals))
		for k := range c.Withdrawals {
			ks = append(ks, k)
		}
		sort.Strings(ks)
		for _, k := range ks {
			p("| %s | %d |\n", k, c.Withdrawals[k])
		}
		if len(c.Sweeps) > 0 {
			p("\n| sweep / refill | kind | amount | state | started | ended |\n|---|---|---|---|---|---|\n")
			for _, t := range c.Sweeps {
				end := "-"
				if t.End > 0 {
					end = dur(t.End)
				}
				p("| %s | %s | %d | %s | %s | %s |\n", t.ID, t.Kind, t.Amount, t.State, dur(t.Start), end)
			}
		}
		if len(c.Holdings) > 0 {
			p("\n| time | hot | cold | cold share |\n|---|---|---|---|\n")
			for _, h := range c.Holdings {
				share := 0.0
				if h.Hot+h.Cold > 0 {
					share = 100 * float64(h.Cold) / float64(h.Hot+h.Cold)
				}
				p("| %s | %d | %d | %.2f%% |\n", dur(h.At), h.Hot, h.Cold, share)
			}
		}
	}

	if k := r.Risk; k != nil {
		p("\n## Risk engine\n\n")
		p("Scored: %d operations (allow %d, hold %d, limit %d, freeze %d). Review cases: %d opened, %d released, %d confirmed, %d open at the end; backlog at most %d; decided in %s on average (at most %s).\n\n",
			k.Scored, k.Actions["allow"], k.Actions["hold"], k.Actions["limit"], k.Actions["freeze"], k.Cases, k.Released, k.Confirmed, k.OpenAtEnd, k.BacklogMax, dur(k.ReviewMean), dur(k.ReviewMax))
		p("| truth | users | operations | flagged | users frozen | time to freeze (mean) |\n|---|---|---|---|---|---|\n")
		for _, t := range k.Typologies {
			ttf := "-"
			if t.Frozen > 0 {
				ttf = dur(t.FreezeMeanNS)
			}
			p("| %s | %d | %d | %d | %d | %s |\n", t.Label, t.Users, t.Ops, t.Flagged, t.Frozen, ttf)
		}
	}

	if len(r.Attacks) > 0 {
		p("\n## Attacks\n\n")
		p("| attack | DOMAIN.md | control that stopped it | time to detect | bound | alerted (user / security / admins) | tried | effects | verdict |\n|---|---|---|---|---|---|---|---|---|\n")
		for _, a := range r.Attacks {
			control, ttd := "none", "never"
			if a.Control != "" {
				control = strings.ReplaceAll(a.Control, "|", "/")
			}
			if a.DetectNS >= 0 {
				ttd = dur(a.DetectNS)
			}
			p("| %s | %d | %s | %s | %s | %d / %d / %d | %d | %d | %s |\n", a.Attack, a.Number, control, ttd, dur(a.BoundNS),
				a.Notified["user"], a.Notified["security"], a.Notified["admins"], a.Tried, a.Effects, a.Verdict)
		}
	}

	p("\n## Faults\n\n")
	kinds := make([]string, 0, len(r.FaultCounts))
	for k := range r.FaultCounts {
		kinds = append(kinds, k)
	}
	sort.Strings(kinds)
	if len(kinds) == 0 {
		p("No faults were applied.\n")
	} else {
		p("| fault | applied |\n|---|---|\n")
		for _, k := range kinds {
			p("| %s | %d |\n", k, r.FaultCounts[k])
		}
		p("\nPlan (replayable text):\n\n```\n%s```\n", r.FaultPlan)
	}

	p("\n## Operations\n\n| op | ok | refused | fail | info |\n|---|---|---|---|---|\n")
	ops := make([]string, 0, len(r.Ops.ByOp))
	for k := range r.Ops.ByOp {
		ops = append(ops, k)
	}
	sort.Strings(ops)
	for _, o := range ops {
		c := r.Ops.ByOp[o]
		p("| %s | %d | %d | %d | %d |\n", o, c["ok"], c["refused"], c["fail"], c["info"])
	}
	p("\nWorld: %d events, %d node steps, %d messages sent, %d delivered, %d dropped, %d duplicated. Trace sha256 `%s`.\n",
		r.World.Events, r.World.Steps, r.World.MsgSent, r.World.MsgDelivered, r.World.MsgDropped, r.World.MsgDup, r.World.TraceHash)

	p("\n## Versions\n\n")
	vs := make([]string, 0, len(r.Versions))
	for k := range r.Versions {
		vs = append(vs, k)
	}
	sort.Strings(vs)
	for _, k := range vs {
		p("- %s %s\n", k, r.Versions[k])
	}
	p("\n## Replay\n\n```\n%s\n```\n", r.Replay)
	return []byte(b.String())
}

func orNone(xs []string) string {
	if len(xs) == 0 {
		return "none"
	}
	return strings.Join(xs, ", ")
}

func mdCell(s string) string { return strings.ReplaceAll(s, "|", "\\|") }
