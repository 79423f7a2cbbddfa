package wallet

import (
	"encoding/json"
	"errors"
	"strconv"
	"strings"
	"time"

	"vaultdrill/system/access"
	"vaultdrill/system/env"
	"vaultdrill/system/geo"
)

// The access journal: what this node's gateway decided that every gateway
// must know (access/share.go): an allowed login's place and time, a
// device registered, a second factor changed, an API key created or
// revoked, a lockout, a secondary verification. Each such fact is
// appended to this node's disk (synced) and sent to the other regions'
// wallet nodes, which apply it to their gateways and keep it too; a
// restarted node replays its journal into its fresh gateway. Without it,
// an attacker who logs in, changes the phone number or gets a key locked
// at one region starts clean at the next, and a crash undoes a lockout.
//
// Sharing is best effort: a peer cut off when the fact was sent does not
// get it later (no anti-entropy), and a rate window is still per gateway.

// MsgAccessShare carries one AccessEvent to a peer wallet node.
const MsgAccessShare env.MsgType = 82

// AccessEvent is one shared gateway fact. At and Until are nanoseconds
// since env.Epoch on the clock of the node that decided.
type AccessEvent struct {
	Kind   string `json:"kind"` // login, lock, verified, device, factor, key, revoke
	User   string `json:"user,omitempty"`
	Key    string `json:"key,omitempty"`
	Scopes string `json:"scopes,omitempty"`
	Device string `json:"device,omitempty"`
	What   string `json:"what,omitempty"` // lock: pin, otp, apikey
	At     int64  `json:"at"`
	Until  int64  `json:"until,omitempty"`
	Known  bool   `json:"known,omitempty"`
	LatE6  int32  `json:"lat_e6,omitempty"`
	LonE6  int32  `json:"lon_e6,omitempty"`
}

const accessJournal = "access/journal"

// locksOf lists the lockouts among a decision's facts.
func locksOf(facts []env.Observation, now int64) []AccessEvent {
	var out []AccessEvent
	for _, f := range facts {
		if f.Kind == "access.lock" {
			until, _ := strconv.ParseInt(f.Fields["until"], 10, 64)
			out = append(out, AccessEvent{Kind: "lock", User: f.Fields["user"], What: f.Fields["what"], At: now, Until: until})
		}
	}
	return out
}

// sharedOf lists what a final gateway decision tells the other gateways.
func sharedOf(req access.Request, d access.Decision, now int64) []AccessEvent {
	out := locksOf(d.Facts, now)
	if !d.Allowed() {
		return out
	}
	switch {
	case req.Kind == access.KindLogin:
		out = append(out, AccessEvent{Kind: "login", User: req.User, At: now, Known: req.Geo.Known, LatE6: req.Geo.LatE6, LonE6: req.Geo.LonE6})
	case req.Kind == access.KindOTP:
		out = append(out, AccessEvent{Kind: "verified", User: req.User, At: now})
	case req.Op == access.OpSetting && len(req.Params) == 3:
		if req.Params[1] == access.SettingDevice {
			out = append(out, AccessEvent{Kind: "device", User: req.Params[0], Device: req.Params[2], At: now})
		} else if req.Params[1] == access.SettingPhone || req.Params[1] == access.SettingSecondFactor {
			out = append(out, AccessEvent{Kind: "factor", User: req.Params[0], At: now})
		}
	case req.Op == access.OpAPIKeyCreate && len(req.Params) == 3:
		out = append(out, AccessEvent{Kind: "key", User: req.Params[0], Key: req.Params[1], Scopes: req.Params[2], At: now})
	case req.Op == access.OpAPIKeyRevoke && len(req.Params) == 3:
		out = append(out, AccessEvent{Kind: "revoke", Key: req.Params[1], At: now})
	}
	return out
}

// share journals this node's events and sends them to the peers.
func (n *Node) share(e env.Env, evs []AccessEvent) {
	if len(evs) == 0 {
		return
	}
	n.journal(e, evs)
	for _, ev := range evs {
		msg := encode(MsgAccessShare, ev)
		for _, p := range n.cfg.AuditTrail.Peers {
			if p != n.cfg.ID {
				e.Send(p, msg)
			}
		}
	}
}

func (n *Node) journal(e env.Env, evs []AccessEvent) {
	var b []byte
	for _, ev := range evs {
		line, _ := json.Marshal(ev)
		b = append(append(b, line...), '\n')
	}
	e.Disk().Append(accessJournal, b)
	e.Disk().Sync()
}

// accessShared applies a peer's event and keeps it.
func (n *Node) accessShared(e env.Env, from env.NodeID, payload []byte) {
	var ev AccessEvent
	if n.gw == nil || !hasNode(n.cfg.AuditTrail.Peers, from) || from == n.cfg.ID || !Decode(payload, MsgAccessShare, &ev) {
		return
	}
	if err := n.applyShared(ev); err != nil {
		e.Observe(env.ObserveKV("wallet.access_share", "from", string(from), "kind", ev.Kind, "err", err.Error()))
		return
	}
	n.journal(e, []AccessEvent{ev})
}

// replayJournal applies, at start, every event this node kept.
func (n *Node) replayJournal(e env.Env) {
	raw, _ := e.Disk().Read(accessJournal)
	for _, line := range strings.Split(string(raw), "\n") {
		var ev AccessEvent
		if line == "" || json.Unmarshal([]byte(line), &ev) != nil {
			continue // a torn last line: that event was not synced
		}
		n.applyShared(ev)
	}
}

func (n *Node) applyShared(ev AccessEvent) error {
	g := n.gw
	at, until := env.Epoch.Add(time.Duration(ev.At)), env.Epoch.Add(time.Duration(ev.Until))
	var err error
	switch ev.Kind {
	case "login":
		err = g.NoteLogin(ev.User, geo.Point{Known: ev.Known, LatE6: ev.LatE6, LonE6: ev.LonE6}, at)
	case "lock":
		err = g.RestoreLock(ev.User, ev.What, at, until)
	case "verified":
		err = g.NoteVerified(ev.User, at)
	case "device":
		err = g.AddDevice(ev.User, ev.Device)
	case "factor":
		err = g.NoteFactorChange(at, ev.User)
	case "key":
		scopes, ok := access.ParseKeyScopes(ev.Scopes)
		if !ok {
			return errors.New("wallet: shared key with scopes " + ev.Scopes)
		}
		_, err = g.AddAPIKey(access.KeySpec{ID: ev.Key, User: ev.User, Scopes: scopes})
	case "revoke":
		err = g.TombstoneAPIKey(ev.Key)
	default:
		return errors.New("wallet: shared access event " + ev.Kind)
	}
	if errors.Is(err, access.ErrExists) {
		return nil // known already (a key, a device): nothing to apply
	}
	return err
}
