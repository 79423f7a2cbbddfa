package checkers

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"vaultdrill/checkers/history"
)

// The custody fixture: a hot and a cold address, a policy whose small tier
// needs one approver and whose large tier two (approvals valid an hour),
// and three approvers, each on a device of their own sending from their
// own node.
const (
	cuHot      = "k1hot000000000000000000000000000000000000"
	cuCold     = "k1cold00000000000000000000000000000000000"
	cuUser     = "k1user00000000000000000000000000000000000"
	cuOther    = "k1other0000000000000000000000000000000000"
	cuAttacker = "k1attacker000000000000000000000000000000"
)

var cuPolicy = ob(0, "", "world.policy", "version", "policy-v1",
	"tiers", `[{"name":"hot-small","wallet":"hot","amount_max":10000,"approvers":1,"expiry_ms":3600000},`+
		`{"name":"hot-large","wallet":"hot","amount_max":0,"approvers":2,"expiry_ms":3600000}]`,
	"hot_cap", "100", "cold_min_permille", "900", "velocity_limit", "50000", "velocity_window_ms", "3600000",
	"confirmations", "3", "sweep_window_ms", "3600000")

func cuWorld(extra ...history.Observation) []history.Observation {
	out := []history.Observation{
		cuPolicy,
		ob(0, "", "world.custody", "wallet", "hot", "address", cuHot, "chain", "secp256k1"),
		ob(0, "", "world.custody", "wallet", "cold", "address", cuCold, "chain", "secp256k1"),
		cuDevice("d1", "h1", "approver-1"),
		cuDevice("d2", "h2", "approver-2"),
		cuDevice("d3", "h3", "approver-3"),
	}
	return append(out, extra...)
}

// without drops the world facts of one kind.
func without(kind string, obs []history.Observation) []history.Observation {
	var out []history.Observation
	for _, o := range obs {
		if o.Kind != kind {
			out = append(out, o)
		}
	}
	return out
}

func cuDevice(device, human, node string) history.Observation {
	return ob(0, "", "world.device", "device", device, "human", human, "node", node)
}

// cuApproval: human approves withdrawal id for (to, amount) on device,
// the message sent by node.
func cuApproval(at time.Duration, id, to string, amount int64, human, device, node string) history.Observation {
	return ob(at, "wallet-1", "world.approval", "from", node, "to", "wallet-1", "withdrawal", id,
		"digest", IntentDigest("hot", id, to, amount), "device", device, "human", human)
}

func cuBegin(at time.Duration, txid string) history.Observation {
	return ob(at, "signer-hot-1", "signer.begin", "key", "hot", "session", "s-"+txid, "digest", "sd-"+txid)
}

// cuTx: a mined transaction; its signing digest is "sd-"+txid.
func cuTx(at time.Duration, txid, from, to string, amount int64, nonce int, memo string, height int) history.Observation {
	return ob(at, "chain-secp256k1", "chain.tx", "chain", "secp256k1", "txid", txid, "from", from, "to", to,
		"amount", strconv.FormatInt(amount, 10), "fee", "10", "nonce", strconv.Itoa(nonce), "memo", memo,
		"digest", "sd-"+txid, "height", strconv.Itoa(height))
}

func cuPay(at time.Duration, txid, id, to string, amount int64, nonce int) history.Observation {
	return cuTx(at, txid, cuHot, to, amount, nonce, "wd:"+id, 10+nonce)
}

func cuBlock(at time.Duration, height int) history.Observation {
	return ob(at, "chain-secp256k1", "chain.block", "chain", "secp256k1", "height", strconv.Itoa(height))
}

func cuApply(at time.Duration, node, op, account string, amount int64, idem, result string, balance int64) history.Observation {
	return ob(at, node, "ledger.apply", "index", "7", "term", "1", "op", op, "account", account,
		"amount", strconv.FormatInt(amount, 10), "idem", idem, "result", result, "balance", strconv.FormatInt(balance, 10))
}

func cuHoldings(at time.Duration, hot, cold int64) history.Observation {
	return ob(at, "", "world.holdings", "hot", strconv.FormatInt(hot, 10), "cold", strconv.FormatInt(cold, 10),
		"total", strconv.FormatInt(hot+cold, 10))
}

// cuReq is one withdrawal request of the client history.
type cuReq struct {
	id, to    string
	amount    int64
	initiator string
}

