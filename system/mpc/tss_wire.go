package mpc

import (
	"crypto/elliptic"

	"github.com/bnb-chain/tss-lib/v2/crypto"
	ecdsakeygen "github.com/bnb-chain/tss-lib/v2/ecdsa/keygen"
	ecdsasigning "github.com/bnb-chain/tss-lib/v2/ecdsa/signing"
	eddsakeygen "github.com/bnb-chain/tss-lib/v2/eddsa/keygen"
	eddsasigning "github.com/bnb-chain/tss-lib/v2/eddsa/signing"
	"github.com/bnb-chain/tss-lib/v2/tss"
	"google.golang.org/protobuf/proto"
)

// What tss-lib's messages are, by protobuf type: the round each belongs to
// and whether it is broadcast. tss-lib's messages carry neither a round nor
// a session; this table lets Deliver check the envelope's round and set the
// broadcast flag itself instead of trusting the sender with it.

type msgSpec struct {
	round     int
	broadcast bool
}

type wireTable map[string]msgSpec

// row is one table line: a zero value of the message type, its round and
// whether it is broadcast.
type row struct {
	msg       proto.Message
	round     int
	broadcast bool
}

func table(rows ...row) wireTable {
	t := wireTable{}
	for _, r := range rows {
		t[string(proto.MessageName(r.msg))] = msgSpec{r.round, r.broadcast}
	}
	return t
}

var (
	ecdsaSignTable = table(
		row{&ecdsasigning.SignRound1Message1{}, 1, false},
		row{&ecdsasigning.SignRound1Message2{}, 1, true},
		row{&ecdsasigning.SignRound2Message{}, 2, false},
		row{&ecdsasigning.SignRound3Message{}, 3, true},
		row{&ecdsasigning.SignRound4Message{}, 4, true},
		row{&ecdsasigning.SignRound5Message{}, 5, true},
		row{&ecdsasigning.SignRound6Message{}, 6, true},
		row{&ecdsasigning.SignRound7Message{}, 7, true},
		row{&ecdsasigning.SignRound8Message{}, 8, true},
		row{&ecdsasigning.SignRound9Message{}, 9, true},
	)
	eddsaSignTable = table(
		row{&eddsasigning.SignRound1Message{}, 1, true},
		row{&eddsasigning.SignRound2Message{}, 2, true},
		row{&eddsasigning.SignRound3Message{}, 3, true},
	)
	ecdsaKeygenTable = table(
		row{&ecdsakeygen.KGRound1Message{}, 1, true},
		row{&ecdsakeygen.KGRound2Message1{}, 2, false},
		row{&ecdsakeygen.KGRound2Message2{}, 2, true},
		row{&ecdsakeygen.KGRound3Message{}, 3, true},
	)
	eddsaKeygenTable = table(
		row{&eddsakeygen.KGRound1Message{}, 1, true},
		row{&eddsakeygen.KGRound2Message1{}, 2, false},
		row{&eddsakeygen.KGRound2Message2{}, 2, true},
	)
)

func curveOf(a Algo) elliptic.Curve {
	if a == EdDSA {
		return tss.Edwards()
	}
	return tss.S256()
}

// encodePub encodes a public key point the way verifiers take it: ECDSA as
// a 33-byte compressed secp256k1 point (0x02|odd(y), x), EdDSA as the
// 32-byte ed25519 encoding (y little-endian, the sign of x in the top bit).
func encodePub(a Algo, p *crypto.ECPoint) []byte {
	switch a {
	case ECDSA:
		out := make([]byte, 33)
		out[0] = 0x02 | byte(p.Y().Bit(0))
		p.X().FillBytes(out[1:])
		return out
	case EdDSA:
		var be [32]byte
		p.Y().FillBytes(be[:])
		out := make([]byte, 32)
		for i := range out {
			out[i] = be[31-i]
		}
		out[31] |= byte(p.X().Bit(0)) << 7
		return out
	}
	return nil
}
