package risk

import (
	"slices"
	"time"

	"vaultdrill/system/geo"
)

// Engine scores operations against the history of what it was shown. It
// is a plain value owned by one caller: Assess reads the history, Record
// adds to it, and neither reads a clock (time is Event.Time).
type Engine struct {
	cfg   Config
	w     Weights
	users map[string]*userHist
	accts map[string]*acctHist
	seq   uint64 // activity counter: the least recently active subject is forgotten first
}

type flow struct {
	at      time.Time
	amount  int64
	peer    string // destination of a withdrawal, sender of a deposit
	refused bool   // limited or frozen: it moved no funds
	near    bool   // just under the reporting threshold
}

type userHist struct {
	wds     []flow   // the user's withdrawals, oldest first
	addrs   []string // destinations of the user's allowed withdrawals, oldest first
	lastGeo Point    // where the user's last allowed operation came from
	active  uint64
}

type acctHist struct {
	deps   []flow // deposits into the account
	wds    []flow // withdrawals from it
	active uint64
}

// NewEngine builds an engine; cfg is completed with WithDefaults and must
// validate.
func NewEngine(cfg Config) (*Engine, error) {
	cfg = cfg.WithDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	return &Engine{cfg: cfg, w: *cfg.Weights, users: map[string]*userHist{}, accts: map[string]*acctHist{}}, nil
}

// Config is the engine's configuration, defaults filled in.
func (e *Engine) Config() Config { return e.cfg }

func within(at, now time.Time, w time.Duration) bool {
	return !at.After(now) && at.After(now.Add(-w))
}

func (e *Engine) near(amount int64) bool {
	t := e.cfg.ReportThreshold
	return amount < t && amount >= t-mulDiv(t, e.cfg.StructuringMargin, 1000)
}

