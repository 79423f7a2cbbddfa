package mpc

import (
	"fmt"
	"math/big"

	"github.com/bnb-chain/tss-lib/v2/common"
	ecdsasigning "github.com/bnb-chain/tss-lib/v2/ecdsa/signing"
	eddsasigning "github.com/bnb-chain/tss-lib/v2/eddsa/signing"
	"github.com/bnb-chain/tss-lib/v2/tss"
)

// TSS is the real engine: tss-lib v2 (GG18 ECDSA, and threshold EdDSA),
// its messages carried by the caller.
type TSS struct{}

// NewTSS returns the tss engine. It holds no state: a session needs only its
// request and the reader given to Start.
func NewTSS() *TSS { return &TSS{} }

func (*TSS) Name() string { return EngineTSS }

// tssSign is one party's tss-lib signing session.
type tssSign struct {
	*tssParty
	sig []byte
}

// NewSession checks the request and prepares the party; the library party
// itself is built by Start, once the reader is known.
func (*TSS) NewSession(req SignRequest) (Session, error) {
	sh := req.Share
	if sh == nil {
		return nil, fmt.Errorf("%w: the tss engine needs the party's key share", ErrBadRequest)
	}
	if sh.Party != req.Self {
		return nil, fmt.Errorf("%w: share of %q used by %q", ErrBadRequest, sh.Party, req.Self)
	}
	if err := checkDigest(req.Digest); err != nil {
		return nil, err
	}
	c := sh.Committee()
	if err := checkSession(req.ID, c, req.Self, false); err != nil {
		return nil, err
	}
	tbl := ecdsaSignTable
	if c.Algo == EdDSA {
		tbl = eddsaSignTable
	}
	s := &tssSign{tssParty: newTSSParty(req.ID, c, req.Self, tbl)}
	end := make(chan *common.SignatureData, 1)
	digest := append([]byte(nil), req.Digest...)
	switch c.Algo {
	case ECDSA:
		// tss-lib refuses m >= N; verifiers reduce the digest mod N too.
		m := new(big.Int).SetBytes(digest)
		m.Mod(m, curveOf(ECDSA).Params().N)
		save := *sh.ecdsa
		s.newParty = func(params *tss.Parameters, out chan<- tss.Message) tss.Party {
			return ecdsasigning.NewLocalParty(m, params, save, out, end, DigestSize)
		}
	case EdDSA:
		m := new(big.Int).SetBytes(digest)
		save := *sh.eddsa
		s.newParty = func(params *tss.Parameters, out chan<- tss.Message) tss.Party {
			return eddsasigning.NewLocalParty(m, params, save, out, end, DigestSize)
		}
	}
	s.finish = func() (bool, error) {
		select {
		case d := <-end:
			sig, err := sigBytes(c.Algo, d)
			if err != nil {
				return false, err
			}
			s.sig = sig
			return true, nil
		default:
			return s.sig != nil, nil
		}
	}
	return s, nil
}

func (s *tssSign) Done() ([]byte, bool) {
	if s.sig == nil {
		return nil, false
	}
	return append([]byte(nil), s.sig...), true
}

// sigBytes converts the library's result: ECDSA r || s || v, EdDSA R || S.
func sigBytes(a Algo, d *common.SignatureData) ([]byte, error) {
	switch a {
	case ECDSA:
		if len(d.Signature) != 64 || len(d.SignatureRecovery) != 1 {
			return nil, fmt.Errorf("mpc: tss-lib returned a %d-byte ECDSA signature", len(d.Signature))
		}
		return append(append([]byte(nil), d.Signature...), d.SignatureRecovery[0]), nil
	case EdDSA:
		if len(d.Signature) != 64 {
			return nil, fmt.Errorf("mpc: tss-lib returned a %d-byte EdDSA signature", len(d.Signature))
		}
		return append([]byte(nil), d.Signature...), nil
	}
	return nil, fmt.Errorf("mpc: unknown algo %q", a)
}
