package postrender

import "testing"

func TestIsRemote(t *testing.T) {
	for ref, want := range map[string]bool{
		"https://github.com/org/repo//deploy?ref=v1": true,
		"http://example.com/x.yaml":                  true,
		"ssh://git@example.com/org/repo.git":         true,
		"file:///etc/kustomize":                      true,
		"git::https://example.com/org/repo":          true,
		"GIT::https://example.com/org/repo":          true,
		"git@github.com:org/repo.git":                true,
		"github.com/org/repo/deploy":                 true,
		"GitHub.com:org/repo":                        true,
		"base":                                       false,
		"../base":                                    false,
		"patches/deploy.yaml":                        false,
		"my.dir/file.yaml":                           false,
		"a@b.yaml":                                   false,
		"git@example.com/org/repo":                   true,
	} {
		if got := isRemote(ref); got != want {
			t.Errorf("isRemote(%q) = %v, want %v", ref, got, want)
		}
	}
}
