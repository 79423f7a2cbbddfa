package reports

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Meta holds the wall-clock facts of a run: kept out of report.json so the
// report stays byte-identical, but hashed by the manifest like all evidence.
type Meta struct {
	Started     string  `json:"started"`
	Finished    string  `json:"finished"`
	WallSeconds float64 `json:"wall_seconds"`
	Host        string  `json:"host"`
	GoVersion   string  `json:"go_version"`
	GOOS        string  `json:"goos"`
	GOARCH      string  `json:"goarch"`
	CPUs        int     `json:"cpus"`
	Command     string  `json:"command"`
	// SimSecondsPerWallSecond: time compression of this run.
	Compression float64 `json:"sim_seconds_per_wall_second"`
}

// ManifestEntry is one evidence file and its hash.
type ManifestEntry struct {
	Name   string `json:"name"`
	SHA256 string `json:"sha256"`
	Bytes  int    `json:"bytes"`
}

// Manifest lists every file of a bundle with its SHA-256.
type Manifest struct {
	Format int             `json:"format"`
	Files  []ManifestEntry `json:"files"`
}

// WriteBundle writes the files into dir with a manifest.json over all of
// them. It writes into a temporary sibling first and renames it into place,
// so a crash or Ctrl-C never leaves a half-written bundle. An existing dir is
// replaced.
func WriteBundle(dir string, files map[string][]byte) error {
	parent := filepath.Dir(filepath.Clean(dir))
	if err := os.MkdirAll(parent, 0o755); err != nil {
		return err
	}
	tmp, err := os.MkdirTemp(parent, ".vaultdrill-bundle-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	names := make([]string, 0, len(files))
	for n := range files {
		if strings.ContainsAny(n, `/\`) || n == "manifest.json" {
			return fmt.Errorf("reports: bad evidence file name %q", n)
		}
		names = append(names, n)
	}
	sort.Strings(names)
	m := Manifest{Format: FormatVersion}
	for _, n := range names {
		b := files[n]
		if err := os.WriteFile(filepath.Join(tmp, n), b, 0o644); err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		m.Files = append(m.Files, ManifestEntry{Name: n, SHA256: hex.EncodeToString(sum[:]), Bytes: len(b)})
	}
	mb, _ := json.MarshalIndent(m, "", "  ")
	if err := os.WriteFile(filepath.Join(tmp, "manifest.json"), append(mb, '\n'), 0o644); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	return os.Rename(tmp, dir)
}

// VerifyBundle re-hashes every file the manifest names and reports any
// mismatch, missing file or file the manifest does not cover.
func VerifyBundle(dir string) ([]string, error) {
	mb, err := os.ReadFile(filepath.Join(dir, "manifest.json"))
	if err != nil {
		return nil, err
	}
	var m Manifest
	dec := json.NewDecoder(bytes.NewReader(mb))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&m); err != nil {
		return nil, fmt.Errorf("manifest.json: %v", err)
	}
	var problems []string
	covered := map[string]bool{"manifest.json": true}
	for _, e := range m.Files {
		covered[e.Name] = true
		b, err := os.ReadFile(filepath.Join(dir, e.Name))
		if err != nil {
			problems = append(problems, fmt.Sprintf("%s: missing", e.Name))
			continue
		}
		sum := sha256.Sum256(b)
		if hex.EncodeToString(sum[:]) != e.SHA256 {
			problems = append(problems, fmt.Sprintf("%s: sha256 %x, manifest says %s", e.Name, sum, e.SHA256))
		}
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	for _, e := range ents {
		if !covered[e.Name()] {
			problems = append(problems, fmt.Sprintf("%s: not in the manifest", e.Name()))
		}
	}
	return problems, nil
}

// JSON renders run metadata.
func (m Meta) JSON() []byte {
	b, _ := json.MarshalIndent(m, "", "  ")
	return append(b, '\n')
}
