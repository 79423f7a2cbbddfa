package chain

// Disk layout. Two files, framed with env.Record so a torn or corrupt
// record is detected on start:
//
//	chain/blocks   Append: a genesis record (the genesis hash, so a disk
//	               is never replayed under another genesis), then block
//	               and reorg records in the order they happened (formats
//	               in block.go). Replay keeps a list of canonical blocks: a
//	               block record extends it, a reorg record cuts it back to
//	               its new tip height.
//	chain/control  Write (replaced whole): one record, the fault state the
//	               harness ordered: i64 fee multiplier | u32 n | n × str
//	               stuck txid (sorted). Absent: multiplier 1, nothing stuck.
//
// Fault model (env.Disk): whatever was not synced may be lost on a crash,
// and the last unsynced Append may survive as a torn prefix. Why recovery
// still works:
//   - Every block and reorg record is synced in the step that makes it,
//     before the step observes it or answers anyone, so nothing a client
//     or checker was told is lost. A crash between the Append and the Sync
//     loses the block (or reorg) entirely, which no one saw.
//   - A torn tail can only be that unsynced last record: start keeps the
//     valid prefix of records, rewrites the file to it and syncs.
//   - chain/control is written whole and synced with its change; it is
//     never torn.
//   - The mempool is volatile, like a real node's: a crash forgets pending
//     transactions, and senders rebroadcast. Dropped-transaction memory is
//     volatile too (status "unknown" after a restart).
//
// Corruption the fault model does not allow (a checksummed record that does
// not decode, a block that does not link to its parent or does not apply)
// panics: the node cannot know what it lost.

import (
	"encoding/binary"
	"fmt"
	"sort"

	"vaultdrill/system/env"
)

const (
	fileBlocks  = "chain/blocks"
	fileControl = "chain/control"
)

// recovered is what start reads back from the disk.
type recovered struct {
	blocks    []*block // canonical blocks above the genesis, by height
	tornBytes int
	feeMult   int64
	stuck     []string
}

// loadDisk reads both files, cutting a torn tail of chain/blocks off (and
// writing the genesis record to a fresh disk).
func loadDisk(d env.Disk, genesis *block) recovered {
	rec := recovered{feeMult: 1}
	b, _ := d.Read(fileBlocks)
	records, valid := env.ReadRecords(b)
	if valid < len(b) {
		rec.tornBytes = len(b) - valid
		d.Write(fileBlocks, b[:valid])
		d.Sync()
	}
	if len(records) == 0 {
		d.Write(fileBlocks, env.Record(append([]byte{recGenesis}, genesis.hash[:]...)))
		d.Sync()
	} else {
		g := records[0]
		if len(g) != 33 || g[0] != recGenesis || [32]byte(g[1:]) != genesis.hash {
			panic(fmt.Sprintf("chain: %s was written under another genesis (or is corrupt)", fileBlocks))
		}
	}
	for i := 1; i < len(records); i++ {
		r := records[i]
		switch {
		case len(r) > 0 && r[0] == recBlock:
			blk, err := decodeBlockRecord(r)
			if err != nil {
				panic(fmt.Sprintf("chain: %s record %d: %v", fileBlocks, i, err))
			}
			parent := genesis
			if len(rec.blocks) > 0 {
				parent = rec.blocks[len(rec.blocks)-1]
			}
			if blk.height != parent.height+1 || blk.parent != parent.hash {
				panic(fmt.Sprintf("chain: %s record %d: block %d does not extend block %d", fileBlocks, i, blk.height, parent.height))
			}
			rec.blocks = append(rec.blocks, blk)
		case len(r) == 9 && r[0] == recReorg:
			tip := binary.BigEndian.Uint64(r[1:])
			if tip >= uint64(len(rec.blocks)) {
				panic(fmt.Sprintf("chain: %s record %d: reorg to %d from tip %d", fileBlocks, i, tip, len(rec.blocks)))
			}
			clear(rec.blocks[tip:])
			rec.blocks = rec.blocks[:tip]
		default:
			panic(fmt.Sprintf("chain: %s record %d: unknown record", fileBlocks, i))
		}
	}
	if b, ok := d.Read(fileControl); ok {
		rs, valid := env.ReadRecords(b)
		if len(rs) != 1 || valid != len(b) {
			panic(fmt.Sprintf("chain: %s is corrupt (%d bytes)", fileControl, len(b)))
		}
		mult, stuck, err := decodeControlState(rs[0])
		if err != nil {
			panic(fmt.Sprintf("chain: %s: %v", fileControl, err))
		}
		rec.feeMult, rec.stuck = mult, stuck
	}
	return rec
}

// persistBlock appends a block and makes it durable.
func persistBlock(d env.Disk, b *block) {
	d.Append(fileBlocks, env.Record(encodeBlockRecord(b)))
	d.Sync()
}

// persistReorg appends a reorg to the new tip and makes it durable.
func persistReorg(d env.Disk, tip uint64) {
	d.Append(fileBlocks, env.Record(binary.BigEndian.AppendUint64([]byte{recReorg}, tip)))
	d.Sync()
}

// persistControl replaces the fault state and makes it durable.
func persistControl(d env.Disk, mult int64, stuck map[string]bool) {
	ids := make([]string, 0, len(stuck))
	for id := range stuck { // determinism: allowed (sorted below)
		ids = append(ids, id)
	}
	sort.Strings(ids)
	b := binary.BigEndian.AppendUint64(nil, uint64(mult))
	b = binary.BigEndian.AppendUint32(b, uint32(len(ids)))
	for _, id := range ids {
		b = appendStr(b, id)
	}
	d.Write(fileControl, env.Record(b))
	d.Sync()
}

func decodeControlState(b []byte) (int64, []string, error) {
	r := reader{b: b}
	mult := int64(r.u64())
	n := r.u32()
	if r.err == nil && uint64(n) > stuckMax {
		return 0, nil, fmt.Errorf("%d stuck transactions, max %d", n, stuckMax)
	}
	var ids []string
	for i := uint32(0); i < n && r.err == nil; i++ {
		ids = append(ids, r.str())
	}
	if r.err != nil {
		return 0, nil, r.err
	}
	if len(r.b) != 0 || mult < 1 || mult > FeeMultiplierMax {
		return 0, nil, fmt.Errorf("bad fault state (multiplier %d, %d trailing bytes)", mult, len(r.b))
	}
	return mult, ids, nil
}
