package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestSearchRepo(t *testing.T) {
	isolateRepos(t)
	srv := newChartServer(t)
	srv.publish(t, webCharts...)
	if _, errOut, code := run(t, "search", "repo", "web"); code != 1 || !strings.Contains(errOut, "no repositories configured") {
		t.Fatalf("no repositories: %d %q", code, errOut)
	}
	if _, errOut, code := run(t, "repo", "add", "main", srv.URL+"/charts"); code != 0 {
		t.Fatal(errOut)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"search-repo", []string{"search", "repo"}},
		{"search-repo-versions", []string{"search", "repo", "web", "--versions", "--devel"}},
		{"search-repo-constraint", []string{"search", "repo", "web", "--version", "~1.0"}},
		{"search-repo-none", []string{"search", "repo", "cassandra"}},
		{"search-repo-yaml", []string{"search", "repo", "relational", "-o", "yaml"}},
		{"search-repo-narrow", []string{"search", "repo", "--max-col-width", "12"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, errOut, code := run(t, tc.args...)
			if code != 0 || errOut != "" {
				t.Fatalf("exit %d, stderr %q", code, errOut)
			}
			golden(t, tc.name, out)
		})
	}
	out, _, _ := run(t, "search", "repo", "web", "-o", "json", "--devel")
	var got []map[string]string
	if err := json.Unmarshal([]byte(out), &got); err != nil || len(got) != 1 || got[0]["name"] != "main/web" || got[0]["version"] != "2.0.0-rc.1" || got[0]["app_version"] != "1.29.0" {
		t.Fatalf("json %q: %v", out, err)
	}
	out, _, _ = run(t, "search", "repo", "nothing", "-o", "json")
	if strings.TrimSpace(out) != "[]" {
		t.Fatalf("empty json %q", out)
	}
	if _, errOut, code := run(t, "search", "repo", "nothing", "--fail-on-no-result"); code != 1 || !strings.Contains(errOut, "no results found") {
		t.Fatalf("--fail-on-no-result: %d %q", code, errOut)
	}
	if _, errOut, code := run(t, "search", "repo", "--version", "bogus"); code != 1 || !strings.Contains(errOut, "SemVer constraint") {
		t.Fatalf("bad constraint: %d %q", code, errOut)
	}
	out, _, _ = run(t, "search", "repo", "--help")
	if !strings.Contains(out, "hoist search repo nginx --devel") {
		t.Fatalf("help lacks examples: %q", out)
	}
}
