package signer

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strconv"
	"strings"
	"testing"
	"time"

	"vaultdrill/system/env"
	"vaultdrill/system/hsm"
	"vaultdrill/system/mpc"
)

func digestOf(s string) []byte {
	d := sha256.Sum256([]byte(s))
	return d[:]
}

// partiesOf returns the parties of a SessionID's string form
// ("key/session/attempt[p1,p2]").
func partiesOf(t testing.TB, session string) []mpc.PartyID {
	t.Helper()
	i, j := strings.IndexByte(session, '['), strings.LastIndexByte(session, ']')
	if i < 0 || j < i {
		t.Fatalf("session %q has no party list", session)
	}
	var out []mpc.PartyID
	for _, p := range strings.Split(session[i+1:j], ",") {
		out = append(out, mpc.PartyID(p))
	}
	return out
}

func decodeBody[T any](t testing.TB, want env.MsgType, payload []byte) T {
	t.Helper()
	var v T
	typ, body, err := env.Decode(payload)
	if err != nil || typ != want {
		t.Fatalf("message of type %d (%v), want %d", typ, err, want)
	}
	if err := json.Unmarshal(body, &v); err != nil {
		t.Fatalf("message of type %d does not decode: %v", want, err)
	}
	return v
}

// TestSignRequest: an authorized requester gets a signature that verifies
// against the committee's public key, in one attempt when everyone is up;
// anything else gets the matching error and starts no session.
func TestSignRequest(t *testing.T) {
	tests := []struct {
		name    string
		from    env.NodeID
		key     mpc.KeyID
		digest  []byte
		wantErr string // "" = a signature
	}{
		{"ecdsa 2-of-3", requester, mpc.KeyHot, digestOf("withdrawal 1"), ""},
		{"eddsa 2-of-3", requester, mpc.KeyHotEd, digestOf("withdrawal 2"), ""},
		{"unauthorized requester", stranger, mpc.KeyHot, digestOf("withdrawal 3"), "signer: requester not authorized"},
		{"a committee peer is no requester", env.NodeID(hot2), mpc.KeyHot, digestOf("withdrawal 4"), "signer: requester not authorized"},
		{"unknown key", requester, "nope", digestOf("withdrawal 5"), "signer: not in the committee of nope"},
		{"key of another committee", requester, mpc.KeyCold, digestOf("withdrawal 6"), "signer: not in the committee of cold"},
		{"short digest", requester, mpc.KeyHot, digestOf("withdrawal 7")[:31], "signer: bad digest"},
		{"long digest", requester, mpc.KeyHot, append(digestOf("withdrawal 8"), 0), "signer: bad digest"},
		{"no digest", requester, mpc.KeyHot, nil, "signer: bad digest"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, pubs := newHotHost(t, testSeed, nil)
			id := h.sign(tc.from, hot1, tc.key, tc.digest)
			r := h.await(tc.from, id, 2*attemptTimeout(mpc.KeyHot))
			h.run(time.Second) // anything more would show now
			if n := h.responses(tc.from, id); n != 1 {
				t.Fatalf("seed %d: %d responses, want exactly 1", h.seed, n)
			}
			if tc.wantErr != "" {
				if r.OK || r.Err != tc.wantErr || len(r.Sig) != 0 {
					t.Fatalf("seed %d: response %+v, want error %q", h.seed, r, tc.wantErr)
				}
				if b := h.observed("", ObsBegin); len(b) != 0 {
					t.Fatalf("seed %d: a refused request started a session: %v", h.seed, b[0])
				}
				return
			}
			if !r.OK || r.Err != "" || r.Attempts != 1 {
				t.Fatalf("seed %d: response %+v, want OK in 1 attempt\n%s", h.seed, r, h.logText())
			}
			algo := hotCommittee(tc.key).Algo
			if !mpc.Verify(algo, pubs[tc.key], tc.digest, r.Sig) {
				t.Fatalf("seed %d: signature %x does not verify against %s's public key %x", h.seed, r.Sig, tc.key, pubs[tc.key])
			}
			if mpc.Verify(algo, pubs[tc.key], digestOf("something else"), r.Sig) {
				t.Fatalf("seed %d: signature verifies for another digest", h.seed)
			}
			sigs := h.observed(hot1, ObsSignature)
			if len(sigs) != 1 || sigs[0].Fields["sig"] != hex.EncodeToString(r.Sig) ||
				sigs[0].Fields["digest"] != hex.EncodeToString(tc.digest) || sigs[0].Fields["key"] != string(tc.key) {
				t.Fatalf("seed %d: signature observations %v, want one for %x", h.seed, sigs, r.Sig)
			}
			// Each party of the attempt saw the digest it signed.
			for _, p := range partiesOf(t, sigs[0].Fields["session"]) {
				if s := h.observed(p, ObsSigned); len(s) != 1 || s[0].Fields["digest"] != hex.EncodeToString(tc.digest) {
					t.Fatalf("seed %d: %s signed %v", h.seed, p, s)
				}
			}
		})
	}
}

