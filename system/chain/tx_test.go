package chain

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"testing"

	"vaultdrill/system/env"
)

// specEncoding re-implements the transaction format from doc.go alone,
// from an observation's fields, the way a checker would: it shares no code
// with tx.go. It returns the signing payload and the full encoding.
func specEncoding(t *testing.T, f map[string]string) (payload, full []byte) {
	t.Helper()
	var b bytes.Buffer
	str := func(s string) {
		_ = binary.Write(&b, binary.BigEndian, uint16(len(s)))
		b.WriteString(s)
	}
	num := func(key string) int64 {
		v, err := strconv.ParseInt(f[key], 10, 64)
		if err != nil {
			t.Fatalf("field %s: %v", key, err)
		}
		return v
	}
	unhex := func(key string) string {
		v, err := hex.DecodeString(f[key])
		if err != nil {
			t.Fatalf("field %s: %v", key, err)
		}
		return string(v)
	}
	b.WriteString("VDTX")
	b.WriteByte(1)
	str(f["chain"])
	str(f["from"])
	str(f["to"])
	_ = binary.Write(&b, binary.BigEndian, num("amount"))
	_ = binary.Write(&b, binary.BigEndian, num("fee"))
	nonce, err := strconv.ParseUint(f["nonce"], 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	_ = binary.Write(&b, binary.BigEndian, nonce)
	str(f["memo"])
	str(unhex("pubkey"))
	payload = append([]byte(nil), b.Bytes()...)
	str(unhex("sig"))
	return payload, b.Bytes()
}

// The checkers recompute a transaction's digest and id from chain.tx (and
// chain.accept) observations: what the chain observed must match.
func TestObservationsCarryDigest(t *testing.T) {
	for _, f := range Flavours {
		t.Run(f, func(t *testing.T) {
			w := newWorld(t, f, nil)
			scenario(w)
			w.mustSubmit(w.key("alice").Sign(Tx{To: w.addr("bob"), Amount: 5, Fee: 3, Nonce: w.account("alice").PendingNonce, Memo: "withdrawal w-42 ✓"}))
			w.runBlocks(1)
			seen := 0
			for _, o := range w.obs {
				if o.Kind != ObsTx && o.Kind != ObsAccept {
					continue
				}
				payload, full := specEncoding(t, o.Fields)
				d := sha256.Sum256(payload)
				id := sha256.Sum256(full)
				if hex.EncodeToString(d[:]) != o.Fields["digest"] || hex.EncodeToString(id[:]) != o.Fields["txid"] {
					t.Fatalf("%s %v: recomputed digest %x, txid %x", o.Kind, o.Fields, d, id)
				}
				tx, err := DecodeTx(full)
				if err != nil {
					t.Fatalf("spec encoding does not decode: %v", err)
				}
				if tx.SigningDigest() != d || TxID(tx) != o.Fields["txid"] {
					t.Fatalf("SigningDigest disagrees with the spec for %v", o.Fields)
				}
				if err := Verify(tx); err != nil {
					t.Fatalf("observed tx does not verify: %v", err)
				}
				seen++
			}
			if seen < 8 {
				t.Fatalf("only %d transaction observations", seen)
			}
		})
	}
}

func TestExternalKeys(t *testing.T) {
	for _, f := range Flavours {
		t.Run(f, func(t *testing.T) {
			a1, a2 := MustExternalKey(1, "alice", f), MustExternalKey(1, "alice", f)
			if a1.Address != a2.Address || !bytes.Equal(a1.PubKey, a2.PubKey) {
				t.Fatal("same seed and name, different keys")
			}
			for _, other := range []Key{MustExternalKey(2, "alice", f), MustExternalKey(1, "bob", f)} {
				if other.Address == a1.Address {
					t.Fatalf("%s collides with alice of seed 1", other.Name)
				}
			}
			if FlavourOf(a1.Address) != f || len(a1.Address) != AddressLen {
				t.Fatalf("address %q", a1.Address)
			}
			if got, err := Address(f, a1.PubKey); err != nil || got != a1.Address {
				t.Fatalf("Address(pubkey) = %q, %v", got, err)
			}
			wallet := NewWallet(a1)
			t1 := wallet.Transfer(MustExternalKey(1, "bob", f).Address, 10, 1, "")
			t2 := wallet.Transfer(MustExternalKey(1, "bob", f).Address, 10, 1, "")
			if t1.Nonce != 0 || t2.Nonce != 1 || wallet.Nonce() != 2 {
				t.Fatalf("wallet nonces %d, %d, next %d", t1.Nonce, t2.Nonce, wallet.Nonce())
			}
			if err := Verify(t1); err != nil {
				t.Fatal(err)
			}
			// Deterministic signatures (RFC 6979 / Ed25519).
			if again := a2.Sign(t1); !bytes.Equal(again.Sig, t1.Sig) {
				t.Fatal("signing twice gave two signatures")
			}
		})
	}
	if _, err := ExternalKey(1, "x", "rsa"); !errors.Is(err, ErrWrongChain) {
		t.Fatalf("unknown flavour: %v", err)
	}
	if MustExternalKey(1, "alice", Secp256k1).Address[:2] != "k1" || MustExternalKey(1, "alice", Ed25519).Address[:2] != "ed" {
		t.Fatal("address prefixes")
	}
}

func TestDecodeTxStrict(t *testing.T) {
	k := MustExternalKey(3, "alice", Ed25519)
	good := EncodeTx(k.Sign(Tx{To: k.Address, Amount: 1, Fee: 1, Memo: "m"}))
	withVersion := func(v byte) []byte { b := bytes.Clone(good); b[4] = v; return b }
	cases := []struct {
		name string
		b    []byte
		want error
	}{
		{"canonical", good, nil},
		{"empty", nil, ErrMalformed},
		{"bad magic", append([]byte("XDTX"), good[4:]...), ErrMalformed},
		{"unknown version", withVersion(2), ErrMalformed},
		{"truncated", good[:len(good)-1], ErrMalformed},
		{"trailing byte", append(bytes.Clone(good), 0), ErrMalformed},
		{"length past the end", append(bytes.Clone(good[:len(good)-66]), 0xff, 0xff), ErrMalformed},
		{"too large", make([]byte, TxSizeMax+1), ErrTooLarge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			tx, err := DecodeTx(c.b)
			if c.want == nil {
				if err != nil || !bytes.Equal(EncodeTx(tx), c.b) {
					t.Fatalf("decode: %v, or the round trip differs", err)
				}
				return
			}
			if !errors.Is(err, c.want) {
				t.Fatalf("got %v, want %v", err, c.want)
			}
		})
	}
}

