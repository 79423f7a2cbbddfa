package ledger

import (
	"encoding/binary"
	"errors"
	"fmt"

	"vaultdrill/system/api"
	"vaultdrill/system/env"
)

// commandVersion is the first byte of every command. A replica panics on a
// committed command of a version it does not know: the log is shared, so
// guessing would let replicas diverge.
const commandVersion byte = 1

// Op codes inside a command. Only writes travel through the log; reads are
// answered through ReadIndex.
const (
	opDeposit  byte = 1
	opWithdraw byte = 2
)

// errCommand is wrapped by every command decoding error.
var errCommand = errors.New("ledger: bad command")

// command is one write as it sits in the raft log. Everything the state
// machine needs to apply it deterministically is inside: in particular the
// proposal time, so idempotency keys expire identically on every replica.
type command struct {
	Op      byte
	Account string
	Amount  int64
	IdemKey string
	// Time is the proposing leader's clock (e.Now) in Unix nanoseconds.
	Time int64
	// Proposer, Incarnation and Seq name the proposal, so the replica that
	// proposed it (in the same incarnation) finds the waiting client.
	Proposer    env.NodeID
	Incarnation uint64
	Seq         uint64
	// Client and RequestID echo the client's request, for the reply.
	Client    env.NodeID
	RequestID uint64
}

func opCode(op api.Op) (byte, bool) {
	switch op {
	case api.OpDeposit:
		return opDeposit, true
	case api.OpWithdraw:
		return opWithdraw, true
	}
	return 0, false
}

func opName(code byte) string {
	switch code {
	case opDeposit:
		return string(api.OpDeposit)
	case opWithdraw:
		return string(api.OpWithdraw)
	}
	return fmt.Sprintf("op-%d", code)
}

// encode lays a command out as: version, op, then varints (amount, time,
// incarnation, seq, request id) and length-prefixed strings (account, idem
// key, proposer, client). The encoding is canonical: one command, one byte
// string, which the apply digest relies on.
func (c command) encode() []byte {
	b := make([]byte, 0, 48+len(c.Account)+len(c.IdemKey)+len(c.Proposer)+len(c.Client))
	b = append(b, commandVersion, c.Op)
	b = binary.AppendVarint(b, c.Amount)
	b = binary.AppendVarint(b, c.Time)
	b = binary.AppendUvarint(b, c.Incarnation)
	b = binary.AppendUvarint(b, c.Seq)
	b = binary.AppendUvarint(b, c.RequestID)
	for _, s := range []string{c.Account, c.IdemKey, string(c.Proposer), string(c.Client)} {
		b = binary.AppendUvarint(b, uint64(len(s)))
		b = append(b, s...)
	}
	return b
}

// decodeCommand parses what encode wrote and rejects anything else,
// including trailing bytes and unknown op codes.
func decodeCommand(b []byte) (command, error) {
	var c command
	r := reader{b: b}
	if v := r.byte(); v != commandVersion {
		return c, fmt.Errorf("%w: version %d", errCommand, v)
	}
	c.Op = r.byte()
	c.Amount = r.varint()
	c.Time = r.varint()
	c.Incarnation = r.uvarint()
	c.Seq = r.uvarint()
	c.RequestID = r.uvarint()
	c.Account = r.string()
	c.IdemKey = r.string()
	c.Proposer = env.NodeID(r.string())
	c.Client = env.NodeID(r.string())
	if r.err != nil {
		return command{}, r.err
	}
	if len(r.b) != 0 {
		return command{}, fmt.Errorf("%w: %d trailing bytes", errCommand, len(r.b))
	}
	if c.Op != opDeposit && c.Op != opWithdraw {
		return command{}, fmt.Errorf("%w: op %d", errCommand, c.Op)
	}
	return c, nil
}

// reader consumes a byte string front to back; the first error sticks and
// every later read returns a zero value.
type reader struct {
	b   []byte
	err error
}

func (r *reader) fail(what string) {
	if r.err == nil {
		r.err = fmt.Errorf("%w: short or malformed %s", errCommand, what)
	}
	r.b = nil
}

func (r *reader) byte() byte {
	if r.err != nil || len(r.b) < 1 {
		r.fail("byte")
		return 0
	}
	v := r.b[0]
	r.b = r.b[1:]
	return v
}

func (r *reader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail("varint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail("uvarint")
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *reader) bytes(n uint64) []byte {
	if r.err != nil || n > uint64(len(r.b)) {
		r.fail("bytes")
		return nil
	}
	v := r.b[:n]
	r.b = r.b[n:]
	return v
}

func (r *reader) string() string {
	n := r.uvarint()
	return string(r.bytes(n))
}
