package chain

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"

	"vaultdrill/system/env"
)

// tx builds a transfer between parties, signed by the sender.
func (w *world) tx(from, to string, amount, fee int64, nonce uint64) Tx {
	return w.key(from).Sign(Tx{To: w.addr(to), Amount: amount, Fee: fee, Nonce: nonce})
}

func otherFlavour(f string) string {
	if f == Secp256k1 {
		return Ed25519
	}
	return Secp256k1
}

func wantStatus(t *testing.T, r QueryResult, status TxStatus, conf uint64) {
	t.Helper()
	if r.Status != status || r.Confirmations != conf {
		t.Fatalf("tx %s: status %s with %d confirmations, want %s with %d (%+v)", r.TxID, r.Status, r.Confirmations, status, conf, r)
	}
}

func wantBalance(t *testing.T, w *world, name string, want int64) {
	t.Helper()
	if got := w.account(name).Balance; got != want {
		t.Fatalf("%s: balance %d, want %d", name, got, want)
	}
}

func TestMinedAndConfirmed(t *testing.T) {
	for _, f := range Flavours {
		t.Run(f, func(t *testing.T) {
			w := newWorld(t, f, nil)
			id := w.mustSubmit(w.tx("alice", "bob", 100, 2, 0))
			// Queued nonces are accepted while the first is pending.
			id2 := w.mustSubmit(w.tx("alice", "carol", 10, 1, 1))
			wantStatus(t, w.txStatus(id), StatusPending, 0)
			if a := w.account("alice"); a.Nonce != 0 || a.PendingNonce != 2 {
				t.Fatalf("alice nonces %d, %d, want 0, 2", a.Nonce, a.PendingNonce)
			}

			w.runBlocks(1)
			st := w.txStatus(id)
			wantStatus(t, st, StatusMined, 1)
			if st.Height != 1 {
				t.Fatalf("mined at %d, want 1", st.Height)
			}
			wantStatus(t, w.txStatus(id2), StatusMined, 1)
			w.runBlocks(2)
			wantStatus(t, w.txStatus(id), StatusMined, 3)
			if tip := w.tip(); tip != 3 {
				t.Fatalf("tip %d, want 3", tip)
			}

			wantBalance(t, w, "alice", startFunds-113)
			wantBalance(t, w, "bob", startFunds+100)
			wantBalance(t, w, "carol", startFunds+10)
			if a := w.account("alice"); a.Nonce != 2 || a.PendingNonce != 2 {
				t.Fatalf("alice nonces %d, %d, want 2, 2", a.Nonce, a.PendingNonce)
			}
			blocks := w.observed(ObsBlock)
			if len(blocks) != 3 || blocks[0].Fields["txs"] != "2" || blocks[0].Fields["burned"] != "3" || blocks[2].Fields["burned"] != "3" {
				t.Fatalf("block observations %v", blocks)
			}
			if blocks[0].Fields["parent"] != GenesisHash(w.cfg) || blocks[1].Fields["parent"] != blocks[0].Fields["hash"] {
				t.Fatalf("blocks do not link: %v", blocks)
			}
			// Block interval: 10s secp256k1, 2s ed25519.
			want := DefaultBlockIntervalEd25519
			if f == Secp256k1 {
				want = DefaultBlockIntervalSecp256k1
			}
			if d := atoi(t, blocks[1].Fields["time"]) - atoi(t, blocks[0].Fields["time"]); time.Duration(d) != want+CostStep+CostBlock+CostSync+2*CostTxApply {
				// Timers run from the end of the producing step's charge.
				t.Fatalf("blocks %v apart, want %v plus the block step's charge", time.Duration(d), want)
			}
			b := w.query(Query{Kind: QueryBlock, Height: 1})
			if b.Block == nil || len(b.Block.Txs) != 2 || b.Block.Txs[0].TxID != id || b.Block.Hash != blocks[0].Fields["hash"] {
				t.Fatalf("block query %+v", b)
			}
		})
	}
}

