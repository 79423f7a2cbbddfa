package governance

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"hash/crc32"
	"time"

	"vaultdrill/system/approval"
	"vaultdrill/system/env"
)

// journalFile holds the node's records, one a line: 8 hex digits of the
// CRC-32 (IEEE) of the JSON, a space, the JSON. A torn last line fails its
// checksum and is dropped with everything after it: it was never synced,
// so it was never answered or reported.
const journalFile = "gov/journal"

// record is one journaled step.
type record struct {
	Op     string              `json:"op"` // propose, approve, advance
	Change string              `json:"change,omitempty"`
	Kind   approval.ChangeKind `json:"kind,omitempty"`
	Value  string              `json:"value,omitempty"`
	Human  string              `json:"human,omitempty"`
	At     time.Time           `json:"at"`
}

func appendRecord(e env.Env, r record) {
	b, err := json.Marshal(r)
	if err != nil {
		panic("governance: journal record: " + err.Error())
	}
	line := make([]byte, 0, len(b)+10)
	line = hex.AppendEncode(line, binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(b))) // 8 hex digits
	line = append(line, ' ')
	line = append(line, b...)
	line = append(line, '\n')
	e.Disk().Append(journalFile, line)
	e.Disk().Sync()
}

// readJournal returns the intact records, in order.
func readJournal(d env.Disk) []record {
	raw, _ := d.Read(journalFile)
	var out []record
	for len(raw) > 0 {
		i := bytes.IndexByte(raw, '\n')
		if i < 0 {
			break // torn
		}
		line := raw[:i]
		raw = raw[i+1:]
		if len(line) < 10 || line[8] != ' ' {
			break
		}
		sum, err := hex.DecodeString(string(line[:8]))
		body := line[9:]
		if err != nil || crc32.ChecksumIEEE(body) != binary.BigEndian.Uint32(sum) {
			break
		}
		var r record
		if json.Unmarshal(body, &r) != nil {
			break
		}
		out = append(out, r)
	}
	return out
}
