package scenarios

import (
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"vaultdrill/checkers/history"
	"vaultdrill/system/chain"
	"vaultdrill/system/env"
	"vaultdrill/system/mpc"
	"vaultdrill/system/signer"
	"vaultdrill/system/wallet"
)

// The custody workload's attacker actors (DOMAIN.md's attacks 1-3, 14, 15;
// the penetration drill). Each plays the attack against unmodified custody
// nodes and reports it as "world.attack" with DOMAIN.md's id; the system's
// own controls must answer it (checkers.Attack).
//
//   - exfiltration (1): the attacker holds the share of one hot signer
//     (k-1 of a 2-of-3 key: it controls that node) and asks each other
//     signer to join a session signing a payment to the attacker, with no
//     approvals. Every honest signer re-checks and refuses.
//   - tampered-tx (2): wallet-1 is an insider that swaps the destination
//     after approval (workload param attack: tamper-destination); the
//     world sees the swapped transaction go to the signers.
//   - stale-delegation (3): the same compromised signer replays the
//     approvals of an earlier real withdrawal (read off the wire) for a
//     payment to the attacker under that withdrawal's id.
//   - sanctioned (14): users' withdrawals to an address on the list in
//     force (sanctioned_every), tagged actor=ATTACKER in the history.
//   - velocity-storm (15): a burst of concurrent small withdrawals, each
//     under the per-transaction tiers, spread over the users' accounts.

const (
	stormActorNode env.NodeID = "attacker-storm"
	// compromisedSigner is the hot signer whose share the attacker holds.
	compromisedSigner env.NodeID = "signer-hot-1"
	attackerChainName            = "attacker"
)

// signingAttacker plays attacks 1 and 3 from a compromised hot signer.
type signingAttacker struct {
	r *run
	// stale is the first authorization with approvals seen on the wire
	// (a real withdrawal's), for the stale delegation.
	stale *signer.Authorization
	// tampered: withdrawal ids whose tampered transaction was already
	// reported.
	tampered map[string]bool
	seq      uint64
}

func newSigningAttacker(r *run) *signingAttacker {
	return &signingAttacker{r: r, tampered: map[string]bool{}}
}

// schedule arms the attacks the custody params ask for.
func (a *signingAttacker) schedule(p custodyParams) {
	if p.ExfiltrateAt > 0 {
		a.r.world.At(p.ExfiltrateAt, "attack exfiltration", func() { a.exfiltrate(attackExfiltration, nil, "x-exfil-1") })
	}
	if p.StaleDelegationAt > 0 {
		var try func()
		try = func() {
			if a.stale == nil {
				// no real approvals seen yet: look again in a minute
				a.r.world.At(a.r.world.Now()+time.Minute, "attack stale-delegation", try)
				return
			}
			a.exfiltrate(attackStaleDelegated, a.stale, "")
		}
		a.r.world.At(p.StaleDelegationAt, "attack stale-delegation", try)
	}
}

// tap is the attacker's (and the world's) look at requests to the hot
// signers: it keeps a real approval bundle and reports every transaction
// the insider wallet tampered with.
func (a *signingAttacker) tap(from, to env.NodeID, payload []byte) {
	if !strings.HasPrefix(string(to), "signer-hot-") {
		return
	}
	t, body, err := env.Decode(payload)
	if err != nil || t != signer.MsgSignRequest {
		return
	}
	var req signer.SignRequest
	if json.Unmarshal(body, &req) != nil || req.Auth == nil {
		return
	}
	tx, err := chain.DecodeTx(req.Auth.Raw)
	if err != nil {
		return
	}
	if a.stale == nil && len(req.Auth.Approvals) > 0 && strings.HasPrefix(tx.Memo, wallet.MemoWithdrawal) {
		cp := *req.Auth
		a.stale = &cp
	}
	cs := a.r.custody
	if cs == nil || cs.p.Attack != "tamper-destination" || tx.To != a.attackerAddress() {
		return
	}
	id := strings.TrimPrefix(tx.Memo, wallet.MemoWithdrawal)
	if a.tampered[id] {
		return
	}
	a.tampered[id] = true
	a.r.worldObs(from, "world.attack", "attack", attackTamperedTx, "actor", string(from), "target", id,
		"detail", "destination swapped after approval: "+tx.To)
}

func (a *signingAttacker) attackerAddress() string {
	return chain.MustExternalKey(a.r.world.Seed(), attackerChainName, chain.Secp256k1).Address
}

