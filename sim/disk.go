package sim

import (
	"math/rand/v2"
	"sort"
	"strings"
)

// Disk is a simulated node disk.
//
// Fault model: every Write, Append and Delete lands in a volatile view that
// reads see at once; Sync makes the whole view durable. A crash throws the
// volatile view away and keeps the durable one, so anything written but not
// synced is lost. A torn-write fault (armed per crash) additionally keeps a
// random proper prefix of a file's unsynced appended tail, as a power cut in
// the middle of a sector write would. Nodes frame records and verify them on
// start (env.Record, env.ReadRecords), which is why recovery still works.
// Files are never modified in place: Write replaces a file with a copy and
// Append only grows it, so durable and volatile views may share storage.
type Disk struct {
	durable map[string][]byte
	cur     map[string][]byte
	dirty   map[string]bool
	// appendOnly marks files whose only unsynced changes are appends, so a
	// torn write can keep a prefix of them.
	appendOnly map[string]bool
	tornArmed  bool
	syncs      uint64
	bytes      uint64
}

func newDisk() *Disk {
	return &Disk{
		durable:    map[string][]byte{},
		cur:        map[string][]byte{},
		dirty:      map[string]bool{},
		appendOnly: map[string]bool{},
	}
}

func (d *Disk) Read(name string) ([]byte, bool) {
	b, ok := d.cur[name]
	return b, ok
}

func (d *Disk) Write(name string, data []byte) {
	d.cur[name] = append([]byte(nil), data...)
	d.dirty[name] = true
	d.appendOnly[name] = false
	d.bytes += uint64(len(data))
}

func (d *Disk) Append(name string, data []byte) {
	if !d.dirty[name] {
		d.appendOnly[name] = true
	}
	// In-place growth is safe: the durable view keeps its own length, and
	// after a crash the volatile view is capped at it (see crash).
	d.cur[name] = append(d.cur[name], data...)
	d.dirty[name] = true
	d.bytes += uint64(len(data))
}

func (d *Disk) Delete(name string) {
	delete(d.cur, name)
	d.dirty[name] = true
	d.appendOnly[name] = false
}

func (d *Disk) List(prefix string) []string {
	var out []string
	for name := range d.cur { // determinism: allowed (sorted below)
		if strings.HasPrefix(name, prefix) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func (d *Disk) Sync() {
	for name := range d.dirty { // determinism: allowed (each file independently)
		if b, ok := d.cur[name]; ok {
			d.durable[name] = b
		} else {
			delete(d.durable, name)
		}
	}
	clear(d.dirty)
	clear(d.appendOnly)
	d.syncs++
}

// crash drops the volatile view. With a torn write armed, each file whose
// unsynced changes were only appends keeps a random proper prefix of that
// tail. It returns the files that were torn, sorted.
func (d *Disk) crash(r *rand.Rand) (torn []string) {
	if d.tornArmed {
		names := make([]string, 0, len(d.dirty))
		for name := range d.dirty { // determinism: allowed (sorted below)
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			if !d.appendOnly[name] {
				continue
			}
			base := len(d.durable[name])
			tail := len(d.cur[name]) - base
			if tail < 2 {
				continue
			}
			keep := 1 + r.IntN(tail-1)
			d.durable[name] = d.cur[name][:base+keep]
			torn = append(torn, name)
		}
		d.tornArmed = false
	}
	d.cur = make(map[string][]byte, len(d.durable))
	for name, b := range d.durable { // determinism: allowed (copies each file independently)
		d.cur[name] = b[:len(b):len(b)]
	}
	clear(d.dirty)
	clear(d.appendOnly)
	return torn
}

// Durable returns the durable bytes of a file: what survives a crash now.
// The world uses it to scan disks; nodes use Read.
func (d *Disk) Durable(name string) ([]byte, bool) {
	b, ok := d.durable[name]
	return b, ok
}

// Size returns the total bytes in the current view.
func (d *Disk) Size() int {
	n := 0
	for _, b := range d.cur { // determinism: allowed (a sum)
		n += len(b)
	}
	return n
}