// cuRequests: each request invoked at 0 and settled ok a minute later.
func cuRequests(rs ...cuReq) []history.Event {
	var h []history.Event
	for i, r := range rs {
		h = append(h, history.Event{V: 1, Kind: history.Invoke, Process: i, Op: "withdraw", Key: r.id, Value: r.amount,
			Detail: "user=u1 to=" + r.to + " amount=" + strconv.FormatInt(r.amount, 10) + " wallet=hot initiator=" + r.initiator})
	}
	for i, r := range rs {
		h = append(h, history.Event{V: 1, Kind: history.OK, Process: i, Op: "withdraw", Key: r.id, Value: r.amount, Time: int64(time.Minute)})
	}
	return h
}

// cuRequestsAt is cuRequests with each request invoked at its own time.
func cuRequestsAt(at []time.Duration, rs ...cuReq) []history.Event {
	h := cuRequests(rs...)
	for i := range rs {
		h[i].Time = int64(at[i])
		h[len(rs)+i].Time = int64(at[i] + 90*time.Minute)
	}
	return h
}

func TestIntentDigest(t *testing.T) {
	// sha256("vaultdrill/intent/v1\0hot\0w17\0k1dest\01500"), computed
	// outside Go.
	const want = "73e9b232bba7ce789711a5fb05b6d3cceffdb67d402781facacb8369dbbd4da2"
	if got := IntentDigest("hot", "w17", "k1dest", 1500); got != want {
		t.Fatalf("IntentDigest = %s, want %s", got, want)
	}
	if IntentDigest("hot", "w1", "a", 12) == IntentDigest("hot", "w1", "a1", 2) {
		t.Fatal("field boundaries are not separated")
	}
}

type custodyCase struct {
	name  string
	check func(Input) Result
	hist  []history.Event
	obs   []history.Observation
	want  Verdict
}

func runCustodyCases(t *testing.T, cases []custodyCase) {
	t.Helper()
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := Input{History: c.hist, Observations: c.obs}
			r := c.check(in)
			t.Logf("%s %s: %s", r.Checker, r.Verdict, r.Summary)
			if r.Verdict != c.want {
				t.Fatalf("%s: %s (%s), want %s", r.Checker, r.Verdict, r.Summary, c.want)
			}
			if r.Summary == "" || strings.Contains(r.Summary, "\n") {
				t.Fatalf("summary not one line: %q", r.Summary)
			}
			if r.Verdict == Invalid {
				if len(r.First) == 0 || len(r.First) > FirstMax {
					t.Fatalf("invalid verdict names %d items", len(r.First))
				}
				for i, f := range r.First {
					if f.Desc == "" {
						t.Fatalf("First[%d] has no description", i)
					}
					if i > 0 && f.Index < 0 && r.First[i-1].Index < 0 && f.Time < r.First[i-1].Time {
						t.Fatalf("First not in time order: %+v", r.First)
					}
				}
			}
			if again := c.check(in); !reflect.DeepEqual(r, again) {
				t.Fatalf("not deterministic:\n%+v\n%+v", r, again)
			}
		})
	}
}

