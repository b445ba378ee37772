package explain

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/clasp-tls/clasp/diagnose"
)

func mustLoad(t *testing.T) *Catalogue {
	t.Helper()
	c, err := Load()
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestEveryEntryIsComplete checks the fields every entry must carry.
func TestEveryEntryIsComplete(t *testing.T) {
	c := mustLoad(t)
	for _, e := range c.Entries() {
		if e.Message == "" || e.Software == "" || e.Pattern == "" || len(e.Examples) == 0 {
			t.Errorf("%s: message, software, pattern and examples are required", e.ID)
		}
		if !strings.HasPrefix(e.Defined, "https://") {
			t.Errorf("%s: defined %q is not a link", e.ID, e.Defined)
		}
		if !strings.HasPrefix(e.ID, e.Source+".") {
			t.Errorf("%s: ID does not start with its source %q", e.ID, e.Source)
		}
		for _, id := range e.Contains {
			if c.Entry(id) == nil {
				t.Errorf("%s contains %s, which does not exist", e.ID, id)
			}
		}
	}
}

// TestPatternsMatchOwnExamplesOnly: every entry's pattern recognises each
// of its examples, and no other entry's pattern recognises them unless the
// example declares that it embeds that entry's message (Contains). So a
// pattern that grows too wide, or an example that drifts, fails here.
func TestPatternsMatchOwnExamplesOnly(t *testing.T) {
	c := mustLoad(t)
	for _, owner := range c.Entries() {
		for _, ex := range owner.Examples {
			if !owner.Matches(ex) {
				t.Errorf("%s does not match its own example %q", owner.ID, ex)
			}
			for _, other := range c.Entries() {
				if other == owner || slices.Contains(owner.Contains, other.ID) {
					continue
				}
				if other.Matches(ex) {
					t.Errorf("%s also matches %s's example %q (narrow its pattern or list it in contains)", other.ID, owner.ID, ex)
				}
			}
		}
		for _, id := range owner.Contains {
			if other := c.Entry(id); other != nil && !slices.ContainsFunc(owner.Examples, other.Matches) {
				t.Errorf("%s lists %s in contains, but no example of it matches", owner.ID, id)
			}
		}
	}
}

// TestExamplesExplainToTheirCause: explaining an example names the
// example's own cause first, or a cause of an entry it embeds that is more
// specific.
func TestExamplesExplainToTheirCause(t *testing.T) {
	c := mustLoad(t)
	for _, e := range c.Entries() {
		for _, ex := range e.Examples {
			r := c.Explain(ex, "en", "")
			if !r.Recognised() {
				t.Errorf("%s: example %q not recognised", e.ID, ex)
				continue
			}
			allowed := []string{e.Cause}
			for _, id := range e.Contains {
				allowed = append(allowed, c.Entry(id).Cause)
			}
			if !slices.Contains(allowed, r.Primary) {
				t.Errorf("%s: example %q explained as %s, want %v", e.ID, ex, r.Primary, allowed)
			}
		}
	}
}

func TestAtLeast150Messages(t *testing.T) {
	c := mustLoad(t)
	perSource := map[string]int{}
	for _, e := range c.Entries() {
		perSource[e.Source]++
	}
	t.Logf("entries per source: %v (total %d)", perSource, len(c.Entries()))
	if n := len(c.Entries()); n < 150 {
		t.Errorf("%d catalogue entries, want at least 150", n)
	}
	for _, want := range []string{"openssl", "nss", "curl", "gnutls", "java", "go", "schannel", "nginx", "haproxy", "python", "clasp"} {
		if perSource[want] == 0 {
			t.Errorf("no entries for source %s", want)
		}
	}
}

// TestEveryCauseIsUsedAndNamesRealDiagnoseCauses keeps causes.json honest:
// no cause without an entry, the diagnose codes it names exist, and every
// cause diagnose can give is named by some cause here, so that explain
// --probe can confirm it. The codes are read from diagnose's source, every
// exported constant of type Cause, not from a list kept by hand: a cause
// diagnose adds or renames shows up here on its own.
func TestEveryCauseIsUsedAndNamesRealDiagnoseCauses(t *testing.T) {
	c := mustLoad(t)
	known := diagnoseCauses(t)
	used := map[string]bool{}
	for _, e := range c.Entries() {
		used[e.Cause] = true
	}
	named := map[string]bool{}
	for id, ci := range c.Causes {
		if !used[id] {
			t.Errorf("cause %s has no catalogue entry", id)
		}
		for _, d := range ci.Diagnose {
			named[d] = true
			if !known[d] {
				t.Errorf("cause %s names diagnose cause %q, which diagnose does not define", id, d)
			}
		}
	}
	// No other program's message is catalogued for these: unknown is no
	// cause at all, and ECH and external PSKs fail with clasp's own words.
	unnamed := []string{"unknown", "ech_rejected", "psk_unknown_identity", "psk_wrong_key", "psk_no_common_suite"}
	for d := range known {
		if !named[d] && !slices.Contains(unnamed, d) {
			t.Errorf("diagnose cause %s is named by no cause of causes.json", d)
		}
	}
}

// diagnoseCauses parses the diagnose package's source and returns the value
// of every exported constant declared with type Cause.
func diagnoseCauses(t *testing.T) map[string]bool {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("..", "diagnose", "*.go"))
	if err != nil || len(files) == 0 {
		t.Fatalf("diagnose sources: %v", err)
	}
	causes := map[string]bool{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, name, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, decl := range f.Decls {
			gen, ok := decl.(*ast.GenDecl)
			if !ok || gen.Tok != token.CONST {
				continue
			}
			for _, spec := range gen.Specs {
				vs := spec.(*ast.ValueSpec)
				if typ, ok := vs.Type.(*ast.Ident); !ok || typ.Name != "Cause" {
					continue
				}
				for i, n := range vs.Names {
					lit, ok := vs.Values[i].(*ast.BasicLit)
					if !n.IsExported() || !ok || lit.Kind != token.STRING {
						t.Fatalf("%s: constant %s of type Cause is not a string literal", fset.Position(n.Pos()), n.Name)
					}
					v, _ := strconv.Unquote(lit.Value)
					causes[v] = true
				}
			}
		}
	}
	// The parse must have found the causes this package's code refers to.
	for _, c := range []diagnose.Cause{diagnose.CauseNoCommonVersion, diagnose.CauseCertificateRevoked, diagnose.CauseWeakDH, diagnose.CauseDNS} {
		if !causes[string(c)] {
			t.Fatalf("parsing diagnose found no constant for %s: %v", c, causes)
		}
	}
	return causes
}

