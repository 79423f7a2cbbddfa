package chain

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
)

// Flavours: the signature scheme a chain verifies. A Tx's Chain field names
// the flavour of the chain it is meant for, so a transaction signed for one
// chain is never valid on the other.
const (
	Secp256k1 = "secp256k1"
	Ed25519   = "ed25519"
)

// Flavours lists the supported flavours in a fixed order.
var Flavours = []string{Secp256k1, Ed25519}

// ValidFlavour reports whether f is a supported flavour.
func ValidFlavour(f string) bool { return f == Secp256k1 || f == Ed25519 }

// Size bounds of the canonical encoding.
const (
	// TxSizeMax bounds a whole encoded transaction (EncodeTx's output).
	TxSizeMax = 1024
	// MemoMax bounds the memo, in bytes.
	MemoMax = 256
)

// txMagic and txVersion open every encoded transaction: the magic separates
// transaction digests from anything else an MPC key might sign.
var txMagic = [4]byte{'V', 'D', 'T', 'X'}

const txVersion byte = 1

// Tx is one transfer on a simulated chain. Amount and Fee are in the chain's
// smallest unit; the fee is burned. Nonce is the sender's sequence number:
// the sender's n-th mined transaction carries nonce n-1.
type Tx struct {
	Chain    string // the flavour: Secp256k1 or Ed25519
	From, To string // addresses (see Address)
	Amount   int64
	Fee      int64
	Nonce    uint64
	Memo     string
	PubKey   []byte // the sender's public key: 33 bytes compressed, or 32 (ed25519)
	Sig      []byte // 64 bytes: r || s (secp256k1) or R || S (ed25519)
}

// appendSigningPayload appends the canonical encoding of everything but Sig:
//
//	"VDTX" | 0x01 | str Chain | str From | str To | i64 Amount | i64 Fee |
//	u64 Nonce | str Memo | str PubKey
//
// integers fixed-width big-endian, str = u16 big-endian length then bytes.
func (t Tx) appendSigningPayload(b []byte) []byte {
	b = append(b, txMagic[:]...)
	b = append(b, txVersion)
	b = appendStr(b, t.Chain)
	b = appendStr(b, t.From)
	b = appendStr(b, t.To)
	b = binary.BigEndian.AppendUint64(b, uint64(t.Amount))
	b = binary.BigEndian.AppendUint64(b, uint64(t.Fee))
	b = binary.BigEndian.AppendUint64(b, t.Nonce)
	b = appendStr(b, t.Memo)
	b = appendStr(b, string(t.PubKey))
	return b
}

// SigningDigest is sha256 of the signing payload (the encoding without the
// Sig field). It is what the sender's key, or its MPC committee, signs: as
// the ECDSA hash for secp256k1, as the message for ed25519.
func (t Tx) SigningDigest() [32]byte {
	return sha256.Sum256(t.appendSigningPayload(make([]byte, 0, 256)))
}

// EncodeTx is the canonical encoding: the signing payload, then str Sig.
// One transaction, one byte string: DecodeTx accepts nothing else.
func EncodeTx(t Tx) []byte {
	b := t.appendSigningPayload(make([]byte, 0, 256))
	return appendStr(b, string(t.Sig))
}

// EncodedSize is len(EncodeTx(t)), computed without encoding (and without
// panicking on fields too long for the encoding).
func EncodedSize(t Tx) int {
	return len(txMagic) + 1 + 6*2 + 3*8 +
		len(t.Chain) + len(t.From) + len(t.To) + len(t.Memo) + len(t.PubKey) + len(t.Sig)
}

// TxID is the hex sha256 of the transaction's full encoding (Sig included).
func TxID(t Tx) string { return RawTxID(EncodeTx(t)) }

// RawTxID is the hex sha256 of raw bytes: TxID of the transaction they
// encode, or the name of a rejected undecodable submission.
func RawTxID(raw []byte) string {
	h := sha256.Sum256(raw)
	return hex.EncodeToString(h[:])
}

// DecodeTx parses EncodeTx's output strictly: magic, version, every length,
// no trailing bytes, at most TxSizeMax bytes and MemoMax of memo. Errors wrap
// ErrTooLarge or ErrMalformed. It checks the format only; the chain checks
// the meaning (flavour, addresses, ranges, signature) on submission.
func DecodeTx(b []byte) (Tx, error) {
	if len(b) > TxSizeMax {
		return Tx{}, reject(ErrTooLarge, fmt.Sprintf("%d bytes, max %d", len(b), TxSizeMax))
	}
	r := reader{b: b}
	if m := r.bytes(4); r.err == nil && string(m) != string(txMagic[:]) {
		return Tx{}, reject(ErrMalformed, "bad magic")
	}
	if v := r.byte(); r.err == nil && v != txVersion {
		return Tx{}, reject(ErrMalformed, fmt.Sprintf("version %d", v))
	}
	var t Tx
	t.Chain = r.str()
	t.From = r.str()
	t.To = r.str()
	t.Amount = int64(r.u64())
	t.Fee = int64(r.u64())
	t.Nonce = r.u64()
	t.Memo = r.str()
	t.PubKey = r.blob()
	t.Sig = r.blob()
	if r.err != nil {
		return Tx{}, reject(ErrMalformed, r.err.Error())
	}
	if len(r.b) != 0 {
		return Tx{}, reject(ErrMalformed, fmt.Sprintf("%d trailing bytes", len(r.b)))
	}
	if len(t.Memo) > MemoMax {
		return Tx{}, reject(ErrTooLarge, fmt.Sprintf("memo of %d bytes, max %d", len(t.Memo), MemoMax))
	}
	return t, nil
}

func appendStr(b []byte, s string) []byte {
	if len(s) > 0xffff {
		panic(fmt.Sprintf("chain: field of %d bytes does not fit the encoding", len(s)))
	}
	b = binary.BigEndian.AppendUint16(b, uint16(len(s)))
	return append(b, s...)
}

// reader consumes a byte string front to back; the first error sticks and
// every later read returns a zero value.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("short %s", what)
	}
	r.b = nil
}

func (r *reader) bytes(n int) []byte {
	if r.err != nil || n > len(r.b) {
		r.fail("field")
		return nil
	}
	v := r.b[:n:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) byte() byte {
	v := r.bytes(1)
	if v == nil {
		return 0
	}
	return v[0]
}

func (r *reader) u16() int {
	v := r.bytes(2)
	if v == nil {
		return 0
	}
	return int(binary.BigEndian.Uint16(v))
}

func (r *reader) u32() uint32 {
	v := r.bytes(4)
	if v == nil {
		return 0
	}
	return binary.BigEndian.Uint32(v)
}

func (r *reader) u64() uint64 {
	v := r.bytes(8)
	if v == nil {
		return 0
	}
	return binary.BigEndian.Uint64(v)
}

func (r *reader) str() string { return string(r.bytes(r.u16())) }

// blob returns a copy, nil when empty, so a decoded Tx shares no memory
// with the input.
func (r *reader) blob() []byte {
	v := r.bytes(r.u16())
	if len(v) == 0 {
		return nil
	}
	return append([]byte(nil), v...)
}
