package access

import "container/list"

// lru is a map bounded at max entries: adding one more forgets the least
// recently touched (got or put). Order lives in the list, never in the
// map, so eviction is deterministic.
type lru[V any] struct {
	max   int
	order *list.List // front: most recent; values are *lruEntry[V]
	m     map[string]*list.Element
}

type lruEntry[V any] struct {
	key string
	val V
}

func newLRU[V any](max int) *lru[V] {
	return &lru[V]{max: max, order: list.New(), m: map[string]*list.Element{}}
}

// get returns the value under k and touches it.
func (l *lru[V]) get(k string) (V, bool) {
	e, ok := l.m[k]
	if !ok {
		var zero V
		return zero, false
	}
	l.order.MoveToFront(e)
	return e.Value.(*lruEntry[V]).val, true
}

// put stores v under k, touching it, and evicts beyond the bound.
func (l *lru[V]) put(k string, v V) {
	if e, ok := l.m[k]; ok {
		e.Value.(*lruEntry[V]).val = v
		l.order.MoveToFront(e)
		return
	}
	l.m[k] = l.order.PushFront(&lruEntry[V]{k, v})
	for l.order.Len() > l.max {
		last := l.order.Back()
		l.order.Remove(last)
		delete(l.m, last.Value.(*lruEntry[V]).key)
	}
}

func (l *lru[V]) len() int { return l.order.Len() }
