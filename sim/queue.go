package sim

import (
	"container/heap"
	"time"

	"vaultdrill/system/env"
)

type evKind uint8

const (
	evDeliver evKind = iota + 1
	evTimer
	evCall
)

// event is one entry of the world's single queue, ordered by (at, seq).
type event struct {
	at      time.Duration
	seq     uint64
	kind    evKind
	to      env.NodeID
	from    env.NodeID
	payload []byte
	tag     string
	inc     uint64 // the incarnation a timer belongs to
	call    func()
	name    string // evCall: what it is, for the trace
}

type eventHeap []*event

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(*event)) }
func (h *eventHeap) Pop() any {
	old := *h
	n := len(old)
	e := old[n-1]
	old[n-1] = nil
	*h = old[:n-1]
	return e
}

func (w *World) push(e *event) {
	w.seq++
	e.seq = w.seq
	heap.Push(&w.q, e)
}