func TestRejections(t *testing.T) {
	type tc struct {
		name string
		// build returns the bytes to submit, after any setup.
		build func(w *world) []byte
		want  error
	}
	cases := []tc{
		{"signed by the wrong key", func(w *world) []byte {
			a := w.key("alice")
			t := Tx{Chain: w.flavour, From: a.Address, PubKey: a.PubKey, To: w.addr("mallory"), Amount: 10, Fee: 1}
			t.Sig = w.key("mallory").SignDigest(t.SigningDigest())
			return EncodeTx(t)
		}, ErrBadSignature},
		{"public key not the sender's", func(w *world) []byte {
			t := w.tx("mallory", "mallory", 10, 1, 0)
			t.From = w.addr("alice")
			return EncodeTx(t)
		}, ErrBadSignature},
		{"amount tampered after signing", func(w *world) []byte {
			t := w.tx("alice", "bob", 10, 1, 0)
			t.Amount = 900_000
			return EncodeTx(t)
		}, ErrBadSignature},
		{"recipient tampered after signing", func(w *world) []byte {
			t := w.tx("alice", "bob", 10, 1, 0)
			t.To = w.addr("mallory")
			return EncodeTx(t)
		}, ErrBadSignature},
		{"nonce gap", func(w *world) []byte { return EncodeTx(w.tx("alice", "bob", 10, 1, 3)) }, ErrBadNonce},
		{"nonce already used", func(w *world) []byte {
			w.mustSubmit(w.tx("alice", "bob", 10, 1, 0))
			w.runBlocks(1)
			return EncodeTx(w.tx("alice", "carol", 10, 1, 0))
		}, ErrBadNonce},
		{"overspend", func(w *world) []byte { return EncodeTx(w.tx("alice", "bob", startFunds, 1, 0)) }, ErrInsufficientFunds},
		{"overspend counting pending", func(w *world) []byte {
			w.mustSubmit(w.tx("alice", "bob", 600_000, 1, 0))
			return EncodeTx(w.tx("alice", "carol", 400_000, 1, 1))
		}, ErrInsufficientFunds},
		{"replay of a mined tx", func(w *world) []byte {
			t := w.tx("alice", "bob", 10, 1, 0)
			w.mustSubmit(t)
			w.runBlocks(2)
			return EncodeTx(t)
		}, ErrDuplicate},
		{"rebroadcast of a pending tx", func(w *world) []byte {
			t := w.tx("alice", "bob", 10, 1, 0)
			w.mustSubmit(t)
			return EncodeTx(t)
		}, ErrDuplicate},
		{"signed for the other chain", func(w *world) []byte {
			k := MustExternalKey(testSeed, "alice", otherFlavour(w.flavour))
			return EncodeTx(k.Sign(Tx{To: w.addr("bob"), Amount: 10, Fee: 1}))
		}, ErrWrongChain},
		{"fee below the minimum", func(w *world) []byte { return EncodeTx(w.tx("alice", "bob", 10, 0, 0)) }, ErrFeeTooLow},
		{"zero amount", func(w *world) []byte { return EncodeTx(w.tx("alice", "bob", 0, 1, 0)) }, ErrMalformed},
		{"negative fee", func(w *world) []byte { return EncodeTx(w.tx("alice", "bob", 10, -1, 0)) }, ErrMalformed},
		{"garbage bytes", func(w *world) []byte { return []byte("not a transaction") }, ErrMalformed},
		{"trailing byte", func(w *world) []byte { return append(EncodeTx(w.tx("alice", "bob", 10, 1, 0)), 0) }, ErrMalformed},
		{"memo too long", func(w *world) []byte {
			return EncodeTx(w.key("alice").Sign(Tx{To: w.addr("bob"), Amount: 10, Fee: 1, Memo: strings.Repeat("m", MemoMax+1)}))
		}, ErrTooLarge},
		{"oversized encoding", func(w *world) []byte { return make([]byte, TxSizeMax+1) }, ErrTooLarge},
		{"recipient not canonical", func(w *world) []byte {
			return EncodeTx(w.key("alice").Sign(Tx{To: strings.ToUpper(w.addr("bob")), Amount: 10, Fee: 1}))
		}, ErrBadAddress},
		{"truncated signature", func(w *world) []byte {
			t := w.tx("alice", "bob", 10, 1, 0)
			t.Sig = t.Sig[:63]
			return EncodeTx(t)
		}, ErrMalformed},
	}
	for _, f := range Flavours {
		for _, c := range cases {
			t.Run(f+"/"+c.name, func(t *testing.T) {
				w := newWorld(t, f, nil)
				raw := c.build(w)
				before := w.account("alice").Balance
				r := w.submitRaw(raw)
				if r.Accepted || r.Reason != c.want.Error() || !errors.Is(ReasonErr(r.Reason), c.want) {
					t.Fatalf("got accepted=%v reason %q (%s), want %q", r.Accepted, r.Reason, r.Detail, c.want)
				}
				if r.TxID != RawTxID(raw) {
					t.Fatalf("result names %s, want %s", r.TxID, RawTxID(raw))
				}
				rejects := w.observed(ObsReject)
				last := rejects[len(rejects)-1]
				if last.Fields["txid"] != r.TxID || last.Fields["reason"] != c.want.Error() || last.Fields["stage"] != StageSubmit {
					t.Fatalf("reject observation %v", last.Fields)
				}
				w.runBlocks(1)
				if after := w.account("alice").Balance; c.want != ErrDuplicate && c.want != ErrBadNonce && c.want != ErrInsufficientFunds && after != before {
					t.Fatalf("alice's balance moved from %d to %d", before, after)
				}
			})
		}
	}
}

