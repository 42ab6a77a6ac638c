package chart

import (
	"strings"
	"testing"
)

func TestIgnoreRules(t *testing.T) {
	tests := []struct {
		rules string
		path  string
		isDir bool
		want  bool
	}{
		// Base-name patterns match at any depth.
		{"*.txt", "a.txt", false, true},
		{"*.txt", "docs/deep/a.txt", false, true},
		{"*.txt", "a.txt.bak", false, false},
		{"foo.txt", "x/foo.txt", false, true},
		{"a[b-d].txt", "ac.txt", false, true},
		{"a[b-d].txt", "ae.txt", false, false},
		{"?", "x/y", false, true},
		// Patterns with a slash match the whole path; * does not cross slashes.
		{"docs/*.md", "docs/a.md", false, true},
		{"docs/*.md", "x/docs/a.md", false, false},
		{"docs/*.md", "docs/x/a.md", false, false},
		{"*/b.md", "a/b.md", false, true},
		// A leading slash roots the pattern (it has a slash anyway).
		{"/a.txt", "a.txt", false, true},
		{"/a.txt", "sub/a.txt", false, false},
		{"/*.txt", "a.txt", false, true},
		// A trailing slash matches directories only.
		{"mydir/", "mydir", true, true},
		{"mydir/", "mydir", false, false},
		{"mydir/", "x/mydir", true, true},
		{"mydir", "mydir", false, true},
		// Escapes.
		{`\*`, "*", false, true},
		{`\*`, "a", false, false},
		// Comments, blank lines and spaces.
		{"# *.txt\n\n   \n", "a.txt", false, false},
		{"   *.txt   ", "a.txt", false, true},
		{"foo # not a comment", "foo # not a comment", false, true},
		// First match wins.
		{"*.txt\n!a.txt", "a.txt", false, true},
		// Helm's negation: a "!" rule ignores everything it does not match…
		{"!*.yaml", "README.md", false, true},
		{"!*.yaml", "templates", true, true},
		{"!*.yaml", "a.yaml", false, false},
		// …and a "!dir/" rule ignores every file.
		{"!templates/", "templates", true, false},
		{"!templates/", "templates/a.yaml", false, true},
		// The root and empty names are never ignored.
		{"*", "", false, false},
		{"*", ".", true, false},
		{".*", "./", true, false},
		{"*", "a", false, true},
		// BOM on the first line.
		{"\xef\xbb\xbf*.md", "a.md", false, true},
		// Patterns are checked against "abc" only, so filepath.Match accepts this
		// one (as in Helm) though it never matches.
		{"0*\\", "0abc", false, false},
		// CRLF line ends.
		{"*.md\r\n*.txt\r\n", "a.txt", false, true},
	}
	for _, tt := range tests {
		r, err := ParseIgnore(strings.NewReader(tt.rules))
		if err != nil {
			t.Errorf("ParseIgnore(%q): %v", tt.rules, err)
			continue
		}
		if got := r.Ignore(tt.path, tt.isDir); got != tt.want {
			t.Errorf("rules %q: Ignore(%q, dir=%v) = %v, want %v", tt.rules, tt.path, tt.isDir, got, tt.want)
		}
	}
}

func TestIgnoreDefaults(t *testing.T) {
	r, err := ParseIgnore(strings.NewReader(""))
	if err != nil {
		t.Fatal(err)
	}
	r.AddDefaults()
	for path, want := range map[string]bool{
		"templates/.swp":       true,
		"templates/.git":       true,
		"templates/a.yaml":     false,
		"templates/sub/.x":     false,
		".hidden":              false,
		"templates/.":          false,
		"charts/s/templates/.": false,
	} {
		if got := r.Ignore(path, false); got != want {
			t.Errorf("default rules: Ignore(%q) = %v, want %v", path, got, want)
		}
	}
	var zero IgnoreRules
	var nilRules *IgnoreRules
	if zero.Ignore("a", false) || nilRules.Ignore("a", false) {
		t.Error("empty rules ignore something")
	}
}

func TestParseIgnoreErrors(t *testing.T) {
	for rules, want := range map[string]string{
		"foo/**/bar":               "line 1: pattern \"foo/**/bar\": double-star (**) syntax is not supported",
		"ok\n**":                   "line 2:",
		"a\n\n[z-":                 "line 3: pattern \"[z-\": syntax error in pattern",
		"x\\":                      "syntax error in pattern",
		"!a\n[":                    "line 2",
		strings.Repeat("x", 70000): "token too long",
	} {
		_, err := ParseIgnore(strings.NewReader(rules))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseIgnore(%.20q) = %v, want an error containing %q", rules, err, want)
		}
	}
}
