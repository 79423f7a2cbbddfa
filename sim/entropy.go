package sim

import (
	crand "crypto/rand" // determinism: allowed (this file installs the router)
	"io"
	"sync"
	"sync/atomic"
)

// The process-wide crypto/rand router. Libraries the nodes use (etcd raft's
// election jitter, later tss-lib) read crypto/rand.Reader directly; the sim
// routes every such read to the stream of the node currently stepping, and a
// read outside any step panics, so a stray read is a loud bug instead of
// silent nondeterminism. Because the router is process-wide, one process
// runs one simulation at a time.

type router struct {
	cur atomic.Pointer[readerBox]
}

// readerBox guards a node's stream: libraries (tss-lib) may read the global
// reader from goroutines of their own inside a step.
type readerBox struct {
	mu sync.Mutex
	r  io.Reader
}

func (r *router) Read(p []byte) (int, error) {
	b := r.cur.Load()
	if b == nil {
		panic("sim: crypto/rand read outside a node step (a library or harness code reached for global randomness)")
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.r.Read(p)
}

var (
	theRouter   = &router{}
	installOnce sync.Once
)

// installRouter replaces crypto/rand.Reader once per process.
func installRouter() {
	installOnce.Do(func() { crand.Reader = theRouter })
}

// routeTo points crypto/rand at a node's stream for the duration of a step;
// nil closes it.
func routeTo(b *readerBox) { theRouter.cur.Store(b) }
