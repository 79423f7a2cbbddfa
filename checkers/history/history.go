package history

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// Version is the history format version written in every line.
const Version = 1

// Kind is what a history line records.
type Kind string

const (
	Invoke Kind = "invoke"
	OK     Kind = "ok"   // the operation happened (or a read saw the state)
	Fail   Kind = "fail" // the operation definitely did not happen
	Info   Kind = "info" // outcome unknown (timeout, lost connection)
	// Fault is a nemesis action (injection or heal), recorded in the same
	// timeline so RTO and fault windows can be read off the history.
	Fault Kind = "fault"
)

// NemesisProcess is the process id of fault lines.
const NemesisProcess = -1

// Event is one line of a history: an invoke, its completion, or a fault.
// A completion belongs to the last invoke of the same process; a process
// never has two operations outstanding, and a process that got Info is
// retired (its client continues under a new process id).
type Event struct {
	V       int    `json:"v"`
	Kind    Kind   `json:"kind"`
	Process int    `json:"process"`
	Op      string `json:"op"`            // deposit, withdraw, balance; fault kind for Fault
	Key     string `json:"key,omitempty"` // partition key: the account
	// Value: the amount of a write (invoke and completion).
	Value int64 `json:"value,omitempty"`
	// Result: the balance a read saw (ok completions of balance).
	Result *int64 `json:"result,omitempty"`
	// Refused: a withdrawal refused for insufficient funds (an ok completion:
	// a definite outcome that constrains the state).
	Refused bool   `json:"refused,omitempty"`
	Idem    string `json:"idem,omitempty"`
	Node    string `json:"node,omitempty"`  // the node the client talked to last
	Error   string `json:"error,omitempty"` // why fail/info
	Detail  string `json:"detail,omitempty"`
	// Time: nanoseconds since the run's epoch (virtual time in sim).
	Time int64 `json:"time"`
}

// At returns the event's time as a duration since the run's epoch.
func (e Event) At() time.Duration { return time.Duration(e.Time) }

// Writer appends events as JSON Lines.
type Writer struct {
	w   *bufio.Writer
	enc *json.Encoder
	n   int
}

// NewWriter writes to w; call Flush at the end.
func NewWriter(w io.Writer) *Writer {
	bw := bufio.NewWriter(w)
	return &Writer{w: bw, enc: json.NewEncoder(bw)}
}

// Write appends one event, filling in the version.
func (w *Writer) Write(e Event) error {
	e.V = Version
	w.n++
	return w.enc.Encode(e)
}

// Flush writes buffered lines.
func (w *Writer) Flush() error { return w.w.Flush() }

// Read parses a history, strictly: an unknown field, a version other than
// Version or a malformed line is an error naming the line.
func Read(r io.Reader) ([]Event, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	var out []Event
	line := 0
	for sc.Scan() {
		line++
		if len(sc.Bytes()) == 0 {
			continue
		}
		var e Event
		dec := json.NewDecoder(bytesReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&e); err != nil {
			return nil, fmt.Errorf("history: line %d: %v", line, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("history: line %d: text after the event", line)
		}
		if e.V != Version {
			return nil, fmt.Errorf("history: line %d: version %d, want %d", line, e.V, Version)
		}
		switch e.Kind {
		case Invoke, OK, Fail, Info, Fault:
		default:
			return nil, fmt.Errorf("history: line %d: unknown kind %q", line, e.Kind)
		}
		out = append(out, e)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("history: line %d: %v", line+1, err)
	}
	return out, nil
}

// Op is an invoke paired with its completion.
type Op struct {
	Process int
	Invoke  Event
	// Done is the completion; Kind Info when the history ended first.
	Done Event
	// InvokeIdx and DoneIdx are line indexes in the history (0-based);
	// DoneIdx is -1 when the operation never completed.
	InvokeIdx, DoneIdx int
}

// Pair matches invokes with completions by process. An invoke with no
// completion becomes Info at the history's end.
func Pair(events []Event) ([]Op, error) {
	open := map[int]int{} // process -> index into ops
	ops := make([]Op, 0, len(events)/2+1)
	var last int64
	for i, e := range events {
		if e.Time > last {
			last = e.Time
		}
		switch e.Kind {
		case Fault:
			continue
		case Invoke:
			if _, busy := open[e.Process]; busy {
				return nil, fmt.Errorf("history: event %d: process %d invoked twice", i, e.Process)
			}
			open[e.Process] = len(ops)
			ops = append(ops, Op{Process: e.Process, Invoke: e, InvokeIdx: i, DoneIdx: -1})
		default:
			j, ok := open[e.Process]
			if !ok {
				return nil, fmt.Errorf("history: event %d: completion for process %d with nothing invoked", i, e.Process)
			}
			delete(open, e.Process)
			ops[j].Done = e
			ops[j].DoneIdx = i
		}
	}
	for _, j := range open {
		d := ops[j].Invoke
		d.Kind = Info
		d.Time = last
		d.Error = "history ended"
		ops[j].Done = d
	}
	return ops, nil
}
