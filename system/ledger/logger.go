package ledger

import "fmt"

// discardLogger is raft's logger: a node prints nothing (all it has to say
// goes through observations), but raft's panics and fatals still stop the
// node loudly.
type discardLogger struct{}

func (discardLogger) Debug(...any)            {}
func (discardLogger) Debugf(string, ...any)   {}
func (discardLogger) Error(...any)            {}
func (discardLogger) Errorf(string, ...any)   {}
func (discardLogger) Info(...any)             {}
func (discardLogger) Infof(string, ...any)    {}
func (discardLogger) Warning(...any)          {}
func (discardLogger) Warningf(string, ...any) {}
func (discardLogger) Fatal(v ...any)          { panic("ledger: raft fatal: " + fmt.Sprint(v...)) }
func (discardLogger) Fatalf(format string, v ...any) {
	panic("ledger: raft fatal: " + fmt.Sprintf(format, v...))
}
func (discardLogger) Panic(v ...any) { panic("ledger: raft panic: " + fmt.Sprint(v...)) }
func (discardLogger) Panicf(format string, v ...any) {
	panic("ledger: raft panic: " + fmt.Sprintf(format, v...))
}
