package main

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"

	"vaultdrill/reports"
	"vaultdrill/sim"
	"vaultdrill/system/mpc"
)

type keysOptions struct {
	out       string
	seed      uint64
	reusePool bool
	timeout   time.Duration
}

const keysStory = `
Generates the MPC test data that system/mpc embeds, so drills and tests get
the default committees' key shares without paying for keygen:

  1. the Paillier pre-parameter pool: one set per member of the default
     ECDSA committees (signer-hot-1..3, signer-cold-1..5), generated one at a
     time with tss-lib's keygen.GeneratePreParams from the machine's entropy
     (about 20 s each, minutes in all; Go's prime generation can not be
     seeded, so the pool is not reproducible: generate it once and keep it);
  2. real tss-lib keygen ceremonies for the four default committees (hot
     ECDSA 2-of-3, cold ECDSA 3-of-5, hot-ed and cold-ed EdDSA with the same
     signers), every party in this process, messages exchanged in memory in
     a fixed order, each party reading its own stream derived from --seed;
     each key then signs a self-test digest that is verified with btcec or
     crypto/ed25519.

Files (in --out): pool.json, shares-hot.json, shares-cold.json,
shares-hot-ed.json, shares-cold-ed.json. Each is written to a temporary file
and renamed into place, so an interrupted run leaves every file either old
or new, never half-written. The pool is written as soon as it is complete;
the shares only after every ceremony succeeded. --reuse-pool skips step 1
and runs the ceremonies on the pool already in --out.

Exit codes: 0 written; 2 bad flags or no pool to reuse; 5 generation
failed; 130 interrupted (nothing partial written).`

func keysCmd(args []string, stdout, stderr io.Writer) int {
	var o keysOptions
	fs := newFlagSet("keys", "[flags]", keysStory, stderr)
	fs.StringVar(&o.out, "out", filepath.Join("system", "mpc", "testdata"), "directory to write the pool and the shares to")
	fs.Uint64Var(&o.seed, "seed", 1, "root seed of the keygen ceremonies' readers")
	fs.BoolVar(&o.reusePool, "reuse-pool", false, "keep --out/pool.json and only rerun the ceremonies")
	fs.DurationVar(&o.timeout, "timeout", 20*time.Minute, "time limit for generating one set of pre-parameters")
	pos, code, ok := parseFlags(fs, args)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintf(stderr, "vaultdrill keys: unexpected argument %q\n", pos[0])
		return reports.ExitUsage
	}
	if o.timeout <= 0 {
		fmt.Fprintln(stderr, "vaultdrill keys: --timeout must be positive")
		return reports.ExitUsage
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return runKeys(ctx, o, stdout, stderr)
}

var errKeysInterrupted = errors.New("interrupted")

func runKeys(ctx context.Context, o keysOptions, stdout, stderr io.Writer) int {
	start := time.Now()
	fail := func(err error) int {
		if errors.Is(err, errKeysInterrupted) || ctx.Err() != nil {
			fmt.Fprintf(stderr, "vaultdrill keys: interrupted after %.0fs; files already in %s are untouched or complete\n", time.Since(start).Seconds(), o.out)
			return reports.ExitInterrupted
		}
		fmt.Fprintf(stderr, "vaultdrill keys: %v\n", err)
		return reports.ExitHarness
	}
	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return fail(err)
	}
	var pool *mpc.Pool
	if o.reusePool {
		b, err := os.ReadFile(filepath.Join(o.out, mpc.PoolFile))
		if err != nil {
			fmt.Fprintf(stderr, "vaultdrill keys: --reuse-pool: %v\n", err)
			return reports.ExitUsage
		}
		if pool, err = mpc.UnmarshalPool(b); err != nil {
			fmt.Fprintf(stderr, "vaultdrill keys: --reuse-pool: %v\n", err)
			return reports.ExitUsage
		}
		fmt.Fprintf(stderr, "keys: reusing the pool in %s (%d slots)\n", o.out, pool.Len())
	} else {
		var err error
		if pool, err = generatePool(ctx, o, stderr); err != nil {
			return fail(err)
		}
		b, err := mpc.MarshalPool(pool)
		if err != nil {
			return fail(err)
		}
		if err := writeAtomic(filepath.Join(o.out, mpc.PoolFile), b); err != nil {
			return fail(err)
		}
	}

	files := map[mpc.KeyID][]byte{}
	for _, c := range mpc.DefaultCommittees() {
		t0 := time.Now()
		shares, err := ceremony(ctx, o.seed, c, pool)
		if err != nil {
			return fail(fmt.Errorf("keygen %s: %w", c, err))
		}
		if err := selfTest(o.seed, c, shares); err != nil {
			return fail(fmt.Errorf("self-test %s: %w", c, err))
		}
		b, err := mpc.EncodeShareFile(shares)
		if err != nil {
			return fail(err)
		}
		files[c.Key] = b
		fmt.Fprintf(stderr, "keys: %s keygen %.1fs, self-test signature verified, public key %x\n", c, time.Since(t0).Seconds(), shares[0].PublicKey)
	}
	for _, c := range mpc.DefaultCommittees() {
		if err := writeAtomic(filepath.Join(o.out, mpc.ShareFile(c.Key)), files[c.Key]); err != nil {
			return fail(err)
		}
	}
	names := []string{mpc.PoolFile}
	for _, c := range mpc.DefaultCommittees() {
		names = append(names, mpc.ShareFile(c.Key))
	}
	for _, n := range names {
		st, err := os.Stat(filepath.Join(o.out, n))
		if err != nil {
			return fail(err)
		}
		fmt.Fprintf(stdout, "%-22s %8d bytes\n", n, st.Size())
	}
	fmt.Fprintf(stderr, "keys: done in %.1fs\n", time.Since(start).Seconds())
	return reports.ExitValid
}

