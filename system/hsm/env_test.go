package hsm

import (
	"bytes"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"sort"
	"strings"
	"testing"
	"time"

	"vaultdrill/system/env"
	"vaultdrill/system/env/envtest"
)

// A minimal host for the package's tests: one node's env with a seeded
// entropy stream that continues across restarts (as the sim host's does),
// a disk with the env.Disk crash semantics, and a record of observations
// and charges. Send and After fail the test: the HSM is a component, it
// never talks to the network or sets timers.

const (
	testSOPIN   = "so-pin-0000"
	testUserPIN = "user-pin-1234"
)

type rig struct {
	t       testing.TB
	seed    uint64
	cfg     Config
	disk    *memDisk
	ent     io.Reader
	rng     *rand.Rand
	obs     []env.Observation
	charged time.Duration
	errs    []error // every error an HSM call returned, for leak scans
	h       *HSM
	opID    uint64
}

func newRig(t testing.TB, seed uint64, cfg Config) *rig {
	t.Helper()
	var key [32]byte
	key[0], key[1] = byte(seed), byte(seed>>8)
	r := &rig{
		t: t, seed: seed, cfg: cfg, disk: newMemDisk(),
		ent: rand.NewChaCha8(key), rng: rand.New(rand.NewPCG(seed, 7)),
	}
	r.h = Open(r, cfg)
	return r
}

func (r *rig) ID() env.NodeID     { return "signer-1" }
func (r *rig) Now() time.Time     { return env.Epoch }
func (r *rig) Rand() *rand.Rand   { return r.rng }
func (r *rig) Entropy() io.Reader { return r.ent }
func (r *rig) Disk() env.Disk     { return r.disk }
func (r *rig) Send(to env.NodeID, payload []byte) {
	r.t.Fatalf("hsm called Send(%s): it must never touch the network", to)
}
func (r *rig) After(d time.Duration, tag string) {
	r.t.Fatalf("hsm called After(%v, %q): it must never set timers", d, tag)
}
func (r *rig) Observe(o env.Observation) { r.obs = append(r.obs, o) }
func (r *rig) Charge(d time.Duration)    { r.charged += d }

// next returns a fresh opID.
func (r *rig) next() uint64 { r.opID++; return r.opID }

// note records an error for the leak scans and returns it.
func (r *rig) note(err error) error {
	if err != nil {
		r.errs = append(r.errs, err)
	}
	return err
}

// restart crashes the node (unsynced writes lost) and reopens the HSM, as
// a signer does on InputStart.
func (r *rig) restart(torn bool) {
	r.disk.Crash(torn, r.rng)
	r.h = Open(r, r.cfg)
}

// init initialises the token with the test PINs.
func (r *rig) init() {
	r.t.Helper()
	if err := r.note(r.h.InitToken(r, r.next(), testSOPIN, testUserPIN)); err != nil {
		r.t.Fatalf("seed %d: InitToken: %v", r.seed, err)
	}
}

// user opens a session and logs the user in.
func (r *rig) user() Session {
	r.t.Helper()
	s, err := r.h.OpenSession(r)
	if r.note(err) != nil {
		r.t.Fatalf("seed %d: OpenSession: %v", r.seed, err)
	}
	if err := r.note(r.h.Login(r, s, r.next(), testUserPIN)); err != nil {
		r.t.Fatalf("seed %d: Login: %v", r.seed, err)
	}
	return s
}

// ready initialises the token and returns a user session.
func (r *rig) ready() Session { r.init(); return r.user() }

func (r *rig) seal(s Session, label string, pt []byte) []byte {
	r.t.Helper()
	blob, err := r.h.Seal(r, s, r.next(), label, pt)
	if r.note(err) != nil {
		r.t.Fatalf("seed %d: Seal(%q): %v", r.seed, label, err)
	}
	return blob
}

func (r *rig) unseal(s Session, label string, blob []byte) ([]byte, error) {
	pt, err := r.h.Unseal(r, s, r.next(), label, blob)
	return pt, r.note(err)
}

// observed returns the observations of one kind.
func (r *rig) observed(kind string) []env.Observation {
	var out []env.Observation
	for _, o := range r.obs {
		if o.Kind == kind {
			out = append(out, o)
		}
	}
	return out
}

// lastOp returns the last hsm.op observation.
func (r *rig) lastOp() env.Observation {
	ops := r.observed(ObsOp)
	if len(ops) == 0 {
		r.t.Fatal("no hsm.op observed")
	}
	return ops[len(ops)-1]
}

func wantRV(t *testing.T, what string, err error, want RV) {
	t.Helper()
	if got := RVOf(err); got != want {
		t.Fatalf("%s: got %v (%v), want %v", what, got, err, want)
	}
	if want != CKR_OK && !errors.Is(err, &Error{RV: want}) {
		t.Fatalf("%s: errors.Is(%v, %v) is false", what, err, want)
	}
}

// obsText flattens observations with sorted fields, for comparisons and
// leak scans.
func obsText(obs []env.Observation) string {
	var b strings.Builder
	for _, o := range obs {
		keys := make([]string, 0, len(o.Fields))
		for k := range o.Fields {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		b.WriteString(o.Kind)
		for _, k := range keys {
			b.WriteString(" " + k + "=" + o.Fields[k])
		}
		b.WriteString("\n")
	}
	return b.String()
}

// containsSecret reports whether hay holds the secret raw, in hex (either
// case) or as a Go byte-slice print.
func containsSecret(hay []byte, secret []byte) bool {
	if len(secret) == 0 {
		return false
	}
	hx := hex.EncodeToString(secret)
	return bytes.Contains(hay, secret) ||
		bytes.Contains(hay, []byte(hx)) ||
		bytes.Contains(bytes.ToLower(hay), []byte(hx))
}

// dump returns every current file, sorted by name, with its name, as one
// byte string (for determinism comparisons and leak scans).
func dump(d *memDisk, skipPrefix string) []byte {
	var b []byte
	for _, name := range d.List("") {
		if skipPrefix != "" && strings.HasPrefix(name, skipPrefix) {
			continue
		}
		b = append(b, name...)
		b = append(b, 0)
		f, _ := d.Read(name)
		b = append(b, f...)
	}
	return b
}

type memDisk = envtest.MemDisk

func newMemDisk() *memDisk { return envtest.NewMemDisk() }

func diskFile(d *memDisk, name string) []byte {
	b, _ := d.Read(name)
	return b
}