// shareLeaks returns the files of a disk that hold a share's clear bytes,
// raw or in hex.
func shareLeaks(n *hostNode, clearShares [][]byte) []string {
	var out []string
	for _, name := range n.disk.List("") {
		b, _ := n.disk.Read(name)
		for _, pt := range clearShares {
			if bytes.Contains(b, pt) || bytes.Contains(bytes.ToLower(b), []byte(hex.EncodeToString(pt))) {
				out = append(out, name)
				break
			}
		}
	}
	return out
}

// TestSharesSealedAtFirstStart: every share lands on disk sealed
// ("signer/share/KEY") and nowhere in clear; a restart keeps the sealed blob
// (no re-seal) and still signs. The planted BugUnsealedShare writes the
// clear share, and the same scan finds it.
func TestSharesSealedAtFirstStart(t *testing.T) {
	tests := []struct {
		name string
		bug  Bug
		leak bool
	}{
		{"correct signer", "", false},
		{"planted unsealed-share", BugUnsealedShare, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, pubs := newHotHost(t, testSeed, func(c *Config) { c.Bug = tc.bug })
			blobs := map[string][]byte{}
			var allClear [][]byte
			for i, p := range mpc.HotParties() {
				n := h.node(p)
				var clearShares [][]byte
				for _, k := range hotKeys {
					pt, err := mpc.MarshalShare(defaultShares(t, k)[i])
					if err != nil {
						t.Fatal(err)
					}
					clearShares = append(clearShares, pt)
					allClear = append(allClear, pt)
					blob, ok := n.disk.Read(shareFile(k))
					if !ok || len(blob) == 0 {
						t.Fatalf("seed %d: %s has no %s; files %v", h.seed, p, shareFile(k), n.disk.List(""))
					}
					if !bytes.Equal(n.disk.Durable(shareFile(k)), blob) {
						t.Fatalf("seed %d: %s: %s is not synced", h.seed, p, shareFile(k))
					}
					blobs[string(p)+"/"+string(k)] = blob
				}
				leaks := shareLeaks(n, clearShares)
				if (len(leaks) > 0) != tc.leak {
					t.Fatalf("seed %d: %s: files holding a clear share %v, want a leak: %v", h.seed, p, leaks, tc.leak)
				}
				if tc.leak {
					if got, _ := n.disk.Read("signer/clear/" + string(mpc.KeyHot)); !bytes.Equal(got, clearShares[0]) {
						t.Fatalf("seed %d: %s: the planted clear file is not the share", h.seed, p)
					}
				}
			}
			if got := len(h.observed("", "signer.provision_failed")); got != 0 {
				t.Fatalf("seed %d: %d provisioning failures", h.seed, got)
			}
			sealOps := func() int {
				c := 0
				for _, o := range h.observed("", hsm.ObsOp) {
					if o.Fields["op"] == "seal" {
						c++
					}
				}
				return c
			}
			before := sealOps()
			if want := len(hotKeys) * len(mpc.HotParties()); before != want {
				t.Fatalf("seed %d: %d seal operations at first start, want %d", h.seed, before, want)
			}
			for _, p := range mpc.HotParties() {
				h.crash(p, true)
				h.restart(p)
			}
			h.run(100 * time.Millisecond)
			if after := sealOps(); after != before {
				t.Fatalf("seed %d: %d seal operations after restarts, want none", h.seed, after-before)
			}
			for _, p := range mpc.HotParties() {
				for _, k := range hotKeys {
					if b, _ := h.node(p).disk.Read(shareFile(k)); !bytes.Equal(b, blobs[string(p)+"/"+string(k)]) {
						t.Fatalf("seed %d: %s: %s changed across a restart", h.seed, p, shareFile(k))
					}
				}
			}
			d := digestOf("after restart")
			r := h.await(requester, h.sign(requester, hot1, mpc.KeyHot, d), 2*attemptTimeout(mpc.KeyHot))
			if !r.OK || !mpc.Verify(mpc.ECDSA, pubs[mpc.KeyHot], d, r.Sig) {
				t.Fatalf("seed %d: no valid signature from the restarted committee: %+v", h.seed, r)
			}
			if u := h.observed("", hsm.ObsUnseal); len(u) < 2 {
				t.Fatalf("seed %d: %d unseals: the session did not use the sealed shares", h.seed, len(u))
			}
			// Nor does a share ever travel: no message holds one.
			for _, m := range h.wire {
				for _, pt := range allClear {
					if bytes.Contains(m.Payload, pt) {
						t.Fatalf("seed %d: a clear share on the wire %s->%s", h.seed, m.From, m.To)
					}
				}
			}
		})
	}
}

