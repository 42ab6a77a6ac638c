package cli

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// conformanceDir is the Helm v4 conformance corpus, beside the project in CI and on
// developers' machines (never copied into the repository).
const conformanceDir = "../../../shared/conformance"

// TestConformance renders every case of the corpus in-process, from inside the case's
// directory as run.sh does, and compares with Helm v4.3.1's output byte for byte
// (expected.yaml), or expects a failure (expected.err).
func TestConformance(t *testing.T) {
	root, err := filepath.Abs(conformanceDir)
	if err != nil {
		t.Fatal(err)
	}
	cases, _ := filepath.Glob(filepath.Join(root, "cases", "*"))
	if len(cases) == 0 {
		t.Skipf("conformance corpus not found at %s (it lives beside the project in ../shared): skipped", root)
	}
	t.Setenv("KUBECONFIG", os.DevNull)
	t.Setenv("HOIST_NAMESPACE", "")
	for _, dir := range cases {
		id := filepath.Base(dir)
		t.Run(id, func(t *testing.T) {
			read := func(name string) string {
				b, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					t.Fatal(err)
				}
				return strings.SplitN(string(b), "\n", 2)[0]
			}
			words, err := shellWords(read("args"))
			if err != nil {
				t.Fatalf("args: %v", err)
			}
			args := append([]string{"template", read("release"), filepath.Join(root, read("chart"))}, words...)
			t.Chdir(dir)
			var out, errb bytes.Buffer
			code := Main(context.Background(), Deps{In: strings.NewReader(""), Out: &out, Err: &errb, Args: args, Build: testBuild})
			if _, err := os.Stat(filepath.Join(dir, "expected.err")); err == nil {
				if code == 0 {
					t.Fatalf("hoist %s: exit 0, Helm fails with:\n%s", strings.Join(args, " "), read("expected.err"))
				}
				return
			}
			want, err := os.ReadFile(filepath.Join(dir, "expected.yaml"))
			if err != nil {
				t.Fatal(err)
			}
			if code != 0 {
				t.Fatalf("exit %d: %s", code, errb.String())
			}
			if got := out.String(); got != string(want) {
				t.Fatalf("output differs from expected.yaml:\n%s", firstDiff(string(want), got))
			}
		})
	}
}

// firstDiff describes where two texts start to differ, with a few lines of context.
func firstDiff(want, got string) string {
	wl, gl := strings.Split(want, "\n"), strings.Split(got, "\n")
	for i := 0; i < len(wl) || i < len(gl); i++ {
		var w, g string
		if i < len(wl) {
			w = wl[i]
		}
		if i < len(gl) {
			g = gl[i]
		}
		if w != g || i >= len(wl) || i >= len(gl) {
			lo := max(0, i-3)
			return fmt.Sprintf("first difference at line %d (want %d lines, got %d)\ncontext: %q\nwant: %q\ngot:  %q",
				i+1, len(wl), len(gl), wl[lo:min(i, len(wl))], w, g)
		}
	}
	return "texts are equal"
}

// shellWords splits a line with POSIX shell quoting: single quotes, double quotes and
// backslash escapes (as `eval "set -- $args"` in run.sh does).
func shellWords(s string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == ' ' || c == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		case c == '\'':
			inWord = true
			j := strings.IndexByte(s[i+1:], '\'')
			if j < 0 {
				return nil, fmt.Errorf("unterminated single quote in %q", s)
			}
			cur.WriteString(s[i+1 : i+1+j])
			i += j + 1
		case c == '"':
			inWord = true
			i++
			for ; i < len(s) && s[i] != '"'; i++ {
				if s[i] == '\\' && i+1 < len(s) && strings.IndexByte("$`\"\\\n", s[i+1]) >= 0 {
					i++
				}
				cur.WriteByte(s[i])
			}
			if i >= len(s) {
				return nil, fmt.Errorf("unterminated double quote in %q", s)
			}
		case c == '\\' && i+1 < len(s):
			inWord = true
			i++
			cur.WriteByte(s[i])
		default:
			inWord = true
			cur.WriteByte(c)
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words, nil
}

func TestShellWords(t *testing.T) {
	got, err := shellWords(`--set 'a\.b=c' -f values.yaml "x y" z\ w --set-json 'k=[{"a":1}]'`)
	want := []string{"--set", `a\.b=c`, "-f", "values.yaml", "x y", "z w", "--set-json", `k=[{"a":1}]`}
	if err != nil || fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Fatalf("got %q, %v", got, err)
	}
}