func TestCustodyFunds(t *testing.T) {
	m := time.Minute
	w1 := cuReq{"w1", cuUser, 500, "user:u1"}
	w2 := cuReq{"w2", cuOther, 700, "user:u2"}
	reorg := ob(5*m, "chain-secp256k1", "chain.reorg", "chain", "secp256k1", "depth", "2", "new_tip", "9")
	runCustodyCases(t, []custodyCase{
		// INV-ONCE
		{"once: clean", Once, cuRequests(w1, w2),
			cuWorld(cuPay(2*m, "t1", "w1", cuUser, 500, 1), cuPay(3*m, "t2", "w2", cuOther, 700, 2)), Valid},
		{"once: a reorg copy mined again counts once", Once, cuRequests(w1),
			cuWorld(cuPay(2*m, "t1", "w1", cuUser, 500, 1), reorg, cuPay(6*m, "t1", "w1", cuUser, 500, 1)), Valid},
		{"once: a fee bump at the same nonce counts once", Once, cuRequests(w1),
			cuWorld(cuPay(2*m, "t1", "w1", cuUser, 500, 1), reorg, cuPay(6*m, "t1b", "w1", cuUser, 500, 1)), Valid},
		{"once: retry after a broadcast timeout pays twice", Once, cuRequests(w1),
			cuWorld(cuPay(2*m, "t1", "w1", cuUser, 500, 1), cuPay(9*m, "t9", "w1", cuUser, 500, 2)), Invalid},
		{"once: reorged out, then paid again under a new nonce", Once, cuRequests(w1),
			cuWorld(cuPay(2*m, "t1", "w1", cuUser, 500, 1), reorg, cuPay(6*m, "t9", "w1", cuUser, 500, 2)), Invalid},
		{"once: no custody addresses", Once, cuRequests(w1),
			without("world.custody", cuWorld(cuPay(2*m, "t1", "w1", cuUser, 500, 1))), Unknown},

		// INV-OUTFLOW
		{"outflow: clean withdrawal, sweep and refill", Outflow, cuRequests(w1),
			cuWorld(cuPay(2*m, "t1", "w1", cuUser, 500, 1), cuTx(3*m, "s1", cuHot, cuCold, 900, 2, "sweep:s1", 12),
				cuTx(4*m, "r1", cuCold, cuHot, 300, 1, "refill:r1", 13),
				cuTx(5*m, "d1", cuUser, cuHot, 40, 1, "dep:u1", 13)), Valid},
		{"outflow: a withdrawal no client requested", Outflow, cuRequests(w1),
			cuWorld(cuPay(2*m, "t1", "w1", cuUser, 500, 1), cuPay(3*m, "t2", "w99", cuAttacker, 9000, 2)), Invalid},
		{"outflow: a transfer with no memo", Outflow, cuRequests(w1),
			cuWorld(cuTx(2*m, "t1", cuHot, cuAttacker, 5000, 1, "", 11)), Invalid},
		{"outflow: a sweep that does not go to cold", Outflow, cuRequests(w1),
			cuWorld(cuTx(2*m, "s1", cuHot, cuAttacker, 900, 1, "sweep:s1", 11)), Invalid},
		{"outflow: no custody addresses", Outflow, cuRequests(w1),
			without("world.custody", cuWorld(cuPay(2*m, "t1", "w1", cuUser, 500, 1))), Unknown},
		{"outflow: no history to match withdrawals against", Outflow, nil,
			cuWorld(cuPay(2*m, "t1", "w1", cuUser, 500, 1)), Unknown},

		// INV-COLD
		{"cold: clean", Cold, nil, cuWorld(cuHoldings(61*m, 50, 950), cuHoldings(121*m, 100, 900)), Valid},
		{"cold: sweep leaves cold below 90%", Cold, nil, cuWorld(cuHoldings(61*m, 50, 950), cuHoldings(121*m, 99, 850)), Invalid},
		{"cold: hot over its cap", Cold, nil, cuWorld(cuHoldings(61*m, 150, 1850)), Invalid},
		{"cold: the end-of-run sample ends no sweep window", Cold,
			[]history.Event{
				{V: 1, Kind: history.Invoke, Process: 0, Op: "balance", Key: "house", Detail: "final", Time: int64(200 * m)},
				{V: 1, Kind: history.OK, Process: 0, Op: "balance", Key: "house", Detail: "final", Result: new(int64(5)), Time: int64(201 * m)},
			},
			cuWorld(cuHoldings(61*m, 50, 950), cuHoldings(202*m, 300, 700)), Valid},
		{"cold: no policy", Cold, nil, without("world.policy", cuWorld(cuHoldings(61*m, 50, 950))), Unknown},
		{"cold: no samples", Cold, nil, cuWorld(), Unknown},

		// INV-VELOCITY (limit 50000 an hour)
		{"velocity: clean", Velocity, nil,
			cuWorld(cuPay(2*m, "t1", "w1", cuUser, 20000, 1), cuPay(50*m, "t2", "w2", cuUser, 30000, 2)), Valid},
		{"velocity: one window over the limit", Velocity, nil,
			cuWorld(cuPay(2*m, "t1", "w1", cuUser, 30000, 1), cuPay(50*m, "t2", "w2", cuUser, 30000, 2)), Invalid},
		{"velocity: windows are aligned to zero", Velocity, nil,
			cuWorld(cuPay(50*m, "t1", "w1", cuUser, 30000, 1), cuPay(70*m, "t2", "w2", cuUser, 30000, 2)), Valid},
		{"velocity: a reorg copy is not paid again", Velocity, nil,
			cuWorld(cuPay(2*m, "t1", "w1", cuUser, 30000, 1), reorg, cuPay(6*m, "t1", "w1", cuUser, 30000, 1)), Valid},
		{"velocity: a double payment counts twice", Velocity, nil,
			cuWorld(cuPay(2*m, "t1", "w1", cuUser, 30000, 1), cuPay(6*m, "t2", "w1", cuUser, 30000, 2)), Invalid},
		{"velocity: counted in the window of the request, not of mining", Velocity,
			cuRequestsAt([]time.Duration{50 * m, 70 * m}, cuReq{"w1", cuUser, 30000, "user:u1"}, cuReq{"w2", cuUser, 30000, "user:u1"}),
			cuWorld(cuPay(75*m, "t1", "w1", cuUser, 30000, 1), cuPay(80*m, "t2", "w2", cuUser, 30000, 2)), Valid},
		{"velocity: two requests in one window, mined in two", Velocity,
			cuRequestsAt([]time.Duration{50 * m, 55 * m}, cuReq{"w1", cuUser, 30000, "user:u1"}, cuReq{"w2", cuUser, 30000, "user:u1"}),
			cuWorld(cuPay(58*m, "t1", "w1", cuUser, 30000, 1), cuPay(65*m, "t2", "w2", cuUser, 30000, 2)), Invalid},
		{"velocity: no policy", Velocity, nil,
			without("world.policy", cuWorld(cuPay(2*m, "t1", "w1", cuUser, 30000, 1))), Unknown},

		// INV-DEPOSIT (3 confirmations: height h is credited from tip h+2)
		{"deposit: clean", Deposit, nil,
			cuWorld(cuBlock(m, 5), cuTx(m, "d1", cuUser, cuHot, 40, 1, "dep:u1", 5), cuBlock(2*m, 6), cuBlock(3*m, 7),
				cuApply(4*m, "ledger-1", "deposit", "u1", 40, "dep:d1", "ok", 40),
				cuApply(4*m, "ledger-2", "deposit", "u1", 40, "dep:d1", "ok", 40)), Valid},
		{"deposit: deposit credited at zero confirmations", Deposit, nil,
			cuWorld(cuBlock(m, 4), cuApply(2*m, "ledger-1", "deposit", "u1", 40, "dep:d1", "ok", 40),
				cuBlock(3*m, 5), cuTx(3*m, "d1", cuUser, cuHot, 40, 1, "dep:u1", 5)), Invalid},
		{"deposit: credited one block early", Deposit, nil,
			cuWorld(cuBlock(m, 5), cuTx(m, "d1", cuUser, cuHot, 40, 1, "dep:u1", 5), cuBlock(2*m, 6),
				cuApply(4*m, "ledger-1", "deposit", "u1", 40, "dep:d1", "ok", 40)), Invalid},
		{"deposit: a refused credit is no credit", Deposit, nil,
			cuWorld(cuBlock(m, 5), cuTx(m, "d1", cuUser, cuHot, 40, 1, "dep:u1", 5),
				cuApply(2*m, "ledger-1", "deposit", "u1", 40, "dep:d1", "refused", 0)), Valid},
		{"deposit: credited after a reorg took it out", Deposit, nil,
			cuWorld(cuBlock(m, 8), cuTx(m, "d1", cuUser, cuHot, 40, 1, "dep:u1", 8), cuBlock(2*m, 9), cuBlock(3*m, 10),
				ob(4*m, "chain-secp256k1", "chain.reorg", "chain", "secp256k1", "depth", "3", "new_tip", "7"),
				cuApply(5*m, "ledger-1", "deposit", "u1", 40, "dep:d1", "ok", 40)), Invalid},
		{"deposit: no policy", Deposit, nil,
			without("world.policy", cuWorld(cuApply(4*m, "ledger-1", "deposit", "u1", 40, "dep:d1", "ok", 40))), Unknown},

		// INV-CONSERVE (custody)
		{"custody conserve: clean", CustodyConserve, cuFinalReads(100, 400, 500), cuWorld(cuHoldings(2*time.Hour, 100, 900)), Valid},
		{"custody conserve: money created", CustodyConserve, cuFinalReads(100, 500, 500), cuWorld(cuHoldings(2*time.Hour, 100, 900)), Invalid},
		{"custody conserve: money lost", CustodyConserve, cuFinalReads(100, 400, 400), cuWorld(cuHoldings(2*time.Hour, 100, 900)), Invalid},
		{"custody conserve: no sample after the final reads", CustodyConserve, cuFinalReads(100, 400, 500),
			cuWorld(cuHoldings(30*m, 100, 900)), Unknown},
		{"custody conserve: no final reads", CustodyConserve, nil, cuWorld(cuHoldings(2*time.Hour, 100, 900)), Unknown},
		{"custody conserve: a held deposit counts as the house's", CustodyConserve, withHeld(cuFinalReads(100, 400, 450), 50), cuWorld(cuHoldings(2*time.Hour, 100, 900)), Valid},
		{"custody conserve: a held deposit also credited to its user", CustodyConserve, withHeld(cuFinalReads(100, 400, 500), 50), cuWorld(cuHoldings(2*time.Hour, 100, 900)), Invalid},

		// INV-NONNEG (custody)
		{"custody nonneg: clean", CustodyNonNeg, nil,
			[]history.Observation{cuApply(m, "ledger-1", "withdraw", "u1", 40, "wd:w1", "ok", 0)}, Valid},
		{"custody nonneg: a negative balance", CustodyNonNeg, nil,
			[]history.Observation{cuApply(m, "ledger-1", "withdraw", "u1", 40, "wd:w1", "ok", -40),
				cuApply(m, "ledger-2", "withdraw", "u1", 40, "wd:w1", "ok", -40)}, Invalid},
		{"custody nonneg: no applies", CustodyNonNeg, nil, cuWorld(), Unknown},
	})
}