// signOnce runs one successful signature and returns the coordinator's
// signature observation.
func signOnce(t *testing.T, h *host, digest []byte) obsRec {
	t.Helper()
	r := h.await(requester, h.sign(requester, hot1, mpc.KeyHot, digest), 2*attemptTimeout(mpc.KeyHot))
	if !r.OK {
		t.Fatalf("seed %d: signing failed: %+v", h.seed, r)
	}
	s := h.observed(hot1, ObsSignature)
	return s[len(s)-1]
}

// TestEnvelopeRejection: a party refuses, and reports, an envelope whose
// authenticated sender is not its claimed one, whose sender is not in the
// session, that replays a finished session, or that belongs to no session
// it learns of. BugAcceptReplay silences only the replay report.
func TestEnvelopeRejection(t *testing.T) {
	type forged struct {
		from    env.NodeID
		payload []byte
	}
	// Each case forges one message to the coordinator (a party of the
	// finished session) from an envelope another party sent it.
	tests := []struct {
		name   string
		bug    Bug
		forge  func(v Envelope, payload []byte, outsider mpc.PartyID) forged
		reason string // "" = no rejection reported
	}{
		{
			name: "spoofed sender",
			forge: func(v Envelope, p []byte, outsider mpc.PartyID) forged {
				return forged{env.NodeID(outsider), p}
			},
			reason: "spoofed-sender",
		},
		{
			name: "spoofed sender, accept-replay planted",
			bug:  BugAcceptReplay,
			forge: func(v Envelope, p []byte, outsider mpc.PartyID) forged {
				return forged{env.NodeID(outsider), p}
			},
			reason: "spoofed-sender",
		},
		{
			name: "sender not in the session",
			forge: func(v Envelope, p []byte, outsider mpc.PartyID) forged {
				v.From = outsider
				return forged{env.NodeID(outsider), encode(MsgEnvelope, v)}
			},
			reason: "not-in-session",
		},
		{
			name: "replay of a finished session",
			forge: func(v Envelope, p []byte, outsider mpc.PartyID) forged {
				return forged{env.NodeID(v.From), p}
			},
			reason: "replay",
		},
		{
			name: "replay, accept-replay planted",
			bug:  BugAcceptReplay,
			forge: func(v Envelope, p []byte, outsider mpc.PartyID) forged {
				return forged{env.NodeID(v.From), p}
			},
			reason: "",
		},
		{
			name: "session never begun",
			forge: func(v Envelope, p []byte, outsider mpc.PartyID) forged {
				v.ID.Session++
				return forged{env.NodeID(v.From), encode(MsgEnvelope, v)}
			},
			reason: "unknown-session",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, _ := newHotHost(t, testSeed, func(c *Config) { c.Bug = tc.bug })
			sig := signOnce(t, h, digestOf("envelopes"))
			h.run(time.Second) // the other party's late Result, and quiet
			parties := partiesOf(t, sig.Fields["session"])
			// an envelope a peer sent the coordinator in the finished session
			var orig []byte
			var v Envelope
			for _, m := range h.wire {
				if m.Type == MsgEnvelope && m.To == env.NodeID(hot1) && !m.Injected {
					orig = m.Payload
					v = decodeBody[Envelope](t, MsgEnvelope, m.Payload)
					break
				}
			}
			if orig == nil || v.ID.String() != sig.Fields["session"] {
				t.Fatalf("seed %d: no envelope of session %s reached %s", h.seed, sig.Fields["session"], hot1)
			}
			var outsider mpc.PartyID
			for _, p := range mpc.HotParties() {
				if !inParties(parties, p) {
					outsider = p
				}
			}
			if outsider == "" {
				t.Fatalf("seed %d: session %s has the whole committee", h.seed, v.ID)
			}
			f := tc.forge(v, orig, outsider)
			mark, wireMark, rejBefore := h.now, len(h.wire), len(h.observed(hot1, ObsReject))
			h.inject(f.from, env.NodeID(hot1), f.payload)
			h.run(3 * time.Second) // past the early-envelope timeout
			rej := h.observed(hot1, ObsReject)[rejBefore:]
			if tc.reason == "" {
				if len(rej) != 0 {
					t.Fatalf("seed %d: rejections reported: %v", h.seed, rej)
				}
			} else {
				if len(rej) != 1 {
					t.Fatalf("seed %d: %d rejections, want 1 (%s): %v", h.seed, len(rej), tc.reason, rej)
				}
				fv := decodeBody[Envelope](t, MsgEnvelope, f.payload)
				want := map[string]string{"reason": tc.reason, "sender": string(f.from), "claimed": string(fv.From), "session": fv.ID.String()}
				for k, w := range want {
					if rej[0].Fields[k] != w {
						t.Fatalf("seed %d: rejection %v: %s=%q, want %q", h.seed, rej[0], k, rej[0].Fields[k], w)
					}
				}
			}
			// A refused envelope moves nothing: no message, no signature.
			for _, m := range h.wire[wireMark+1:] {
				t.Fatalf("seed %d: %s sent %s->%s type %d after the forged envelope", h.seed, m.From, m.From, m.To, m.Type)
			}
			if s := since(h.observed("", ObsSigned), mark); len(s) != 0 {
				t.Fatalf("seed %d: a forged envelope produced %v", h.seed, s)
			}
		})
	}
}

