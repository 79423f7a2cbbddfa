package history

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
)

// Observation is one fact of the observation stream: reported by a node
// through env.Observe, or seen by the world itself (the host's view of wires,
// disks and crashes). Fields marshal with sorted keys.
type Observation struct {
	V      int               `json:"v"`
	Time   int64             `json:"time"` // ns since the run's epoch
	Node   string            `json:"node"`
	Source string            `json:"source"` // "node" (reported) or "world" (seen)
	Kind   string            `json:"kind"`
	Fields map[string]string `json:"fields,omitempty"`
}

// ObsWriter appends observations as JSON Lines.
type ObsWriter struct {
	w   *bufio.Writer
	enc *json.Encoder
}

func NewObsWriter(w io.Writer) *ObsWriter {
	bw := bufio.NewWriter(w)
	return &ObsWriter{w: bw, enc: json.NewEncoder(bw)}
}

func (w *ObsWriter) Write(o Observation) error {
	o.V = Version
	return w.enc.Encode(o)
}

func (w *ObsWriter) Flush() error { return w.w.Flush() }

// ReadObservations parses an observation stream strictly.
func ReadObservations(r io.Reader) ([]Observation, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	var out []Observation
	line := 0
	for sc.Scan() {
		line++
		if len(sc.Bytes()) == 0 {
			continue
		}
		var o Observation
		dec := json.NewDecoder(bytesReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&o); err != nil {
			return nil, fmt.Errorf("observations: line %d: %v", line, err)
		}
		if dec.More() {
			return nil, fmt.Errorf("observations: line %d: text after the observation", line)
		}
		if o.V != Version {
			return nil, fmt.Errorf("observations: line %d: version %d, want %d", line, o.V, Version)
		}
		out = append(out, o)
	}
	return out, sc.Err()
}
