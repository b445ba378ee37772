package clasp

import (
	"bufio"
	"go/ast"
	"go/doc"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

// The README promises that moving from crypto/tls to clasp is a change of
// import path. This test holds the promise to account: it reads the
// exported API of the Go installation's crypto/tls from its source (every
// exported constant, variable, function, type, struct field and method)
// and fails for each identifier clasp lacks that is not on the list of
// deliberate omissions, testdata/api_omissions.txt, where each entry gives
// its reason. An entry that clasp now has fails too, so the list only
// shrinks with the work.

// exportedAPI returns "Name", "Type.Field" and "Type.Method" for the
// exported identifiers of the package in dir (tests excluded).
func exportedAPI(t *testing.T, dir, importPath string) map[string]bool {
	t.Helper()
	fset := token.NewFileSet()
	filter := func(fi os.FileInfo) bool { return !strings.HasSuffix(fi.Name(), "_test.go") }
	pkgs, err := parser.ParseDir(fset, dir, filter, parser.ParseComments)
	if err != nil {
		t.Fatalf("parsing %s: %v", dir, err)
	}
	api := map[string]bool{}
	for name, pkg := range pkgs {
		if strings.HasSuffix(name, "_test") {
			continue
		}
		d := doc.New(pkg, importPath, 0)
		addValues(api, d.Consts)
		addValues(api, d.Vars)
		for _, f := range d.Funcs {
			api[f.Name] = true
		}
		for _, typ := range d.Types {
			addType(api, typ)
		}
	}
	return api
}

func addValues(api map[string]bool, values []*doc.Value) {
	for _, v := range values {
		for _, n := range v.Names {
			if ast.IsExported(n) {
				api[n] = true
			}
		}
	}
}

func addType(api map[string]bool, typ *doc.Type) {
	api[typ.Name] = true
	addValues(api, typ.Consts)
	addValues(api, typ.Vars)
	for _, f := range typ.Funcs {
		api[f.Name] = true
	}
	for _, m := range typ.Methods {
		api[typ.Name+"."+m.Name] = true
	}
	for _, spec := range typ.Decl.Specs {
		ts, ok := spec.(*ast.TypeSpec)
		if !ok {
			continue
		}
		var fields *ast.FieldList
		switch t := ts.Type.(type) {
		case *ast.StructType:
			fields = t.Fields
		case *ast.InterfaceType:
			fields = t.Methods
		}
		if fields == nil {
			continue
		}
		for _, f := range fields.List {
			for _, n := range f.Names {
				if n.IsExported() {
					api[typ.Name+"."+n.Name] = true
				}
			}
		}
	}
}

// claspAPI is clasp's exported API, with the methods and fields that type
// aliases to the registry (CurveID, SignatureScheme) bring.
func claspAPI(t *testing.T) map[string]bool {
	api := exportedAPI(t, ".", "github.com/clasp-tls/clasp")
	for alias, dir := range map[string]string{"CurveID": "Group", "SignatureScheme": "SignatureScheme"} {
		for name := range exportedAPI(t, "internal/suites", "github.com/clasp-tls/clasp/internal/suites") {
			if rest, ok := strings.CutPrefix(name, dir+"."); ok {
				api[alias+"."+rest] = true
			}
		}
	}
	return api
}

// readOmissions reads "Identifier<TAB>reason" lines ('#' starts a comment).
func readOmissions(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("testdata/api_omissions.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	sc := bufio.NewScanner(f)
	for line := 1; sc.Scan(); line++ {
		text := strings.TrimSpace(sc.Text())
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		name, reason, ok := strings.Cut(text, "\t")
		if !ok || !strings.HasPrefix(reason, "deliberate: ") && !strings.HasPrefix(reason, "not built yet: ") {
			t.Errorf("api_omissions.txt:%d: %q needs a reason starting `deliberate: ` or `not built yet: ` (Identifier<TAB>reason)", line, text)
			continue
		}
		out[name] = strings.TrimSpace(reason)
	}
	return out
}

func TestAPICoversCryptoTLS(t *testing.T) {
	tlsAPI := exportedAPI(t, filepath.Join(runtime.GOROOT(), "src", "crypto", "tls"), "crypto/tls")
	ours := claspAPI(t)
	omitted := readOmissions(t)
	var missing, stale []string
	covered := 0
	for name := range tlsAPI {
		switch {
		case ours[name]:
			covered++
			if _, listed := omitted[name]; listed {
				stale = append(stale, name)
			}
		case omitted[name] == "":
			missing = append(missing, name)
		}
	}
	for name := range omitted {
		if !tlsAPI[name] {
			stale = append(stale, name+" (not in crypto/tls)")
		}
	}
	slices.Sort(missing)
	slices.Sort(stale)
	deliberate := 0
	for _, reason := range omitted {
		if strings.HasPrefix(reason, "deliberate:") {
			deliberate++
		}
	}
	t.Logf("crypto/tls (%s): %d exported identifiers; clasp has %d; %d omitted on purpose, %d not built yet",
		runtime.Version(), len(tlsAPI), covered, deliberate, len(omitted)-deliberate)
	if len(missing) > 0 {
		t.Errorf("clasp lacks %d crypto/tls identifiers that testdata/api_omissions.txt does not explain:\n  %s",
			len(missing), strings.Join(missing, "\n  "))
	}
	if len(stale) > 0 {
		t.Errorf("testdata/api_omissions.txt lists identifiers that clasp has (or crypto/tls lacks); remove them:\n  %s",
			strings.Join(stale, "\n  "))
	}
	t.Run("shapes", checkAPIShapes)
}
