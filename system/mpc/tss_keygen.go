package mpc

import (
	"fmt"

	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	eddsakeygen "github.com/bnb-chain/tss-lib/v2/eddsa/keygen"
	"github.com/bnb-chain/tss-lib/v2/tss"
)

// KeygenRequest asks for one party's side of a key ceremony.
type KeygenRequest struct {
	ID        SessionID // ID.Parties must be the whole committee
	Committee Committee
	Self      PartyID
	// PreParams are this party's Paillier pre-parameters from the pool.
	// ECDSA needs them (ErrNoPreParams otherwise); EdDSA ignores them.
	PreParams *PreParams
}

// Keygen is one party's side of a tss-lib key ceremony. It implements
// Protocol; Done returns the party's share.
type Keygen struct {
	*tssParty
	share *KeyShare
}

// NewKeygen checks the request and prepares the party. An ECDSA ceremony
// never generates Paillier parameters inside a session: generation reads
// the global reader from several goroutines under a wall-clock timeout and
// can not be seeded, so a signer without pooled parameters refuses.
func NewKeygen(req KeygenRequest) (*Keygen, error) {
	c := req.Committee
	if err := c.Validate(); err != nil {
		return nil, err
	}
	if err := checkSession(req.ID, c, req.Self, true); err != nil {
		return nil, err
	}
	tbl := ecdsaKeygenTable
	if c.Algo == EdDSA {
		tbl = eddsaKeygenTable
	}
	kg := &Keygen{tssParty: newTSSParty(req.ID, c, req.Self, tbl)}
	mk := func(save keyShareData) (bool, error) {
		sh := &KeyShare{Key: c.Key, Algo: c.Algo, Party: req.Self, Parties: append([]PartyID(nil), c.Parties...), K: c.K,
			ecdsa: save.ecdsa, eddsa: save.eddsa}
		if save.ecdsa != nil {
			sh.PublicKey = encodePub(ECDSA, save.ecdsa.ECDSAPub)
		} else {
			sh.PublicKey = encodePub(EdDSA, save.eddsa.EDDSAPub)
		}
		if err := sh.check(); err != nil {
			return false, err
		}
		kg.share = sh
		return true, nil
	}
	switch c.Algo {
	case ECDSA:
		if req.PreParams == nil {
			return nil, fmt.Errorf("%w (party %s, key %s)", ErrNoPreParams, req.Self, c.Key)
		}
		if !req.PreParams.params.ValidateWithProof() {
			return nil, fmt.Errorf("%w: incomplete pre-parameters for %s", ErrNoPreParams, req.Self)
		}
		pre := req.PreParams.params
		end := make(chan *ecdsakeygen.LocalPartySaveData, 1)
		kg.newParty = func(params *tss.Parameters, out chan<- tss.Message) tss.Party {
			return ecdsakeygen.NewLocalParty(params, out, end, pre)
		}
		kg.finish = func() (bool, error) {
			select {
			case d := <-end:
				return mk(keyShareData{ecdsa: d})
			default:
				return kg.share != nil, nil
			}
		}
	case EdDSA:
		end := make(chan *eddsakeygen.LocalPartySaveData, 1)
		kg.newParty = func(params *tss.Parameters, out chan<- tss.Message) tss.Party {
			return eddsakeygen.NewLocalParty(params, out, end)
		}
		kg.finish = func() (bool, error) {
			select {
			case d := <-end:
				return mk(keyShareData{eddsa: d})
			default:
				return kg.share != nil, nil
			}
		}
	}
	return kg, nil
}

type keyShareData struct {
	ecdsa *ecdsakeygen.LocalPartySaveData
	eddsa *eddsakeygen.LocalPartySaveData
}

// Done returns the party's share once the ceremony finished.
func (k *Keygen) Done() (*KeyShare, bool) { return k.share, k.share != nil }
