package clasp_test

import (
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

const modulePath = "github.com/clasp-tls/clasp"

// allowedImports is the import direction of docs/ARCHITECTURE.md: for each
// package, the clasp packages its non-test files may import. A package
// missing from this table fails the test, so a new package has to be placed
// in the architecture (and the document) before it can land.
var allowedImports = map[string][]string{
	"internal/suites":       {},
	"internal/wire":         {"internal/suites"},
	"internal/keys":         {"internal/suites"},
	"internal/kex":          {"internal/suites", "internal/wire"},
	"internal/signature":    {"internal/suites", "internal/wire"},
	"internal/record":       {"internal/suites", "internal/wire"},
	"internal/certcompress": {},
	"internal/dsakey":       {},
	"internal/peertest":     {},
	"internal/starttls":     {},
	"internal/loadgen":      {"."},
	"trace":                 {"internal/suites", "internal/wire", "internal/textcat"},
	"internal/textcat":      {},
	"sessions":              {},
	"sessions/redisstore":   {"sessions"},
	"sessions/storetest":    {"sessions"},
	".": {"internal/suites", "internal/wire", "internal/keys", "internal/kex",
		"internal/signature", "internal/record", "internal/certcompress", "internal/dsakey", "trace", "sessions"},
	"diagnose":                     {".", "trace", "internal/suites", "internal/wire", "internal/record", "internal/textcat", "internal/starttls"},
	"scan":                         {".", "trace", "internal/suites", "internal/wire", "internal/record", "internal/kex", "internal/keys", "internal/starttls"},
	"cmd/clasp":                    {".", "trace", "internal/suites", "diagnose", "scan", "sessions", "sessions/redisstore", "explain", "clasphttp", "internal/starttls", "internal/loadgen", "internal/dsakey"},
	"bench":                        {".", "internal/peertest", "sessions", "sessions/redisstore", "trace", "clasphttp"},
	"bench/cmd/load":               {"internal/loadgen"},
	"bench/cmd/tlsserver":          {"."},
	"explain":                      {"internal/textcat"},
	"interop":                      {".", "internal/peertest", "internal/suites", "trace", "diagnose", "sessions", "sessions/redisstore", "scan"},
	"clasphttp":                    {".", "internal/suites"},
	"claspgrpc":                    {"."},
	"examples/h2server":            {".", "clasphttp"},
	"examples/httpclient":          {".", "clasphttp"},
	"examples/grpcservice":         {".", "claspgrpc"},
	"examples/switchfromcryptotls": {"."},
}

func TestImportDirection(t *testing.T) {
	dirs := map[string]bool{}
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") && path != "." || d.Name() == "testdata" || d.Name() == "docs") {
			return filepath.SkipDir
		}
		if !d.IsDir() && strings.HasSuffix(path, ".go") {
			dirs[filepath.Dir(path)] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for dir := range dirs {
		allowed, known := allowedImports[dir]
		if !known {
			t.Errorf("package %s is not in the architecture: add it to docs/ARCHITECTURE.md and allowedImports", dir)
			continue
		}
		for _, imp := range importsOf(t, dir) {
			if !strings.HasPrefix(imp, modulePath) {
				continue
			}
			rel := strings.TrimPrefix(strings.TrimPrefix(imp, modulePath), "/")
			if rel == "" {
				rel = "."
			}
			if !slices.Contains(allowed, rel) {
				t.Errorf("%s imports %s, against the one-way direction in docs/ARCHITECTURE.md", dir, rel)
			}
		}
	}
}

func TestArchitectureDocumentNamesEveryPackage(t *testing.T) {
	doc, err := os.ReadFile("docs/ARCHITECTURE.md")
	if err != nil {
		t.Fatal(err)
	}
	for dir := range allowedImports {
		if dir == "." {
			continue
		}
		if _, err := os.Stat(dir); err != nil {
			continue // planned, not yet written
		}
		if !strings.Contains(string(doc), "`"+dir+"`") {
			t.Errorf("docs/ARCHITECTURE.md does not describe package %s", dir)
		}
	}
}

// importsOf lists the imports of the non-test Go files in dir.
func importsOf(t *testing.T, dir string) []string {
	t.Helper()
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	fset := token.NewFileSet()
	for _, e := range entries {
		name := e.Name()
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, filepath.Join(dir, name), nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range f.Imports {
			out = append(out, strings.Trim(imp.Path.Value, `"`))
		}
	}
	return out
}
