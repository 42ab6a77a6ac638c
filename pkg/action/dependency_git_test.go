package action

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing/object"

	"github.com/hoist-dev/hoist/pkg/chart/charttest"
	"github.com/hoist-dev/hoist/pkg/chart/deps"
	"github.com/hoist-dev/hoist/pkg/source/git"
)

// gitRepo makes a repository holding chart gitdep at charts/gitdep, version 0.3.0
// tagged v0.3.0, and returns its file:// URL.
func gitRepo(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	r, err := gogit.PlainInit(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	charttest.WriteFiles(t, dir, map[string]string{
		"charts/gitdep/Chart.yaml":        "apiVersion: v2\nname: gitdep\nversion: 0.3.0\n",
		"charts/gitdep/templates/cm.yaml": "kind: ConfigMap\n",
	})
	w, err := r.Worktree()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Add("charts"); err != nil {
		t.Fatal(err)
	}
	sig := &object.Signature{Name: "t", Email: "t@example.com", When: lockEpoch}
	h, err := w.Commit("chart", &gogit.CommitOptions{Author: sig, Committer: sig})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.CreateTag("v0.3.0", h, nil); err != nil {
		t.Fatal(err)
	}
	return "file://" + filepath.ToSlash(dir)
}

func TestDependencyUpdateGit(t *testing.T) {
	u := gitRepo(t)
	ref := "git+" + u + "//charts/gitdep?ref=v0.3.0"
	dir, m, _ := depSetup(t, "- name: gitdep\n  version: ^0.3.0\n  repository: "+ref+"\n")
	o := git.DefaultOptions()
	o.CacheDir = t.TempDir()
	g, err := git.New(o)
	if err != nil {
		t.Fatal(err)
	}
	m.Git = g
	res, err := m.Update(context.Background(), dir, deps.Options{SourceDateEpoch: &lockEpoch})
	if err != nil {
		t.Fatal(err)
	}
	if d := res.Dependencies[0]; d.Version != "0.3.0" || !strings.HasPrefix(d.Digest, "git:") {
		t.Errorf("%+v", d)
	}
	if got := charttest.Vendored(t, dir); !slices.Equal(got, []string{"gitdep-0.3.0.tgz"}) {
		t.Errorf("charts/ = %v", got)
	}
	lock, _ := os.ReadFile(filepath.Join(dir, "Chart.lock"))
	if !strings.Contains(string(lock), "repository: "+ref+"\n  version: 0.3.0\n") {
		t.Errorf("Chart.lock:\n%s", lock)
	}
	os.RemoveAll(filepath.Join(dir, "charts"))
	if _, err := m.Build(context.Background(), dir, deps.Options{}); err != nil {
		t.Fatal(err)
	}
	if got := charttest.Vendored(t, dir); !slices.Equal(got, []string{"gitdep-0.3.0.tgz"}) {
		t.Errorf("charts/ after build = %v", got)
	}
}
