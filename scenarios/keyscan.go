package scenarios

import (
	"bytes"
	"sort"
	"strconv"
	"strings"
	"time"

	"vaultdrill/system/env"
	"vaultdrill/system/mpc"
	"vaultdrill/system/topology"
)

// keyScanner is the world looking for key material where it must not be
// (INV-SHARES, INV-SEALED): it knows every share's secret fingerprints (the
// harness holds the key ceremony's output, the system never tells it) and
// searches signer disks and the wire for them. It reports what it finds as
// "world.share_seen", and at the end "world.sealed_file" for every file a
// signer keeps key material in.
type keyScanner struct {
	r      *run
	shares []*mpc.KeyShare
	// reported dedupes (key, party, where, place, file).
	reported map[string]bool
}

const (
	keyScanEvery = 10 * time.Second
	// sealedMagic starts every blob the HSM seals (system/hsm doc.go).
	sealedMagic = "VDHSM1"
)

func newKeyScanner(r *run, shares []*mpc.KeyShare) *keyScanner {
	ks := &keyScanner{r: r, shares: shares, reported: map[string]bool{}}
	byKey := map[mpc.KeyID][]*mpc.KeyShare{}
	var keys []string
	for _, s := range shares {
		if byKey[s.Key] == nil {
			keys = append(keys, string(s.Key))
		}
		byKey[s.Key] = append(byKey[s.Key], s)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s := byKey[mpc.KeyID(k)][0]
		parts := make([]string, len(s.Parties))
		for i, p := range s.Parties {
			parts[i] = string(p)
		}
		r.worldObs("", "world.committee", "key", k, "k", strconv.Itoa(s.K), "n", strconv.Itoa(s.N()), "parties", strings.Join(parts, ","))
	}
	return ks
}

// addShare learns a share a key ceremony made during the run: from then on
// it is searched for like the test-data shares.
func (ks *keyScanner) addShare(sh *mpc.KeyShare) {
	for _, s := range ks.shares {
		if s.Key == sh.Key && s.Party == sh.Party && bytes.Equal(s.PublicKey, sh.PublicKey) {
			return
		}
	}
	fresh := true
	for _, s := range ks.shares {
		fresh = fresh && s.Key != sh.Key
	}
	ks.shares = append(ks.shares, sh)
	if fresh {
		ks.r.worldObs("", "world.committee", "key", string(sh.Key), "k", strconv.Itoa(sh.K), "n", strconv.Itoa(sh.N()), "parties", joinIDs(sh.Parties))
	}
}

func joinIDs(ps []mpc.PartyID) string {
	parts := make([]string, len(ps))
	for i, p := range ps {
		parts[i] = string(p)
	}
	return strings.Join(parts, ",")
}

func (ks *keyScanner) find(b []byte) []*mpc.KeyShare {
	var out []*mpc.KeyShare
	for _, s := range ks.shares {
		for _, fp := range s.SecretFingerprints() {
			if len(fp) >= 16 && bytes.Contains(b, fp) {
				out = append(out, s)
				break
			}
		}
	}
	return out
}

func (ks *keyScanner) report(s *mpc.KeyShare, where, place string, region topology.Region, file string) {
	id := strings.Join([]string{string(s.Key), string(s.Party), where, place, file}, "\x00")
	if ks.reported[id] {
		return
	}
	ks.reported[id] = true
	ks.r.worldObs(env.NodeID(place), "world.share_seen", "key", string(s.Key), "party", string(s.Party),
		"where", where, "place", place, "region", string(region), "file", file)
}

// wire is the network tap: messages from signer nodes are searched.
func (ks *keyScanner) wire(from, to env.NodeID, payload []byte) {
	if n, ok := ks.r.topo.Find(from); !ok || n.Role != topology.RoleSigner {
		return
	}
	for _, s := range ks.find(payload) {
		ks.report(s, "wire", string(from)+"->"+string(to), ks.r.topo.RegionOf(to), "")
	}
}

// disks scans every signer's disk (the current view: what a thief of the
// machine would read).
func (ks *keyScanner) disks(final bool) {
	for _, n := range ks.r.topo.ByRole(topology.RoleSigner) {
		d := ks.r.world.Disk(n.ID)
		for _, f := range d.List("") {
			b, _ := d.Read(f)
			for _, s := range ks.find(b) {
				ks.report(s, "disk", string(n.ID), n.Region, f)
			}
			if final && strings.HasPrefix(f, "signer/") && !strings.HasPrefix(f, "signer/state") {
				sealed := bytes.HasPrefix(b, []byte(sealedMagic))
				if strings.HasPrefix(f, "signer/share/") || !sealed && len(ks.find(b)) > 0 {
					ks.r.worldObs(n.ID, "world.sealed_file", "node", string(n.ID), "file", f, "sealed", strconv.FormatBool(sealed))
				}
			}
		}
	}
}

// schedule scans disks every keyScanEvery until end, then once more.
func (ks *keyScanner) schedule(end time.Duration) {
	var tick func()
	tick = func() {
		ks.disks(false)
		if next := ks.r.world.Now() + keyScanEvery; next < end {
			ks.r.world.At(next, "keyscan", tick)
		}
	}
	ks.r.world.At(keyScanEvery, "keyscan", tick)
}
