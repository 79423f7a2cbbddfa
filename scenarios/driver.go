package scenarios

import (
	"fmt"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"vaultdrill/checkers/history"
	"vaultdrill/system/chain"
	"vaultdrill/system/env"
	"vaultdrill/system/mpc"
	"vaultdrill/system/signer"
)

// signingDriver requests threshold signatures directly from a committee
// (the withdrawal pipeline comes later): one outstanding request at a
// time, each for a real chain transaction from the key's address, which it
// then submits to the chain so the chain verifies the MPC signature with a
// real library. A request that gets no answer from one coordinator within
// attempt_timeout goes to the next committee member; one unanswered by
// op_timeout is recorded info.
type signingDriverParams struct {
	Key            string        `yaml:"key"`
	Interval       time.Duration `yaml:"interval"`
	AttemptTimeout time.Duration `yaml:"attempt_timeout"`
	OpTimeout      time.Duration `yaml:"op_timeout"`
	// Ceremony, when set, names a new key the committee makes first, in a
	// key ceremony over the network; the driver then moves funds from the
	// old key's address to the new one (signed by the old committee) and
	// signs every later transaction with the new key: the emergency
	// migration's shape.
	Ceremony string `yaml:"ceremony"`
}

type signingDriver struct {
	p       signingDriverParams
	stopped bool
}

const driverNode env.NodeID = "driver-1"

func newSigningDriver(file string, n *yaml.Node) (Workload, error) {
	d := &signingDriver{p: signingDriverParams{Key: "hot", Interval: 20 * time.Second, AttemptTimeout: 30 * time.Second, OpTimeout: 2 * time.Minute}}
	if n.Kind != 0 {
		if err := decodeStrict(file, n, &d.p); err != nil {
			return nil, err
		}
	}
	_, ok := mpc.DefaultCommittee(mpc.KeyID(d.p.Key))
	if !ok {
		return nil, fmt.Errorf("%s:%d: signing-driver key %q has no default committee", file, n.Line, d.p.Key)
	}
	if d.p.Ceremony != "" {
		if _, exists := mpc.DefaultCommittee(mpc.KeyID(d.p.Ceremony)); exists || (mpc.Committee{Key: mpc.KeyID(d.p.Ceremony), Algo: mpc.ECDSA, K: 2, Parties: mpc.HotParties()}).Validate() != nil {
			return nil, fmt.Errorf("%s:%d: signing-driver ceremony %q must name a new key", file, n.Line, d.p.Ceremony)
		}
	}
	if d.p.Interval <= 0 || d.p.AttemptTimeout <= 0 || d.p.OpTimeout < d.p.AttemptTimeout {
		return nil, fmt.Errorf("%s:%d: signing-driver needs interval > 0 and 0 < attempt_timeout <= op_timeout", file, n.Line)
	}
	return d, nil
}

func (d *signingDriver) Describe() string {
	s := fmt.Sprintf("signing driver: key %s, one request every %v, attempt timeout %v, op timeout %v", d.p.Key, d.p.Interval, d.p.AttemptTimeout, d.p.OpTimeout)
	if d.p.Ceremony != "" {
		s += fmt.Sprintf("; first a key ceremony for %s and a migration of funds to it", d.p.Ceremony)
	}
	return s
}
func (d *signingDriver) Stop()              { d.stopped = true }
func (d *signingDriver) Accounts() []string { return nil }

func (d *signingDriver) Install(r *run) {
	c, _ := mpc.DefaultCommittee(mpc.KeyID(d.p.Key))
	pub := r.publicKeys[c.Key]
	flavour := chain.Secp256k1
	if c.Algo == mpc.EdDSA {
		flavour = chain.Ed25519
	}
	from, _ := chain.Address(flavour, pub)
	to := chain.MustExternalKey(r.world.Seed(), "user-1", flavour).Address
	a := &driverActor{run: r, d: d, committee: c, pub: pub, from: from, to: to, flavour: flavour}
	if d.p.Ceremony != "" {
		a.phase = phaseKeygen
	}
	r.world.Add(driverNode, clientRegion, func() env.Node { return a })
}

