package scenarios

import (
	"encoding/hex"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"vaultdrill/checkers/history"
	"vaultdrill/system/api"
	"vaultdrill/system/approval"
	"vaultdrill/system/chain"
	"vaultdrill/system/env"
	"vaultdrill/system/wallet"
)

// approverActor is one approver device. Shown a subject, its human looks at
// it for a while and approves exactly that subject, signed with the
// device's key. (Reviewing whether to approve is the risk layer's job, issue
// 5; here every request for a withdrawal the human did not initiate is
// approved. A staff member asked to approve their own withdrawal approves it
// too: the policy, not the human, must not count it.)
type approverActor struct {
	run  *run
	d    approverDevice
	asks map[string]approval.Subject
	seq  uint64
	// decline: subjects this human will not approve (insider.go)
	decline func(approval.Subject) bool
}

func (a *approverActor) Step(e env.Env, in env.Input) {
	switch in.Kind {
	case env.InputStart:
		a.asks = map[string]approval.Subject{}
	case env.InputMessage:
		var r wallet.ApprovalRequest
		if !wallet.Decode(in.Payload, wallet.MsgApprovalRequest, &r) || (a.decline != nil && a.decline(r.Subject)) {
			return
		}
		a.seq++
		tag := fmt.Sprintf("approve/%d/%s", a.seq, in.From)
		a.asks[tag] = r.Subject
		e.After(20*time.Second+time.Duration(e.Rand().Int64N(int64(160*time.Second))), tag)
	case env.InputTimer:
		s, ok := a.asks[in.Tag]
		if !ok {
			return
		}
		resp := wallet.ApprovalResponse{Withdrawal: s.Withdrawal, Digest: hex.EncodeToString(s.Digest[:])}
		if aw := a.run.custody.access; aw != nil {
			// MFA: a code from a step the human has not used yet
			now := a.run.world.Now()
			if aw.step(now) <= aw.humanStep[a.d.human] {
				e.After(aw.untilNextStep(now), in.Tag)
				return
			}
			aw.humanStep[a.d.human] = aw.step(now)
			bio := 880 + int(e.Rand().Int64N(120))
			resp.Code, resp.Biometric = aw.code(a.d.human, now), &bio
		}
		delete(a.asks, in.Tag)
		to := env.NodeID(in.Tag[strings.LastIndex(in.Tag, "/")+1:])
		resp.Approval = approval.Sign(a.d.priv, a.d.device, a.d.human, s, e.Now())
		e.Send(to, wallet.Encode(wallet.MsgApprovalResponse, resp))
	}
}

// userActor is one custody customer: it deposits from its own chain address
// to the hot address (memo dep:ACCOUNT) and asks for withdrawals back to it,
// through a wallet node of its choice; a withdrawal with no answer within
// attempt_timeout is asked again, with the same id and fields, at the next
// wallet node, until it is answered (the id makes it once-only). Every
// staff_every-th withdrawal is initiated by a staff member who is also an
// approver.
type userActor struct {
	run     *run
	w       *custodyWorkload
	idx     int
	account string
	key     chain.Key
	hotAddr string

	proc     int
	wallet   *chain.Wallet
	submitID uint64
	wds      int
	deps     int
	cur      *userWithdrawal

	// An AML actor (custody_risk.go) plays a script, not random
	// operations: its own steps, outside senders, and its truth label.
	script    []amlStep
	senders   []*chain.Wallet
	routes    map[string]*chain.Wallet // route addresses by name (custody_risk.go)
	label     string
	lookalike bool

	// acc: the gateway client, with workload.params.access
	// (custody_access.go)
	acc *userAccess
	// actor: the next withdrawal is an attack's (its history detail
	// says actor=ACTOR).
	actor string
}

type userWithdrawal struct {
	req      wallet.WithdrawRequest
	attempt  int
	invoked  time.Duration
	infoSent bool
}

func (u *userActor) Step(e env.Env, in env.Input) {
	switch in.Kind {
	case env.InputStart:
		u.proc = u.run.newProcess()
		u.wallet = chain.NewWallet(u.key)
		if u.label != "" {
			u.amlStart(e)
			return
		}
		e.After(u.gap(e, u.w.p.DepositEvery)/4, "deposit")
		e.After(u.w.p.SweepWindow/2+u.gap(e, u.w.p.WithdrawEvery), "withdraw")
	case env.InputTimer:
		u.timer(e, in.Tag)
	case env.InputMessage:
		if u.acc != nil && u.acc.c.message(e, in) {
			return
		}
		u.message(e, in)
	}
}

