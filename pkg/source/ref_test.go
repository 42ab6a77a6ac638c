package source

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	local := func(p string) bool { return p == "./chart" || p == "charts/web" }
	for _, tc := range []struct {
		raw, version string
		want         Ref
	}{
		{"oci://ghcr.io/org/charts/web", "1.2.x", Ref{Kind: OCI, Registry: "ghcr.io", Repository: "org/charts/web", Version: "1.2.x"}},
		{"oci://localhost:5000/web:1.2.3_build.1", "", Ref{Kind: OCI, Registry: "localhost:5000", Repository: "web", Tag: "1.2.3_build.1"}},
		{"oci://r.io/web@sha256:" + sha, "", Ref{Kind: OCI, Registry: "r.io", Repository: "web", Digest: "sha256:" + sha}},
		{"git+https://git.example/org/repo.git//charts/web?ref=v1.2.0", "", Ref{Kind: Git, URL: "https://git.example/org/repo.git", Subdir: "charts/web", GitRef: "v1.2.0"}},
		{"git+ssh://git@git.example/org/repo.git", "^1.0", Ref{Kind: Git, URL: "ssh://git@git.example/org/repo.git", GitRef: "^1.0", Version: "^1.0"}},
		{"git+file:///srv/repo.git//web", "", Ref{Kind: Git, URL: "file:///srv/repo.git", Subdir: "web"}},
		{"bitnami/nginx", "15.x", Ref{Kind: Repo, RepoName: "bitnami", Chart: "nginx", Version: "15.x"}},
		{"charts/web", "", Ref{Kind: Local, Path: "charts/web"}},
		{"./chart", "", Ref{Kind: Local, Path: "./chart"}},
	} {
		got, err := Parse(tc.raw, tc.version, local)
		if err != nil {
			t.Errorf("Parse(%q): %v", tc.raw, err)
			continue
		}
		tc.want.Raw = tc.raw
		if got != tc.want {
			t.Errorf("Parse(%q) =\n %+v\nwant\n %+v", tc.raw, got, tc.want)
		}
	}
}

const sha = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

func TestParseRejects(t *testing.T) {
	for _, raw := range []string{
		"", "oci://", "oci://host", "oci://host/UPPER", "oci://host/web:bad tag", "oci://host/web@sha256:short",
		"oci://host/web:1@sha256:" + sha, "git+ftp://host/r.git", "git+https://host/r.git?foo=1",
		"git+https://host/r.git//../escape", "https://example.com/chart.tgz", "./missing/dir/too/deep",
	} {
		if _, err := Parse(raw, "", func(string) bool { return false }); !errors.Is(err, ErrInvalidRef) {
			t.Errorf("Parse(%q) = %v, want ErrInvalidRef", raw, err)
		}
	}
	if _, err := Parse("oci://h/web:1.0.0", "1.x", nil); err == nil {
		t.Error("a tag together with --version was accepted")
	}
}

func TestStringRoundTrip(t *testing.T) {
	for _, raw := range []string{
		"oci://h:5000/a/b:1.0.0", "oci://h/a@sha256:" + sha,
		"git+https://h/o/r.git//charts/web?ref=v1.0.0", "repo/chart",
	} {
		r, err := Parse(raw, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		if r.String() != raw {
			t.Errorf("String() = %q, want %q", r.String(), raw)
		}
	}
}