type driverActor struct {
	run       *run
	d         *signingDriver
	committee mpc.Committee
	pub       []byte
	from, to  string
	flavour   string

	proc     int
	phase    driverPhase
	newPub   []byte
	kreq     uint64
	nonce    uint64
	reqID    uint64
	seq      uint64
	cur      *driverReq
	submitID uint64
	counted  bool // the latest submission's acceptance was counted
}

// driverPhase: a ceremony run goes keygen -> migrate -> sign.
type driverPhase int

const (
	phaseSign driverPhase = iota
	phaseKeygen
	phaseMigrate
)

// migrateAmount is what the migration moves to the new key's address.
const migrateAmount = chainGenesis / 2

type driverReq struct {
	tx       chain.Tx
	digest   [32]byte
	reqID    uint64
	coord    int
	deadline time.Duration
}

func (a *driverActor) Step(e env.Env, in env.Input) {
	switch in.Kind {
	case env.InputStart:
		a.proc = a.run.newProcess()
		if a.phase == phaseKeygen {
			a.run.record(history.Event{Kind: history.Invoke, Process: a.proc, Op: "keygen", Key: a.d.p.Ceremony})
			a.keygen(e, 0, a.run.world.Now()+a.d.p.OpTimeout)
			return
		}
		e.After(a.d.p.Interval, "next")
	case env.InputTimer:
		a.timer(e, in.Tag)
	case env.InputMessage:
		a.message(e, in)
	}
}

func (a *driverActor) timer(e env.Env, tag string) {
	switch {
	case tag == "next":
		if a.cur != nil || a.d.stopped {
			return
		}
		a.seq++
		tx := chain.Tx{Chain: a.flavour, From: a.from, To: a.to, Amount: 1, Fee: 10, Nonce: a.nonce,
			Memo: "vaultdrill:" + string(a.committee.Key), PubKey: a.pub}
		if a.phase == phaseMigrate {
			to, _ := chain.Address(a.flavour, a.newPub)
			tx.To, tx.Amount, tx.Memo = to, migrateAmount, "vaultdrill:migrate:"+a.d.p.Ceremony
		}
		a.cur = &driverReq{tx: tx, digest: tx.SigningDigest(), coord: int(a.seq) % len(a.committee.Parties),
			deadline: a.run.world.Now() + a.d.p.OpTimeout}
		a.run.record(history.Event{Kind: history.Invoke, Process: a.proc, Op: "sign", Key: string(a.committee.Key),
			Detail: fmt.Sprintf("digest %x", a.cur.digest)})
		a.send(e)
	case strings.HasPrefix(tag, "keygen/"):
		var id uint64
		var coord int
		var deadline time.Duration
		if _, err := fmt.Sscanf(tag, "keygen/%d/%d/%d", &id, &coord, &deadline); err != nil || id != a.kreq || a.phase != phaseKeygen {
			return
		}
		if a.run.world.Now() >= deadline {
			a.keygenDone(e, history.Info, "timeout", nil)
			return
		}
		a.keygen(e, (coord+1)%len(a.committee.Parties), deadline)
	case strings.HasPrefix(tag, "attempt/"):
		if a.cur == nil || tag != fmt.Sprintf("attempt/%d", a.cur.reqID) {
			return
		}
		if a.run.world.Now() >= a.cur.deadline {
			a.complete(e, history.Info, "timeout")
			return
		}
		a.cur.coord = (a.cur.coord + 1) % len(a.committee.Parties)
		a.send(e)
	}
}

func (a *driverActor) send(e env.Env) {
	a.reqID++
	a.cur.reqID = a.reqID
	to := env.NodeID(a.committee.Parties[a.cur.coord])
	e.Send(to, signer.EncodeSignRequest(signer.SignRequest{ReqID: a.reqID, Key: a.committee.Key, Digest: a.cur.digest[:]}))
	e.After(a.d.p.AttemptTimeout, fmt.Sprintf("attempt/%d", a.reqID))
}

