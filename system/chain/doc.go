// Package chain is the simulated blockchain the custody system broadcasts
// to and the harness's checkers read: one sans-I/O Node per chain, of one
// flavour, secp256k1 (ECDSA) or ed25519.
//
// # What it owns
//
// The outside world's ledger: account balances (int64, smallest units) of
// every address (external users, attackers, sanctioned parties, custody
// wallets, all listed in Config.Genesis), per-sender nonces, burned fees,
// a bounded mempool, blocks produced every Config.BlockInterval (default
// 10s secp256k1, 2s ed25519) by a timer, confirmations (tip height - block
// height + 1), and the chain faults: reorgs, fee spikes, stuck
// transactions. It verifies every signature with the real libraries
// (btcec/v2 for secp256k1, crypto/ed25519) against the sending address's
// public key. It also owns ExternalKey and Wallet, with which workloads
// derive, hold and sign for external parties' keys (never custody keys,
// which are MPC keys signed for elsewhere).
//
// # Addresses
//
// A two-letter flavour prefix and the first 20 bytes of sha256(public key)
// in lowercase hex, 42 characters: "k1" + hex(sha256(33-byte compressed
// secp256k1 key)[:20]) or "ed" + hex(sha256(32-byte ed25519 key)[:20]).
// Only this form is an address (see Address, CheckAddress).
//
// # Transactions
//
// Tx{Chain, From, To, Amount, Fee, Nonce, Memo, PubKey, Sig}. Encoding
// (EncodeTx, DecodeTx; big-endian fixed-width integers, str = u16 length
// then bytes):
//
//	"VDTX" | 0x01 | str Chain | str From | str To | i64 Amount | i64 Fee |
//	u64 Nonce | str Memo | str PubKey | str Sig
//
// SigningDigest = sha256 of that encoding without its final "str Sig";
// TxID = hex sha256 of the whole encoding. DecodeTx is strict (one
// transaction, one byte string; at most TxSizeMax bytes, MemoMax of memo).
// A secp256k1 signature is 64 bytes r || s over the digest as the ECDSA
// hash, verified against a 33-byte compressed key; either s is accepted
// (low-S normalised before verifying), so one signed transaction has two
// encodings and two TxIDs but one SigningDigest, and one (sender, nonce):
// judge "settled once" by digest or (sender, nonce), never by TxID. An ed25519 signature is pure
// Ed25519 over the 32 digest bytes. Chain is the flavour: a transaction is
// valid on a chain of that flavour only. Amount > 0, Fee >= 0, Memo valid
// UTF-8. The sender's n-th mined transaction carries nonce n-1: a new
// transaction must carry the sender's next nonce counting its pending ones;
// one carrying the nonce of a pending transaction replaces it only with a
// strictly higher fee (a fee bump), so only one of them can ever be mined.
//
// # Protocol
//
// JSON bodies in env frames, types in env.MsgType's 40-49 (messages.go):
// 40 Submit{id, raw} answered by 41 SubmitResult{id, txid, accepted,
// replaced, reason, detail, tip}; 42 Query{id, kind tx|account|tip|block|nonce,
// txid, address, height} answered by 43 QueryResult; 49 Control answered by
// 48 ControlResult{id, op, ok, err, tip}. A refusal's reason is the text of
// one sentinel error (ErrBadSignature "chain: bad signature", ErrBadNonce,
// ErrInsufficientFunds, ErrDuplicate, ...; ReasonErr maps it back).
// Undecodable messages are ignored.
//
// # Faults (Control, message type 49)
//
// Obeyed only from the host-authenticated Config.ControlSender (default
// "harness"); from anyone else ignored, unanswered. Bodies:
//
//	{"id":1,"op":"reorg","depth":2}          undo the last 2 blocks
//	{"id":2,"op":"fee_spike","multiplier":20} minimum fee = MinFee*20 (1 ends it)
//	{"id":3,"op":"stuck","txid":"<hex>"}      never mine it until released
//	{"id":4,"op":"release","txid":"<hex>"}
//
// A reorg of depth d (1..min(tip, ReorgDepthMax)) undoes the last d blocks
// (their transactions in reverse), and returns their transactions to the
// mempool in chain order; the chain continues from the new tip, so their
// confirmations drop. Nothing is re-mined at once: a competing transaction
// of the same sender and nonce submitted in between (a double spend) can
// replace a returned one by paying more, and at most one of them is ever
// mined. During a fee spike, pending transactions below the minimum stay
// pending, unmined. Fault state (multiplier, stuck set) is durable.
//
// # Observations
//
// Every one carries "chain" (the flavour).
//   - chain.block: height, hash, parent, time, txs, fees, burned (total so
//     far), pending.
//   - chain.tx (inclusion, right after its block): txid, from, to, amount,
//     fee, nonce, memo, pubkey (hex), sig (hex), digest (hex SigningDigest),
//     height, index, block (hash). These are all the signed fields: a
//     checker recomputes digest and txid from them.
//   - chain.reorg: depth, old_tip, old_hash, new_tip, new_hash, undone,
//     returned, dropped. Every chain.tx at a height above new_tip is undone.
//   - chain.reject: txid, reason, detail, stage (submit | mempool | reorg),
//     from, nonce, fee, and by (the replacing txid) for fee bumps.
//   - chain.accept: a transaction entered the mempool (chain.tx's fields
//     without the block ones).
//   - chain.control: op, ok, err and the op's argument.
//   - chain.restore: height, hash, torn_bytes, fee_multiplier, stuck, at
//     every start.
//
// # Disk
//
// Blocks and reorgs are appended as env.Record frames to chain/blocks and
// synced before anything about them is observed or answered; on start the
// chain replays them, cutting a torn tail. The mempool is volatile. See
// storage.go.
//
// # Bounds and costs
//
// TxSizeMax, MemoMax, MaxTxPerBlock, MempoolMax, MempoolPerSenderMax,
// ReorgDepthMax, FeeMultiplierMax, and the remembered dropped and stuck
// transaction ids are all bounded. Steps charge fixed virtual costs:
// CostStep, CostVerifySecp256k1 or CostVerifyEd25519 per verified
// signature, CostBlock, CostTxApply per applied transaction, CostSync.
//
// # Determinism contract
//
// A Node uses only its env.Env: block times from e.Now, block timers from
// e.After, no randomness at all. Maps are never ranged over where order
// matters (senders and stuck ids are sorted, the block order is a total
// order on fee, arrival and txid), hashes cover canonical encodings, and
// ECDSA signing (Wallet) uses RFC 6979 nonces, Ed25519 is deterministic by
// design: the same inputs give the same blocks, hashes and observations.
package chain
