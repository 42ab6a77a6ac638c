package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite golden files")

var testBuild = BuildInfo{Version: "v0.1.0", Commit: "0123abcd", GoVersion: "go1.26.8", Platform: "linux/amd64"}

// run executes the CLI with args and returns stdout, stderr and the exit code.
func run(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), Deps{In: strings.NewReader(""), Out: &out, Err: &errb, Args: args, Build: testBuild})
	return out.String(), errb.String(), code
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update to create it)", err)
	}
	if got != string(want) {
		t.Errorf("output differs from %s:\n--- got\n%s--- want\n%s", path, got, want)
	}
}

func TestVersion(t *testing.T) {
	for _, tc := range []struct{ name, format string }{
		{"version-table", "table"}, {"version-json", "json"}, {"version-yaml", "yaml"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := run(t, "version", "-o", tc.format)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			golden(t, tc.name, out)
		})
	}
	out, _, _ := run(t, "version", "-o", "json")
	var got BuildInfo
	if err := json.Unmarshal([]byte(out), &got); err != nil || got != testBuild {
		t.Fatalf("json round trip: %+v, %v", got, err)
	}
}

func TestVersionBadOutputFormat(t *testing.T) {
	_, errOut, code := run(t, "version", "-o", "xml")
	if code != 1 || !strings.Contains(errOut, `unknown output format "xml"`) {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestCompletion(t *testing.T) {
	for shell, marker := range map[string]string{
		"bash": "__start_hoist",
		"zsh":  "#compdef hoist",
		"fish": "complete -c hoist",
	} {
		t.Run(shell, func(t *testing.T) {
			out, errOut, code := run(t, "completion", shell)
			if code != 0 || !strings.Contains(out, marker) {
				t.Fatalf("exit %d, stderr %q, output lacks %q", code, errOut, marker)
			}
		})
	}
	_, errOut, code := run(t, "completion", "powershell")
	if code == 0 || !strings.Contains(errOut, "powershell") {
		t.Fatalf("unsupported shell: exit %d, stderr %q", code, errOut)
	}
}

func TestUnknownCommand(t *testing.T) {
	_, errOut, code := run(t, "instal")
	if code != 1 || !strings.Contains(errOut, `unknown command "instal"`) {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
}

func TestReadBuildInfoDefaults(t *testing.T) {
	b := ReadBuildInfo("", "")
	if b.Version == "" || b.Commit == "" || !strings.HasPrefix(b.GoVersion, "go") {
		t.Fatalf("incomplete build info: %+v", b)
	}
	if b := ReadBuildInfo("v1.2.3", "abc"); b.Version != "v1.2.3" || b.Commit != "abc" {
		t.Fatalf("linker values not kept: %+v", b)
	}
}