func TestStuckAndFeeSpike(t *testing.T) {
	w := newWorld(t, Ed25519, nil)
	stuck := w.tx("custody-hot", "merchant", 10, 1, 0)
	id := TxID(stuck)
	// Marked stuck before it arrives.
	w.mustControl(Control{Op: ControlStuck, TxID: id})
	w.mustSubmit(stuck)
	w.mustSubmit(w.tx("custody-hot", "merchant", 10, 1, 1)) // waits behind it
	other := w.mustSubmit(w.tx("alice", "bob", 10, 1, 0))
	w.runBlocks(3)
	if st := w.txStatus(id); st.Status != StatusPending || !st.Stuck {
		t.Fatalf("stuck tx %+v", st)
	}
	wantStatus(t, w.txStatus(other), StatusMined, 3)
	w.mustControl(Control{Op: ControlRelease, TxID: id})
	w.runBlocks(1)
	wantStatus(t, w.txStatus(id), StatusMined, 1)
	if a := w.account("custody-hot"); a.Nonce != 2 {
		t.Fatalf("custody-hot nonce %d, want 2 (both mined)", a.Nonce)
	}

	// A fee spike: pending low fees stay unmined, new low fees are refused,
	// a bump at the new minimum gets through.
	low := w.mustSubmit(w.tx("carol", "dave", 10, 2, 0))
	w.mustControl(Control{Op: ControlFeeSpike, Multiplier: 10})
	if r := w.submit(w.tx("dave", "carol", 10, 9, 0)); r.Reason != ErrFeeTooLow.Error() {
		t.Fatalf("fee 9 under a x10 spike: %+v", r)
	}
	w.runBlocks(2)
	wantStatus(t, w.txStatus(low), StatusPending, 0)
	bump := w.submit(w.tx("carol", "dave", 10, 10, 0))
	if !bump.Accepted || bump.Replaced != low {
		t.Fatalf("bump: %+v", bump)
	}
	w.runBlocks(1)
	wantStatus(t, w.txStatus(bump.TxID), StatusMined, 1)

	for _, bad := range []Control{
		{Op: ControlFeeSpike, Multiplier: 0},
		{Op: ControlFeeSpike, Multiplier: FeeMultiplierMax + 1},
		{Op: ControlStuck, TxID: "ABC"},
		{Op: ControlStuck, TxID: strings.ToUpper(id)},
		{Op: "explode"},
	} {
		if r, ok := w.control(ControlSender, bad); !ok || r.OK || !strings.HasPrefix(r.Err, ErrBadControl.Error()) {
			t.Fatalf("control %+v: %v %+v", bad, ok, r)
		}
	}
	var ctl int
	for _, o := range w.observed(ObsControl) {
		if o.Fields["ok"] == "true" {
			ctl++
		}
	}
	if ctl != 3 {
		t.Fatalf("%d successful control observations, want 3", ctl)
	}
}