// exfiltrate has the compromised signer begin a session for a payment to
// the attacker at each other hot signer: with the given (stale) approvals
// under their withdrawal's id, or with none under id.
func (a *signingAttacker) exfiltrate(attack string, auth *signer.Authorization, id string) {
	cs := a.r.custody
	hot := cs.hot
	amount := int64(50_000_000)
	var approvals = auth
	if auth != nil {
		old, err := chain.DecodeTx(auth.Raw)
		if err != nil {
			return
		}
		id, amount = strings.TrimPrefix(old.Memo, wallet.MemoWithdrawal), old.Amount
	}
	tx := chain.Tx{Chain: chain.Secp256k1, From: hot.Address, To: a.attackerAddress(), Amount: amount, Fee: 10,
		Nonce: 1 << 30, Memo: wallet.MemoWithdrawal + id, PubKey: hot.PubKey}
	d := tx.SigningDigest()
	na := &signer.Authorization{Raw: chain.EncodeTx(tx), Initiator: "user:attacker"}
	if approvals != nil {
		na.Initiator, na.Approvals = approvals.Initiator, approvals.Approvals
	}
	detail := "a session from " + string(compromisedSigner) + " (k-1 shares) for a payment to the attacker, no approvals"
	if approvals != nil {
		detail = fmt.Sprintf("a session from %s (k-1 shares) replaying the %d approvals of withdrawal %s for a payment to the attacker",
			compromisedSigner, len(approvals.Approvals), id)
	}
	a.r.worldObs(compromisedSigner, "world.attack", "attack", attack, "actor", string(compromisedSigner),
		"target", hex.EncodeToString(d[:]), "detail", detail)
	a.seq++
	for _, p := range hot.Signers {
		if p == compromisedSigner {
			continue
		}
		parties := []mpc.PartyID{mpc.PartyID(compromisedSigner), mpc.PartyID(p)}
		if parties[1] < parties[0] {
			parties[0], parties[1] = parties[1], parties[0]
		}
		b := signer.Begin{ID: mpc.SessionID{Key: hot.Key, Session: 1<<62 + a.seq, Attempt: 1, Parties: parties}, Digest: d[:], Auth: na}
		body, _ := json.Marshal(b)
		a.r.world.Inject(compromisedSigner, p, env.Encode(signer.MsgBegin, body))
	}
}

// stormActor fires VelocityStorm concurrent withdrawals at VelocityStormAt,
// each small enough for the lowest tier, round-robin over the users'
// accounts and the wallet nodes; every one is its own client process.
type stormActor struct {
	run  *run
	w    *custodyWorkload
	to   string
	wds  map[string]*stormWithdrawal
	proc map[string]int
}

type stormWithdrawal struct {
	req     wallet.WithdrawRequest
	idx     int
	attempt int
}

func (s *stormActor) Step(e env.Env, in env.Input) {
	switch in.Kind {
	case env.InputStart:
		s.wds, s.proc = map[string]*stormWithdrawal{}, map[string]int{}
		if at := s.w.p.VelocityStormAt; at > s.run.world.Now() {
			e.After(at-s.run.world.Now(), "storm")
		}
	case env.InputTimer:
		if in.Tag == "storm" {
			s.storm(e)
			return
		}
		if id, ok := strings.CutPrefix(in.Tag, "retry/"); ok {
			id, n, _ := strings.Cut(id, "/")
			if c := s.wds[id]; c != nil && n == fmt.Sprint(c.attempt) {
				s.send(e, c)
			}
		}
	case env.InputMessage:
		var st wallet.WithdrawStatus
		if !wallet.Decode(in.Payload, wallet.MsgWithdrawStatus, &st) {
			return
		}
		c := s.wds[st.ID]
		if c == nil {
			return
		}
		kind := history.OK
		if st.State != wallet.StateSettled {
			kind = history.Fail
		}
		s.run.record(history.Event{Kind: kind, Process: s.proc[st.ID], Op: "withdraw", Key: st.ID, Value: c.req.Amount,
			Node: string(in.From), Error: st.Err, Detail: "txid=" + st.TxID})
		delete(s.wds, st.ID)
	}
}

func (s *stormActor) storm(e env.Env) {
	p := s.w.p
	if s.w.stopped {
		return
	}
	amount := min(p.AmountMax, 9_000_000) // under the smallest tier's cap: one approver each
	s.run.worldObs(stormActorNode, "world.attack", "attack", attackVelocityStorm, "actor", string(stormActorNode), "target", "",
		"detail", fmt.Sprintf("%d concurrent withdrawals of %d", p.VelocityStorm, amount))
	for k := 1; k <= p.VelocityStorm; k++ {
		user := fmt.Sprintf("u%d", 1+(k-1)%p.Users)
		req := wallet.WithdrawRequest{ID: fmt.Sprintf("wv%d", k), User: user, To: s.to, Amount: amount, Wallet: "hot",
			Initiator: "user:" + user, RequestedAt: int64(s.run.world.Now())}
		c := &stormWithdrawal{req: req, idx: k}
		s.wds[req.ID] = c
		s.proc[req.ID] = s.run.newProcess()
		s.run.record(history.Event{Kind: history.Invoke, Process: s.proc[req.ID], Op: "withdraw", Key: req.ID, Value: req.Amount,
			Detail: fmt.Sprintf("user=%s to=%s amount=%d wallet=hot initiator=%s actor=%s", req.User, req.To, req.Amount, req.Initiator, stormActorNode)})
		s.send(e, c)
	}
}

func (s *stormActor) send(e env.Env, c *stormWithdrawal) {
	ws := s.run.custody.wallets
	to := ws[(c.idx+c.attempt)%len(ws)]
	c.attempt++
	e.Send(to, wallet.Encode(wallet.MsgWithdraw, c.req))
	e.After(s.w.p.AttemptTimeout, fmt.Sprintf("retry/%s/%d", c.req.ID, c.attempt))
}
