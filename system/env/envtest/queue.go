package envtest

import (
	"container/heap"
	"time"
)

// Queue is an in-test host's event queue: events come out ordered by time,
// and events of the same time in the order they were pushed, so a host
// built on it is deterministic.
type Queue[E any] struct {
	h   queueHeap[E]
	seq uint64
}

type queueItem[E any] struct {
	at  time.Time
	seq uint64
	ev  E
}

type queueHeap[E any] []queueItem[E]

func (q queueHeap[E]) Len() int { return len(q) }
func (q queueHeap[E]) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q queueHeap[E]) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *queueHeap[E]) Push(x any)   { *q = append(*q, x.(queueItem[E])) }
func (q *queueHeap[E]) Pop() any {
	old := *q
	x := old[len(old)-1]
	*q = old[:len(old)-1]
	return x
}

// Push adds an event due at at.
func (q *Queue[E]) Push(at time.Time, ev E) {
	q.seq++
	heap.Push(&q.h, queueItem[E]{at: at, seq: q.seq, ev: ev})
}

// Len is the number of events waiting.
func (q *Queue[E]) Len() int { return len(q.h) }

// Next is when the earliest event is due; false when the queue is empty.
func (q *Queue[E]) Next() (time.Time, bool) {
	if len(q.h) == 0 {
		return time.Time{}, false
	}
	return q.h[0].at, true
}

// Pop removes and returns the earliest event. The queue must not be empty.
func (q *Queue[E]) Pop() E {
	return heap.Pop(&q.h).(queueItem[E]).ev
}
