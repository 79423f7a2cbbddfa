// Package envtest holds test helpers for packages under system/ that drive
// their nodes with a small in-test host (they may not import sim).
package envtest

import (
	"math/rand/v2"
	"sort"
	"strings"
)

// MemDisk implements env.Disk with the documented fault model: writes are
// volatile until Sync; Crash keeps the synced view and, when torn, a random
// proper prefix of each file's unsynced appended tail.
type MemDisk struct {
	durable, cur map[string][]byte
	dirty        map[string]bool
	appendOnly   map[string]bool
	syncs        int
}

// NewMemDisk returns an empty disk.
func NewMemDisk() *MemDisk {
	return &MemDisk{durable: map[string][]byte{}, cur: map[string][]byte{}, dirty: map[string]bool{}, appendOnly: map[string]bool{}}
}

func (d *MemDisk) Read(name string) ([]byte, bool) {
	b, ok := d.cur[name]
	return append([]byte(nil), b...), ok
}

func (d *MemDisk) Write(name string, data []byte) {
	d.cur[name] = append([]byte(nil), data...)
	d.dirty[name], d.appendOnly[name] = true, false
}

func (d *MemDisk) Append(name string, data []byte) {
	if !d.dirty[name] {
		d.appendOnly[name] = true
	}
	old := d.cur[name]
	d.cur[name] = append(old[:len(old):len(old)], data...)
	d.dirty[name] = true
}

func (d *MemDisk) Delete(name string) {
	delete(d.cur, name)
	d.dirty[name], d.appendOnly[name] = true, false
}

func (d *MemDisk) List(prefix string) []string {
	var out []string
	for name := range d.cur { // determinism: allowed (sorted or order-free)
		if strings.HasPrefix(name, prefix) {
			out = append(out, name)
		}
	}
	sort.Strings(out)
	return out
}

func (d *MemDisk) Sync() {
	for name := range d.dirty { // determinism: allowed (sorted or order-free)
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

// Durable returns what survives a crash now.
func (d *MemDisk) Durable(name string) []byte { return d.durable[name] }

// Syncs counts Sync calls.
func (d *MemDisk) Syncs() int { return d.syncs }

// Size is the total size of the current view.
func (d *MemDisk) Size() int {
	n := 0
	for _, b := range d.cur { // determinism: allowed (sorted or order-free)
		n += len(b)
	}
	return n
}

// Crash drops the volatile view; with torn, each file whose unsynced
// changes were only appends keeps a random proper prefix of that tail. It
// returns the torn files, sorted.
func (d *MemDisk) Crash(torn bool, r *rand.Rand) (tornFiles []string) {
	if torn {
		var names []string
		for name := range d.dirty { // determinism: allowed (sorted or order-free)
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			base, tail := len(d.durable[name]), len(d.cur[name])-len(d.durable[name])
			if !d.appendOnly[name] || tail < 2 {
				continue
			}
			d.durable[name] = d.cur[name][:base+1+r.IntN(tail-1)]
			tornFiles = append(tornFiles, name)
		}
	}
	d.cur = map[string][]byte{}
	for name, b := range d.durable { // determinism: allowed (sorted or order-free)
		d.cur[name] = b
	}
	clear(d.dirty)
	clear(d.appendOnly)
	return tornFiles
}
