package chain

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"sort"
)

// Hash formats (checkers may recompute them from the observations):
//
//	genesis hash = sha256("VDGN" | 0x01 | str flavour | u32 n |
//	               n × (str address | i64 amount))   allocations sorted by address
//	block hash   = sha256("VDBK" | 0x01 | u64 height | parent hash (32) |
//	               i64 time | u32 n | n × txid (32 raw bytes))
//
// with the encoding of tx.go (big-endian, str = u16 length then bytes).
// Height 0 is the genesis; block h's parent is block h-1's hash. Time is the
// producer's clock in Unix nanoseconds, so a block re-mined after a reorg at
// the same height has another hash.
var (
	genesisMagic = [4]byte{'V', 'D', 'G', 'N'}
	blockMagic   = [4]byte{'V', 'D', 'B', 'K'}
)

const blockVersion byte = 1

// block is one block of the canonical chain. The genesis is block 0 with no
// transactions, no parent and time 0.
type block struct {
	height uint64
	parent [32]byte
	time   int64
	txs    []Tx
	ids    []string // TxID of each tx
	hash   [32]byte
}

// newBlock builds a block and computes its transaction ids and hash.
func newBlock(height uint64, parent [32]byte, time int64, txs []Tx) *block {
	b := &block{height: height, parent: parent, time: time, txs: txs, ids: make([]string, len(txs))}
	h := sha256.New()
	var buf []byte
	buf = append(buf, blockMagic[:]...)
	buf = append(buf, blockVersion)
	buf = binary.BigEndian.AppendUint64(buf, height)
	buf = append(buf, parent[:]...)
	buf = binary.BigEndian.AppendUint64(buf, uint64(time))
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(txs)))
	h.Write(buf)
	for i, t := range txs {
		id := sha256.Sum256(EncodeTx(t))
		b.ids[i] = hex.EncodeToString(id[:])
		h.Write(id[:])
	}
	copy(b.hash[:], h.Sum(nil))
	return b
}

func genesisBlock(flavour string, alloc []Allocation) *block {
	sorted := append([]Allocation(nil), alloc...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Address < sorted[j].Address })
	var buf []byte
	buf = append(buf, genesisMagic[:]...)
	buf = append(buf, blockVersion)
	buf = appendStr(buf, flavour)
	buf = binary.BigEndian.AppendUint32(buf, uint32(len(sorted)))
	for _, a := range sorted {
		buf = appendStr(buf, a.Address)
		buf = binary.BigEndian.AppendUint64(buf, uint64(a.Amount))
	}
	return &block{hash: sha256.Sum256(buf)}
}

func (b *block) hashHex() string { return hex.EncodeToString(b.hash[:]) }

func (b *block) fees() int64 {
	var sum int64
	for _, t := range b.txs {
		sum += t.Fee
	}
	return sum
}

// Disk records (see storage.go), each one env.Record body:
//
//	'G' | genesis hash (32)                        first record of the file
//	'B' | u64 height | parent (32) | i64 time | u32 n | n × (u16 len | EncodeTx)
//	'R' | u64 new tip height                       a reorg undid the blocks above it
const (
	recGenesis byte = 'G'
	recBlock   byte = 'B'
	recReorg   byte = 'R'
)

func encodeBlockRecord(b *block) []byte {
	out := []byte{recBlock}
	out = binary.BigEndian.AppendUint64(out, b.height)
	out = append(out, b.parent[:]...)
	out = binary.BigEndian.AppendUint64(out, uint64(b.time))
	out = binary.BigEndian.AppendUint32(out, uint32(len(b.txs)))
	for _, t := range b.txs {
		out = appendStr(out, string(EncodeTx(t)))
	}
	return out
}

func decodeBlockRecord(body []byte) (*block, error) {
	r := reader{b: body}
	if k := r.byte(); k != recBlock {
		return nil, fmt.Errorf("record kind %q is not a block", k)
	}
	height := r.u64()
	var parent [32]byte
	copy(parent[:], r.bytes(32))
	time := int64(r.u64())
	n := r.u32()
	if r.err == nil && uint64(n) > uint64(len(r.b)/2) {
		return nil, fmt.Errorf("block claims %d transactions in %d bytes", n, len(r.b))
	}
	txs := make([]Tx, 0, n)
	for i := uint32(0); i < n && r.err == nil; i++ {
		raw := r.bytes(r.u16())
		if r.err != nil {
			break
		}
		t, err := DecodeTx(raw)
		if err != nil {
			return nil, fmt.Errorf("transaction %d: %v", i, err)
		}
		txs = append(txs, t)
	}
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%d trailing bytes", len(r.b))
	}
	return newBlock(height, parent, time, txs), nil
}