// cuFinalReads: the house and two users read at the end of the run (at
// 100 minutes), plus a bookkeeping account that is not in the sum.
// withHeld adds a final read of the house's held-deposit account.
func withHeld(h []history.Event, held int64) []history.Event {
	at := int64(100*time.Minute) + 10
	return append(h,
		history.Event{V: 1, Kind: history.Invoke, Process: 90, Op: "balance", Key: "house-held", Detail: "final", Time: at},
		history.Event{V: 1, Kind: history.OK, Process: 90, Op: "balance", Key: "house-held", Detail: "final", Result: new(held), Time: at})
}

func cuFinalReads(house, u1, u2 int64) []history.Event {
	var h []history.Event
	for i, r := range []struct {
		acct string
		bal  int64
	}{{"house", house}, {"u1", u1}, {"u2", u2}, {"vel:1", 777}} {
		at := int64(100*time.Minute) + int64(i)
		h = append(h,
			history.Event{V: 1, Kind: history.Invoke, Process: 90, Op: "balance", Key: r.acct, Detail: "final", Time: at},
			history.Event{V: 1, Kind: history.OK, Process: 90, Op: "balance", Key: r.acct, Detail: "final", Result: new(r.bal), Time: at})
	}
	return h
}

func TestCustodyAuthorization(t *testing.T) {
	m := time.Minute
	small := cuReq{"w1", cuUser, 500, "user:u1"}
	large := cuReq{"w2", cuUser, 50000, "h1"} // initiated by approver h1
	largeByUser := cuReq{"w2", cuUser, 50000, "user:u1"}
	// the small withdrawal, approved by h1, signed and mined
	smallOK := cuWorld(cuApproval(m, "w1", cuUser, 500, "h1", "d1", "approver-1"), cuBegin(2*m, "t1"),
		cuPay(3*m, "t1", "w1", cuUser, 500, 1))
	// large: approvals a and b, then signing and mining
	largeWith := func(a, b history.Observation) []history.Observation {
		return cuWorld(a, b, cuBegin(10*m, "t2"), cuPay(11*m, "t2", "w2", cuUser, 50000, 1))
	}
	h2 := cuApproval(2*m, "w2", cuUser, 50000, "h2", "d2", "approver-2")
	h3 := cuApproval(3*m, "w2", cuUser, 50000, "h3", "d3", "approver-3")
	// the signer skips the approval check: approvals were for 500 to the
	// user, the chain pays 900 to the attacker
	skipped := cuWorld(cuApproval(m, "w1", cuUser, 500, "h1", "d1", "approver-1"), cuBegin(2*m, "t1"),
		cuPay(3*m, "t1", "w1", cuAttacker, 900, 1))
	runCustodyCases(t, []custodyCase{
		// INV-QUORUM
		{"quorum: clean small", Quorum, cuRequests(small), smallOK, Valid},
		{"quorum: clean large, two humans on two devices", Quorum, cuRequests(large), largeWith(h2, h3), Valid},
		{"quorum: signer skips the approval check", Quorum, cuRequests(small), skipped, Invalid},
		{"quorum: approval counted for the initiator", Quorum, cuRequests(large),
			largeWith(cuApproval(m, "w2", cuUser, 50000, "h1", "d1", "approver-1"), h2), Invalid},
		{"quorum: one human approving twice from two devices counts once", Quorum, cuRequests(largeByUser),
			append([]history.Observation{cuDevice("d4", "h2", "approver-4")},
				largeWith(h2, cuApproval(3*m, "w2", cuUser, 50000, "h2", "d4", "approver-4"))...), Invalid},
		{"quorum: two humans on one shared device count once", Quorum, cuRequests(largeByUser),
			append([]history.Observation{cuDevice("d2", "h3", "approver-2")},
				largeWith(h2, cuApproval(3*m, "w2", cuUser, 50000, "h3", "d2", "approver-2"))...), Invalid},
		{"quorum: two humans on one device count once (claim not registered)", Quorum, cuRequests(largeByUser),
			largeWith(h2, cuApproval(3*m, "w2", cuUser, 50000, "h3", "d2", "approver-2")), Invalid},
		{"quorum: a human on a shared device and their own is matched to their own", Quorum, cuRequests(largeByUser),
			append([]history.Observation{cuDevice("d2", "h3", "approver-2")},
				cuWorld(cuApproval(m, "w2", cuUser, 50000, "h3", "d2", "approver-2"),
					cuApproval(2*m, "w2", cuUser, 50000, "h2", "d2", "approver-2"),
					cuApproval(3*m, "w2", cuUser, 50000, "h3", "d3", "approver-3"),
					cuBegin(10*m, "t2"), cuPay(11*m, "t2", "w2", cuUser, 50000, 1))...), Valid},
		{"quorum: approval from a node that is not the device's registered node", Quorum, cuRequests(largeByUser),
			largeWith(h2, cuApproval(3*m, "w2", cuUser, 50000, "h3", "d3", "wallet-2")), Invalid},
		{"quorum: approval from an unregistered device", Quorum, cuRequests(largeByUser),
			largeWith(h2, cuApproval(3*m, "w2", cuUser, 50000, "h3", "d9", "approver-3")), Invalid},
		{"quorum: expired approval does not count", Quorum, cuRequests(largeByUser),
			cuWorld(cuApproval(m, "w2", cuUser, 50000, "h2", "d2", "approver-2"),
				cuApproval(70*m, "w2", cuUser, 50000, "h3", "d3", "approver-3"),
				cuBegin(71*m+1, "t2"), cuPay(72*m, "t2", "w2", cuUser, 50000, 1)), Invalid},
		{"quorum: an approval exactly the expiry old still counts", Quorum, cuRequests(largeByUser),
			cuWorld(cuApproval(m, "w2", cuUser, 50000, "h2", "d2", "approver-2"),
				cuApproval(30*m, "w2", cuUser, 50000, "h3", "d3", "approver-3"),
				cuBegin(61*m, "t2"), cuPay(62*m, "t2", "w2", cuUser, 50000, 1)), Valid},
		{"quorum: approval after signing began does not count", Quorum, cuRequests(largeByUser),
			cuWorld(h2, cuBegin(2*m+1, "t2"), h3, cuPay(11*m, "t2", "w2", cuUser, 50000, 1)), Invalid},
		{"quorum: no tier covers a cold withdrawal", Quorum, cuRequests(small),
			cuWorld(cuApproval(m, "w1", cuUser, 500, "h1", "d1", "approver-1"), cuTx(3*m, "t1", cuCold, cuUser, 500, 1, "wd:w1", 11)), Invalid},
		{"quorum: no policy", Quorum, cuRequests(small), without("world.policy", smallOK), Unknown},
		{"quorum: no devices", Quorum, cuRequests(small), without("world.device", smallOK), Unknown},

		// INV-WYSIWYS
		{"wysiwys: clean", WYSIWYS, cuRequests(small), smallOK, Valid},
		{"wysiwys: signer skips the approval check", WYSIWYS, cuRequests(small), skipped, Invalid},
		{"wysiwys: never approved", WYSIWYS, cuRequests(small), cuWorld(cuPay(3*m, "t1", "w1", cuUser, 500, 1)), Invalid},
		{"wysiwys: an approval after mining approves nothing", WYSIWYS, cuRequests(small),
			cuWorld(cuPay(3*m, "t1", "w1", cuUser, 500, 1), cuApproval(4*m, "w1", cuUser, 500, "h1", "d1", "approver-1")), Invalid},
		{"wysiwys: no custody addresses", WYSIWYS, cuRequests(small), without("world.custody", smallOK), Unknown},
	})
}

