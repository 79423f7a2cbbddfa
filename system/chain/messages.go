package chain

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"

	"vaultdrill/system/env"
)

// Message types of the chain protocol, in env.MsgType's 40-49 range. Every
// body is one JSON object (encoding/json field names below, []byte fields
// in standard base64), decoded strictly: unknown fields, trailing data or a
// body over its size bound are errors wrapping env.ErrWire.
const (
	MsgSubmit        env.MsgType = 40 // client -> chain: Submit
	MsgSubmitResult  env.MsgType = 41 // chain -> client: SubmitResult
	MsgQuery         env.MsgType = 42 // client -> chain: Query
	MsgQueryResult   env.MsgType = 43 // chain -> client: QueryResult
	MsgControlResult env.MsgType = 48 // chain -> harness: ControlResult
	MsgControl       env.MsgType = 49 // harness -> chain: Control (fault injection)
)

// ControlSender is the only sender whose Control messages the chain obeys
// (by default; Config.ControlSender overrides it). From is authenticated by
// the host, so no one else can order a reorg.
const ControlSender env.NodeID = "harness"

// Body size bounds: what the chain accepts, and what a client accepts back.
const (
	requestBodyMax = 4 * TxSizeMax
	resultBodyMax  = 1 << 20
)

// Submit asks the chain to admit a transaction to its mempool. Raw is
// EncodeTx's output; ID is echoed in the SubmitResult.
type Submit struct {
	ID  uint64 `json:"id"`
	Raw []byte `json:"raw"`
}

// SubmitResult answers a Submit. Accepted: the transaction is pending (in
// the mempool). Otherwise Reason is one of the sentinel texts (ReasonErr
// maps it back) and Detail explains. Note ErrDuplicate: the very same
// transaction is already pending or mined, so a rebroadcast that gets it
// has succeeded before.
type SubmitResult struct {
	ID       uint64 `json:"id"`
	TxID     string `json:"txid"`
	Accepted bool   `json:"accepted"`
	// Replaced is the pending transaction this one replaced (a fee bump).
	Replaced string `json:"replaced,omitempty"`
	Reason   string `json:"reason,omitempty"`
	Detail   string `json:"detail,omitempty"`
	Tip      uint64 `json:"tip"`
}

// QueryKind says what a Query asks.
type QueryKind string

const (
	QueryTx      QueryKind = "tx"      // TxID's status
	QueryAccount QueryKind = "account" // Address's balance and nonces
	QueryTip     QueryKind = "tip"     // the tip only (every result carries it)
	QueryBlock   QueryKind = "block"   // the canonical block at Height
	QueryNonce   QueryKind = "nonce"   // the canonical transaction of (Address, Nonce), if mined
)

// Query asks the chain about its state.
type Query struct {
	ID      uint64    `json:"id"`
	Kind    QueryKind `json:"kind"`
	TxID    string    `json:"txid,omitempty"`
	Address string    `json:"address,omitempty"`
	Height  uint64    `json:"height,omitempty"`
	Nonce   uint64    `json:"nonce,omitempty"` // QueryNonce
}

// TxStatus is a transaction's state as the chain knows it.
type TxStatus string

const (
	StatusPending TxStatus = "pending" // in the mempool
	StatusMined   TxStatus = "mined"   // in a canonical block
	StatusDropped TxStatus = "dropped" // left the mempool unmined (Reason says why); remembered for a while
	StatusUnknown TxStatus = "unknown" // never seen, or forgotten
)

// QueryResult answers a Query. Every result carries the tip; the other
// fields are those of the query's kind. Err is set for a bad query.
type QueryResult struct {
	ID      uint64    `json:"id"`
	Kind    QueryKind `json:"kind"`
	Tip     uint64    `json:"tip"`
	TipHash string    `json:"tip_hash"`
	Err     string    `json:"err,omitempty"`

	// QueryTx.
	TxID          string   `json:"txid,omitempty"`
	Status        TxStatus `json:"status,omitempty"`
	Height        uint64   `json:"height,omitempty"`
	BlockHash     string   `json:"block_hash,omitempty"`
	Confirmations uint64   `json:"confirmations,omitempty"`
	Reason        string   `json:"reason,omitempty"`
	Stuck         bool     `json:"stuck,omitempty"`
	Fee           int64    `json:"fee,omitempty"` // QueryNonce: the mined transaction's fee

	// QueryAccount. Nonce is the next nonce to be mined; PendingNonce the
	// next one a new transaction should carry, counting the mempool.
	Address      string `json:"address,omitempty"`
	Balance      int64  `json:"balance,omitempty"`
	Nonce        uint64 `json:"nonce,omitempty"`
	PendingNonce uint64 `json:"pending_nonce,omitempty"`

	// QueryBlock.
	Block *BlockInfo `json:"block,omitempty"`
}

// BlockInfo describes one block for a QueryBlock.
type BlockInfo struct {
	Height uint64   `json:"height"`
	Hash   string   `json:"hash"`
	Parent string   `json:"parent"`
	Time   int64    `json:"time"` // Unix nanoseconds, the producer's clock
	Txs    []TxInfo `json:"txs"`
}

