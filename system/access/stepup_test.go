package access

import (
	"errors"
	"testing"
	"time"
)

// A sensitive op gets a challenge bound to (user, op, params); the answer
// carries the same op and params and a fresh code, before expiry, once.
func TestStepUp(t *testing.T) {
	issueAt := t0.Add(40 * time.Second) // step 1201; the login used 1200
	answerAt := t0.Add(65 * time.Second)
	cases := []struct {
		name    string
		edit    func(r *Request, at *time.Time)
		other   bool // answer at wallet-2 (same deployment key, same ledger)
		before  func(w *world, g1, g2 *Gateway, answer Request)
		want    Result
		reason  string
		wantErr error
	}{
		{name: "exact params", want: ResultAllow, reason: "ok"},
		{name: "answered at another region's gateway", other: true, want: ResultAllow, reason: "ok"},
		{name: "a different amount", edit: func(r *Request, _ *time.Time) { r.Params[3] = "999" },
			want: ResultDeny, reason: "challenge-mismatch", wantErr: ErrChallenge},
		{name: "a different destination", edit: func(r *Request, _ *time.Time) { r.Params[2] = "k1-attacker" },
			want: ResultDeny, reason: "challenge-mismatch", wantErr: ErrChallenge},
		{name: "a forged challenge id", edit: func(r *Request, _ *time.Time) { r.Challenge = r.Challenge[:len(r.Challenge)-1] + "0" },
			want: ResultDeny, reason: "challenge-mismatch", wantErr: ErrChallenge},
		{name: "after expiry", edit: func(r *Request, at *time.Time) { *at = issueAt.Add(5*time.Minute + time.Second) },
			want: ResultDeny, reason: "challenge-expired", wantErr: ErrChallenge},
		{name: "just before expiry", edit: func(r *Request, at *time.Time) { *at = issueAt.Add(5*time.Minute - time.Second) },
			want: ResultAllow, reason: "ok"},
		{name: "a wrong code", edit: func(r *Request, _ *time.Time) { r.Code = wrongCode(r.Code) },
			want: ResultDeny, reason: "challenge-otp", wantErr: ErrOTP},
		{name: "the login's code again", edit: func(r *Request, at *time.Time) { r.Code, *at = "login", t0.Add(45*time.Second) },
			want: ResultDeny, reason: "challenge-otp-replay", wantErr: ErrReplay},
		{name: "a low biometric score", edit: func(r *Request, _ *time.Time) { r.Biometric = 100 },
			want: ResultDeny, reason: "challenge-biometric", wantErr: ErrBiometric},
		{name: "used twice at one gateway",
			before: func(w *world, g1, _ *Gateway, a Request) {
				if d := w.do(g1, t0.Add(50*time.Second), withCode(g1, a, t0.Add(50*time.Second))); !d.Allowed() {
					t.Fatalf("first answer: %s %v", d.Reason, d.Err)
				}
			},
			want: ResultDeny, reason: "challenge-replay", wantErr: ErrChallenge},
		{name: "used twice across regions", other: true,
			before: func(w *world, g1, _ *Gateway, a Request) {
				if d := w.do(g1, t0.Add(50*time.Second), withCode(g1, a, t0.Add(50*time.Second))); !d.Allowed() {
					t.Fatalf("first answer: %s %v", d.Reason, d.Err)
				}
			},
			want: ResultDeny, reason: "challenge-replay", wantErr: ErrChallenge},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			w := newWorld(t)
			g1, g2 := w.gateway("wallet-1", nil), w.gateway("wallet-2", nil)
			loginCode := code(g1, "alice", t0)
			sess := w.login(g1, t0, "alice", "alice-phone")
			op := Request{Kind: KindOp, User: "alice", Device: "alice-phone", Session: sess, IP: "10.0.0.1",
				Op: OpWithdraw, Params: withdrawParams("alice", "wd-1", 500)}
			d := w.do(g1, issueAt, op)
			if d.Result != ResultStepUp || d.Challenge == "" || !d.Expires.Equal(issueAt.Add(5*time.Minute)) {
				t.Fatalf("op: %s %s challenge %q expires %v", d.Result, d.Reason, d.Challenge, d.Expires)
			}
			issue := w.last("access.stepup")
			if issue["result"] != "issue" || issue["params"] != ParamsDigest(OpWithdraw, op.Params...) ||
				issue["expires"] != ns(issueAt.Add(5*time.Minute)) || issue["challenge"] != d.Challenge {
				t.Fatalf("issue fact %v", issue)
			}
			answer := op
			answer.Kind, answer.Challenge = KindStepUp, d.Challenge
			answer.Params = append([]string(nil), op.Params...)
			at := answerAt
			if c.before != nil {
				c.before(w, g1, g2, answer)
			}
			answer.Code = code(g1, "alice", answerAt)
			if c.edit != nil {
				c.edit(&answer, &at)
				if answer.Code == "login" {
					answer.Code = loginCode
				} else if at != answerAt {
					answer.Code = code(g1, "alice", at)
				}
			}
			g := g1
			if c.other {
				g = g2
			}
			d = w.do(g, at, answer)
			if d.Result != c.want || d.Reason != c.reason || (c.wantErr != nil && !errors.Is(d.Err, c.wantErr)) {
				t.Fatalf("answer: %s %s %v; want %s %s %v", d.Result, d.Reason, d.Err, c.want, c.reason, c.wantErr)
			}
			dec := w.last("access.decision")
			if c.want == ResultAllow {
				if dec["challenge"] != answer.Challenge || dec["subject"] != "wd-1" || w.last("access.stepup")["result"] != "accept" {
					t.Fatalf("allow facts: decision %v stepup %v", dec, w.last("access.stepup"))
				}
			} else if dec["decision"] != "deny" || w.last("access.stepup")["result"] != "reject" {
				t.Fatalf("deny facts: decision %v stepup %v", dec, w.last("access.stepup"))
			}
			if n := w.count("access.stepup", "result=accept"); n > 1 {
				t.Fatalf("challenge accepted %d times", n)
			}
		})
	}
}