// An MPC signer may return the high-S twin of a signature: the chain
// normalises it and accepts.
func TestHighSAccepted(t *testing.T) {
	w := newWorld(t, Secp256k1, nil)
	tx := w.tx("alice", "bob", 10, 1, 0)
	var s btcec.ModNScalar
	s.SetByteSlice(tx.Sig[32:])
	if s.IsOverHalfOrder() {
		t.Fatal("RFC 6979 signer returned a high S")
	}
	s.Negate()
	hi := s.Bytes()
	tx.Sig = append(append([]byte(nil), tx.Sig[:32]...), hi[:]...)
	if err := Verify(tx); err != nil {
		t.Fatalf("Verify of the high-S twin: %v", err)
	}
	id := w.mustSubmit(tx)
	w.runBlocks(1)
	wantStatus(t, w.txStatus(id), StatusMined, 1)
}

func TestFeeBump(t *testing.T) {
	for _, f := range Flavours {
		t.Run(f, func(t *testing.T) {
			w := newWorld(t, f, nil)
			slow := w.tx("custody-hot", "merchant", 1000, 1, 0)
			idSlow := w.mustSubmit(slow)
			// Same nonce, same fee: not a bump.
			same := w.tx("custody-hot", "merchant", 1000, 1, 0)
			same.Memo = "retry"
			same = w.key("custody-hot").Sign(same)
			if r := w.submit(same); r.Reason != ErrUnderpriced.Error() {
				t.Fatalf("same-fee replacement: %+v", r)
			}
			bump := w.key("custody-hot").Sign(Tx{To: w.addr("merchant"), Amount: 1000, Fee: 7, Nonce: 0, Memo: "bump"})
			r := w.submit(bump)
			if !r.Accepted || r.Replaced != idSlow {
				t.Fatalf("bump: %+v", r)
			}
			wantStatus(t, w.txStatus(idSlow), StatusDropped, 0)
			if st := w.txStatus(idSlow); st.Reason != ErrReplaced.Error() {
				t.Fatalf("replaced tx status %+v", st)
			}
			// The replaced one cannot come back while the bump is pending.
			if r := w.submit(slow); r.Reason != ErrUnderpriced.Error() {
				t.Fatalf("resubmitting the replaced tx: %+v", r)
			}
			w.runBlocks(2)
			wantStatus(t, w.txStatus(r.TxID), StatusMined, 2)
			if r := w.submit(slow); r.Reason != ErrBadNonce.Error() {
				t.Fatalf("resubmitting the replaced tx after the bump was mined: %+v", r)
			}
			wantBalance(t, w, "merchant", startFunds+1000)
			wantBalance(t, w, "custody-hot", startFunds-1007)
			n := 0
			for _, o := range w.observed(ObsTx) {
				if o.Fields["from"] == w.addr("custody-hot") && o.Fields["nonce"] == "0" {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("%d inclusions of custody-hot's nonce 0, want 1", n)
			}
			var replaced bool
			for _, o := range w.observed(ObsReject) {
				if o.Fields["txid"] == idSlow && o.Fields["reason"] == ErrReplaced.Error() && o.Fields["by"] == r.TxID && o.Fields["stage"] == StageMempool {
					replaced = true
				}
			}
			if !replaced {
				t.Fatal("no chain.reject for the replaced tx")
			}
		})
	}
}

func TestReorg(t *testing.T) {
	w := newWorld(t, Ed25519, nil)
	w.runBlocks(2)
	a := w.mustSubmit(w.tx("alice", "bob", 100, 1, 0))
	w.runBlocks(1) // block 3
	b := w.mustSubmit(w.tx("carol", "dave", 50, 1, 0))
	// bob spends more than he had before a: valid only after it.
	c := w.mustSubmit(w.tx("bob", "carol", startFunds+50, 1, 0))
	w.runBlocks(1) // block 4
	w.runBlocks(1) // block 5
	wantStatus(t, w.txStatus(a), StatusMined, 3)
	wantStatus(t, w.txStatus(b), StatusMined, 2)
	wantStatus(t, w.txStatus(c), StatusMined, 2)
	old4 := w.query(Query{Kind: QueryBlock, Height: 4}).Block.Hash

	// Only the harness may order a reorg; others get no answer.
	if _, ok := w.control(userID, Control{Op: ControlReorg, Depth: 2}); ok || w.tip() != 5 || w.ctlAnswers != 0 {
		t.Fatalf("a user's reorg order was obeyed")
	}
	for _, depth := range []int{0, 6, DefaultReorgDepthMax + 1} {
		if r, ok := w.control(ControlSender, Control{Op: ControlReorg, Depth: depth}); !ok || r.OK || !strings.HasPrefix(r.Err, ErrReorgDepth.Error()) {
			t.Fatalf("reorg of depth %d: %v %+v", depth, ok, r)
		}
	}

	// Undo blocks 4 and 5: a keeps one confirmation, b and c are pending.
	if r := w.mustControl(Control{Op: ControlReorg, Depth: 2}); r.Tip != 3 {
		t.Fatalf("tip after reorg %d, want 3", r.Tip)
	}
	reorgs := w.observed(ObsReorg)
	if len(reorgs) != 1 || reorgs[0].Fields["old_tip"] != "5" || reorgs[0].Fields["new_tip"] != "3" || reorgs[0].Fields["returned"] != "2" {
		t.Fatalf("reorg observations %v", reorgs)
	}
	wantStatus(t, w.txStatus(a), StatusMined, 1)
	wantStatus(t, w.txStatus(b), StatusPending, 0)
	wantStatus(t, w.txStatus(c), StatusPending, 0)
	wantBalance(t, w, "dave", startFunds)
	wantBalance(t, w, "bob", startFunds+100)
	if n := w.account("bob").Nonce; n != 0 {
		t.Fatalf("bob's nonce %d after the reorg, want 0", n)
	}

	// The chain continues and re-mines them, in new blocks.
	w.runBlocks(1)
	wantStatus(t, w.txStatus(b), StatusMined, 1)
	wantStatus(t, w.txStatus(c), StatusMined, 1)
	new4 := w.query(Query{Kind: QueryBlock, Height: 4}).Block.Hash
	if new4 == old4 {
		t.Fatal("block 4 re-mined with the same hash")
	}
	wantBalance(t, w, "dave", startFunds+50)
	wantBalance(t, w, "carol", 2*startFunds-1) // paid 51 for b, got startFunds+50 from c
	if got := w.canonical(); len(got) != 3 || got[a] != "3" || got[b] != "4" || got[c] != "4" {
		t.Fatalf("canonical txs from observations: %v", got)
	}
}

// A double spend across a reorg: the attacker's payment is undone and
// returned to the mempool, and a conflicting payment of the same nonce
// competes with it. At most one of the two is ever mined.
func TestDoubleSpendAcrossReorg(t *testing.T) {
	cases := []struct {
		name      string
		depth     int
		replaceIn bool // submit the double spend while the payment is back in the mempool
	}{
		{"replaced while returned, depth 1", 1, true},
		{"replaced while returned, depth 2", 2, true},
		{"too late, payment re-mined", 2, false},
	}
	for _, f := range Flavours {
		for _, c := range cases {
			t.Run(f+"/"+c.name, func(t *testing.T) {
				w := newWorld(t, f, nil)
				w.runBlocks(1)
				pay := w.mustSubmit(w.tx("mallory", "merchant", 900_000, 1, 0))
				w.runBlocks(c.depth) // mined in block 2, confirmed depth times
				wantStatus(t, w.txStatus(pay), StatusMined, uint64(c.depth))
				steal := w.tx("mallory", "dave", 900_000, 50, 0)
				if r := w.submit(steal); r.Reason != ErrBadNonce.Error() {
					t.Fatalf("double spend before the reorg: %+v", r)
				}
				w.mustControl(Control{Op: ControlReorg, Depth: c.depth})
				if c.replaceIn {
					wantStatus(t, w.txStatus(pay), StatusPending, 0)
					if r := w.submit(steal); !r.Accepted || r.Replaced != pay {
						t.Fatalf("double spend after the reorg: %+v", r)
					}
				}
				w.runBlocks(2)
				if !c.replaceIn {
					if r := w.submit(steal); r.Reason != ErrBadNonce.Error() {
						t.Fatalf("double spend after the re-mining: %+v", r)
					}
					w.runBlocks(1)
				}
				canon := w.canonical()
				_, payMined := canon[pay]
				_, stealMined := canon[TxID(steal)]
				if payMined == stealMined {
					t.Fatalf("payment mined %v, double spend mined %v: want exactly one", payMined, stealMined)
				}
				if payMined == c.replaceIn {
					t.Fatalf("payment mined %v, want %v", payMined, !c.replaceIn)
				}
				merchant, dave := w.account("merchant").Balance, w.account("dave").Balance
				if merchant+dave != 2*startFunds+900_000 {
					t.Fatalf("merchant %d + dave %d: funds created or lost", merchant, dave)
				}
				checkConservation(t, w)
			})
		}
	}
}

// checkConservation: balances plus burned fees equal the genesis supply.
func checkConservation(t *testing.T, w *world) {
	t.Helper()
	var sum int64
	for _, p := range parties {
		sum += w.account(p).Balance
	}
	blocks := w.observed(ObsBlock)
	burned := int64(0)
	if len(blocks) > 0 {
		burned = int64(atoi(t, blocks[len(blocks)-1].Fields["burned"]))
	}
	if sum+burned != w.cfg.TotalSupply() {
		t.Fatalf("balances %d + burned %d != supply %d", sum, burned, w.cfg.TotalSupply())
	}
}

func TestRestartFromDisk(t *testing.T) {
	cases := []struct {
		name string
		// damage runs right before the crash.
		damage   func(w *world)
		torn     bool
		wantTorn bool
	}{
		{"clean crash", func(w *world) {}, false, false},
		{"torn block append", func(w *world) {
			// A block whose append was torn by the crash (never synced).
			rec := env.Record(encodeBlockRecord(newBlock(99, [32]byte{1}, 5, []Tx{w.tx("alice", "bob", 1, 1, 9)})))
			w.disk.Append(fileBlocks, rec)
		}, true, true},
		{"torn tail made durable", func(w *world) {
			rec := env.Record(encodeBlockRecord(newBlock(99, [32]byte{1}, 5, nil)))
			w.disk.Append(fileBlocks, rec[:len(rec)-3])
			w.disk.Sync()
		}, false, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t, Secp256k1, nil)
			a := w.mustSubmit(w.tx("alice", "bob", 100, 1, 0))
			w.runBlocks(1)
			b := w.mustSubmit(w.tx("bob", "carol", 30, 2, 0))
			w.runBlocks(2)
			w.mustControl(Control{Op: ControlReorg, Depth: 1})
			w.runBlocks(1)
			w.mustControl(Control{Op: ControlFeeSpike, Multiplier: 3})
			pending := w.mustSubmit(w.tx("carol", "dave", 5, 3, 0))
			tipBefore := w.query(Query{Kind: QueryTip})
			stA, stB := w.txStatus(a), w.txStatus(b)
			size := len(w.disk.Durable(fileBlocks))

			c.damage(w)
			w.crash(c.torn)
			w.restart()
			w.run(time.Millisecond)

			restores := w.observed(ObsRestore)
			last := restores[len(restores)-1].Fields
			if last["height"] != fmt.Sprint(tipBefore.Tip) || last["hash"] != tipBefore.TipHash || last["fee_multiplier"] != "3" {
				t.Fatalf("restored %v, want tip %d %s", last, tipBefore.Tip, tipBefore.TipHash)
			}
			if torn := atoi(t, last["torn_bytes"]); (torn > 0) != c.wantTorn {
				t.Fatalf("%d torn bytes cut, want some: %v", torn, c.wantTorn)
			}
			if got := len(w.disk.Durable(fileBlocks)); got != size {
				t.Fatalf("chain/blocks is %d bytes after restart, want the %d synced before", got, size)
			}
			if st := w.txStatus(a); st.Height != stA.Height || st.BlockHash != stA.BlockHash {
				t.Fatalf("tx a after restart %+v, before %+v", st, stA)
			}
			if st := w.txStatus(b); st.Height != stB.Height || st.BlockHash != stB.BlockHash {
				t.Fatalf("tx b after restart %+v, before %+v", st, stB)
			}
			wantBalance(t, w, "bob", startFunds+100-32)
			// The mempool is volatile: the pending tx is forgotten and
			// must be rebroadcast; the fee spike held.
			wantStatus(t, w.txStatus(pending), StatusUnknown, 0)
			if r := w.submit(w.tx("carol", "dave", 5, 2, 0)); r.Reason != ErrFeeTooLow.Error() {
				t.Fatalf("fee spike lost on restart: %+v", r)
			}
			w.mustSubmit(w.tx("carol", "dave", 5, 3, 0))
			w.runBlocks(1)
			wantStatus(t, w.txStatus(pending), StatusMined, 1)
			blocks := w.observed(ObsBlock)
			if lb := blocks[len(blocks)-1].Fields; lb["parent"] != tipBefore.TipHash || lb["height"] != fmt.Sprint(tipBefore.Tip+1) {
				t.Fatalf("first block after restart %v does not extend %s", lb, tipBefore.TipHash)
			}
			checkConservation(t, w)
		})
	}
}