// TxInfo is a mined transaction as a block lists it.
type TxInfo struct {
	TxID   string `json:"txid"`
	From   string `json:"from"`
	To     string `json:"to"`
	Amount int64  `json:"amount"`
	Fee    int64  `json:"fee"`
	Nonce  uint64 `json:"nonce"`
	Memo   string `json:"memo,omitempty"`
	Digest string `json:"digest"`
}

// Control operations (the harness's chain faults).
const (
	// ControlReorg undoes the last Depth blocks (1..min(tip,
	// ReorgDepthMax)); their transactions return to the mempool.
	ControlReorg = "reorg"
	// ControlFeeSpike sets the minimum-fee multiplier to Multiplier
	// (1..FeeMultiplierMax; 1 ends the spike). Pending transactions below
	// the new minimum stay pending, unmined, until it drops or they are
	// bumped.
	ControlFeeSpike = "fee_spike"
	// ControlStuck makes TxID never mined until released (it may be
	// pending already or arrive later; its sender's later nonces wait
	// behind it; a fee bump, being another transaction, is not stuck).
	ControlStuck = "stuck"
	// ControlRelease undoes ControlStuck for TxID.
	ControlRelease = "release"
)

// Control is a fault order from the harness, e.g.
//
//	{"id":1,"op":"reorg","depth":2}
//	{"id":2,"op":"fee_spike","multiplier":20}
//	{"id":3,"op":"stuck","txid":"<64 hex>"}
//	{"id":4,"op":"release","txid":"<64 hex>"}
//
// framed as env.Encode(MsgControl, json). From any sender but the
// configured ControlSender it is ignored without an answer.
type Control struct {
	ID         uint64 `json:"id,omitempty"`
	Op         string `json:"op"`
	Depth      int    `json:"depth,omitempty"`
	Multiplier int64  `json:"multiplier,omitempty"`
	TxID       string `json:"txid,omitempty"`
}

// ControlResult answers a Control from the ControlSender.
type ControlResult struct {
	ID  uint64 `json:"id,omitempty"`
	Op  string `json:"op"`
	OK  bool   `json:"ok"`
	Err string `json:"err,omitempty"`
	Tip uint64 `json:"tip"`
}

func encodeJSON(t env.MsgType, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("chain: encode %T: %v", v, err))
	}
	return env.Encode(t, b)
}

// decodeJSON parses exactly one JSON object with no unknown fields.
func decodeJSON(body []byte, max int, v any) error {
	if len(body) > max {
		return fmt.Errorf("%w: chain: %T body of %d bytes, max %d", env.ErrWire, v, len(body), max)
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("%w: chain: %T: %v", env.ErrWire, v, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return fmt.Errorf("%w: chain: %T: trailing data", env.ErrWire, v)
	}
	return nil
}

// EncodeSubmit frames a Submit for the wire.
func EncodeSubmit(s Submit) []byte { return encodeJSON(MsgSubmit, s) }

// SubmitTx frames a Submit of a transaction.
func SubmitTx(id uint64, t Tx) []byte { return EncodeSubmit(Submit{ID: id, Raw: EncodeTx(t)}) }

// DecodeSubmit parses a Submit body (after env.Decode).
func DecodeSubmit(body []byte) (Submit, error) {
	var s Submit
	return s, decodeJSON(body, requestBodyMax, &s)
}

// EncodeSubmitResult frames a SubmitResult for the wire.
func EncodeSubmitResult(r SubmitResult) []byte { return encodeJSON(MsgSubmitResult, r) }

// DecodeSubmitResult parses a SubmitResult body.
func DecodeSubmitResult(body []byte) (SubmitResult, error) {
	var r SubmitResult
	return r, decodeJSON(body, resultBodyMax, &r)
}

// EncodeQuery frames a Query for the wire.
func EncodeQuery(q Query) []byte { return encodeJSON(MsgQuery, q) }

// DecodeQuery parses a Query body.
func DecodeQuery(body []byte) (Query, error) {
	var q Query
	return q, decodeJSON(body, requestBodyMax, &q)
}

// EncodeQueryResult frames a QueryResult for the wire.
func EncodeQueryResult(r QueryResult) []byte { return encodeJSON(MsgQueryResult, r) }

// DecodeQueryResult parses a QueryResult body.
func DecodeQueryResult(body []byte) (QueryResult, error) {
	var r QueryResult
	return r, decodeJSON(body, resultBodyMax, &r)
}

// EncodeControl frames a Control for the wire.
func EncodeControl(c Control) []byte { return encodeJSON(MsgControl, c) }

// DecodeControl parses a Control body.
func DecodeControl(body []byte) (Control, error) {
	var c Control
	return c, decodeJSON(body, requestBodyMax, &c)
}

// EncodeControlResult frames a ControlResult for the wire.
func EncodeControlResult(r ControlResult) []byte { return encodeJSON(MsgControlResult, r) }

// DecodeControlResult parses a ControlResult body.
func DecodeControlResult(body []byte) (ControlResult, error) {
	var r ControlResult
	return r, decodeJSON(body, resultBodyMax, &r)
}