func (u *userActor) gap(e env.Env, mean time.Duration) time.Duration {
	return time.Duration(e.Rand().Int64N(int64(2*mean) + 1))
}

func (u *userActor) issuing() bool {
	return !u.w.stopped && u.run.world.Now() < u.run.s.Duration-u.w.p.Quiet
}

func (u *userActor) amount(e env.Env, max int64) int64 {
	// log-uniform between 1e6 and max: many small amounts, a few large
	return logUniform(e.Rand().Float64(), 1_000_000, max)
}

// logUniform maps f in [0, 1) to [lo, hi] with a uniform logarithm.
func logUniform(f float64, lo, hi int64) int64 {
	if hi <= lo {
		return lo
	}
	return max(lo, min(hi, int64(float64(lo)*math.Pow(float64(hi)/float64(lo), f))))
}

func (u *userActor) timer(e env.Env, tag string) {
	if u.acc != nil && u.acc.c.timer(e, tag) {
		return
	}
	switch {
	case tag == "deposit":
		if !u.issuing() {
			return
		}
		u.deps++
		w, label := u.wallet, ""
		if se := u.w.p.SanctionedDepositEvery; se > 0 && (u.idx*13+u.deps)%se == 0 {
			// a tagged party pays into the user's account
			risky := riskyParties()
			w, label = u.run.partyWallet(risky[(u.idx+u.deps)%len(risky)].name), "sanctioned"
		}
		u.depositLabeled(e, w, u.amount(e, u.w.p.DepositMax), label)
		e.After(u.gap(e, u.w.p.DepositEvery), "deposit")
	case tag == "withdraw":
		if !u.issuing() || u.cur != nil {
			if u.issuing() {
				e.After(u.gap(e, u.w.p.WithdrawEvery), "withdraw")
			}
			return
		}
		u.wds++
		initiator := "user:" + u.account
		if se := u.w.p.StaffEvery; se > 0 && (u.idx*31+u.wds)%se == 0 && !u.w.p.Access {
			initiator = fmt.Sprintf("h%d", 1+(u.idx+u.wds)%u.w.p.Approvers) // a staff member who also approves
		}
		to := u.key.Address
		if se := u.w.p.SanctionedEvery; se > 0 && (u.idx*17+u.wds)%se == 0 {
			// an attempt to pay a sanctioned or tagged party
			risky := riskyParties()
			p := risky[(u.idx+u.wds)%len(risky)]
			to = chain.MustExternalKey(u.run.world.Seed(), p.name, chain.Secp256k1).Address
			if p.fromVersion == "v1" || (u.w.p.SanctionsUpdate > 0 && u.run.world.Now() >= u.w.p.SanctionsUpdate) {
				// on the list in force: DOMAIN.md's attack 14
				u.actor = fmt.Sprintf("user-%d", u.idx)
				u.run.worldObs(env.NodeID(u.actor), "world.attack", "attack", attackSanctioned, "actor", u.actor,
					"target", fmt.Sprintf("w%d-%d", u.idx, u.wds), "detail", "withdrawal to "+p.tag+" "+p.name)
			}
		}
		device, travel, lookalike := u.account+"-phone", false, false
		if u.w.p.Risk || u.w.p.Access {
			// benign look-alikes: a trip abroad, a new phone
			switch {
			case (u.idx+u.wds)%11 == 0:
				travel, lookalike = true, true
			case (u.idx+u.wds)%13 == 0:
				device, lookalike = u.account+"-newphone", true
			}
		}
		u.startWithdrawal(e, to, u.amount(e, u.w.p.AmountMax), initiator, device, travel, lookalike)
	case strings.HasPrefix(tag, "aml/"):
		u.amlStep(e, strings.TrimPrefix(tag, "aml/"))
	case strings.HasPrefix(tag, "retry/"):
		if u.cur == nil || tag != fmt.Sprintf("retry/%s/%d", u.cur.req.ID, u.cur.attempt) {
			return
		}
		if !u.cur.infoSent && u.run.world.Now()-u.cur.invoked >= u.w.p.OpTimeout {
			// unknown to the client so far; it keeps asking
			u.cur.infoSent = true
		}
		u.send(e)
	}
}

