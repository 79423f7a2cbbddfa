package risk

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"vaultdrill/system/env"
)

// ByAutomation is the `by` of a freeze the engine decided. It is never a
// reviewer: Queue.Decide refuses it.
const ByAutomation = "automation"

// CaseKind says what a case holds: one operation, or a whole account.
type CaseKind string

const (
	KindHold   CaseKind = "hold"   // one operation waits for the decision
	KindFreeze CaseKind = "freeze" // the account moves no funds until released
)

// CaseState is open until a decision closes the case.
type CaseState string

const (
	StateOpen   CaseState = "open"
	StateClosed CaseState = "closed"
)

// Decision is a reviewer's verdict.
type Decision string

const (
	// DecisionRelease: a hold's operation goes ahead; a freeze is lifted.
	DecisionRelease Decision = "release"
	// DecisionConfirm: a hold's operation is refused; a freeze stands for
	// good (no later case can lift it).
	DecisionConfirm Decision = "confirm"
)

func validDecision(d Decision) bool { return d == DecisionRelease || d == DecisionConfirm }

// Case is one review case.
type Case struct {
	ID       string
	Kind     CaseKind
	Subject  string // the operation that opened it
	Account  string
	OpenedAt time.Time
	State    CaseState
	Decision Decision // empty while open
	// Reviewer closed the case (ByAutomation only under BugAutoRelease).
	Reviewer string
	ClosedAt time.Time
	// Why it was opened, for the reviewer.
	Score    int
	Typology Typology
	Features string
	// Requester is the node whose request opened it: it is told the outcome.
	Requester env.NodeID
}

// Task is what a reviewer is sent: the case and the attempt number (a
// resend carries a higher one).
type Task struct {
	Case     Case
	Reviewer env.NodeID
	Attempt  int
}

// Queue errors.
var (
	ErrNotReviewer = errors.New("risk: not a reviewer")
	ErrNoCase      = errors.New("risk: no such case")
	ErrDecided     = errors.New("risk: case already decided otherwise")
	ErrDecision    = errors.New("risk: unknown decision")
)

// Queue holds the review cases. Automation may open cases (and with them
// freezes); only Decide closes them, and Decide accepts only a configured
// reviewer, never ByAutomation. The one other way a case closes is the
// planted BugAutoRelease, which the node reaches through an unexported
// method.
type Queue struct {
	prefix    string
	reviewers []env.NodeID
	next      uint64
	cases     map[string]*Case
	order     []string // case ids in opening order
	attempts  map[string]int
	// frozen maps an account to its freeze case: open, or closed with
	// confirm (the freeze stands).
	frozen    map[string]string
	holdsOpen int
}

// NewQueue makes an empty queue whose case ids start with prefix.
func NewQueue(prefix string, reviewers []env.NodeID) *Queue {
	return &Queue{prefix: prefix, reviewers: slices.Clone(reviewers), cases: map[string]*Case{},
		attempts: map[string]int{}, frozen: map[string]string{}}
}

// IsReviewer reports whether id may decide cases.
func (q *Queue) IsReviewer(id env.NodeID) bool {
	return id != "" && string(id) != ByAutomation && slices.Contains(q.reviewers, id)
}

// Case returns a case by id.
func (q *Queue) Case(id string) (Case, bool) {
	c, ok := q.cases[id]
	if !ok {
		return Case{}, false
	}
	return *c, true
}

// Frozen returns the freeze case of a frozen account.
func (q *Queue) Frozen(account string) (Case, bool) {
	id, ok := q.frozen[account]
	if !ok {
		return Case{}, false
	}
	return *q.cases[id], true
}

// OpenCases lists the open cases, oldest first.
func (q *Queue) OpenCases() []Case {
	var out []Case
	for _, id := range q.order {
		if c := q.cases[id]; c.State == StateOpen {
			out = append(out, *c)
		}
	}
	return out
}

// Cases lists every case kept, oldest first.
func (q *Queue) Cases() []Case {
	out := make([]Case, 0, len(q.order))
	for _, id := range q.order {
		out = append(out, *q.cases[id])
	}
	return out
}

// HoldsOpen counts the open hold cases.
func (q *Queue) HoldsOpen() int { return q.holdsOpen }

// Open opens a case for c's kind, subject and account at c.OpenedAt and
// returns it with its id. A freeze for an account that is already frozen
// opens nothing and returns the existing freeze case with opened false.
func (q *Queue) Open(c Case) (out Case, opened bool) {
	if c.Kind != KindHold && c.Kind != KindFreeze {
		panic(fmt.Sprintf("risk: open case of kind %q", c.Kind))
	}
	if c.Kind == KindFreeze {
		if f, ok := q.Frozen(c.Account); ok {
			return f, false
		}
	}
	q.next++
	c.ID = q.prefix + "/case-" + strconv.FormatUint(q.next, 10)
	c.State, c.Decision, c.Reviewer, c.ClosedAt = StateOpen, "", "", time.Time{}
	q.insert(c)
	return c, true
}