func TestCustodyAirgap(t *testing.T) {
	m := time.Minute
	deliver := func(at time.Duration, from string) history.Observation {
		return ob(at, "signer-cold-1", "world.delivery", "from", from, "to", "signer-cold-1", "type", "40")
	}
	airgap := func(in Input) Result { return Airgap(in, "courier") }
	runCustodyCases(t, []custodyCase{
		{"airgap: clean", airgap, nil, cuWorld(deliver(m, "courier"), ob(m, "courier", "courier.hop", "hop", "1")), Valid},
		{"airgap: cold signer receives a network message", airgap, nil, cuWorld(deliver(m, "courier"), deliver(2*m, "signer-hot-1")), Invalid},
		{"airgap: no cold wallet", airgap, nil, without("world.custody", cuWorld(deliver(m, "signer-hot-1"))), Unknown},
		{"airgap: no courier named", func(in Input) Result { return Airgap(in, "") }, nil, cuWorld(deliver(m, "courier")), Unknown},
	})

	// First: in time order, capped at FirstMax; the summary counts all.
	obs := cuWorld()
	for i := 12; i > 0; i-- {
		obs = append(obs, deliver(time.Duration(i)*m, "wallet-"+strconv.Itoa(i)))
	}
	r := airgap(Input{Observations: obs})
	if r.Verdict != Invalid || len(r.First) != FirstMax || r.First[0].Time != int64(m) || !strings.HasPrefix(r.Summary, "12 ") {
		t.Fatalf("got %s %q with %d refs, first at %d", r.Verdict, r.Summary, len(r.First), r.First[0].Time)
	}
	if !strings.Contains(r.First[0].Desc, "from wallet-1,") {
		t.Fatalf("first ref does not name the sender: %s", r.First[0].Desc)
	}
}

