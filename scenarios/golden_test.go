package scenarios

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden reports under testdata/")

// The report of a fixed drill, seed and commit is pinned byte for byte: a
// change in behaviour, format or rendering shows up as a diff to review,
// and -update rewrites it (go test ./scenarios -run Golden -update).
func TestGoldenReport(t *testing.T) {
	s, err := Load("region-failover", []string{"duration=4m", "faults.plan=+1m region-down primary\n+2m region-up primary"})
	if err != nil {
		t.Fatal(err)
	}
	out, err := Run(s, Options{Seed: 3, Commit: "golden"})
	if err != nil {
		t.Fatal(err)
	}
	for name, got := range map[string][]byte{
		"region-failover-seed3.report.json": out.Report.JSON(),
		"region-failover-seed3.summary.md":  out.Report.Markdown(),
		"region-failover-seed3.junit.xml":   out.Report.JUnit(),
	} {
		path := filepath.Join("testdata", name)
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run with -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from the golden file; review the change and run: go test ./scenarios -run Golden -update", name)
		}
	}
}
