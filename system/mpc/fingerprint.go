package mpc

import "math/big"

// SecretFingerprints returns byte strings that appear wherever this share's
// secret does in clear: the secret scalar big-endian (as in binary
// encodings) and in decimal (as MarshalShare's JSON writes it). The
// harness's leak scanner searches disks and wires for them (INV-SHARES,
// INV-SEALED); nothing in the system may call it, and its results must never
// be printed.
func (s *KeyShare) SecretFingerprints() [][]byte {
	var xi *big.Int
	switch {
	case s.ecdsa != nil:
		xi = s.ecdsa.Xi
	case s.eddsa != nil:
		xi = s.eddsa.Xi
	}
	if xi == nil {
		return nil
	}
	return [][]byte{xi.Bytes(), []byte(xi.String())}
}
