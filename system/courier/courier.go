package courier

import (
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"vaultdrill/system/env"
)

// MsgForward is the courier's one message type.
const MsgForward env.MsgType = 56

// ObsHop reports one carried message.
const ObsHop = "courier.hop"

// hopLog is the courier's durable record of every hop.
const hopLog = "courier/hops"

// Forward is one message in the courier's bag.
type Forward struct {
	From    env.NodeID `json:"from"`
	To      env.NodeID `json:"to"`
	Payload []byte     `json:"payload"`
}

// Encode frames a Forward for the wire.
func Encode(f Forward) []byte {
	b, err := json.Marshal(f)
	if err != nil {
		panic(fmt.Sprintf("courier: encode: %v", err))
	}
	return env.Encode(MsgForward, b)
}

// Decode parses a framed Forward; ok is false for anything else.
func Decode(payload []byte) (Forward, bool) {
	t, body, err := env.Decode(payload)
	if err != nil || t != MsgForward {
		return Forward{}, false
	}
	var f Forward
	if json.Unmarshal(body, &f) != nil {
		return Forward{}, false
	}
	return f, true
}

// Config configures the courier.
type Config struct {
	ID env.NodeID
	// Hop is the time one transfer takes (default 15 minutes).
	Hop time.Duration
	// Devices are the nodes the courier takes media from and to (the
	// cold signers and the wallets); anything else is refused.
	Devices []env.NodeID
	// BagMax bounds the messages in transit.
	BagMax int
}

// Node is the courier. It implements env.Node.
type Node struct {
	cfg  Config
	bag  map[uint64]Forward // in transit, by hop number
	hops uint64
}

// New builds a courier.
func New(cfg Config) *Node {
	if cfg.Hop <= 0 {
		cfg.Hop = 15 * time.Minute
	}
	if cfg.BagMax <= 0 {
		cfg.BagMax = 4096
	}
	return &Node{cfg: cfg}
}

func (n *Node) known(id env.NodeID) bool {
	for _, d := range n.cfg.Devices {
		if d == id {
			return true
		}
	}
	return false
}

func (n *Node) Step(e env.Env, in env.Input) {
	switch in.Kind {
	case env.InputStart:
		// What was in the bag at a crash is lost: senders time out and
		// retry, as with a courier who lost the media.
		n.bag = map[uint64]Forward{}
		recs, _ := e.Disk().Read(hopLog)
		all, _ := env.ReadRecords(recs)
		n.hops = uint64(len(all))
	case env.InputMessage:
		f, ok := Decode(in.Payload)
		if !ok || f.From != in.From || !n.known(in.From) || !n.known(f.To) || len(n.bag) >= n.cfg.BagMax {
			e.Observe(env.ObserveKV("courier.refused", "from", string(in.From), "to", string(f.To)))
			return
		}
		n.hops++
		n.bag[n.hops] = f
		e.After(n.cfg.Hop, "hop/"+strconv.FormatUint(n.hops, 10))
	case env.InputTimer:
		h, err := strconv.ParseUint(in.Tag[len("hop/"):], 10, 64)
		f, ok := n.bag[h]
		if err != nil || !ok {
			return
		}
		delete(n.bag, h)
		t, _, _ := env.Decode(f.Payload)
		rec, _ := json.Marshal(map[string]string{"hop": strconv.FormatUint(h, 10), "from": string(f.From), "to": string(f.To), "type": strconv.Itoa(int(t))})
		e.Disk().Append(hopLog, env.Record(rec))
		e.Disk().Sync()
		e.Observe(env.ObserveKV(ObsHop, "hop", strconv.FormatUint(h, 10), "from", string(f.From), "to", string(f.To), "type", strconv.Itoa(int(t))))
		e.Send(f.To, Encode(f))
	}
}