// TestOpenSSLReasonsAgainstInstalledOpenSSL decodes every entry's OpenSSL
// reason through the installed openssl errstr (OpenSSL 3.x layout) and
// checks that the text it prints is the entry's message: the numbers in
// the catalogue are the ones OpenSSL really uses.
func TestOpenSSLReasonsAgainstInstalledOpenSSL(t *testing.T) {
	c := mustLoad(t)
	requireProgram(t, "openssl")
	var codes []string
	var entries []*Entry
	for _, e := range c.Entries() {
		if e.OpenSSLReason != 0 {
			codes = append(codes, fmt.Sprintf("%08X", uint32(e.OpenSSLLib)<<23|uint32(e.OpenSSLReason)))
			entries = append(entries, e)
		}
	}
	out, err := exec.Command("openssl", append([]string{"errstr"}, codes...)...).Output()
	if err != nil {
		t.Fatalf("openssl errstr: %v", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	if len(lines) != len(entries) {
		t.Fatalf("openssl errstr printed %d lines for %d codes", len(lines), len(entries))
	}
	for i, e := range entries {
		reason := lines[i][strings.LastIndex(lines[i], ":")+1:]
		if !strings.EqualFold(reason, e.Message) {
			t.Errorf("%s: openssl errstr %s says %q, the catalogue says %q", e.ID, codes[i], reason, e.Message)
		}
		// And the decoder finds the entry from the code alone.
		found := c.Explain("error:"+codes[i], "en", "")
		if !slices.ContainsFunc(found.Lines[0].Entries, func(r EntryRef) bool { return r.ID == e.ID }) {
			t.Errorf("%s: code %s alone does not find the entry", e.ID, codes[i])
		}
	}
}

// TestPrefilterNeverRejectsAMatch: the literal prefilter of every entry
// agrees with its bare regexp on every example of every entry, and most
// entries do get a prefilter.
func TestPrefilterNeverRejectsAMatch(t *testing.T) {
	c := mustLoad(t)
	filtered := 0
	for _, e := range c.Entries() {
		if e.literals != nil {
			filtered++
		}
		for _, owner := range c.Entries() {
			for _, ex := range owner.Examples {
				line := normalize(ex)
				if e.re.MatchString(line) && !e.mayMatch(strings.ToLower(line)) {
					t.Errorf("%s: prefilter %q rejects %q, which its pattern matches", e.ID, e.literals, ex)
				}
			}
		}
	}
	if filtered < len(c.Entries())*9/10 {
		t.Errorf("only %d of %d entries have a prefilter", filtered, len(c.Entries()))
	}
}