func TestBlockOrderAndBounds(t *testing.T) {
	w := newWorld(t, Ed25519, func(c *Config) { c.MaxTxPerBlock = 2; c.MempoolPerSenderMax = 2; c.MempoolMax = 4 })
	cheap := w.mustSubmit(w.tx("alice", "bob", 1, 1, 0))
	rich := w.mustSubmit(w.tx("carol", "bob", 1, 9, 0))
	richNext := w.mustSubmit(w.tx("carol", "bob", 1, 2, 1))
	if r := w.submit(w.tx("carol", "bob", 1, 2, 2)); r.Reason != ErrMempoolFull.Error() {
		t.Fatalf("third pending tx of one sender: %+v", r)
	}
	mid := w.mustSubmit(w.tx("dave", "bob", 1, 5, 0))
	if r := w.submit(w.tx("mallory", "bob", 1, 100, 0)); r.Reason != ErrMempoolFull.Error() {
		t.Fatalf("fifth pending tx: %+v", r)
	}
	w.runBlocks(1)
	b := w.query(Query{Kind: QueryBlock, Height: 1}).Block
	if len(b.Txs) != 2 || b.Txs[0].TxID != rich || b.Txs[1].TxID != mid {
		t.Fatalf("block 1 %+v, want rich then mid", b.Txs)
	}
	w.runBlocks(1)
	b = w.query(Query{Kind: QueryBlock, Height: 2}).Block
	if len(b.Txs) != 2 || b.Txs[0].TxID != richNext || b.Txs[1].TxID != cheap {
		t.Fatalf("block 2 %+v, want richNext then cheap", b.Txs)
	}
	if r := w.query(Query{Kind: QueryBlock, Height: 9}); r.Err == "" {
		t.Fatal("a block above the tip was served")
	}
	if r := w.query(Query{Kind: QueryAccount, Address: "nope"}); r.Err == "" {
		t.Fatal("a bad address was served")
	}
}

func TestConfigValidate(t *testing.T) {
	k := MustExternalKey(1, "a", Secp256k1)
	cases := []struct {
		name string
		cfg  Config
		ok   bool
	}{
		{"good", Config{Flavour: Secp256k1, Genesis: []Allocation{{k.Address, 5}}}, true},
		{"unknown flavour", Config{Flavour: "rsa"}, false},
		{"address of the other flavour", Config{Flavour: Ed25519, Genesis: []Allocation{{k.Address, 5}}}, false},
		{"duplicate", Config{Flavour: Secp256k1, Genesis: []Allocation{{k.Address, 5}, {k.Address, 5}}}, false},
		{"zero amount", Config{Flavour: Secp256k1, Genesis: []Allocation{{k.Address, 0}}}, false},
		{"overflow", Config{Flavour: Secp256k1, Genesis: []Allocation{{k.Address, 1 << 62}, {MustExternalKey(1, "b", Secp256k1).Address, 1 << 62}, {MustExternalKey(1, "c", Secp256k1).Address, 1 << 62}}}, false},
	}
	for _, c := range cases {
		if err := c.cfg.Validate(); (err == nil) != c.ok {
			t.Errorf("%s: %v", c.name, err)
		}
	}
}

