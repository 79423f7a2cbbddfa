package mpc

import (
	"fmt"
	"io"
	"runtime"
	"sort"
	"sync"

	"github.com/bnb-chain/tss-lib/v2/tss"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/anypb"
)

// tssParty is the core of the tss adapter: one tss-lib party, fed
// synchronously. tss-lib hands its outgoing messages to a channel and starts
// goroutines inside some rounds (ECDSA signing rounds 2 and 3, keygen proof
// checks); every one of them is joined before the library call returns, so
// when Start or Deliver returns the library is finished with the message and
// the out channel holds everything the call produced. The channel is
// buffered for every message the party can ever send, so the library never
// blocks on it.
//
// What tss-lib does not do, the adapter does: it checks the sender belongs
// to the session, that the envelope's round matches the message type, and
// that each (sender, message type) slot is filled once (the library
// overwrites a slot on replay); it discards the party after the first
// error (the library panics if fed after one); and it recovers a panic in
// the library's synchronous code into a fault.
type tssParty struct {
	id    SessionID
	self  PartyID
	algo  Algo
	k     int
	table wireTable
	pids  tss.SortedPartyIDs // index i is id.Parties[i]

	// newParty builds the library party once the reader is known.
	newParty func(params *tss.Parameters, out chan<- tss.Message) tss.Party
	// finish polls the library's end channel: true once the result is in.
	finish func() (bool, error)

	party   tss.Party
	out     chan tss.Message
	seen    map[slot]bool // never ranged over
	pending []held
	trace   []Sent
	started bool
	done    bool
	err     error // the fault that aborted the session
}

type slot struct {
	from PartyID
	msg  string
}

type held struct {
	from PartyID
	spec msgSpec
	any  *anypb.Any
}

// newTSSParty builds the tss-lib party ids: each session party's key is its
// committee index plus one (partyKey), so the library's index order is the
// session's name order.
func newTSSParty(id SessionID, c Committee, self PartyID, table wireTable) *tssParty {
	ids := make(tss.UnSortedPartyIDs, len(id.Parties))
	for i, p := range id.Parties {
		ids[i] = tss.NewPartyID(string(p), string(p), partyKey(c.index(p)))
	}
	sorted := tss.SortPartyIDs(ids)
	for i, pid := range sorted {
		if PartyID(pid.Id) != id.Parties[i] {
			panic(fmt.Sprintf("mpc: tss party order %q != session order %q at %d", pid.Id, id.Parties[i], i))
		}
	}
	return &tssParty{id: id, self: self, algo: c.Algo, k: c.K, table: table, pids: sorted, seen: map[slot]bool{}}
}

// outMax bounds every message one party sends in the whole protocol.
func (p *tssParty) outMax() int {
	n := 1
	for _, spec := range p.table { // determinism: allowed (a sum: order cannot matter)
		if spec.broadcast {
			n++
		} else {
			n += len(p.pids) - 1
		}
	}
	return n
}

func (p *tssParty) Start(rnd io.Reader) ([]Out, error) {
	if p.err != nil {
		return nil, aborted(p.err)
	}
	if p.started {
		return nil, ErrStarted
	}
	if rnd == nil {
		return nil, fmt.Errorf("%w: nil reader", ErrBadRequest)
	}
	p.started = true
	rnd = &lockedReader{r: rnd}
	self := p.pids[p.id.index(p.self)]
	params := tss.NewParameters(curveOf(p.algo), tss.NewPeerContext(p.pids), self, len(p.pids), p.k-1)
	params.SetConcurrency(1)
	params.SetRand(rnd)
	params.SetPartialKeyRand(rnd)
	p.out = make(chan tss.Message, p.outMax())
	if err := p.call("", func() *tss.Error {
		p.party = p.newParty(params, p.out)
		return p.party.Start()
	}); err != nil {
		return nil, err
	}
	outs, err := p.drain()
	if err != nil {
		return nil, err
	}
	pending := p.pending
	p.pending = nil
	for _, h := range pending {
		o, err := p.feed(h)
		if err != nil {
			return nil, err
		}
		outs = append(outs, o...)
	}
	return outs, nil
}

func (p *tssParty) Deliver(from PartyID, round int, payload []byte) ([]Out, error) {
	if p.err != nil {
		return nil, aborted(p.err)
	}
	if from == p.self || p.id.index(from) < 0 {
		return nil, fmt.Errorf("%w: %q in %s", ErrNotInSession, from, p.id)
	}
	a := new(anypb.Any)
	if err := proto.Unmarshal(payload, a); err != nil {
		return nil, p.malformed(from, round, "payload is not a tss-lib message")
	}
	name := string(a.MessageName())
	spec, ok := p.table[name]
	if !ok {
		return nil, p.malformed(from, round, "message type "+name+" does not belong to this protocol")
	}
	if spec.round != round {
		return nil, fmt.Errorf("%w: %s from %s belongs to round %d, envelope says %d", ErrWrongRound, name, from, spec.round, round)
	}
	s := slot{from, name}
	if p.seen[s] {
		return nil, fmt.Errorf("%w: %s from %s", ErrDuplicate, name, from)
	}
	if p.done {
		return nil, fmt.Errorf("%w: %s from %s", ErrFinished, name, from)
	}
	p.seen[s] = true
	h := held{from, spec, a}
	if !p.started {
		p.pending = append(p.pending, h)
		return nil, nil
	}
	return p.feed(h)
}

