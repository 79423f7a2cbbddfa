package signer

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"vaultdrill/system/env"
	"vaultdrill/system/mpc"
)

// Observation kinds of key ceremonies.
const (
	ObsKeygenBegin = "signer.keygen_begin" // a party joined a ceremony attempt
	ObsKeygenDone  = "signer.keygen_done"  // a party holds its new share (sealed) and the public key
	ObsKeygen      = "signer.keygen"       // the coordinator saw every member announce the same key
)

// Rounds of tss-lib's key ceremonies, for the attempt's time bound: the
// message rounds plus the final computation.
const (
	keygenRoundsECDSA = 4
	keygenRoundsEdDSA = 3
)

// keyRecord is what a node keeps of a key it holds: public facts only. The
// share itself is sealed ("signer/share/KEY"); a key of the ideal engine
// has no share at all.
type keyRecord struct {
	Committee mpc.Committee `json:"committee"`
	PublicKey string        `json:"public_key"`
	Sealed    bool          `json:"sealed"`
	Session   uint64        `json:"session"`
}

func keyFile(k mpc.KeyID) string { return "signer/keys/" + string(k) }

// loadKeys builds the node's key table from its configuration and the
// records its ceremonies left on disk.
func (n *Node) loadKeys(e env.Env) {
	n.committees = append([]mpc.Committee(nil), n.cfg.Committees...)
	n.pubs, n.sealed, n.keySession = map[mpc.KeyID][]byte{}, map[mpc.KeyID]bool{}, map[mpc.KeyID]uint64{}
	for _, c := range n.cfg.Committees {
		n.pubs[c.Key] = append([]byte(nil), n.cfg.PublicKeys[c.Key]...)
		_, n.sealed[c.Key] = n.cfg.Shares[c.Key]
	}
	for _, name := range e.Disk().List("signer/keys/") {
		b, _ := e.Disk().Read(name)
		var r keyRecord
		if json.Unmarshal(b, &r) != nil || r.Committee.Validate() != nil {
			// Records are written whole and synced; a bad one is a bug.
			panic(fmt.Sprintf("signer %s: key record %s does not decode", n.cfg.ID, name))
		}
		pub, err := hex.DecodeString(r.PublicKey)
		if err != nil {
			panic(fmt.Sprintf("signer %s: key record %s: public key is not hex", n.cfg.ID, name))
		}
		n.remember(r.Committee, pub, r.Sealed, r.Session)
	}
}

func (n *Node) remember(c mpc.Committee, pub []byte, sealed bool, session uint64) {
	if _, ok := n.committee(c.Key); !ok {
		n.committees = append(n.committees, c)
	}
	n.pubs[c.Key], n.sealed[c.Key], n.keySession[c.Key] = pub, sealed, session
}

// ---- coordinator ----

func (n *Node) keygenRequest(e env.Env, from env.NodeID, r KeygenRequest) {
	fail := func(why string) {
		e.Send(from, encode(MsgKeygenResp, KeygenResponse{ReqID: r.ReqID, Err: why}))
	}
	allowed := false
	for _, q := range n.cfg.Requesters {
		allowed = allowed || q == from
	}
	c := r.Committee
	switch {
	case !allowed:
		fail("signer: requester not authorized")
		return
	case c.Validate() != nil:
		fail("signer: bad committee: " + c.Validate().Error())
		return
	case !inParties(c.Parties, n.cfg.ID):
		fail("signer: not in the committee of " + string(c.Key))
		return
	}
	if have, ok := n.committee(c.Key); ok {
		// A repeated request (its answer was lost) for the key this node
		// holds is answered with that key; another committee is refused.
		if joinParties(have.Parties) == joinParties(c.Parties) && have.Algo == c.Algo && have.K == c.K && n.keySession[c.Key] != 0 {
			e.Send(from, encode(MsgKeygenResp, KeygenResponse{ReqID: r.ReqID, OK: true, PublicKey: n.pubs[c.Key]}))
			return
		}
		fail("signer: key " + string(c.Key) + " exists")
		return
	}
	q := &request{reqID: r.ReqID, requester: from, committee: c, keygen: &c, session: e.Rand().Uint64()}
	n.requests[q.session] = q
	n.nextAttempt(e, q, "")
}

// keygenAttempt starts one ceremony attempt with the whole committee:
// keygen needs every member, so quarantine and suspicion do not apply.
func (n *Node) keygenAttempt(e env.Env, q *request) {
	q.parties = append([]mpc.PartyID(nil), q.committee.Parties...)
	q.kpubs = map[mpc.PartyID][]byte{}
	id := mpc.SessionID{Key: q.committee.Key, Session: q.session, Attempt: q.attempt, Parties: q.parties}
	for _, p := range q.parties {
		e.Send(env.NodeID(p), encode(MsgBegin, Begin{ID: id, Keygen: q.keygen}))
	}
	rounds := keygenRoundsECDSA
	if q.committee.Algo == mpc.EdDSA {
		rounds = keygenRoundsEdDSA
	}
	e.After(time.Duration(rounds)*n.roundTimeout(q.committee.Key), fmt.Sprintf("attempt/%d/%d", q.session, q.attempt))
}