// TestSilentParty: a party whose every message is lost costs the
// coordinator one attempt's timeout, then another subset signs; with only
// k-1 parties reachable no signature is ever made and the requester hears
// so after AttemptsMax attempts.
func TestSilentParty(t *testing.T) {
	tests := []struct {
		name        string
		silent      []mpc.PartyID
		attemptsMax int // 0 = the default
		wantOK      bool
		wantTries   int
	}{
		{"one silent party", []mpc.PartyID{hot2}, 0, true, 2},
		{"k-1 reachable", []mpc.PartyID{hot2, hot3}, 0, false, 6},
		{"k-1 reachable, AttemptsMax 3", []mpc.PartyID{hot2, hot3}, 3, false, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, pubs := newHotHost(t, testSeed, func(c *Config) { c.AttemptsMax = tc.attemptsMax })
			h.drop = func(m wireMsg) bool { return inParties(tc.silent, mpc.PartyID(m.From)) }
			d := digestOf("silent")
			start := h.now
			id := h.sign(requester, hot1, mpc.KeyHot, d)
			r := h.await(requester, id, time.Duration(tc.wantTries+1)*attemptTimeout(mpc.KeyHot))
			h.run(2 * attemptTimeout(mpc.KeyHot))
			if n := h.responses(requester, id); n != 1 {
				t.Fatalf("seed %d: %d responses", h.seed, n)
			}
			begins := h.sent(hot1, MsgBegin)
			if len(begins) == 0 || !inParties(decodeBody[Begin](t, MsgBegin, begins[0].Payload).ID.Parties, tc.silent[0]) {
				t.Fatalf("seed %d: the first attempt did not include the silent %s: the case shows nothing", h.seed, tc.silent[0])
			}
			if r.Attempts != tc.wantTries {
				t.Fatalf("seed %d: %d attempts, want %d: %+v", h.seed, r.Attempts, tc.wantTries, r)
			}
			aborts := h.observed(hot1, ObsAbort)
			if len(aborts) != tc.wantTries-btoi(tc.wantOK) {
				t.Fatalf("seed %d: %d abandoned attempts, want %d: %v", h.seed, len(aborts), tc.wantTries-btoi(tc.wantOK), aborts)
			}
			for _, a := range aborts {
				if a.Fields["reason"] != "timeout" {
					t.Fatalf("seed %d: attempt abandoned for %q, want timeout", h.seed, a.Fields["reason"])
				}
			}
			// Each attempt waited out its whole bound before the next.
			if took := aborts[0].At.Sub(start); took < attemptTimeout(mpc.KeyHot) {
				t.Fatalf("seed %d: first attempt abandoned after %v, before its timeout %v", h.seed, took, attemptTimeout(mpc.KeyHot))
			}
			if !tc.wantOK {
				if r.OK || len(r.Sig) != 0 || !strings.HasPrefix(r.Err, "signer: no signature after "+strconv.Itoa(tc.wantTries)+" attempts") {
					t.Fatalf("seed %d: response %+v, want no signature after %d attempts", h.seed, r, tc.wantTries)
				}
				if s := h.observed("", ObsSigned); len(s) != 0 {
					t.Fatalf("seed %d: with k-1 reachable someone signed: %v", h.seed, s)
				}
				if len(h.observed("", ObsSignature)) != 0 {
					t.Fatalf("seed %d: a signature was released", h.seed)
				}
				return
			}
			if !r.OK || !mpc.Verify(mpc.ECDSA, pubs[mpc.KeyHot], d, r.Sig) {
				t.Fatalf("seed %d: response %+v, want a valid signature", h.seed, r)
			}
			sig := h.observed(hot1, ObsSignature)
			for _, p := range tc.silent {
				if inParties(partiesOf(t, sig[0].Fields["session"]), p) {
					t.Fatalf("seed %d: the signing subset %s includes the silent %s", h.seed, sig[0].Fields["session"], p)
				}
			}
		})
	}
}