func (p *tssParty) Trace() []Sent { return append([]Sent(nil), p.trace...) }

// feed hands one checked message to the library.
func (p *tssParty) feed(h held) ([]Out, error) {
	content, err := h.any.UnmarshalNew()
	if err != nil {
		return nil, p.malformed(h.from, h.spec.round, "message body does not decode")
	}
	mc, ok := content.(tss.MessageContent)
	if !ok {
		return nil, p.malformed(h.from, h.spec.round, "message body is not tss-lib content")
	}
	// Structural checks first, so a malformed message is treated alike
	// whichever layer notices it: named, not attributable. What the library
	// finds after this (a proof or commitment that does not verify) is.
	if !mc.ValidateBasic() {
		return nil, p.malformed(h.from, h.spec.round, "message fails its structural checks")
	}
	pid := p.pids[p.id.index(h.from)]
	wire := &tss.MessageWrapper{IsBroadcast: h.spec.broadcast, From: pid.MessageWrapper_PartyID, Message: h.any}
	msg := tss.NewMessage(tss.MessageRouting{From: pid, IsBroadcast: h.spec.broadcast}, mc, wire)
	if err := p.call(h.from, func() *tss.Error { _, e := p.party.Update(msg); return e }); err != nil {
		return nil, err
	}
	return p.drain()
}

// call runs one library entry point, turning its error or panic into a
// fault that discards the party.
func (p *tssParty) call(from PartyID, f func() *tss.Error) (err error) {
	defer func() {
		if r := recover(); r != nil {
			reason := "tss-lib panicked"
			if re, ok := r.(runtime.Error); ok {
				reason += ": " + re.Error()
			}
			var cs []PartyID
			if from != "" {
				cs = []PartyID{from}
			}
			err = p.fault(0, newBlame(p.self, cs, false, reason))
		}
	}()
	if e := f(); e != nil {
		return p.fault(e.Round(), p.blameOf(e))
	}
	return nil
}

// blameOf converts a library error. The library names culprits only for
// faults it verified (a failed proof, a bad commitment or share, an invalid
// message from that sender), so named culprits other than self are
// attributable.
func (p *tssParty) blameOf(e *tss.Error) Blame {
	var cs []PartyID
	for _, c := range e.Culprits() {
		if c != nil && p.id.index(PartyID(c.Id)) >= 0 {
			cs = append(cs, PartyID(c.Id))
		}
	}
	reason := "tss-lib error"
	if e.Cause() != nil {
		reason = e.Cause().Error()
	}
	return newBlame(p.self, cs, true, reason)
}

func (p *tssParty) malformed(from PartyID, round int, reason string) error {
	return p.fault(round, newBlame(p.self, []PartyID{from}, false, reason))
}

func (p *tssParty) fault(round int, b Blame) error {
	p.err = &FaultError{Session: p.id, Self: p.self, Round: round, Blame: b}
	p.party = nil
	p.out = nil
	p.pending = nil
	return p.err
}

// drain collects what the last library call sent, then polls for the result.
func (p *tssParty) drain() ([]Out, error) {
	var outs []Out
	for {
		select {
		case m := <-p.out:
			o, err := p.wrap(m)
			if err != nil {
				return nil, err
			}
			outs = append(outs, o)
		default:
			done, err := p.finish()
			if err != nil {
				return nil, p.fault(0, newBlame(p.self, nil, false, err.Error()))
			}
			p.done = done
			return outs, nil
		}
	}
}

func (p *tssParty) wrap(m tss.Message) (Out, error) {
	spec, ok := p.table[m.Type()]
	if !ok {
		panic(fmt.Sprintf("mpc: tss-lib sent %s, which is not in the wire table", m.Type()))
	}
	bz, routing, err := m.WireBytes()
	if err != nil {
		return Out{}, p.fault(spec.round, newBlame(p.self, nil, false, "encoding an outgoing message failed"))
	}
	if routing.IsBroadcast != spec.broadcast || routing.IsBroadcast != (routing.To == nil) {
		panic(fmt.Sprintf("mpc: tss-lib routed %s (broadcast %v) against the wire table", m.Type(), routing.IsBroadcast))
	}
	sent := Sent{Round: spec.round, From: p.self, Broadcast: spec.broadcast}
	var to []PartyID
	if spec.broadcast {
		sent.To = p.id.others(p.self)
	} else {
		for _, t := range routing.To {
			to = append(to, PartyID(t.Id))
		}
		sent.To = append([]PartyID(nil), to...)
		sort.Slice(sent.To, func(i, j int) bool { return sent.To[i] < sent.To[j] })
	}
	p.trace = append(p.trace, sent)
	return Out{To: to, Round: spec.round, Payload: bz}, nil
}

// lockedReader serializes reads: ECDSA signing rounds 2 and 3 run
// goroutines that share the party's reader, and a seeded stream such as
// math/rand/v2's ChaCha8 is not safe for concurrent use. The lock makes each
// read whole; which goroutine reads first is still the scheduler's choice
// (see doc.go, Determinism).
type lockedReader struct {
	mu sync.Mutex
	r  io.Reader
}

func (l *lockedReader) Read(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Read(b)
}