// keygenResult collects the members' announced keys: the ceremony is done
// when all of them announced the same one.
func (n *Node) keygenResult(e env.Env, from env.NodeID, q *request, r Result) {
	if len(r.PublicKey) == 0 {
		return
	}
	q.kpubs[mpc.PartyID(from)] = r.PublicKey
	if len(q.kpubs) < len(q.parties) {
		return
	}
	first := q.kpubs[q.parties[0]]
	for _, p := range q.parties[1:] {
		if !bytes.Equal(q.kpubs[p], first) {
			n.nextAttempt(e, q, "members announced different keys")
			return
		}
	}
	q.done = true
	delete(n.requests, q.session)
	id := mpc.SessionID{Key: q.committee.Key, Session: q.session, Attempt: q.attempt, Parties: q.parties}
	e.Observe(env.ObserveKV(ObsKeygen, "key", string(q.committee.Key), "session", id.String(),
		"attempts", strconv.Itoa(int(q.attempt)), "public_key", hex.EncodeToString(first), "algo", string(q.committee.Algo),
		"k", strconv.Itoa(q.committee.K), "parties", joinParties(q.committee.Parties)))
	e.Send(q.requester, encode(MsgKeygenResp, KeygenResponse{ReqID: q.reqID, OK: true, PublicKey: first, Attempts: int(q.attempt)}))
}

// ---- party ----

func (n *Node) beginKeygen(e env.Env, from env.NodeID, b Begin) {
	c := *b.Keygen
	key := b.ID.String()
	if c.Validate() != nil || b.ID.Key != c.Key || !inParties(c.Parties, mpc.PartyID(from)) || !inParties(c.Parties, n.cfg.ID) ||
		joinParties(b.ID.Parties) != joinParties(c.Parties) || n.finished[key] || n.members[key] != nil {
		return
	}
	abort := func(why string) {
		n.markFinished(key)
		e.Send(from, encode(MsgAbort, Abort{ID: b.ID, Reason: why}))
	}
	// A key is made once. A later attempt of the same ceremony may redo a
	// share this party finished while others did not; another ceremony
	// for a held key is refused.
	if _, held := n.committee(c.Key); held && n.keySession[c.Key] != b.ID.Session {
		abort("key " + string(c.Key) + " exists")
		return
	}
	kg, ok := n.cfg.Engine.(mpc.KeygenEngine)
	if !ok {
		abort("engine: " + n.cfg.Engine.Name() + " runs no key ceremony")
		return
	}
	cer, err := kg.NewKeygen(mpc.KeygenRequest{ID: b.ID, Committee: c, Self: n.cfg.ID, PreParams: n.cfg.PreParams})
	if err != nil {
		abort("engine: " + err.Error())
		return
	}
	e.Observe(env.ObserveKV(ObsKeygenBegin, "key", string(c.Key), "session", key, "attempt", strconv.Itoa(int(b.ID.Attempt)),
		"parties", joinParties(b.ID.Parties), "coordinator", string(from)))
	n.join(e, &member{id: b.ID, proto: cer, cer: cer, coordinator: from})
}

// adoptKey seals a finished ceremony's share, records the key, and
// announces the public key to the coordinator. The record is written after
// the sealed share and synced with it, so a crash leaves either both or a
// ceremony to redo.
func (n *Node) adoptKey(e env.Env, m *member, sh *mpc.KeyShare) {
	c := sh.Committee()
	if n.cfg.ShareWitness != nil && sh.HasSecret() {
		n.cfg.ShareWitness(sh)
	}
	sealed := sh.HasSecret()
	if sealed {
		if err := n.seal(e, c.Key, sh); err != nil {
			e.Send(m.coordinator, encode(MsgAbort, Abort{ID: m.id, Reason: "hsm:" + err.Error()}))
			return
		}
	}
	rec, _ := json.Marshal(keyRecord{Committee: c, PublicKey: hex.EncodeToString(sh.PublicKey), Sealed: sealed, Session: m.id.Session})
	e.Disk().Write(keyFile(c.Key), rec)
	e.Disk().Sync()
	n.remember(c, append([]byte(nil), sh.PublicKey...), sealed, m.id.Session)
	e.Observe(env.ObserveKV(ObsKeygenDone, "key", string(c.Key), "session", m.id.String(), "public_key", hex.EncodeToString(sh.PublicKey),
		"sealed", strconv.FormatBool(sealed)))
	e.Send(m.coordinator, encode(MsgResult, Result{ID: m.id, PublicKey: sh.PublicKey}))
}