// scenario drives a world through submissions, bumps, faults and blocks.
func scenario(w *world) {
	w.mustSubmit(w.tx("alice", "bob", 100, 2, 0))
	w.mustSubmit(w.tx("carol", "dave", 7, 1, 0))
	w.runBlocks(1)
	w.mustSubmit(w.tx("bob", "merchant", 60, 1, 0))
	w.submit(w.tx("bob", "merchant", 60, 4, 0))
	w.submit(w.tx("mallory", "alice", startFunds*2, 1, 0))
	w.runBlocks(2)
	w.mustControl(Control{Op: ControlReorg, Depth: 2})
	w.mustControl(Control{Op: ControlFeeSpike, Multiplier: 5})
	w.mustSubmit(w.tx("dave", "alice", 1, 5, 0))
	w.runBlocks(1)
	w.mustControl(Control{Op: ControlFeeSpike, Multiplier: 1})
	w.crash(true)
	w.restart()
	w.runBlocks(2)
}

func TestDeterminism(t *testing.T) {
	for _, f := range Flavours {
		t.Run(f, func(t *testing.T) {
			w1, w2 := newWorld(t, f, nil), newWorld(t, f, nil)
			scenario(w1)
			scenario(w2)
			h1, h2 := blockHashes(w1), blockHashes(w2)
			if len(h1) < 5 || !reflect.DeepEqual(h1, h2) {
				t.Fatalf("block hashes differ:\n%v\n%v", h1, h2)
			}
			if !reflect.DeepEqual(w1.obs, w2.obs) {
				t.Fatal("observation streams differ")
			}
			if !reflect.DeepEqual(durableFiles(w1.disk), durableFiles(w2.disk)) || w1.charge != w2.charge {
				t.Fatal("disks or charged costs differ")
			}
		})
	}
}

func blockHashes(w *world) []string {
	var out []string
	for _, o := range w.observed(ObsBlock) {
		out = append(out, o.Fields["height"]+":"+o.Fields["hash"])
	}
	return out
}

func durableFiles(d *memDisk) map[string]string {
	out := map[string]string{}
	for _, name := range d.List("") {
		out[name] = string(d.Durable(name))
	}
	return out
}