func btoi(b bool) int {
	if b {
		return 1
	}
	return 0
}

// TestInvalidResult: a Result whose signature does not verify under the
// committee's key never reaches the requester: the coordinator abandons
// the attempt and signs with another.
func TestInvalidResult(t *testing.T) {
	h, pubs := newHotHost(t, testSeed, nil)
	// Every Result of the first attempt arrives with a flipped bit.
	h.rewrite = func(m wireMsg) []byte {
		if m.Type != MsgResult {
			return nil
		}
		r := decodeBody[Result](t, MsgResult, m.Payload)
		if r.ID.Attempt != 1 {
			return nil
		}
		r.Sig[5] ^= 1
		return encode(MsgResult, r)
	}
	d := digestOf("invalid result")
	r := h.await(requester, h.sign(requester, hot1, mpc.KeyHot, d), 4*attemptTimeout(mpc.KeyHot))
	if !r.OK || r.Attempts != 2 || !mpc.Verify(mpc.ECDSA, pubs[mpc.KeyHot], d, r.Sig) {
		t.Fatalf("seed %d: response %+v, want a valid signature in 2 attempts\n%s", h.seed, r, h.logText())
	}
	a := h.observed(hot1, ObsAbort)
	if len(a) != 1 || !strings.HasPrefix(a[0].Fields["reason"], "invalid signature from ") {
		t.Fatalf("seed %d: abandoned attempts %v, want one for an invalid signature", h.seed, a)
	}
}

// TestQuarantine: the coordinator's own party reports (Abort) a fault by
// signer-hot-2, twice, while signer-hot-3 is unreachable. Attributable blame
// quarantines signer-hot-2 at the second strike: no later attempt includes
// it, so with hot-3 silent the request fails, and once hot-3 is back the
// next request signs without hot-2. Blame that is not attributable only
// makes hot-2 a suspect: it is tried again and the request signs with it.
// BugBlameInconsistent quarantines on inconsistent blame.
func TestQuarantine(t *testing.T) {
	const victim, accuser, silent = "signer-hot-2", "signer-hot-1", "signer-hot-3"
	tests := []struct {
		name         string
		attributable bool
		bug          Bug
		strikes      int
		wantQuar     bool
	}{
		{"attributable blame", true, "", 0, true},
		{"attributable blame under 3 strikes", true, "", 3, false},
		{"inconsistent blame", false, "", 0, false},
		{"inconsistent blame, blame-inconsistent planted", false, BugBlameInconsistent, 0, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, pubs := newHotHost(t, testSeed, func(c *Config) { c.Bug, c.QuarantineStrikes = tc.bug, tc.strikes })
			accusations := 0
			h.drop = func(m wireMsg) bool { return m.From == silent }
			// The accuser's acknowledgement of an attempt with the victim
			// becomes a fault report naming it.
			h.rewrite = func(m wireMsg) []byte {
				if m.From != accuser || m.To != accuser || m.Type != MsgAck || accusations == 2 {
					return nil
				}
				a := decodeBody[Ack](t, MsgAck, m.Payload)
				if !inParties(a.ID.Parties, victim) {
					return nil
				}
				accusations++
				return encode(MsgAbort, Abort{ID: a.ID, Culprits: []mpc.PartyID{victim}, Attributable: tc.attributable, Reason: "fault: invalid proof"})
			}
			d := digestOf("quarantine")
			r := h.await(requester, h.sign(requester, hot1, mpc.KeyHot, d), 8*attemptTimeout(mpc.KeyHot))
			if accusations != 2 {
				t.Fatalf("seed %d: %d accusations, want 2: the victim was not tried twice\n%s", h.seed, accusations, h.logText())
			}
			quar := h.observed(hot1, ObsQuarantine)
			if !tc.wantQuar {
				if len(quar) != 0 {
					t.Fatalf("seed %d: quarantined: %v", h.seed, quar)
				}
				// hot-2 stayed eligible: with hot-3 silent it signed.
				if !r.OK || !mpc.Verify(mpc.ECDSA, pubs[mpc.KeyHot], d, r.Sig) {
					t.Fatalf("seed %d: response %+v, want a signature with %s", h.seed, r, victim)
				}
				if s := h.observed(hot1, ObsSignature); !inParties(partiesOf(t, s[0].Fields["session"]), victim) {
					t.Fatalf("seed %d: signed by %s without %s", h.seed, s[0].Fields["session"], victim)
				}
				return
			}
			if len(quar) != 1 || quar[0].Fields["party"] != victim || quar[0].Fields["strikes"] != "2" {
				t.Fatalf("seed %d: quarantine observations %v, want %s at 2 strikes", h.seed, quar, victim)
			}
			if r.OK || !strings.HasPrefix(r.Err, "signer: no signature after") {
				t.Fatalf("seed %d: response %+v: with %s quarantined and %s silent no subset can sign", h.seed, r, victim, silent)
			}
			// Later subsets leave the victim out, even with hot-3 back.
			h.drop, h.rewrite = nil, nil
			d2 := digestOf("after quarantine")
			r2 := h.await(requester, h.sign(requester, hot1, mpc.KeyHot, d2), 8*attemptTimeout(mpc.KeyHot))
			if !r2.OK || !mpc.Verify(mpc.ECDSA, pubs[mpc.KeyHot], d2, r2.Sig) {
				t.Fatalf("seed %d: response %+v, want a signature from %s and %s", h.seed, r2, accuser, silent)
			}
			later := 0
			for _, m := range h.sent(hot1, MsgBegin) {
				if m.At.Before(quar[0].At) {
					continue
				}
				later++
				if b := decodeBody[Begin](t, MsgBegin, m.Payload); inParties(b.ID.Parties, victim) {
					t.Fatalf("seed %d: attempt %s after the quarantine includes %s", h.seed, b.ID, victim)
				}
			}
			if later == 0 {
				t.Fatalf("seed %d: no attempt after the quarantine", h.seed)
			}
		})
	}
}

