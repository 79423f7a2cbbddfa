package wallet

import (
	"crypto/ed25519"
	"fmt"
	"strconv"
	"time"

	"vaultdrill/system/access"
	"vaultdrill/system/api"
	"vaultdrill/system/approval"
	"vaultdrill/system/env"
)

// The zero-trust gateway in front of the wallet's client operations
// (system/access; D24, D27). With Config.Access set, a client does not send
// a bare WithdrawRequest: it logs in, asks for the operation under its
// session (or with an API key), answers the step-up challenge with a fresh
// TOTP code, and only an allowed withdrawal enters the pipeline. Every
// gateway decision is on the audit record, with the client's device and
// IP, before it takes effect; TOTP steps and step-up challenges are
// consumed once across regions through ledger once-keys.

// Message types of the gateway (access reserves 80-89).
const (
	MsgAccess      env.MsgType = access.MsgRequest // client -> wallet: AccessEnvelope
	MsgAccessReply env.MsgType = 81                // wallet -> client: AccessReply
)

// AccessConfig turns the gateway on: its configuration (ID is set to the
// node's), and the users and API keys registered at every start.
type AccessConfig struct {
	Gateway access.Config
	Users   []access.UserSpec
	Keys    []access.KeySpec
}

// AccessEnvelope carries one gateway request. Request is the access
// codec's encoding (access.EncodeRequest: strict, versioned, fuzzed);
// RequestedAt is, for a withdrawal, the client's clock at its first
// attempt (ns since env.Epoch), as in WithdrawRequest: it must not be in
// the node's future.
type AccessEnvelope struct {
	Request     []byte `json:"request"`
	RequestedAt int64  `json:"requested_at,omitempty"`
}

// AccessReply answers one gateway request (by the request's ID). Result is
// an access.Result other than pending; a withdrawal's outcome comes later,
// as a WithdrawStatus.
type AccessReply struct {
	ID        string `json:"id"`
	Result    string `json:"result"`
	Reason    string `json:"reason,omitempty"`
	Err       string `json:"err,omitempty"`
	Session   string `json:"session,omitempty"`
	Challenge string `json:"challenge,omitempty"`
	Expires   int64  `json:"expires,omitempty"` // ns since env.Epoch on this node's clock
	KeyToken  string `json:"key_token,omitempty"`
	Balance   int64  `json:"balance,omitempty"` // a read's answer
}

// accessReqMax bounds the requests remembered for deduplication.
const accessReqMax = 4096

// accessReq is one client request as this node handles it: in progress
// (reply nil) or answered (a duplicate gets the same reply).
type accessReq struct {
	reply *AccessReply
	// wd: the withdrawal an allowed withdraw op started; a duplicate of
	// the request asks the pipeline again (idempotent by id), so an
	// allow whose withdrawal was not taken (no audit sink, too many in
	// progress) is not left without a status
	wd *WithdrawRequest
}

// startGateway builds the gateway of this incarnation: its soft state
// (rate windows, lockouts, used codes) starts empty; the ledger's
// once-keys remember what it forgets.
func (n *Node) startGateway(e env.Env) {
	n.gw, n.accessReqs, n.accessOrder, n.mfaPending = nil, map[string]*accessReq{}, nil, map[string]bool{}
	n.boot = strconv.FormatInt(int64(e.Now().Sub(env.Epoch)), 10)
	ac := n.cfg.Access
	if ac == nil {
		return
	}
	gc := ac.Gateway
	gc.ID = string(n.cfg.ID)
	g, err := access.New(gc)
	for _, u := range ac.Users {
		if err == nil {
			err = g.AddUser(u)
		}
	}
	for _, k := range ac.Keys {
		if err == nil {
			_, err = g.AddAPIKey(k)
		}
	}
	if err != nil {
		// fail closed: no gateway, no client operation here
		e.Observe(env.ObserveKV("wallet.access_error", "err", err.Error()))
		return
	}
	n.gw = g
	n.replayJournal(e)
	n.clockHeight = 0
	e.After(time.Second, "clock")
}