// Assess scores ev against the history without changing it.
func (e *Engine) Assess(ev Event) Assessment {
	c, w := e.cfg, e.w
	u, a := e.users[ev.User], e.accts[ev.Account]
	if u == nil {
		u = &userHist{}
	}
	if a == nil {
		a = &acctHist{}
	}
	T := ev.Time
	wd := ev.Op == OpWithdraw
	feats := make([]Feature, 0, len(FeatureNames))
	score := 0
	add := func(name string, value int64, known bool, level, weight int) {
		p := weight * level / LevelMax
		feats = append(feats, Feature{Name: name, Value: value, Known: known, Level: level, Points: p})
		score += p
	}
	var out Assessment

	// Velocity: attempts count (trying is the signal), refused amounts
	// moved nothing so they do not add to the sum.
	var count, sum int64
	if wd {
		count, sum = 1, ev.Amount
		for _, f := range u.wds {
			if within(f.at, T, c.VelocityWindow) {
				count++
				if !f.refused {
					sum = addSat(sum, f.amount)
				}
			}
		}
		switch {
		case count > int64(c.VelocityCountMax):
			out.Limited = "velocity count"
		case sum > c.VelocitySumMax:
			out.Limited = "velocity sum"
		}
	}
	add(FeatVelocityCount, count, true, rise(count, int64(c.VelocityCountFree), int64(c.VelocityCountMax)), w.VelocityCount)
	add(FeatVelocitySum, sum, true, rise(sum, c.VelocitySumMax/2, c.VelocitySumMax), w.VelocitySum)

	// Amount against the user's own history; with too little of it,
	// against the configured large amount (half the level: no history is
	// itself weak evidence).
	var past []int64
	for _, f := range u.wds {
		if !f.refused {
			past = append(past, f.amount)
		}
	}
	if wd && len(past) >= c.HistoryMin {
		slices.Sort(past)
		ratio := mulDiv(ev.Amount, 100, max(past[len(past)/2], 1))
		add(FeatAmountRatio, ratio, true, rise(ratio, c.RatioFree*100, c.RatioMax*100), w.AmountRatio)
	} else {
		lvl := 0
		if wd && ev.Amount >= c.LargeAmount {
			lvl = LevelMax / 2
		}
		add(FeatAmountRatio, 0, false, lvl, w.AmountRatio)
	}

	add(FeatNewDevice, flag(ev.DeviceNew), true, int(flag(ev.DeviceNew))*LevelMax, w.NewDevice)
	newAddr := wd && !slices.Contains(u.addrs, ev.Address)
	add(FeatNewAddress, flag(newAddr), true, int(flag(newAddr))*LevelMax, w.NewAddress)

	// Geography: the nearer of home and the last place seen, so a trip
	// counts once, at its first operation, and not for every one after.
	if km, ok := e.geoKm(ev, u); ok {
		add(FeatGeoKm, km, true, rise(km, c.GeoFreeKm, c.GeoMaxKm), w.Geo)
	} else {
		add(FeatGeoKm, 0, false, 0, w.Geo)
	}

	age := max(ev.AccountAge, 0)
	days := int64(age / (24 * time.Hour))
	add(FeatAccountAge, days, true, LevelMax-rise(int64(age), int64(24*time.Hour), int64(c.AgeMature)), w.AccountAge)

	taint := int64(ev.TaintHops)
	tl := 0
	if taint >= 1 {
		tl = max(0, LevelMax-int(min(taint-1, 10))*300)
	}
	add(FeatTaintHops, taint, true, tl, w.Taint)
	peel := int64(ev.PeelHops)
	add(FeatPeelHops, peel, true, rise(peel, 0, int64(c.PeelHops)), w.Peel)

	// Deposit-then-withdraw: how soon, and how much of what came in.
	var lastDep time.Time
	var depIn, wdOut int64
	for _, f := range a.deps {
		if !f.at.After(T) && f.at.After(lastDep) {
			lastDep = f.at
		}
		if within(f.at, T, c.RapidWindow) {
			depIn = addSat(depIn, f.amount)
		}
	}
	if wd && !lastDep.IsZero() {
		delay := T.Sub(lastDep)
		add(FeatDepositDelay, int64(delay/time.Second), true, LevelMax-rise(int64(delay), int64(10*time.Minute), int64(24*time.Hour)), w.DepositDelay)
	} else {
		add(FeatDepositDelay, 0, false, 0, w.DepositDelay)
	}
	rapid := false
	if wd && depIn > 0 {
		wdOut = ev.Amount
		for _, f := range a.wds {
			if !f.refused && within(f.at, T, c.RapidWindow) {
				wdOut = addSat(wdOut, f.amount)
			}
		}
		io := mulDiv(wdOut, 1000, depIn)
		// Pass-through: about what came in (not a withdrawal of older
		// funds, which would be hundreds of times the deposits), out to
		// a destination the user never used.
		rapid = io >= c.RapidPermille && io <= c.RapidCeilPermille && newAddr
		add(FeatInOut, io, true, rise(io, 500, c.RapidPermille), w.InOut)
	} else {
		add(FeatInOut, 0, false, 0, w.InOut)
	}
	drain := false
	if wd && ev.Balance > 0 {
		d := mulDiv(ev.Amount, 1000, ev.Balance)
		drain = d >= c.DrainPermille && ev.AccountAge < c.DrainAge
		add(FeatDrain, d, true, rise(d, 500, 1000), w.Drain)
	} else {
		add(FeatDrain, 0, false, 0, w.Drain)
	}

	// Structuring: amounts just under the reporting threshold, per user for
	// withdrawals and per account for deposits.
	thisNear := e.near(ev.Amount)
	nearN := flag(thisNear)
	hist := u.wds
	if !wd {
		hist = a.deps
	}
	for _, f := range hist {
		if f.near && within(f.at, T, c.StructuringWindow) {
			nearN++
		}
	}
	add(FeatNearThreshold, nearN, true, rise(nearN, 1, int64(c.StructuringCount)), w.NearThreshold)

	var senders int64
	if !wd {
		seen := []string{ev.Address}
		for _, f := range a.deps {
			if within(f.at, T, c.SmurfWindow) && !slices.Contains(seen, f.peer) {
				seen = append(seen, f.peer)
			}
		}
		senders = int64(len(seen))
	}
	add(FeatSenders, senders, true, rise(senders, 2, int64(c.SmurfSenders)), w.Senders)

	out.Features = feats
	out.Score = min(score, ScoreMax)
	switch {
	case out.Score >= c.FreezeAt:
		out.Action = ActionFreeze
	case out.Score >= c.HoldAt:
		out.Action = ActionHold
	default:
		out.Action = ActionAllow
	}
	match := map[Typology]bool{
		TypologyMixer:           taint >= 1 && taint <= int64(c.MixerHops),
		TypologyPeelChain:       peel >= int64(c.PeelHops),
		TypologyStructuring:     thisNear && nearN >= int64(c.StructuringCount),
		TypologySmurfing:        !wd && senders >= int64(c.SmurfSenders),
		TypologyRapidInOut:      rapid,
		TypologyNewAccountDrain: drain,
	}
	for _, t := range Typologies {
		if match[t] {
			out.Typologies = append(out.Typologies, t)
			out.Action = worse(out.Action, c.action(t))
		}
	}
	if len(out.Typologies) > 0 {
		out.Typology = out.Typologies[0]
	}
	if out.Limited != "" {
		out.Action = worse(out.Action, ActionLimit)
	}
	if !wd && out.Action == ActionLimit {
		// A deposit is already on chain: it cannot be refused, only held.
		out.Action = ActionHold
	}
	return out
}