// generatePool makes one set of pre-parameters per default ECDSA committee
// member, one at a time (each already keeps both cores busy).
func generatePool(ctx context.Context, o keysOptions, stderr io.Writer) (*mpc.Pool, error) {
	parties := append(mpc.HotParties(), mpc.ColdParties()...)
	var slots []*mpc.PreParams
	for i, p := range parties {
		t0 := time.Now()
		gctx, cancel := context.WithTimeout(ctx, o.timeout)
		pre, err := keygen.GeneratePreParamsWithContext(gctx)
		cancel()
		if ctx.Err() != nil {
			return nil, errKeysInterrupted
		}
		if err != nil {
			return nil, fmt.Errorf("pre-parameters for %s: %w", p, err)
		}
		s, err := mpc.NewPreParams(p, pre)
		if err != nil {
			return nil, err
		}
		slots = append(slots, s)
		fmt.Fprintf(stderr, "keys: pre-parameters %d/%d (%s) in %.1fs\n", i+1, len(parties), p, time.Since(t0).Seconds())
	}
	return mpc.NewPool(slots)
}

// ceremony runs one committee's keygen with every party in this process.
func ceremony(ctx context.Context, seed uint64, c mpc.Committee, pool *mpc.Pool) ([]*mpc.KeyShare, error) {
	id := mpc.SessionID{Key: c.Key, Parties: c.Parties}
	kgs := make([]*mpc.Keygen, len(c.Parties))
	members := make([]mpc.Member, len(c.Parties))
	for i, p := range c.Parties {
		req := mpc.KeygenRequest{ID: id, Committee: c, Self: p}
		if c.Algo == mpc.ECDSA {
			pre, err := pool.For(p)
			if err != nil {
				return nil, err
			}
			req.PreParams = pre
		}
		kg, err := mpc.NewKeygen(req)
		if err != nil {
			return nil, err
		}
		kgs[i] = kg
		members[i] = mpc.Member{ID: p, Proto: kg, Rand: sim.NewEntropy(seed, "mpc/keygen/"+string(c.Key)+"/"+string(p))}
	}
	err := mpc.RunLocal(members, mpc.LocalOptions{Stop: func() bool { return ctx.Err() != nil }})
	if errors.Is(err, mpc.ErrLocalStopped) {
		return nil, errKeysInterrupted
	}
	if err != nil {
		return nil, err
	}
	shares := make([]*mpc.KeyShare, len(kgs))
	for i, kg := range kgs {
		sh, ok := kg.Done()
		if !ok {
			return nil, fmt.Errorf("%s did not finish", c.Parties[i])
		}
		if i > 0 && string(sh.PublicKey) != string(shares[0].PublicKey) {
			return nil, fmt.Errorf("%s derived another public key", c.Parties[i])
		}
		shares[i] = sh
	}
	return shares, nil
}

// selfTest signs a fixed digest with the first k parties and verifies it.
func selfTest(seed uint64, c mpc.Committee, shares []*mpc.KeyShare) error {
	digest := sha256.Sum256([]byte("vaultdrill keys self-test " + string(c.Key)))
	id := mpc.SessionID{Key: c.Key, Parties: c.Parties[:c.K]}
	sessions := make([]mpc.Session, c.K)
	members := make([]mpc.Member, c.K)
	for i := 0; i < c.K; i++ {
		s, err := mpc.NewTSS().NewSession(mpc.SignRequest{ID: id, Self: c.Parties[i], Digest: digest[:], Share: shares[i]})
		if err != nil {
			return err
		}
		sessions[i] = s
		members[i] = mpc.Member{ID: c.Parties[i], Proto: s, Rand: sim.NewEntropy(seed, "mpc/keys-self-test/"+string(c.Key)+"/"+string(c.Parties[i]))}
	}
	if err := mpc.RunLocal(members, mpc.LocalOptions{}); err != nil {
		return err
	}
	sig, ok := sessions[0].Done()
	if !ok {
		return errors.New("no signature")
	}
	if !mpc.Verify(c.Algo, shares[0].PublicKey, digest[:], sig) {
		return errors.New("signature does not verify")
	}
	return nil
}

// writeAtomic writes a file through a temporary file in the same directory
// and a rename, so readers see the old or the new file, never a part.
func writeAtomic(path string, data []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return err
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp, 0o644)
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return err
	}
	return nil
}