// insert adds a case as it is (replay and Open).
func (q *Queue) insert(c Case) {
	if _, dup := q.cases[c.ID]; dup {
		panic(fmt.Sprintf("risk: case %s opened twice", c.ID))
	}
	if n, ok := caseSeq(q.prefix, c.ID); ok && n > q.next {
		q.next = n
	}
	cc := c
	q.cases[c.ID] = &cc
	q.order = append(q.order, c.ID)
	if c.Kind == KindFreeze && (c.State == StateOpen || c.Decision == DecisionConfirm) {
		q.frozen[c.Account] = c.ID
	}
	if c.Kind == KindHold && c.State == StateOpen {
		q.holdsOpen++
	}
}

func caseSeq(prefix, id string) (uint64, bool) {
	s, ok := strings.CutPrefix(id, prefix+"/case-")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseUint(s, 10, 64)
	return n, err == nil
}

// Decide closes a case with a reviewer's decision. Only a configured
// reviewer may decide; automation never can. Deciding a closed case again
// the same way is a no-op that returns the case (changed false); any other
// decision on a closed case is ErrDecided.
func (q *Queue) Decide(id string, d Decision, reviewer env.NodeID, at time.Time) (c Case, changed bool, err error) {
	if !q.IsReviewer(reviewer) {
		return Case{}, false, fmt.Errorf("%w: %q", ErrNotReviewer, reviewer)
	}
	if !validDecision(d) {
		return Case{}, false, fmt.Errorf("%w: %q", ErrDecision, d)
	}
	return q.close(id, d, string(reviewer), at)
}

// autoRelease is the planted BugAutoRelease: automation lifts a freeze.
// Nothing but the node under that bug calls it.
func (q *Queue) autoRelease(id string, at time.Time) (Case, bool, error) {
	return q.close(id, DecisionRelease, ByAutomation, at)
}

// close applies a decision; the caller has checked who decides.
func (q *Queue) close(id string, d Decision, by string, at time.Time) (Case, bool, error) {
	c, ok := q.cases[id]
	if !ok {
		return Case{}, false, fmt.Errorf("%w: %s", ErrNoCase, id)
	}
	if c.State == StateClosed {
		if c.Decision == d && c.Reviewer == by {
			return *c, false, nil
		}
		return *c, false, fmt.Errorf("%w: %s was %s by %s", ErrDecided, id, c.Decision, c.Reviewer)
	}
	c.State, c.Decision, c.Reviewer, c.ClosedAt = StateClosed, d, by, at
	delete(q.attempts, id)
	switch c.Kind {
	case KindHold:
		q.holdsOpen--
	case KindFreeze:
		if d == DecisionRelease {
			delete(q.frozen, c.Account)
		}
	}
	return *c, true, nil
}

// Assign hands out the next task for an open case: to the next reviewer
// in rotation (starting from the case's own number, so cases spread over
// the reviewers), with the attempt counted. False when the case is not
// open, there are no reviewers, or attemptsMax tasks were already sent.
func (q *Queue) Assign(id string, attemptsMax int) (Task, bool) {
	c, ok := q.cases[id]
	if !ok || c.State != StateOpen || len(q.reviewers) == 0 || q.attempts[id] >= attemptsMax {
		return Task{}, false
	}
	n, _ := caseSeq(q.prefix, id)
	a := q.attempts[id]
	q.attempts[id] = a + 1
	r := q.reviewers[(n-1+uint64(a))%uint64(len(q.reviewers))]
	return Task{Case: *c, Reviewer: r, Attempt: a + 1}, true
}

// Attempts is the number of tasks handed out for a case in this
// incarnation.
func (q *Queue) Attempts(id string) int { return q.attempts[id] }

// prune drops the oldest closed cases over keep, except those that still
// hold a confirmed freeze.
func (q *Queue) prune(keep int) {
	closed := 0
	for _, id := range q.order {
		if q.cases[id].State == StateClosed {
			closed++
		}
	}
	if closed <= keep {
		return
	}
	drop := closed - keep
	kept := q.order[:0]
	for _, id := range q.order {
		c := q.cases[id]
		if drop > 0 && c.State == StateClosed && q.frozen[c.Account] != id {
			delete(q.cases, id)
			drop--
			continue
		}
		kept = append(kept, id)
	}
	q.order = kept
}