func (n *Node) accessRequest(e env.Env, from env.NodeID, payload []byte) {
	var env_ AccessEnvelope
	if !Decode(payload, MsgAccess, &env_) {
		return
	}
	req, err := access.DecodeRequest(env_.Request)
	if err != nil {
		e.Send(from, encode(MsgAccessReply, AccessReply{Result: string(access.ResultDeny), Reason: "malformed", Err: err.Error()}))
		return
	}
	key := string(from) + "\x00" + req.ID
	if a := n.accessReqs[key]; a != nil {
		if a.reply != nil {
			e.Send(from, encode(MsgAccessReply, *a.reply))
			if a.wd != nil {
				n.withdrawRequest(e, from, *a.wd)
			}
		}
		return // in progress: its answer goes out when it is known
	}
	if n.gw == nil {
		e.Send(from, encode(MsgAccessReply, AccessReply{ID: req.ID, Result: string(access.ResultDeny), Reason: "gateway-down",
			Err: "wallet: no access gateway on this node"}))
		return
	}
	if !n.sinkUp() {
		n.halt(e, "no audit sink can record access decisions")
		return // no decision off the record: the client asks again, or elsewhere
	}
	if env_.RequestedAt > int64(e.Now().Sub(env.Epoch)) {
		env_.RequestedAt = int64(e.Now().Sub(env.Epoch))
	}
	a := &accessReq{}
	n.rememberAccess(key, a)
	n.accessDecided(e, from, req, env_.RequestedAt, a, n.gw.Handle(e.Now(), req))
}

// onceScope prefixes the request part of every once-key consumption with
// this gateway and incarnation: the ledger's idempotent answer then only
// repeats "first" to the very consumer that was first. The client's
// request id alone would not do: a request sniffed on the wire and
// replayed whole at another region's gateway (or here after a restart,
// when the used-sets are gone) would be answered "first" again and its
// code accepted twice (INV-OTP). An honest client's retry of a lost
// answer reaches the same incarnation, which answers it from memory.
func (n *Node) onceScope() string { return string(n.cfg.ID) + "/" + n.boot + "/" }

// rememberAccess keeps a request for deduplication, forgetting the oldest
// beyond accessReqMax (a duplicate that late is judged afresh, and the
// gateway's used-sets and the ledger's once-keys refuse what it reuses).
func (n *Node) rememberAccess(key string, a *accessReq) {
	n.accessReqs[key] = a
	n.accessOrder = append(n.accessOrder, key)
	if len(n.accessOrder) > accessReqMax {
		delete(n.accessReqs, n.accessOrder[0])
		n.accessOrder = n.accessOrder[1:]
	}
}

// accessDecided emits a decision's facts, records its decisions, and acts:
// a pending one consumes its once-keys in the ledger first.
func (n *Node) accessDecided(e env.Env, from env.NodeID, req access.Request, requestedAt int64, a *accessReq, d access.Decision) {
	for _, f := range d.Facts {
		if f.Kind == "access.decision" && !n.recordAccess(e, req, f) {
			// not on record: no effect; the client asks again
			delete(n.accessReqs, string(from)+"\x00"+req.ID)
			return
		}
		e.Observe(f)
	}
	if d.Result == access.ResultPending {
		first := make([]bool, len(d.Once))
		left := len(d.Once)
		for i, key := range d.Once {
			n.ledgerWrite(e, api.OpDeposit, key, 1, access.OnceIdem(key, n.onceScope()+req.ID), func(e env.Env, r api.Response) {
				first[i] = r.Balance == 1
				if left--; left == 0 {
					n.accessDecided(e, from, req, requestedAt, a, n.gw.Resolve(e.Now(), d, first))
				}
			})
		}
		return
	}
	n.share(e, sharedOf(req, d, int64(e.Now().Sub(env.Epoch))))
	reply := AccessReply{ID: req.ID, Result: string(d.Result), Reason: d.Reason, Session: d.Session,
		Challenge: d.Challenge, KeyToken: d.KeyToken}
	if d.Err != nil {
		reply.Err = d.Err.Error()
	}
	if !d.Expires.IsZero() {
		reply.Expires = int64(d.Expires.Sub(env.Epoch))
	}
	if !d.Allowed() {
		n.accessReply(e, from, a, reply)
		return
	}
	switch req.Op {
	case access.OpWithdraw:
		wr, err := withdrawOf(req, requestedAt)
		if err != nil { // the gateway checked the params: a bug, refused
			reply.Result, reply.Err = string(access.ResultDeny), err.Error()
			n.accessReply(e, from, a, reply)
			return
		}
		a.wd = &wr
		n.accessReply(e, from, a, reply)
		n.withdrawRequest(e, from, wr)
	case access.OpRead:
		n.ledgerRead(e, req.Params[0], func(e env.Env, r api.Response) {
			reply.Balance = r.Balance
			n.accessReply(e, from, a, reply)
		})
	default:
		n.accessReply(e, from, a, reply)
	}
}

func (n *Node) accessReply(e env.Env, to env.NodeID, a *accessReq, r AccessReply) {
	a.reply = &r
	e.Send(to, encode(MsgAccessReply, r))
}