func (e *Engine) geoKm(ev Event, u *userHist) (int64, bool) {
	if !ev.Geo.Known {
		return 0, false
	}
	best, ok := int64(0), false
	for _, p := range []Point{ev.Home, u.lastGeo} {
		if p.Known {
			if d := geo.DistanceKm(p, ev.Geo); !ok || d < best {
				best, ok = d, true
			}
		}
	}
	return best, ok
}

// Record adds ev, decided with action, to the history: a limited or
// frozen withdrawal moved no funds, so it counts as an attempt only. Only
// an allowed operation makes its destination and its place familiar: a
// held one may yet be refused, and an attacker must not be able to make
// a new address or a new country look known by trying twice.
func (e *Engine) Record(ev Event, action Action) {
	e.seq++
	refused := action == ActionLimit || action == ActionFreeze
	f := flow{at: ev.Time, amount: ev.Amount, peer: ev.Address, refused: refused && ev.Op == OpWithdraw, near: e.near(ev.Amount)}
	u := e.users[ev.User]
	if u == nil {
		u = &userHist{}
		e.users[ev.User] = u
	}
	a := e.accts[ev.Account]
	if a == nil {
		a = &acctHist{}
		e.accts[ev.Account] = a
	}
	u.active, a.active = e.seq, e.seq
	keep := e.cfg.HistoryMax
	if ev.Op == OpWithdraw {
		u.wds = appendBounded(u.wds, f, keep)
		a.wds = appendBounded(a.wds, f, keep)
		if action == ActionAllow && !slices.Contains(u.addrs, ev.Address) {
			u.addrs = appendBounded(u.addrs, ev.Address, keep)
		}
	} else {
		a.deps = appendBounded(a.deps, f, keep)
	}
	if ev.Geo.Known && action == ActionAllow {
		u.lastGeo = ev.Geo
	}
	evictOldest(e.users, e.cfg.SubjectsMax, func(h *userHist) uint64 { return h.active })
	evictOldest(e.accts, e.cfg.SubjectsMax, func(h *acctHist) uint64 { return h.active })
}

func appendBounded[T any](s []T, v T, keep int) []T {
	s = append(s, v)
	if len(s) > keep {
		s = slices.Delete(s, 0, len(s)-keep)
	}
	return s
}

// evictOldest forgets the least recently active entry while m is over its
// bound. Activity counters are unique, so the minimum does not depend on
// the order the map is walked in.
func evictOldest[H any](m map[string]H, bound int, active func(H) uint64) {
	for len(m) > bound {
		var oldest string
		var at uint64
		first := true
		for k, h := range m { // determinism: allowed (minimum of unique counters)
			if a := active(h); first || a < at {
				oldest, at, first = k, a, false
			}
		}
		delete(m, oldest)
	}
}
