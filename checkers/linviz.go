package checkers

import (
	"fmt"
	"io"

	"github.com/anishathalye/porcupine"

	"vaultdrill/checkers/history"
)

// LinearizabilityViz writes porcupine's HTML visualization of one account's
// check (with the fault lines as annotations), for the report to link.
func LinearizabilityViz(in Input, account string, w io.Writer) error {
	accts, _, err := linAccounts(in.History)
	if err != nil {
		return fmt.Errorf("checkers: %w", err)
	}
	a := accts[account]
	if a == nil {
		return fmt.Errorf("checkers: no checkable operations on account %q", account)
	}
	_, info := porcupine.CheckOperationsVerbose(ledgerModel, a.pops, DefaultLinTimeLimit)
	var notes []porcupine.Annotation
	for _, e := range in.History {
		if e.Kind != history.Fault {
			continue
		}
		notes = append(notes, porcupine.Annotation{
			Tag:             "nemesis",
			Start:           e.Time,
			Description:     e.Op,
			Details:         e.Detail,
			BackgroundColor: "#f6d0d0",
		})
	}
	info.AddAnnotations(notes)
	return porcupine.Visualize(ledgerModel, info, w)
}