// recordAccess puts one gateway decision on the audit record: the actor is
// the principal (the user, or the API key), device and IP the client's.
func (n *Node) recordAccess(e env.Env, req access.Request, f env.Observation) bool {
	actor := f.Fields["user"]
	if req.Kind == access.KindAPIKey {
		actor = "apikey:" + req.APIKey
	}
	if actor == "" {
		actor = "unknown"
	}
	device, ip := req.Device, req.IP
	if device == "" {
		device = "none"
	}
	if ip == "" {
		ip = "none"
	}
	return n.recordAs(e, actor, device, ip, "access."+f.Fields["op"], f.Fields["subject"], f.Fields["decision"],
		f.Fields["params"], "reason="+f.Fields["reason"]+" challenge="+f.Fields["challenge"])
}

// approverMFA checks an approval's MFA through the gateway (the human's
// registered device, biometric, a fresh code consumed once across
// regions) and calls counted once it passes; a refused one is put on
// record and not counted (the approver is asked again later).
func (n *Node) approverMFA(e env.Env, w *withdrawal, r ApprovalResponse, counted func(e env.Env)) {
	key := r.Withdrawal + "/" + r.Approval.Device + "/" + strconv.FormatInt(int64(r.Approval.At.Sub(env.Epoch)), 10)
	if n.mfaPending[key] {
		return // a duplicate of one being checked
	}
	if d, ok := n.cfg.Registry.Lookup(r.Approval.Device); !ok || d.Human != r.Approval.Human ||
		!approval.Verify(ed25519.PublicKey(d.PublicKey), w.subject, r.Approval) {
		// not the device's signature of this subject: no code is judged
		// (a forged approval must not burn the human's codes or lock them)
		return
	}
	n.mfaPending[key] = true
	bio := access.BiometricNone
	if r.Biometric != nil {
		bio = *r.Biometric
	}
	d := n.gw.CheckApprover(e.Now(), access.ApproverCheck{User: r.Approval.Human, Device: r.Approval.Device, Code: r.Code, Biometric: bio})
	n.mfaDecided(e, key, w.req.ID, r, d, counted)
}

func (n *Node) mfaDecided(e env.Env, key, wd string, r ApprovalResponse, d access.Decision, counted func(e env.Env)) {
	for _, f := range d.Facts {
		e.Observe(f)
	}
	if d.Result != access.ResultPending {
		// a lockout the approver's codes caused holds in every region
		n.share(e, locksOf(d.Facts, int64(e.Now().Sub(env.Epoch))))
	}
	if d.Result == access.ResultPending {
		first := make([]bool, len(d.Once))
		left := len(d.Once)
		for i, once := range d.Once {
			n.ledgerWrite(e, api.OpDeposit, once, 1, access.OnceIdem(once, n.onceScope()+"approve:"+key), func(e env.Env, resp api.Response) {
				first[i] = resp.Balance == 1
				if left--; left == 0 {
					n.mfaDecided(e, key, wd, r, n.gw.Resolve(e.Now(), d, first), counted)
				}
			})
		}
		return
	}
	delete(n.mfaPending, key)
	if !d.Allowed() {
		n.recordAs(e, r.Approval.Human, r.Approval.Device, "none", "withdrawal.approve", wd, "deny", r.Digest, "mfa: "+d.Reason)
		return
	}
	counted(e)
}

// withdrawOf is the withdrawal an allowed withdraw op asks for: params
// user, withdrawal id, to, amount; the initiator is the principal.
func withdrawOf(req access.Request, requestedAt int64) (WithdrawRequest, error) {
	if len(req.Params) != 4 {
		return WithdrawRequest{}, fmt.Errorf("wallet: withdraw with %d params", len(req.Params))
	}
	amount, err := strconv.ParseInt(req.Params[3], 10, 64)
	if err != nil || amount <= 0 {
		return WithdrawRequest{}, fmt.Errorf("wallet: withdraw amount %q", req.Params[3])
	}
	initiator := "user:" + req.Params[0]
	if req.Kind == access.KindAPIKey || (req.Kind == access.KindStepUp && req.APIKey != "") {
		initiator = "apikey:" + req.APIKey
	}
	return WithdrawRequest{ID: req.Params[1], User: req.Params[0], To: req.Params[2], Amount: amount, Wallet: "hot",
		Initiator: initiator, RequestedAt: requestedAt, Device: req.Device,
		GeoKnown: req.Geo.Known, LatE6: req.Geo.LatE6, LonE6: req.Geo.LonE6}, nil
}

// AccessAttempt is how long a client waits for an access reply before it
// asks again (the harness's clients use it).
const AccessAttempt = 20 * time.Second