func TestWithdrawLiveness(t *testing.T) {
	m := time.Minute
	wd := func(proc int, id string, at time.Duration, kind history.Kind, done time.Duration) []history.Event {
		h := []history.Event{{V: 1, Kind: history.Invoke, Process: proc, Op: "withdraw", Key: id, Value: 5, Time: int64(at)}}
		if kind != "" {
			h = append(h, history.Event{V: 1, Kind: kind, Process: proc, Op: "withdraw", Key: id, Value: 5, Time: int64(done)})
		}
		return h
	}
	join := func(hs ...[]history.Event) []history.Event {
		var out []history.Event
		for _, h := range hs {
			out = append(out, h...)
		}
		return out
	}
	tail := []history.Event{{V: 1, Kind: history.Invoke, Process: 99, Op: "balance", Key: "house", Time: int64(300 * m)}}
	live := func(heal time.Duration) func(Input) Result {
		return func(in Input) Result { return WithdrawLiveness(in, int64(heal), time.Hour) }
	}
	runCustodyCases(t, []custodyCase{
		{"liveness: clean", live(0), join(wd(0, "w1", 0, history.OK, 10*m), wd(1, "w2", m, history.Fail, 2*m)), nil, Valid},
		{"liveness: answered after the bound", live(0), wd(0, "w1", 0, history.OK, 61*m), nil, Invalid},
		{"liveness: a heal moves the deadline", live(90 * m), wd(0, "w1", 0, history.OK, 140*m), nil, Valid},
		{"liveness: ended info", live(0), wd(0, "w1", 0, history.Info, 5*m), nil, Invalid},
		{"liveness: never answered, deadline passed", live(0), join(wd(0, "w1", 0, "", 0), tail), nil, Invalid},
		{"liveness: still open when the history ended before its deadline", live(0),
			join(wd(0, "w1", 0, history.OK, 10*m), wd(1, "w2", 20*m, "", 0)), nil, Unknown},
		{"liveness: no withdrawals", live(0), tail, nil, Unknown},
	})
}
