package trace_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/clasp-tls/clasp/trace"
)

// schemaVersion is the file stem of the current schema: "v1" for
// "clasp.trace/v1". A new version gets its own schema and field list.
func schemaVersion(t *testing.T) string {
	v, ok := strings.CutPrefix(trace.JSONSchema, "clasp.trace/")
	if !ok {
		t.Fatalf("JSONSchema %q does not start with clasp.trace/", trace.JSONSchema)
	}
	return v
}

func compileSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	path := filepath.Join("schema", schemaVersion(t)+".json")
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource(path, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(path)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return sch
}

// jsonOutputs renders every scenario in every view with the JSON tracer.
func jsonOutputs(t *testing.T) map[string][]byte {
	out := map[string][]byte{}
	for _, sc := range scenarios {
		rec := recordingFor(t, sc)
		for _, v := range viewsOf(sc) {
			var buf bytes.Buffer
			replay(trace.NewJSONTracer(&buf), rec.events(t, v))
			out[sc.name+"/"+string(v)] = buf.Bytes()
		}
	}
	return out
}

func eachLine(t *testing.T, data []byte, f func(line []byte)) {
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		f(sc.Bytes())
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestJSONOutputValidatesAgainstSchema(t *testing.T) {
	sch := compileSchema(t)
	for name, out := range jsonOutputs(t) {
		n := 0
		eachLine(t, out, func(line []byte) {
			n++
			inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(line))
			if err != nil {
				t.Fatalf("%s line %d is not JSON: %v", name, n, err)
			}
			if err := sch.Validate(inst); err != nil {
				t.Errorf("%s line %d does not match the schema: %v\n%s", name, n, err, line)
			}
		})
		if n == 0 {
			t.Errorf("%s: no output", name)
		}
	}
}

// TestJSONFieldsStayStable keeps a list of every field path the scenarios
// produce (schema/v1.fields). A path that disappears from the output fails
// the test: consumers rely on it, so removing or renaming it needs a new
// schema version, with its own list. A new path fails too until the list
// (and the schema and docs, which the other tests check) are updated with
// -update.
func TestJSONFieldsStayStable(t *testing.T) {
	seen := map[string]bool{}
	for _, out := range jsonOutputs(t) {
		eachLine(t, out, func(line []byte) {
			var v map[string]any
			if err := json.Unmarshal(line, &v); err != nil {
				t.Fatal(err)
			}
			kind, _ := v["kind"].(string)
			collectPaths(kind, "", v, seen)
		})
	}
	var got []string
	for p := range seen {
		got = append(got, p)
	}
	slices.Sort(got)
	path := filepath.Join("schema", schemaVersion(t)+".fields")
	if *update {
		if err := os.WriteFile(path, []byte(strings.Join(got, "\n")+"\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	want := strings.Fields(string(data))
	for _, p := range want {
		if !seen[p] {
			t.Errorf("field %s disappeared from the JSON output: keep it, or bump JSONSchema to a new version", p)
		}
	}
	for _, p := range got {
		if !slices.Contains(want, p) {
			t.Errorf("new field %s: add it to the schema and docs/trace-schema.md, then run go test ./trace -update", p)
		}
	}
}

// collectPaths records "kind:a.b[].c" for every leaf and object in v.
func collectPaths(kind, prefix string, v any, seen map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, child := range v {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			seen[kind+":"+p] = true
			collectPaths(kind, p, child, seen)
		}
	case []any:
		for _, child := range v {
			collectPaths(kind, prefix+"[]", child, seen)
		}
	}
}

// TestSchemaDocumentNamesEveryField checks that docs/trace-schema.md
// describes every property the schema defines, so the document cannot fall
// behind the schema.
func TestSchemaDocumentNamesEveryField(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "docs", "trace-schema.md"))
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join("schema", schemaVersion(t)+".json"))
	if err != nil {
		t.Fatal(err)
	}
	var schema any
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatal(err)
	}
	names := map[string]bool{}
	collectPropertyNames(schema, names)
	for name := range names {
		if !regexp.MustCompile("`" + regexp.QuoteMeta(name) + "`").Match(doc) {
			t.Errorf("docs/trace-schema.md does not describe field `%s`", name)
		}
	}
	if !bytes.Contains(doc, []byte(trace.JSONSchema)) {
		t.Errorf("docs/trace-schema.md does not name the schema version %s", trace.JSONSchema)
	}
}

func collectPropertyNames(v any, names map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		if props, ok := v["properties"].(map[string]any); ok {
			for k := range props {
				names[k] = true
			}
		}
		for _, child := range v {
			collectPropertyNames(child, names)
		}
	case []any:
		for _, child := range v {
			collectPropertyNames(child, names)
		}
	}
}

// TestSchemaRejectsAMissingField makes sure the schema has teeth: an object
// without a required field, or with a field it does not define, fails.
func TestSchemaRejectsAMissingField(t *testing.T) {
	sch := compileSchema(t)
	for _, bad := range []string{
		`{"schema":"clasp.trace/v1","seq":1,"t_us":0,"side":"client","kind":"state","name":"write ClientHello"}`,
		`{"schema":"clasp.trace/v1","seq":1,"t_us":0,"side":"client","kind":"state","name":"x","openssl":"x","extra":1}`,
		`{"schema":"clasp.trace/v2","seq":1,"t_us":0,"side":"client","kind":"state","name":"x","openssl":"x"}`,
	} {
		inst, err := jsonschema.UnmarshalJSON(strings.NewReader(bad))
		if err != nil {
			t.Fatal(err)
		}
		if err := sch.Validate(inst); err == nil {
			t.Errorf("schema accepts %s", bad)
		}
	}
}