// hsmOps returns a node's hsm.op observations of one operation.
func hsmOps(h *host, p mpc.PartyID, op string) []obsRec {
	var out []obsRec
	for _, o := range h.observed(p, hsm.ObsOp) {
		if o.Fields["op"] == op {
			out = append(out, o)
		}
	}
	return out
}

// TestUnsealGeneralError: a CKR_GENERAL_ERROR on Unseal (outcome unknown)
// is reconciled at once and never retried; the attempt aborts and another
// subset signs. BugBlindRetry unseals again instead. Only the harness may
// inject faults: a control from anyone else is refused and changes nothing.
func TestUnsealGeneralError(t *testing.T) {
	tests := []struct {
		name          string
		from          env.NodeID
		bug           Bug
		wantRefused   bool
		wantReconcile bool
		wantUnseals   []string // rv of each unseal at the coordinator
		wantAttempts  int
	}{
		{"reconciled, not retried", HarnessSender, "", false, true, []string{"CKR_GENERAL_ERROR"}, 2},
		{"blind-retry planted", HarnessSender, BugBlindRetry, false, false, []string{"CKR_GENERAL_ERROR", "CKR_OK"}, 1},
		{"control from a stranger", stranger, "", true, false, []string{"CKR_OK"}, 1},
		{"control from a committee peer", env.NodeID(hot2), "", true, false, []string{"CKR_OK"}, 1},
		{"control from the requester", requester, "", true, false, []string{"CKR_OK"}, 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, pubs := newHotHost(t, testSeed, func(c *Config) { c.Bug = tc.bug })
			h.control(tc.from, hot1, string(hsm.FaultGeneralError))
			h.run(10 * time.Millisecond)
			refused := h.observed(hot1, "signer.control_refused")
			faults := h.observed(hot1, hsm.ObsFault)
			if tc.wantRefused {
				if len(refused) != 1 || refused[0].Fields["sender"] != string(tc.from) || len(faults) != 0 {
					t.Fatalf("seed %d: refusals %v, faults %v: want one refusal of %s and no fault", h.seed, refused, faults, tc.from)
				}
			} else if len(refused) != 0 || len(faults) != 1 || faults[0].Fields["kind"] != string(hsm.FaultGeneralError) {
				t.Fatalf("seed %d: refusals %v, faults %v: want the fault applied", h.seed, refused, faults)
			}
			unsealsBefore := len(hsmOps(h, hot1, "unseal"))
			d := digestOf("general error")
			r := h.await(requester, h.sign(requester, hot1, mpc.KeyHot, d), 8*attemptTimeout(mpc.KeyHot))
			if !r.OK || !mpc.Verify(mpc.ECDSA, pubs[mpc.KeyHot], d, r.Sig) || r.Attempts != tc.wantAttempts {
				t.Fatalf("seed %d: response %+v, want a signature in %d attempts\n%s", h.seed, r, tc.wantAttempts, h.logText())
			}
			var rvs []string
			var opIDs []string
			for _, o := range hsmOps(h, hot1, "unseal")[unsealsBefore:] {
				rvs = append(rvs, o.Fields["rv"])
				opIDs = append(opIDs, o.Fields["op_id"])
			}
			if strings.Join(rvs, " ") != strings.Join(tc.wantUnseals, " ") {
				t.Fatalf("seed %d: unseals at %s answered %v, want %v", h.seed, hot1, rvs, tc.wantUnseals)
			}
			if len(opIDs) == 2 && opIDs[0] == opIDs[1] {
				t.Fatalf("seed %d: the retry reused op id %s", h.seed, opIDs[0])
			}
			rec := h.observed(hot1, ObsReconcile)
			if !tc.wantReconcile {
				if len(rec) != 0 {
					t.Fatalf("seed %d: reconciled: %v", h.seed, rec)
				}
				return
			}
			truth := h.observed(hot1, hsm.ObsTruth)
			if len(rec) != 1 || len(truth) != 1 {
				t.Fatalf("seed %d: reconciliations %v, truths %v: want one each", h.seed, rec, truth)
			}
			if rec[0].Fields["opid"] != opIDs[0] || rec[0].Fields["known"] != "true" || rec[0].Fields["happened"] != truth[0].Fields["happened"] {
				t.Fatalf("seed %d: reconciled %v, the truth was %v (op %s)", h.seed, rec[0], truth[0], opIDs[0])
			}
			// The reconciliation came before anything else touched the
			// device: between the failed unseal and it, the coordinator
			// made only the HSM's reconcile call.
			between, in := []string{}, false
			for _, o := range h.obs {
				switch {
				case o.Node != env.NodeID(hot1):
				case o.Kind == hsm.ObsOp && o.Fields["op"] == "unseal" && o.Fields["op_id"] == opIDs[0]:
					in = true
				case o.Kind == ObsReconcile:
					in = false
				case in && o.Kind == hsm.ObsOp:
					between = append(between, o.Kind+"/"+o.Fields["op"])
				case in:
					between = append(between, o.Kind)
				}
			}
			if strings.Join(between, " ") != hsm.ObsReconcile+" "+hsm.ObsOp+"/reconcile" {
				t.Fatalf("seed %d: between the failed unseal and its reconciliation: %v", h.seed, between)
			}
			aborts := h.observed(hot1, ObsAbort)
			if len(aborts) != 1 || !strings.Contains(aborts[0].Fields["reason"], "hsm:CKR_GENERAL_ERROR") {
				t.Fatalf("seed %d: aborted attempts %v, want one for the general error", h.seed, aborts)
			}
		})
	}
}

