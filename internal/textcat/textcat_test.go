package textcat

import (
	"strings"
	"testing"
	"testing/fstest"
)

func testSet() *Set {
	return New(fstest.MapFS{
		"lang/en.json": {Data: []byte(`{"a": "{n} files in {dir}", "b": "only English"}`)},
		"lang/ru.json": {Data: []byte(`{"a": "в {dir} {n} файлов", "b": "только"}`)},
		"lang/xx.json": {Data: []byte(`{"a": "{n} lost the dir", "c": "extra"}`)},
	}, "lang", "test")
}

func TestFillsAndFallsBack(t *testing.T) {
	s := testSet()
	ru, err := s.Load("ru")
	if err != nil {
		t.Fatal(err)
	}
	if got := ru.T("a", "n", 3, "dir", "/tmp"); got != "в /tmp 3 файлов" {
		t.Errorf("T = %q", got)
	}
	xx, _ := s.Load("xx")
	if got := xx.T("b"); got != "only English" {
		t.Errorf("fallback: %q", got)
	}
	if got := ru.T("missing", "n", 1); !strings.Contains(got, "missing") {
		t.Errorf("a missing key prints %q, want its name", got)
	}
	if _, err := s.Load("de"); err == nil || !strings.Contains(err.Error(), "en, ru, xx") {
		t.Errorf("unknown language: %v", err)
	}
}

func TestCheckFindsEveryGap(t *testing.T) {
	problems := strings.Join(Check(testSet(), "en", "ru", "zh"), "\n")
	for _, want := range []string{"language zh has no file", "xx lacks key b", "xx a has placeholders [n]", "xx has key c"} {
		if !strings.Contains(problems, want) {
			t.Errorf("Check did not report %q:\n%s", want, problems)
		}
	}
	if strings.Contains(problems, "ru ") {
		t.Errorf("Check complained about the complete language:\n%s", problems)
	}
}