func withCode(g *Gateway, r Request, at time.Time) Request {
	u := r.User
	if u == "" { // an API-key request: the key owner's code, the first param
		u = r.Params[0]
	}
	r.Code = code(g, u, at)
	r.ID = ""
	return r
}

// stepUp runs a sensitive op through its challenge at now and now+30s.
func stepUp(w *world, g *Gateway, now time.Time, r Request) (first, final Decision) {
	w.t.Helper()
	first = w.do(g, now, r)
	if first.Result != ResultStepUp {
		return first, first
	}
	a := r
	a.Kind, a.Challenge, a.ID = KindStepUp, first.Challenge, ""
	return first, w.do(g, now.Add(30*time.Second), withCode(g, a, now.Add(30*time.Second)))
}

// The planted skip-stepup lets a sensitive op through with no challenge;
// the correct gateway asks for one. Non-sensitive ops need none either way.
func TestBugSkipStepUp(t *testing.T) {
	for _, c := range []struct {
		bug  Bug
		op   Op
		want Result
	}{
		{BugNone, OpWithdraw, ResultStepUp},
		{BugSkipStepUp, OpWithdraw, ResultAllow},
		{BugNone, OpRead, ResultAllow},
		{BugSkipStepUp, OpRead, ResultAllow},
	} {
		w := newWorld(t)
		g := w.gateway("wallet-1", func(cf *Config) { cf.Bug = c.bug })
		sess := w.login(g, t0, "alice", "alice-phone")
		params := withdrawParams("alice", "wd-1", 5)
		if c.op == OpRead {
			params = []string{"alice", "balance"}
		}
		d := w.do(g, t0.Add(time.Second), Request{Kind: KindOp, User: "alice", Device: "alice-phone", Session: sess, Op: c.op, Params: params})
		if d.Result != c.want {
			t.Fatalf("bug %q op %s: %s %s", c.bug, c.op, d.Result, d.Reason)
		}
		if d.Allowed() && c.op.Sensitive() && w.last("access.decision")["challenge"] != "" {
			t.Fatalf("skip-stepup allowed with a challenge")
		}
	}
}
