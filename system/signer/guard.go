package signer

import (
	"bytes"
	"crypto/ed25519"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"time"

	"vaultdrill/system/approval"
	"vaultdrill/system/chain"
	"vaultdrill/system/env"
	"vaultdrill/system/mpc"
)

// ObsRefuse: a signer refused to sign a custody transaction (WYSIWYS or
// the approval re-check failed).
const ObsRefuse = "signer.refuse"

// Authorization travels with a custody signing request, to the coordinator
// and to every party: the raw transaction and the approvals that allow it,
// so each signer re-derives the digest and re-checks the policy itself
// (INV-WYSIWYS) instead of trusting whoever asked.
type Authorization struct {
	Raw       []byte              `json:"raw"`
	Initiator string              `json:"initiator,omitempty"`
	Approvals []approval.Approval `json:"approvals,omitempty"`
	// Policy: the certified quorum changes in effect, in order; the
	// signer derives the policy the approvals must satisfy from its own
	// genesis policy and these (approval.PolicyFrom).
	Policy []approval.ChangeCert `json:"policy,omitempty"`
}

// Guard makes a signer a custody signer: it signs a key's digest only for a
// transaction it can decode and authorize. Without a Guard a signer signs
// any digest its requesters send (the MPC drills).
type Guard struct {
	Wallets  map[mpc.KeyID]GuardWallet
	Policy   approval.Policy
	Registry *approval.Registry
	// CountInitiator plants the approval bug "count-initiator" in the
	// signers' re-check too (a shared policy library with the bug), so the
	// checkers can show they catch an initiator counted toward the quorum.
	CountInitiator bool
	// Governor is the governance node's public key: the only certifier
	// of policy changes this signer accepts.
	Governor ed25519.PublicKey
}

// GuardWallet is what a signer knows of the wallet a key belongs to.
type GuardWallet struct {
	Name    string // "hot", "cold": the policy's wallet
	Flavour string // the chain the key signs for
	Address string // the key's own address: every transaction spends from it
	// Internal is the other custody wallet's address: a sweep (hot to
	// cold) or a refill (cold to hot) pays only it and needs no human
	// approval: it moves nothing out of custody.
	Internal string
}

var errRefused = errors.New("signer: refused")

// authorize decodes the raw transaction, checks it is the digest asked for,
// spends from the key's wallet, and is approved by the policy: a
// withdrawal by a quorum of device-signed approvals of exactly its intent,
// a sweep or refill by paying the other custody wallet only.
func (n *Node) authorize(e env.Env, key mpc.KeyID, digest []byte, auth *Authorization, now time.Time) (string, error) {
	g := n.cfg.Guard
	w, ok := g.Wallets[key]
	if !ok {
		return "", fmt.Errorf("%w: key %s belongs to no wallet", errRefused, key)
	}
	if auth == nil {
		return "", fmt.Errorf("%w: no raw transaction", errRefused)
	}
	tx, err := chain.DecodeTx(auth.Raw)
	if err != nil {
		return "", fmt.Errorf("%w: raw transaction does not decode", errRefused)
	}
	d := tx.SigningDigest()
	switch {
	case !bytes.Equal(d[:], digest):
		return "", fmt.Errorf("%w: the digest is not the raw transaction's", errRefused)
	case tx.Chain != w.Flavour || tx.From != w.Address:
		return "", fmt.Errorf("%w: the transaction does not spend from the %s wallet", errRefused, w.Name)
	}
	switch {
	case strings.HasPrefix(tx.Memo, "sweep:") || strings.HasPrefix(tx.Memo, "refill:"):
		if tx.To != w.Internal || w.Internal == "" {
			return "", fmt.Errorf("%w: an internal transfer must pay the other custody wallet", errRefused)
		}
		return tx.Memo, nil
	case strings.HasPrefix(tx.Memo, "wd:"):
		id := strings.TrimPrefix(tx.Memo, "wd:")
		if n.cfg.Bug == BugSkipApprovalCheck {
			return id, nil
		}
		pol, last, err := approval.PolicyFrom(g.Policy, g.Governor, auth.Policy)
		switch {
		case err != nil:
			return id, fmt.Errorf("%w: %v", errRefused, err)
		case last < n.policySeq:
			return id, fmt.Errorf("%w: policy changes up to seq %d shown, but this signer verified seq %d: an older policy", errRefused, last, n.policySeq)
		}
		if last > n.policySeq {
			// kept on disk: a restart must not take a shorter chain
			n.policySeq = last
			var b [8]byte
			binary.BigEndian.PutUint64(b[:], uint64(last))
			e.Disk().Write(policySeqFile, b[:])
			e.Disk().Sync()
		}
		s := approval.Subject{Withdrawal: id, Wallet: w.Name, Amount: tx.Amount,
			Digest: approval.IntentDigest(w.Name, id, tx.To, tx.Amount), Initiator: auth.Initiator, PolicyVersion: pol.Version}
		check := approval.Check
		if g.CountInitiator {
			check = func(p approval.Policy, r *approval.Registry, s approval.Subject, as []approval.Approval, now time.Time) (approval.Result, error) {
				return approval.CheckWithBug(approval.BugCountInitiator, p, r, s, as, now)
			}
		}
		if _, err := check(pol, g.Registry, s, auth.Approvals, now); err != nil {
			return id, fmt.Errorf("%w: %v", errRefused, err)
		}
		return id, nil
	}
	return "", fmt.Errorf("%w: memo %q names no withdrawal, sweep or refill", errRefused, tx.Memo)
}

// AlertSigningRefused is the access.alert attack value a signer raises
// when it refuses to sign: security is told, whoever asked (a wallet
// node with a tampered or under-approved transaction, or a signer that
// would sign without the approvals).
const AlertSigningRefused = "signing-refused"

// alertedMax bounds the refusals remembered as alerted; past it the
// memory starts over (a repeat may be alerted again).
const alertedMax = 4096

func (n *Node) refuse(e env.Env, from env.NodeID, key mpc.KeyID, digest []byte, withdrawal string, err error) {
	d := fmt.Sprintf("%x", digest)
	e.Observe(env.ObserveKV(ObsRefuse, "key", string(key), "digest", d, "withdrawal", withdrawal, "reason", err.Error()))
	// security hears of each refused (requester, digest) once per
	// incarnation, not of every retry
	k := string(from) + "/" + d
	if n.alerted[k] {
		return
	}
	if n.alerted == nil || len(n.alerted) >= alertedMax {
		n.alerted = map[string]bool{}
	}
	n.alerted[k] = true
	e.Observe(env.ObserveKV("access.alert", "attack", AlertSigningRefused, "user", string(from), "notify", "security",
		"digest", d, "withdrawal", withdrawal, "reason", "signer "+string(n.cfg.ID)+" refused to sign for "+string(from)+": "+err.Error()))
}
