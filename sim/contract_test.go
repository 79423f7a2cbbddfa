package sim

import (
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// The determinism contract of ARCHITECTURE.md, enforced: code under system/
// and sim/ never reads the wall clock, never uses global math/rand or
// crypto/rand, never starts a goroutine, and never ranges over a map unless
// the line says why order cannot matter ("// determinism: allowed").
//
// The allowlist is short and named: the one sim file that installs the
// crypto/rand router, and the live host, which runs in a real process.
var contractAllow = map[string]string{
	"sim/entropy.go": "installs the process-wide crypto/rand router",
	"system/live":    "the live host runs nodes against the real world",
}

const allowMark = "determinism: allowed"

type violation struct{ pos, what string }

func allowed(rel string) bool {
	for p := range contractAllow { // determinism: allowed (membership test)
		if rel == p || strings.HasPrefix(rel, p+"/") {
			return true
		}
	}
	return false
}

var forbiddenTime = map[string]bool{
	"Now": true, "Sleep": true, "After": true, "Tick": true, "NewTimer": true,
	"NewTicker": true, "Since": true, "Until": true, "AfterFunc": true,
}

// scanContract checks every non-test Go file of the packages under dirs.
func scanContract(t *testing.T, root string, dirs []string) []violation {
	t.Helper()
	var out []violation
	fset := token.NewFileSet()
	imp := exportImporter(t, fset, root, dirs)
	for _, dir := range dirs {
		pkgDirs := map[string][]string{}
		_ = filepath.Walk(filepath.Join(root, dir), func(path string, info os.FileInfo, err error) error {
			if err != nil || info.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return nil
			}
			pkgDirs[filepath.Dir(path)] = append(pkgDirs[filepath.Dir(path)], path)
			return nil
		})
		keys := make([]string, 0, len(pkgDirs))
		for k := range pkgDirs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, pd := range keys {
			var files []*ast.File
			var names []string
			for _, path := range pkgDirs[pd] {
				rel, _ := filepath.Rel(root, path)
				rel = filepath.ToSlash(rel)
				if allowed(rel) {
					continue
				}
				f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
				if err != nil {
					t.Fatalf("parse %s: %v", rel, err)
				}
				files = append(files, f)
				names = append(names, rel)
			}
			if len(files) == 0 {
				continue
			}
			info := &types.Info{Types: map[ast.Expr]types.TypeAndValue{}, Uses: map[*ast.Ident]types.Object{}}
			conf := types.Config{Importer: imp, Error: func(error) {}}
			_, _ = conf.Check(pd, fset, files, info)
			for i, f := range files {
				out = append(out, scanFile(fset, names[i], f, info)...)
			}
		}
	}
	return out
}

// exportImporter type-checks against compiled export data from the build
// cache (go list -export), which is much faster than re-checking every
// dependency (raft, tss-lib) from source. Where go list cannot help (a
// planted package in a temporary tree), it falls back to source.
func exportImporter(t *testing.T, fset *token.FileSet, root string, dirs []string) types.Importer {
	t.Helper()
	var pats []string
	for _, d := range dirs {
		pats = append(pats, "./"+d+"/...")
	}
	cmd := exec.Command("go", append([]string{"list", "-e", "-export", "-deps", "-f", "{{.ImportPath}}\t{{.Export}}"}, pats...)...)
	cmd.Dir = root
	out, err := cmd.Output()
	exports := map[string]string{}
	if err == nil {
		for _, line := range strings.Split(string(out), "\n") {
			if path, file, ok := strings.Cut(line, "\t"); ok && file != "" {
				exports[path] = file
			}
		}
	}
	if len(exports) == 0 {
		return importer.ForCompiler(fset, "source", nil)
	}
	return importer.ForCompiler(fset, "gc", func(path string) (io.ReadCloser, error) {
		f, ok := exports[path]
		if !ok {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(f)
	})
}

func scanFile(fset *token.FileSet, rel string, f *ast.File, info *types.Info) []violation {
	var out []violation
	marked := map[int]bool{}
	for _, cg := range f.Comments {
		for _, c := range cg.List {
			if strings.Contains(c.Text, allowMark) {
				marked[fset.Position(c.Slash).Line] = true
			}
		}
	}
	at := func(n ast.Node) string {
		p := fset.Position(n.Pos())
		return rel + ":" + itoa(p.Line)
	}
	isMarked := func(n ast.Node) bool { return marked[fset.Position(n.Pos()).Line] }
	for _, im := range f.Imports {
		path := strings.Trim(im.Path.Value, `"`)
		if (path == "math/rand" || path == "crypto/rand") && !isMarked(im) {
			out = append(out, violation{at(im), "imports " + path})
		}
	}
	ast.Inspect(f, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.GoStmt:
			if !isMarked(x) {
				out = append(out, violation{at(x), "starts a goroutine"})
			}
		case *ast.SelectorExpr:
			if id, ok := x.X.(*ast.Ident); ok && forbiddenTime[x.Sel.Name] {
				if pn, ok := info.Uses[id].(*types.PkgName); ok && pn.Imported().Path() == "time" && !isMarked(x) {
					out = append(out, violation{at(x), "calls time." + x.Sel.Name})
				}
			}
		case *ast.RangeStmt:
			if tv, ok := info.Types[x.X]; ok && tv.Type != nil {
				if _, isMap := tv.Type.Underlying().(*types.Map); isMap && !isMarked(x) {
					out = append(out, violation{at(x), "ranges over a map (sort the keys, or mark the line '// determinism: allowed (why)')"})
				}
			}
		}
		return true
	})
	return out
}

func itoa(n int) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for n > 0 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(b)
}

func TestDeterminismContract(t *testing.T) {
	root, _ := filepath.Abs("..")
	vs := scanContract(t, root, []string{"sim", "system"})
	for _, v := range vs {
		t.Errorf("%s: %s", v.pos, v.what)
	}
}

// The scanner itself must catch each forbidden pattern in a planted file.
func TestDeterminismContractCatchesPlanted(t *testing.T) {
	dir := t.TempDir()
	pkg := filepath.Join(dir, "system", "bad")
	if err := os.MkdirAll(pkg, 0o755); err != nil {
		t.Fatal(err)
	}
	src := `package bad

import (
	"crypto/rand"
	mrand "math/rand"
	"time"
)

func F(m map[string]int) {
	_ = time.Now()
	time.Sleep(1)
	go func() {}()
	for k := range m {
		_ = k
	}
	for k := range m { // determinism: allowed (test of the mark)
		_ = k
	}
	_ = mrand.Int()
	_, _ = rand.Read(nil)
}
`
	if err := os.WriteFile(filepath.Join(pkg, "bad.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	vs := scanContract(t, dir, []string{"system"})
	want := []string{"imports crypto/rand", "imports math/rand", "calls time.Now", "calls time.Sleep", "starts a goroutine", "ranges over a map"}
	for _, w := range want {
		found := false
		for _, v := range vs {
			if strings.HasPrefix(v.what, w) {
				found = true
			}
		}
		if !found {
			t.Errorf("planted %q not caught; got %v", w, vs)
		}
	}
	maps := 0
	for _, v := range vs {
		if strings.HasPrefix(v.what, "ranges over a map") {
			maps++
		}
	}
	if maps != 1 {
		t.Errorf("caught %d map ranges, want 1 (the marked one is allowed)", maps)
	}
}
