package scenarios

import "testing"

// runDrill loads a drill (a built-in name or a file) with overrides and
// runs one seed of it, failing the test on a load or harness error.
func runDrill(t *testing.T, ref string, seed uint64, sets ...string) *Outcome {
	t.Helper()
	s, err := Load(ref, sets)
	if err != nil {
		t.Fatal(err)
	}
	out, err := Run(s, Options{Seed: seed, Commit: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return out
}
