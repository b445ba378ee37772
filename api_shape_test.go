package clasp

import (
	"bufio"
	"bytes"
	"fmt"
	"go/ast"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"io"
	"os"
	"os/exec"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// Names alone do not make a search-and-replace safe: when crypto/tls's
// AlertError (a uint8 with a value Error method) was a struct in clasp,
// `var ae tls.AlertError; errors.As(err, &ae)` compiled after the import
// swap and panicked at run time. This test compares the shape behind each
// name clasp shares with crypto/tls, from the compilers' export data: the
// kind of each type (struct, interface, func, uint8, ...), the types of
// struct fields, the methods of each type's value and pointer method sets
// with their signatures, the signatures of functions, and the types of
// constants and variables. Types print with crypto/tls's and clasp's own
// names unqualified, so tls.Config and clasp.Config read the same.

// shapeDifferences are the deliberate differences, each with its reason.
// The test fails for any difference not listed and for a listed one that
// is no longer a difference, so the list only changes on purpose.
// Today there are none: the last ones (AlertError, the typed Version
// constants) were fixed rather than listed.
var shapeDifferences = map[string]string{}

// loadTypes type-checks nothing itself: it reads the export data the go
// command builds for crypto/tls and for this package.
func loadTypes(t *testing.T) (tlsPkg, claspPkg *types.Package) {
	t.Helper()
	const claspPath = "github.com/clasp-tls/clasp"
	out, err := exec.Command("go", "list", "-export", "-f", "{{.ImportPath}}\t{{.Export}}", "crypto/tls", claspPath).Output()
	if err != nil {
		t.Fatalf("go list -export: %v", err)
	}
	exportFile := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	for sc.Scan() {
		if path, file, ok := strings.Cut(sc.Text(), "\t"); ok {
			exportFile[path] = file
		}
	}
	lookup := func(path string) (io.ReadCloser, error) {
		file, ok := exportFile[path]
		if !ok || file == "" {
			return nil, fmt.Errorf("no export data for %s", path)
		}
		return os.Open(file)
	}
	imp := importer.ForCompiler(token.NewFileSet(), "gc", lookup)
	if tlsPkg, err = imp.Import("crypto/tls"); err != nil {
		t.Fatal(err)
	}
	if claspPkg, err = imp.Import(claspPath); err != nil {
		t.Fatal(err)
	}
	return tlsPkg, claspPkg
}

// shapePrinter prints types with crypto/tls's and clasp's own names
// unqualified and every other package by its name. clasp's exported
// aliases of internal types (CurveID = suites.Group) print by the alias
// name, which is what a program sees.
type shapePrinter struct{ aliases map[string]string }

func newShapePrinter(claspPkg *types.Package) *shapePrinter {
	p := &shapePrinter{aliases: map[string]string{}}
	for _, name := range claspPkg.Scope().Names() {
		if tn, ok := claspPkg.Scope().Lookup(name).(*types.TypeName); ok && tn.Exported() && tn.IsAlias() {
			p.aliases[p.raw(types.Unalias(tn.Type()))] = name
		}
	}
	return p
}

func (p *shapePrinter) raw(typ types.Type) string {
	return types.TypeString(typ, func(pkg *types.Package) string {
		if pkg.Path() == "crypto/tls" || pkg.Path() == "github.com/clasp-tls/clasp" {
			return ""
		}
		return pkg.Name()
	})
}

var qualifiedName = regexp.MustCompile(`[A-Za-z_][A-Za-z0-9_]*\.[A-Za-z_][A-Za-z0-9_]*`)

// typeString prints a type; a signature prints without parameter names,
// which a caller cannot see.
func (p *shapePrinter) typeString(typ types.Type) string {
	if sig, ok := typ.(*types.Signature); ok {
		typ = types.NewSignatureType(nil, nil, nil, unnamed(sig.Params()), unnamed(sig.Results()), sig.Variadic())
	}
	return qualifiedName.ReplaceAllStringFunc(p.raw(typ), func(name string) string {
		if alias, ok := p.aliases[name]; ok {
			return alias
		}
		return name
	})
}

func unnamed(tuple *types.Tuple) *types.Tuple {
	vars := make([]*types.Var, tuple.Len())
	for i := range vars {
		vars[i] = types.NewParam(token.NoPos, nil, "", tuple.At(i).Type())
	}
	return types.NewTuple(vars...)
}

// kindOf names what a type is underneath: its basic type's name
// ("uint8", "string") or struct, interface, func, slice, map, pointer, ...
func kindOf(typ types.Type) string {
	switch u := typ.Underlying().(type) {
	case *types.Basic:
		return u.Name()
	case *types.Struct:
		return "struct"
	case *types.Interface:
		return "interface"
	case *types.Signature:
		return "func"
	case *types.Slice:
		return "slice"
	case *types.Array:
		return "array"
	case *types.Map:
		return "map"
	case *types.Pointer:
		return "pointer"
	case *types.Chan:
		return "chan"
	}
	return fmt.Sprintf("%T", typ.Underlying())
}

// shapeDiffs lists, as "Identifier: what differs", every difference in
// shape between crypto/tls's exported identifiers and clasp's of the same
// name. Identifiers clasp lacks are TestAPICoversCryptoTLS's business.
func shapeDiffs(tlsPkg, claspPkg *types.Package) map[string]string {
	diffs := map[string]string{}
	p := newShapePrinter(claspPkg)
	for _, name := range tlsPkg.Scope().Names() {
		theirs := tlsPkg.Scope().Lookup(name)
		ours := claspPkg.Scope().Lookup(name)
		if !theirs.Exported() || ours == nil {
			continue
		}
		tn, isType := theirs.(*types.TypeName)
		if !isType {
			if a, b := p.typeString(theirs.Type()), p.typeString(ours.Type()); a != b {
				diffs[name] = fmt.Sprintf("crypto/tls %s, clasp %s", a, b)
			}
			continue
		}
		if _, ok := ours.(*types.TypeName); !ok {
			diffs[name] = "a type in crypto/tls, not in clasp"
			continue
		}
		p.compareTypes(diffs, name, tn.Type(), ours.Type())
	}
	return diffs
}

// compareTypes records the differences between two types of one name:
// kind, struct fields, and the value and pointer method sets.
func (p *shapePrinter) compareTypes(diffs map[string]string, name string, theirs, ours types.Type) {
	if a, b := kindOf(theirs), kindOf(ours); a != b {
		diffs[name] = fmt.Sprintf("crypto/tls's is %s, clasp's is %s", a, b)
	}
	if st, ok := theirs.Underlying().(*types.Struct); ok {
		for f := range st.Fields() {
			if !f.Exported() {
				continue
			}
			obj, _, _ := types.LookupFieldOrMethod(ours, true, nil, f.Name())
			field, ok := obj.(*types.Var)
			if !ok {
				continue // a missing field is TestAPICoversCryptoTLS's business
			}
			if a, b := p.typeString(f.Type()), p.typeString(field.Type()); a != b {
				diffs[name+"."+f.Name()] = fmt.Sprintf("field type: crypto/tls %s, clasp %s", a, b)
			}
		}
	}
	for _, pointer := range []bool{false, true} {
		theirSet, ourSet := methodSet(theirs, pointer), methodSet(ours, pointer)
		for sel := range theirSet.Methods() {
			m := sel.Obj()
			if !m.Exported() {
				continue
			}
			mine := ourSet.Lookup(nil, m.Name())
			if mine == nil {
				// Only on clasp's pointer: a value of the type does not
				// have the method (a method clasp lacks altogether is
				// TestAPICoversCryptoTLS's business).
				if hasMethod(ours, m.Name()) {
					diffs[name+"."+m.Name()] = "value receiver in crypto/tls, pointer receiver in clasp"
				}
				continue
			}
			if a, b := p.typeString(sel.Type()), p.typeString(mine.Type()); a != b {
				diffs[name+"."+m.Name()] = fmt.Sprintf("signature: crypto/tls %s, clasp %s", a, b)
			}
		}
	}
}

func methodSet(typ types.Type, pointer bool) *types.MethodSet {
	if pointer {
		if _, isInterface := typ.Underlying().(*types.Interface); !isInterface {
			typ = types.NewPointer(typ)
		}
	}
	return types.NewMethodSet(typ)
}

// hasMethod says whether clasp's type has the method with any receiver, so
// that a method clasp lacks altogether is left to TestAPICoversCryptoTLS.
func hasMethod(typ types.Type, name string) bool {
	return methodSet(typ, true).Lookup(nil, name) != nil
}

// checkAPIShapes is TestAPICoversCryptoTLS's second half.
func checkAPIShapes(t *testing.T) {
	tlsPkg, claspPkg := loadTypes(t)
	diffs := shapeDiffs(tlsPkg, claspPkg)
	var unexplained, stale []string
	for name, what := range diffs {
		if _, ok := shapeDifferences[name]; !ok {
			unexplained = append(unexplained, name+": "+what)
		}
	}
	for name := range shapeDifferences {
		if _, ok := diffs[name]; !ok {
			stale = append(stale, name)
		}
	}
	slices.Sort(unexplained)
	slices.Sort(stale)
	t.Logf("%d shape differences, %d of them deliberate", len(diffs), len(shapeDifferences))
	if len(unexplained) > 0 {
		t.Errorf("clasp's API differs in shape from crypto/tls's where a program would notice (list deliberate ones in shapeDifferences with the reason):\n  %s",
			strings.Join(unexplained, "\n  "))
	}
	if len(stale) > 0 {
		t.Errorf("shapeDifferences lists identifiers that no longer differ; remove them:\n  %s", strings.Join(stale, "\n  "))
	}
}

// The comparison itself, on the mismatch that started it: crypto/tls's
// uint8 AlertError with a value Error method against a struct with a
// pointer one, plus a field of another type and a typed constant.
func TestShapeDiffsFindsTheAlertErrorMismatch(t *testing.T) {
	check := func(path, src string) *types.Package {
		fset := token.NewFileSet()
		f, err := parser.ParseFile(fset, "x.go", src, 0)
		if err != nil {
			t.Fatal(err)
		}
		pkg, err := (&types.Config{}).Check(path, fset, []*ast.File{f}, nil)
		if err != nil {
			t.Fatal(err)
		}
		return pkg
	}
	theirs := check("crypto/tls", `package tls
type AlertError uint8
func (e AlertError) Error() string { return "" }
type Config struct{ MinVersion uint16; Time func() int }
const VersionTLS12 = 0x0303`)
	ours := check("github.com/clasp-tls/clasp", `package clasp
type AlertError struct{ Description uint8 }
func (e *AlertError) Error() string { return "" }
type Config struct{ MinVersion uint16; Time func() int64 }
const VersionTLS12 uint16 = 0x0303`)
	got := shapeDiffs(theirs, ours)
	for _, want := range []string{"AlertError", "AlertError.Error", "Config.Time", "VersionTLS12"} {
		if _, ok := got[want]; !ok {
			t.Errorf("no difference reported for %s; got %v", want, got)
		}
	}
	if len(got) != 4 {
		t.Errorf("got %d differences, want 4: %v", len(got), got)
	}
}
