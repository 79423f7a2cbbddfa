package mpc

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"io/fs"
)

// The default committees' key shares and the Paillier pool are test data,
// generated once by 'vaultdrill keys' and embedded, so a seed pays for
// ECDSA keygen (seconds per committee, plus minutes of prime generation)
// only when a drill is about keygen.
//
//go:embed testdata
var testdataFS embed.FS

// PoolFile is the pool's file name under the test data directory.
const PoolFile = "pool.json"

// ShareFile is the file name of a key's shares under the test data directory.
func ShareFile(key KeyID) string { return "shares-" + string(key) + ".json" }

// LoadDefaultPool returns the embedded Paillier pre-parameter pool: one
// slot for each member of the default ECDSA committees.
func LoadDefaultPool() (*Pool, error) {
	b, err := fs.ReadFile(testdataFS, "testdata/"+PoolFile)
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrNoTestData, PoolFile)
	}
	return UnmarshalPool(b)
}

// LoadDefaultKey returns the embedded shares of one default key, sorted by
// party. Every call decodes afresh: callers own what they get.
func LoadDefaultKey(key KeyID) ([]*KeyShare, error) {
	c, ok := DefaultCommittee(key)
	if !ok {
		return nil, fmt.Errorf("%w: %q is not a default key", ErrBadRequest, key)
	}
	b, err := fs.ReadFile(testdataFS, "testdata/"+ShareFile(key))
	if err != nil {
		return nil, fmt.Errorf("%w: %s", ErrNoTestData, ShareFile(key))
	}
	shares, err := DecodeShareFile(b)
	if err != nil {
		return nil, err
	}
	if len(shares) != c.N() {
		return nil, fmt.Errorf("%w: %s holds %d shares for %s", ErrBadRequest, ShareFile(key), len(shares), c)
	}
	for i, s := range shares {
		if !sameCommittee(s.Committee(), c) || s.Party != c.Parties[i] || !bytes.Equal(s.PublicKey, shares[0].PublicKey) {
			return nil, fmt.Errorf("%w: %s does not hold the shares of %s", ErrBadRequest, ShareFile(key), c)
		}
	}
	return shares, nil
}

// LoadDefaultShares returns the shares of all default keys, in
// DefaultCommittees order, each key's sorted by party.
func LoadDefaultShares() ([]*KeyShare, error) {
	var all []*KeyShare
	for _, c := range DefaultCommittees() {
		s, err := LoadDefaultKey(c.Key)
		if err != nil {
			return nil, err
		}
		all = append(all, s...)
	}
	return all, nil
}

// EncodeShareFile encodes one key's shares as a JSON array, one share a line.
func EncodeShareFile(shares []*KeyShare) ([]byte, error) {
	var buf bytes.Buffer
	buf.WriteString("[\n")
	for i, s := range shares {
		b, err := MarshalShare(s)
		if err != nil {
			return nil, err
		}
		buf.Write(b)
		if i < len(shares)-1 {
			buf.WriteByte(',')
		}
		buf.WriteByte('\n')
	}
	buf.WriteString("]\n")
	return buf.Bytes(), nil
}

// DecodeShareFile decodes what EncodeShareFile wrote.
func DecodeShareFile(b []byte) ([]*KeyShare, error) {
	var raw []json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nil, fmt.Errorf("%w: share file does not decode", ErrBadRequest)
	}
	out := make([]*KeyShare, 0, len(raw))
	for _, r := range raw {
		s, err := UnmarshalShare(r)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}
