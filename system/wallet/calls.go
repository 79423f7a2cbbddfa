package wallet

import (
	"fmt"
	"strconv"
	"strings"

	"vaultdrill/system/api"
	"vaultdrill/system/chain"
	"vaultdrill/system/courier"
	"vaultdrill/system/env"
	"vaultdrill/system/signer"
)

// The wallet talks to three services, each through a call table: a request
// goes out with a call id, a timer bounds each attempt, and the callback
// runs once with the answer. Ledger writes carry idempotency keys and are
// retried until answered (a lost answer must not become a second effect);
// chain calls report a timeout as nil and the caller decides; signing
// requests move to the next committee member after each attempt timeout.

type ledgerCall struct {
	req    api.Request
	target int
	done   func(e env.Env, r api.Response)
}

type chainCall struct {
	payload []byte
	done    func(e env.Env, body []byte) // nil body: timed out
}

type signCall struct {
	info  *Info
	req   signer.SignRequest
	coord int
	done  func(e env.Env, r signer.SignResponse)
}

func (n *Node) nextCall() uint64 {
	n.callSeq++
	return n.callSeq
}

// ledgerWrite deposits to or withdraws from an account, idempotently.
func (n *Node) ledgerWrite(e env.Env, op api.Op, account string, amount int64, idem string, done func(e env.Env, r api.Response)) {
	id := n.nextCall()
	c := &ledgerCall{req: api.Request{ID: id, Op: op, Account: account, Amount: amount, IdemKey: idem}, target: n.leaderGuess, done: done}
	n.ledgerCalls[id] = c
	n.sendLedger(e, id, c)
}

// ledgerRead reads an account's balance (linearizable, through the
// leader), retried until answered.
func (n *Node) ledgerRead(e env.Env, account string, done func(e env.Env, r api.Response)) {
	id := n.nextCall()
	c := &ledgerCall{req: api.Request{ID: id, Op: api.OpBalance, Account: account}, target: n.leaderGuess, done: done}
	n.ledgerCalls[id] = c
	n.sendLedger(e, id, c)
}

func (n *Node) sendLedger(e env.Env, id uint64, c *ledgerCall) {
	e.Send(n.cfg.Ledger[c.target%len(n.cfg.Ledger)], api.EncodeRequest(c.req))
	e.After(n.cfg.LedgerAttempt, "ledger/"+strconv.FormatUint(id, 10)+"/"+strconv.Itoa(c.target))
}

func (n *Node) ledgerTimer(e env.Env, rest string) {
	idS, tgtS, _ := strings.Cut(rest, "/")
	id, _ := strconv.ParseUint(idS, 10, 64)
	tgt, _ := strconv.Atoi(tgtS)
	c := n.ledgerCalls[id]
	if c == nil || c.target != tgt {
		return
	}
	c.target++
	n.sendLedger(e, id, c)
}

func (n *Node) ledgerResponse(e env.Env, from env.NodeID, body []byte) {
	r, err := api.DecodeResponse(body)
	if err != nil {
		return
	}
	c := n.ledgerCalls[r.ID]
	if c == nil {
		return
	}
	switch r.Status {
	case api.StatusOK:
		delete(n.ledgerCalls, r.ID)
		for i, l := range n.cfg.Ledger {
			if l == from {
				n.leaderGuess, n.leader = i, from // only the leader answers a write
			}
		}
		c.done(e, r)
	case api.StatusRedirect:
		for i, l := range n.cfg.Ledger {
			if l == r.Leader && r.Leader != "" {
				c.target = i
				n.sendLedger(e, r.ID, c)
				return
			}
		}
		// no leader known: the attempt timer moves on
	case api.StatusFail:
		// did not happen: the timer retries (same key)
	}
}

// chainRequest sends a framed chain request whose id is id.
func (n *Node) chainRequest(e env.Env, id uint64, payload []byte, done func(e env.Env, body []byte)) {
	n.chainCalls[id] = &chainCall{payload: payload, done: done}
	e.Send(n.cfg.Chain, payload)
	e.After(n.cfg.ChainAttempt, "chain/"+strconv.FormatUint(id, 10))
}

func (n *Node) submit(e env.Env, raw []byte, done func(e env.Env, r *chain.SubmitResult)) {
	id := n.nextCall()
	n.chainRequest(e, id, chain.EncodeSubmit(chain.Submit{ID: id, Raw: raw}), func(e env.Env, body []byte) {
		if body == nil {
			done(e, nil)
			return
		}
		r, err := chain.DecodeSubmitResult(body)
		if err != nil {
			done(e, nil)
			return
		}
		done(e, &r)
	})
}

func (n *Node) query(e env.Env, q chain.Query, done func(e env.Env, r *chain.QueryResult)) {
	id := n.nextCall()
	q.ID = id
	n.chainRequest(e, id, chain.EncodeQuery(q), func(e env.Env, body []byte) {
		if body == nil {
			done(e, nil)
			return
		}
		r, err := chain.DecodeQueryResult(body)
		if err != nil || r.Err != "" {
			done(e, nil)
			return
		}
		done(e, &r)
	})
}

func (n *Node) chainTimer(e env.Env, rest string) {
	id, _ := strconv.ParseUint(rest, 10, 64)
	if c := n.chainCalls[id]; c != nil {
		delete(n.chainCalls, id)
		c.done(e, nil)
	}
}

func (n *Node) chainAnswer(e env.Env, t env.MsgType, body []byte) {
	var id uint64
	switch t {
	case chain.MsgSubmitResult:
		r, err := chain.DecodeSubmitResult(body)
		if err != nil {
			return
		}
		id = r.ID
	case chain.MsgQueryResult:
		r, err := chain.DecodeQueryResult(body)
		if err != nil {
			return
		}
		id = r.ID
	default:
		return
	}
	if c := n.chainCalls[id]; c != nil {
		delete(n.chainCalls, id)
		c.done(e, body)
	}
}

// sign asks the wallet's committee for a signature, moving to the next
// member after each attempt timeout, until one answers.
func (n *Node) sign(e env.Env, info *Info, req signer.SignRequest, done func(e env.Env, r signer.SignResponse)) {
	id := n.nextCall()
	req.ReqID = id
	c := &signCall{info: info, req: req, coord: int(id) % len(info.Signers), done: done}
	n.signCalls[id] = c
	n.sendSign(e, id, c)
}

func (n *Node) sendSign(e env.Env, id uint64, c *signCall) {
	to := c.info.Signers[c.coord%len(c.info.Signers)]
	payload := signer.EncodeSignRequest(c.req)
	attempt := n.cfg.SignAttempt
	if c.info.ViaCourier {
		attempt = n.cfg.ColdAttempt
		if n.cfg.Bug != BugAirgapBypass {
			payload = courier.Encode(courier.Forward{From: n.cfg.ID, To: to, Payload: payload})
			to = n.cfg.Courier
		}
	}
	e.Send(to, payload)
	e.After(attempt, fmt.Sprintf("sign/%d/%d", id, c.coord))
}

func (n *Node) signTimer(e env.Env, rest string) {
	var id uint64
	var coord int
	if _, err := fmt.Sscanf(rest, "%d/%d", &id, &coord); err != nil {
		return
	}
	c := n.signCalls[id]
	if c == nil || c.coord != coord {
		return
	}
	c.coord++
	n.sendSign(e, id, c)
}

func (n *Node) signAnswer(e env.Env, r signer.SignResponse) {
	c := n.signCalls[r.ReqID]
	if c == nil {
		return
	}
	delete(n.signCalls, r.ReqID)
	c.done(e, r)
}
