package mpc

import (
	"errors"
	"fmt"
	"io"
)

// Member is one party of an in-process run: its id, its protocol instance
// and the reader its Start gets.
type Member struct {
	ID    PartyID
	Proto Protocol
	Rand  io.Reader
}

// Envelope is one message in flight in an in-process run.
type Envelope struct {
	From, To PartyID
	Round    int
	Payload  []byte
}

// LocalOptions tune RunLocal.
type LocalOptions struct {
	// Intercept sees every envelope before delivery; it may change it
	// (tamper) or return false to drop it. Nil delivers everything.
	Intercept func(e *Envelope) bool
	// Stop, when it returns true between deliveries, ends the run with
	// ErrLocalStopped (an interrupted ceremony).
	Stop func() bool
	// DeliveriesMax bounds the run; zero means 100000.
	DeliveriesMax int
}

// ErrLocalStopped is returned when LocalOptions.Stop ended a run.
var ErrLocalStopped = errors.New("mpc: local run stopped")

// LocalError names the member whose Start or Deliver failed.
type LocalError struct {
	Party PartyID
	Err   error
}

func (e *LocalError) Error() string { return fmt.Sprintf("mpc: party %s: %v", e.Party, e.Err) }
func (e *LocalError) Unwrap() error { return e.Err }

// RunLocal runs all members of one protocol attempt in this goroutine,
// exchanging messages in memory: members start in order, then messages are
// delivered first in, first out, a broadcast expanded to every other member
// in member order. The order is a function of the members alone, so a run
// with seeded readers is reproducible. It returns when no message is left
// (every member done, or stalled waiting for a member that is not there)
// or at the first error.
func RunLocal(members []Member, opt LocalOptions) error {
	max := opt.DeliveriesMax
	if max == 0 {
		max = 100000
	}
	byID := make(map[PartyID]int, len(members))
	for i, m := range members {
		if _, dup := byID[m.ID]; dup {
			return fmt.Errorf("%w: member %q twice", ErrBadRequest, m.ID)
		}
		byID[m.ID] = i
	}
	var queue []Envelope
	post := func(from PartyID, outs []Out) {
		for _, o := range outs {
			if o.To == nil {
				for _, m := range members {
					if m.ID != from {
						queue = append(queue, Envelope{From: from, To: m.ID, Round: o.Round, Payload: o.Payload})
					}
				}
				continue
			}
			for _, to := range o.To {
				queue = append(queue, Envelope{From: from, To: to, Round: o.Round, Payload: o.Payload})
			}
		}
	}
	for _, m := range members {
		outs, err := m.Proto.Start(m.Rand)
		if err != nil {
			return &LocalError{Party: m.ID, Err: err}
		}
		post(m.ID, outs)
	}
	for n := 0; len(queue) > 0; n++ {
		if n >= max {
			return fmt.Errorf("mpc: local run exceeded %d deliveries", max)
		}
		if opt.Stop != nil && opt.Stop() {
			return ErrLocalStopped
		}
		e := queue[0]
		queue = queue[1:]
		if opt.Intercept != nil && !opt.Intercept(&e) {
			continue
		}
		i, ok := byID[e.To]
		if !ok {
			continue // addressed to a party that is not running: lost
		}
		outs, err := members[i].Proto.Deliver(e.From, e.Round, e.Payload)
		if err != nil {
			return &LocalError{Party: e.To, Err: err}
		}
		post(e.To, outs)
	}
	return nil
}