// deposit pays amount from w (the user's own address or an outside
// sender) to the hot address, credited to this user's account.
func (u *userActor) deposit(e env.Env, w *chain.Wallet, amount int64) {
	u.depositLabeled(e, w, amount, "")
}

// depositLabeled is deposit with the truth label of this one deposit
// ("": the actor's own).
func (u *userActor) depositLabeled(e env.Env, w *chain.Wallet, amount int64, label string) {
	tx := w.Transfer(u.hotAddr, amount, 10, wallet.MemoDeposit+u.account)
	u.submitID++
	e.Send(chainNode(chain.Secp256k1), chain.SubmitTx(u.submitID, tx))
	if label == "" {
		label = u.truthLabel()
	}
	u.run.noteTruth(chain.TxID(tx), u.account, label, u.lookalike)
}

// withdraw asks for a withdrawal initiated by the user.
func (u *userActor) withdraw(e env.Env, to string, amount int64, device string, travel bool) {
	u.wds++
	u.startWithdrawal(e, to, amount, "user:"+u.account, device, travel, u.lookalike)
}

func (u *userActor) truthLabel() string {
	if u.label == "" {
		return labelBenign
	}
	return u.label
}

// startWithdrawal invokes a withdrawal; with the risk layer on it says
// where the request comes from and reports the operation's truth
// (lookalike: a benign operation built to resemble a typology).
func (u *userActor) startWithdrawal(e env.Env, to string, amount int64, initiator, device string, travel, lookalike bool) {
	req := wallet.WithdrawRequest{ID: fmt.Sprintf("w%d-%d", u.idx, u.wds), User: u.account, To: to,
		Amount: amount, Wallet: "hot", Initiator: initiator, RequestedAt: int64(u.run.world.Now())}
	if u.w.p.Risk || u.w.p.Access {
		lat, lon := userPlace(u.run.world.Seed(), u.account)
		switch {
		case travel && u.w.p.Access:
			lat, lon = nearbyTrip(lat, lon) // the gateway allows a plane, not a teleport
		case travel:
			lat, lon = antipode(lat, lon)
		}
		req.Device, req.GeoKnown, req.LatE6, req.LonE6 = device, true, lat, lon
		u.run.noteTruth(req.ID, u.account, u.truthLabel(), lookalike)
	}
	u.cur = &userWithdrawal{req: req, invoked: u.run.world.Now()}
	detail := fmt.Sprintf("user=%s to=%s amount=%d wallet=hot initiator=%s", req.User, req.To, req.Amount, req.Initiator)
	if u.actor != "" {
		detail += " actor=" + u.actor // an attack's operation (penetration.go)
		u.actor = ""
	}
	u.run.record(history.Event{Kind: history.Invoke, Process: u.proc, Op: "withdraw", Key: req.ID, Value: req.Amount, Detail: detail})
	u.send(e)
}

func (u *userActor) send(e env.Env) {
	ws := u.run.custody.wallets
	c := u.cur
	to := ws[(u.idx+c.attempt)%len(ws)]
	c.attempt++
	if u.w.p.Access {
		u.accBegin(e, to)
	} else {
		e.Send(to, wallet.Encode(wallet.MsgWithdraw, c.req))
	}
	e.After(u.w.p.AttemptTimeout, fmt.Sprintf("retry/%s/%d", c.req.ID, c.attempt))
}

func (u *userActor) message(e env.Env, in env.Input) {
	var st wallet.WithdrawStatus
	if wallet.Decode(in.Payload, wallet.MsgWithdrawStatus, &st) {
		if u.cur == nil || st.ID != u.cur.req.ID {
			return
		}
		u.finishWithdrawal(e, st.State == wallet.StateSettled, string(in.From), st.Err, st.TxID)
		return
	}
	t, body, err := env.Decode(in.Payload)
	if err != nil {
		return
	}
	switch t {
	case chain.MsgSubmitResult:
		r, err := chain.DecodeSubmitResult(body)
		if err != nil || r.Accepted || r.ID != u.submitID {
			return
		}
		// refused (a lost answer, a reorg): resynchronise the nonce
		e.Send(chainNode(chain.Secp256k1), chain.EncodeQuery(chain.Query{ID: 1 << 40, Kind: chain.QueryAccount, Address: u.key.Address}))
	case chain.MsgQueryResult:
		if r, err := chain.DecodeQueryResult(body); err == nil && r.Address == u.key.Address && r.Err == "" {
			u.wallet.SetNonce(r.PendingNonce)
		}
	}
}