func FuzzDecodeTx(f *testing.F) {
	for _, fl := range Flavours {
		k := MustExternalKey(1, "fuzz", fl)
		f.Add(EncodeTx(k.Sign(Tx{To: k.Address, Amount: 3, Fee: 1, Nonce: 2, Memo: "x"})))
	}
	f.Add([]byte("VDTX\x01"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		tx, err := DecodeTx(b)
		if err != nil {
			if !errors.Is(err, ErrMalformed) && !errors.Is(err, ErrTooLarge) {
				t.Fatalf("error %v wraps neither ErrMalformed nor ErrTooLarge", err)
			}
			return
		}
		// Canonical: one transaction, one byte string.
		if !bytes.Equal(EncodeTx(tx), b) {
			t.Fatalf("decode then encode changed the bytes")
		}
		if TxID(tx) != RawTxID(b) || EncodedSize(tx) != len(b) {
			t.Fatal("TxID or size disagrees with the raw bytes")
		}
		// Verification never panics, whatever the fields.
		_ = Verify(tx)
	})
}

// Every message decoder rejects garbage without panicking, and what it
// accepts re-encodes to a body it accepts again.
func FuzzDecodeMessages(f *testing.F) {
	f.Add(byte(MsgSubmit), []byte(`{"id":1,"raw":"AAAA"}`))
	f.Add(byte(MsgQuery), []byte(`{"id":2,"kind":"tx","txid":"ab"}`))
	f.Add(byte(MsgControl), []byte(`{"id":3,"op":"reorg","depth":2}`))
	f.Add(byte(MsgQueryResult), []byte(`{"id":4,"kind":"block","tip":1,"tip_hash":"","block":{"height":1,"hash":"","parent":"","time":0,"txs":[]}}`))
	f.Add(byte(MsgControl), []byte(`{"op":"reorg"} {}`))
	f.Fuzz(func(t *testing.T, kind byte, body []byte) {
		var again []byte
		switch env.MsgType(kind) {
		case MsgSubmit:
			if v, err := DecodeSubmit(body); err == nil {
				again = EncodeSubmit(v)
			}
		case MsgSubmitResult:
			if v, err := DecodeSubmitResult(body); err == nil {
				again = EncodeSubmitResult(v)
			}
		case MsgQuery:
			if v, err := DecodeQuery(body); err == nil {
				again = EncodeQuery(v)
			}
		case MsgQueryResult:
			if v, err := DecodeQueryResult(body); err == nil {
				again = EncodeQueryResult(v)
			}
		case MsgControl:
			if v, err := DecodeControl(body); err == nil {
				again = EncodeControl(v)
			}
		case MsgControlResult:
			if v, err := DecodeControlResult(body); err == nil {
				again = EncodeControlResult(v)
			}
		}
		if again == nil {
			return
		}
		_, b, err := env.Decode(again)
		if err != nil {
			t.Fatal(err)
		}
		var derr error
		switch env.MsgType(kind) {
		case MsgSubmit:
			_, derr = DecodeSubmit(b)
		case MsgSubmitResult:
			_, derr = DecodeSubmitResult(b)
		case MsgQuery:
			_, derr = DecodeQuery(b)
		case MsgQueryResult:
			_, derr = DecodeQueryResult(b)
		case MsgControl:
			_, derr = DecodeControl(b)
		case MsgControlResult:
			_, derr = DecodeControlResult(b)
		}
		if derr != nil {
			t.Fatalf("re-encoded body does not decode: %v", derr)
		}
	})
}