// determinismScenario drives the committee through timeouts, a replayed
// envelope, a refused control and an HSM general error, and returns the
// observation and wire logs.
func determinismScenario(t *testing.T, seed uint64, ignoreCharge bool) (string, string) {
	h, _ := newHotHost(t, seed, nil)
	h.ignoreCharge = ignoreCharge
	signOnce(t, h, digestOf("det 1"))
	for _, m := range h.wire {
		if m.Type == MsgEnvelope && m.To == env.NodeID(hot1) {
			h.inject(m.From, m.To, m.Payload) // a replay
			break
		}
	}
	h.control(stranger, hot2, "tamper")
	h.control(HarnessSender, hot1, string(hsm.FaultGeneralError))
	h.drop = func(m wireMsg) bool { return m.From == env.NodeID(hot3) }
	h.await(requester, h.sign(requester, hot1, mpc.KeyHot, digestOf("det 2")), 8*attemptTimeout(mpc.KeyHot))
	h.drop = nil
	h.await(requester, h.sign(requester, hot2, mpc.KeyHotEd, digestOf("det 3")), 8*attemptTimeout(mpc.KeyHotEd))
	return h.logText(), h.wireText()
}

// TestDeterminism: the same seed gives the same observation and wire logs,
// with charges honoured or ignored; another seed gives other sessions.
func TestDeterminism(t *testing.T) {
	for _, ignore := range []bool{false, true} {
		t.Run("ignoreCharge="+strconv.FormatBool(ignore), func(t *testing.T) {
			obs1, wire1 := determinismScenario(t, testSeed, ignore)
			obs2, wire2 := determinismScenario(t, testSeed, ignore)
			if obs1 != obs2 {
				t.Fatalf("seed %d: observation logs differ:\n%s", uint64(testSeed), firstDiff(obs1, obs2))
			}
			if wire1 != wire2 {
				t.Fatalf("seed %d: wire logs differ:\n%s", uint64(testSeed), firstDiff(wire1, wire2))
			}
			for _, kind := range []string{ObsSignature, ObsReject, ObsReconcile, "signer.control_refused"} {
				if !strings.Contains(obs1, " "+kind+" ") {
					t.Fatalf("seed %d: the scenario never observed %s: it checks less than it says", uint64(testSeed), kind)
				}
			}
			// Session numbers come from the nodes' seeded streams.
			obs3, _ := determinismScenario(t, testSeed+1, ignore)
			if s1, s3 := sessionsOf(obs1), sessionsOf(obs3); s1 == s3 {
				t.Fatalf("seeds %d and %d gave the same sessions %s: the seed does not reach the nodes", uint64(testSeed), uint64(testSeed+1), s1)
			}
		})
	}
}