// finishWithdrawal records the current withdrawal's completion and plans
// the next one.
func (u *userActor) finishWithdrawal(e env.Env, settled bool, node, errS, txid string) {
	kind := history.OK
	if !settled {
		kind = history.Fail
	}
	u.run.record(history.Event{Kind: kind, Process: u.proc, Op: "withdraw", Key: u.cur.req.ID, Value: u.cur.req.Amount,
		Node: node, Error: errS, Detail: "txid=" + txid})
	u.cur = nil
	if u.issuing() && u.label == "" {
		e.After(u.gap(e, u.w.p.WithdrawEvery), "withdraw")
	}
}

// setupActor writes the ledger's genesis, idempotently: the house and each
// user start with their share of what the custody addresses hold on chain.
type setupActor struct {
	run      *run
	replicas []env.NodeID
	grants   []grant
	next     int
	target   int
}

type grant struct {
	account string
	amount  int64
}

func (s *setupActor) Step(e env.Env, in env.Input) {
	switch in.Kind {
	case env.InputStart:
		s.send(e)
		e.After(time.Second, "tick")
	case env.InputTimer:
		if s.next < len(s.grants) {
			s.target++ // no answer within a second: try the next replica
			s.send(e)
			e.After(time.Second, "tick")
		}
	case env.InputMessage:
		t, body, err := env.Decode(in.Payload)
		if err != nil || t != env.MsgClientResponse {
			return
		}
		r, err := api.DecodeResponse(body)
		if err != nil || r.ID != uint64(s.next+1) {
			return
		}
		switch {
		case r.Status == api.StatusOK:
			s.next++
			s.send(e)
		case r.Status == api.StatusRedirect && r.Leader != "":
			for i, x := range s.replicas {
				if x == r.Leader {
					s.target = i
				}
			}
			s.send(e)
		}
	}
}

func (s *setupActor) send(e env.Env) {
	if s.next >= len(s.grants) {
		return
	}
	g := s.grants[s.next]
	e.Send(s.replicas[s.target%len(s.replicas)], api.EncodeRequest(api.Request{ID: uint64(s.next + 1), Op: api.OpDeposit, Account: g.account, Amount: g.amount, IdemKey: "genesis:" + g.account}))
}

// samplerActor is the world reading the chain: the custody addresses'
// confirmed balances at every sweep window's settle point and at the end
// ("world.holdings"), for INV-COLD and INV-CONSERVE.
type samplerActor struct {
	run              *run
	hot, cold, chain string
	window, settle   time.Duration
	seq              uint64
	hotBal, coldBal  int64
	got              int
}

func (s *samplerActor) Step(e env.Env, in env.Input) {
	switch in.Kind {
	case env.InputStart:
		e.After(s.window+s.settle, "sample")
	case env.InputTimer, env.InputMessage:
		if in.Kind == env.InputMessage && in.From != finalSender {
			s.answer(in)
			return
		}
		if in.Kind == env.InputTimer {
			e.After(s.window, "sample")
		}
		s.seq += 2
		s.got = 0
		e.Send(env.NodeID(s.chain), chain.EncodeQuery(chain.Query{ID: s.seq - 1, Kind: chain.QueryAccount, Address: s.hot}))
		e.Send(env.NodeID(s.chain), chain.EncodeQuery(chain.Query{ID: s.seq, Kind: chain.QueryAccount, Address: s.cold}))
	}
}

func (s *samplerActor) answer(in env.Input) {
	{
		t, body, err := env.Decode(in.Payload)
		if err != nil || t != chain.MsgQueryResult {
			return
		}
		r, err := chain.DecodeQueryResult(body)
		if err != nil || (r.ID != s.seq && r.ID != s.seq-1) {
			return
		}
		switch {
		case r.Address == s.hot && r.ID == s.seq-1 && s.got&1 == 0:
			s.hotBal, s.got = r.Balance, s.got|1
		case r.Address == s.cold && r.ID == s.seq && s.got&2 == 0:
			s.coldBal, s.got = r.Balance, s.got|2
		default:
			return // a duplicate
		}
		if s.got == 3 {
			s.run.worldObs("", "world.holdings", "hot", strconv.FormatInt(s.hotBal, 10), "cold", strconv.FormatInt(s.coldBal, 10),
				"total", strconv.FormatInt(s.hotBal+s.coldBal, 10))
		}
	}
}