func (a *driverActor) message(e env.Env, in env.Input) {
	if resp, ok := signer.DecodeKeygenResponse(in.Payload); ok {
		if a.phase != phaseKeygen || resp.ReqID != a.kreq {
			return
		}
		if !resp.OK {
			a.keygenDone(e, history.Fail, resp.Err, nil)
			return
		}
		a.keygenDone(e, history.OK, "", resp.PublicKey)
		return
	}
	if resp, ok := signer.DecodeSignResponse(in.Payload); ok {
		if a.cur == nil || resp.ReqID != a.cur.reqID {
			return
		}
		if !resp.OK {
			a.complete(e, history.Fail, resp.Err)
			return
		}
		tx := a.cur.tx
		tx.Sig = resp.Sig
		if a.flavour == chain.Secp256k1 && len(tx.Sig) == 65 { // r || s || v: the chain takes r || s
			tx.Sig = tx.Sig[:64]
		}
		a.submitID++
		a.counted = false
		e.Send(chainNode(a.flavour), chain.SubmitTx(a.submitID, tx))
		a.complete(e, history.OK, "")
		return
	}
	t, body, err := env.Decode(in.Payload)
	if err != nil || t != chain.MsgSubmitResult {
		return
	}
	// Only the answer to the latest submission counts, once: a duplicated
	// answer must not advance the nonce twice.
	// A duplicate, or a nonce already used, means an earlier submission of
	// this transaction got in and its answer was lost.
	sr, err := chain.DecodeSubmitResult(body)
	landed := err == nil && (sr.Accepted || sr.Reason == chain.ErrDuplicate.Error() || sr.Reason == chain.ErrStale.Error())
	if landed && sr.ID == a.submitID && !a.counted {
		a.counted = true
		a.nonce++
		if a.phase == phaseMigrate {
			// From now on the new key signs, from its own address; its
			// first transaction waits for the migration to be mined.
			a.phase = phaseSign
			a.committee.Key = mpc.KeyID(a.d.p.Ceremony)
			a.pub = a.newPub
			a.from, _ = chain.Address(a.flavour, a.newPub)
			a.nonce = 0
		}
	}
}

// keygen asks committee member coord to run the ceremony; an unanswered
// request moves to the next member after attempt_timeout.
func (a *driverActor) keygen(e env.Env, coord int, deadline time.Duration) {
	a.reqID++
	a.kreq = a.reqID
	c := mpc.Committee{Key: mpc.KeyID(a.d.p.Ceremony), Algo: a.committee.Algo, K: a.committee.K, Parties: a.committee.Parties}
	e.Send(env.NodeID(c.Parties[coord]), signer.EncodeKeygenRequest(signer.KeygenRequest{ReqID: a.reqID, Committee: c}))
	e.After(a.d.p.AttemptTimeout*4, fmt.Sprintf("keygen/%d/%d/%d", a.reqID, coord, deadline))
}

func (a *driverActor) keygenDone(e env.Env, kind history.Kind, why string, pub []byte) {
	a.run.record(history.Event{Kind: kind, Process: a.proc, Op: "keygen", Key: a.d.p.Ceremony, Error: why,
		Detail: fmt.Sprintf("public key %x", pub)})
	if kind == history.Info {
		a.proc = a.run.newProcess()
	}
	if kind != history.OK {
		a.phase = phaseSign // keep signing with the old key
	} else {
		a.newPub, a.phase = pub, phaseMigrate
		a.run.publicKeys[mpc.KeyID(a.d.p.Ceremony)] = pub
	}
	e.After(a.d.p.Interval, "next")
}

func (a *driverActor) complete(e env.Env, kind history.Kind, why string) {
	a.run.record(history.Event{Kind: kind, Process: a.proc, Op: "sign", Key: string(a.committee.Key),
		Node: string(a.committee.Parties[a.cur.coord]), Error: why, Detail: fmt.Sprintf("digest %x", a.cur.digest)})
	if kind == history.Info {
		a.proc = a.run.newProcess()
	}
	a.cur = nil
	e.After(a.d.p.Interval, "next")
}

func chainNode(flavour string) env.NodeID { return env.NodeID("chain-" + flavour) }