// sessionsOf lists the session fields of a log's signer.begin lines.
func sessionsOf(log string) string {
	var out []string
	for _, line := range strings.Split(log, "\n") {
		if !strings.Contains(line, " "+ObsBegin+" ") {
			continue
		}
		for _, f := range strings.Fields(line) {
			if v, ok := strings.CutPrefix(f, "session="); ok {
				out = append(out, v)
			}
		}
	}
	return strings.Join(out, " ")
}

func firstDiff(a, b string) string {
	la, lb := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := 0; i < len(la) && i < len(lb); i++ {
		if la[i] != lb[i] {
			return "line " + strconv.Itoa(i+1) + ":\n  " + la[i] + "\n  " + lb[i]
		}
	}
	return "one log is a prefix of the other (" + strconv.Itoa(len(la)) + " vs " + strconv.Itoa(len(lb)) + " lines)"
}

// TestTSSEngineSign: one ECDSA 2-of-3 signature with the real library and
// the default test-data shares, unsealed from each party's HSM.
func TestTSSEngineSign(t *testing.T) {
	if testing.Short() {
		t.Skip("tss-lib ECDSA signing costs about 0.4 s of CPU")
	}
	shares := defaultShares(t, mpc.KeyHot)
	pubs := map[mpc.KeyID][]byte{mpc.KeyHot: shares[0].PublicKey}
	h := newHost(t, testSeed)
	for _, p := range mpc.HotParties() {
		c := hotCommittee(mpc.KeyHot)
		var sh *mpc.KeyShare
		for _, s := range shares {
			if s.Party == p {
				sh = s
			}
		}
		h.add(Config{ID: p, Committees: []mpc.Committee{c}, Shares: map[mpc.KeyID]*mpc.KeyShare{mpc.KeyHot: sh},
			PublicKeys: pubs, Engine: mpc.NewTSS(), Requesters: []env.NodeID{requester}})
	}
	h.run(100 * time.Millisecond)
	d := digestOf("tss")
	wall := time.Now()
	r := h.await(requester, h.sign(requester, hot1, mpc.KeyHot, d), 2*attemptTimeout(mpc.KeyHot))
	if !r.OK || r.Attempts != 1 || !mpc.Verify(mpc.ECDSA, pubs[mpc.KeyHot], d, r.Sig) {
		t.Fatalf("seed %d: response %+v, want a valid signature in 1 attempt\n%s", h.seed, r, h.logText())
	}
	t.Logf("tss ECDSA 2-of-3 signature in %v of wall time", time.Since(wall))
}

// TestHSMSessionsNotLeaked: a transient HSM error on Unseal (one failing
// call, then a healthy device) must not cost the signer its HSM for good.
// Each round fails one unseal at signer-hot-1 while signer-hot-3 is
// silent, so every signature needs hot-1 again once its device is healthy.
func TestHSMSessionsNotLeaked(t *testing.T) {
	tests := []struct {
		name  string
		fault string
	}{
		{"device-error", "device-error 1"},
		{"general-error", string(hsm.FaultGeneralError)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h, pubs := newHotHost(t, testSeed, nil)
			h.drop = func(m wireMsg) bool { return m.From == env.NodeID(hot3) }
			const rounds = hsm.DefaultSessionsMax + 2
			for i := 0; i < rounds; i++ {
				h.control(HarnessSender, hot1, tc.fault)
				h.run(10 * time.Millisecond)
				d := digestOf("leak " + strconv.Itoa(i))
				r := h.await(requester, h.sign(requester, hot1, mpc.KeyHot, d), 8*attemptTimeout(mpc.KeyHot))
				if !r.OK || !mpc.Verify(mpc.ECDSA, pubs[mpc.KeyHot], d, r.Sig) {
					t.Fatalf("seed %d: round %d (%s): response %+v: %s can no longer sign", h.seed, i, tc.fault, r, hot1)
				}
			}
			for _, o := range h.observed(hot1, hsm.ObsOp) {
				if o.Fields["rv"] == "CKR_DEVICE_MEMORY" {
					t.Fatalf("seed %d: %s ran out of HSM sessions: %v", h.seed, hot1, o)
				}
			}
		})
	}
}
