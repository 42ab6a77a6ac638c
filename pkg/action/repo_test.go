package action

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/hoist-dev/hoist/pkg/source/repo"
)

// memRepos is an in-memory set of added repositories.
type memRepos struct {
	entries []*repo.Entry
	fail    map[string]error
	found   []repo.SearchResult
}

func (m *memRepos) List() ([]*repo.Entry, error) { return m.entries, nil }

func (m *memRepos) Add(_ context.Context, e repo.Entry, force bool) (repo.AddResult, error) {
	for _, have := range m.entries {
		if have.Name == e.Name {
			if *have == e {
				return repo.Unchanged, nil
			}
			if !force {
				return 0, repo.ErrRepoExists
			}
			*have = e
			return repo.Replaced, nil
		}
	}
	m.entries = append(m.entries, &e)
	return repo.Added, nil
}

func (m *memRepos) Update(_ context.Context, names ...string) ([]repo.UpdateResult, error) {
	var out []repo.UpdateResult
	for _, e := range m.entries {
		if len(names) == 0 || slices.Contains(names, e.Name) {
			out = append(out, repo.UpdateResult{Name: e.Name, URL: e.URL, Err: m.fail[e.Name]})
		}
	}
	return out, nil
}

func (m *memRepos) Remove(_ context.Context, names ...string) error {
	m.entries = slices.DeleteFunc(m.entries, func(e *repo.Entry) bool { return slices.Contains(names, e.Name) })
	return nil
}

func (m *memRepos) Search(repo.SearchOptions) ([]repo.SearchResult, []string, error) {
	return m.found, []string{"other: no cached index"}, nil
}

func TestRepoUseCases(t *testing.T) {
	ctx := context.Background()
	m := &memRepos{fail: map[string]error{}}
	add := RepoAdd{Repos: m}
	if _, err := add.Run(ctx, RepoAddOptions{Entry: repo.Entry{Name: "a", URL: "https://a.example", Username: "u"}}); err == nil || !strings.Contains(err.Error(), "--username needs --password") {
		t.Errorf("username alone: %v", err)
	}
	if _, err := add.Run(ctx, RepoAddOptions{Entry: repo.Entry{Name: "a", URL: "https://a.example", Password: "p"}}); err == nil || !strings.Contains(err.Error(), "--password needs --username") {
		t.Errorf("password alone: %v", err)
	}
	for _, tc := range []struct {
		e     repo.Entry
		force bool
		want  repo.AddResult
	}{
		{repo.Entry{Name: "a", URL: "https://a.example"}, false, repo.Added},
		{repo.Entry{Name: "a", URL: "https://a.example"}, false, repo.Unchanged},
		{repo.Entry{Name: "a", URL: "https://b.example"}, true, repo.Replaced},
		{repo.Entry{Name: "c", URL: "https://c.example"}, false, repo.Added},
	} {
		res, err := add.Run(ctx, RepoAddOptions{Entry: tc.e, Force: tc.force})
		if err != nil || res.Outcome != tc.want || res.Name != tc.e.Name {
			t.Errorf("add %+v: %+v, %v; want %v", tc.e, res, err, tc.want)
		}
	}
	list, err := RepoList{Repos: m}.Run(ctx, RepoListOptions{})
	if err != nil || !slices.Equal(list.Repositories, []RepoListEntry{{"a", "https://b.example"}, {"c", "https://c.example"}}) {
		t.Errorf("list: %+v, %v", list, err)
	}

	m.fail["a"] = errors.New("404")
	up, err := RepoUpdate{Repos: m}.Run(ctx, RepoUpdateOptions{})
	if err == nil || err.Error() != "failed to update the repositories a" || len(up.Results) != 2 || !slices.Equal(up.Failed, []string{"a"}) {
		t.Errorf("update with a failure: %+v, %v", up, err)
	}
	if up, err := (RepoUpdate{Repos: m}).Run(ctx, RepoUpdateOptions{Names: []string{"c"}}); err != nil || len(up.Results) != 1 {
		t.Errorf("update c: %+v, %v", up, err)
	}

	if res, err := (RepoRemove{Repos: m}).Run(ctx, RepoRemoveOptions{Names: []string{"a"}}); err != nil || !slices.Equal(res.Removed, []string{"a"}) || len(m.entries) != 1 {
		t.Errorf("remove: %+v, %v, left %v", res, err, m.entries)
	}
}

func TestSearchRepo(t *testing.T) {
	m := &memRepos{}
	res, err := SearchRepo{Repos: m}.Run(context.Background(), SearchRepoOptions{})
	if err != nil || len(res.Warnings) != 1 {
		t.Errorf("no match without FailOnNoResult: %+v, %v", res, err)
	}
	res, err = SearchRepo{Repos: m}.Run(context.Background(), SearchRepoOptions{FailOnNoResult: true})
	if !errors.Is(err, ErrNoResults) || len(res.Warnings) != 1 {
		t.Errorf("FailOnNoResult: %+v, %v; want the warnings and ErrNoResults", res, err)
	}
	m.found = []repo.SearchResult{{Name: "a/web", Repo: "a", Chart: &repo.ChartVersion{}}}
	if res, err := (SearchRepo{Repos: m}).Run(context.Background(), SearchRepoOptions{FailOnNoResult: true}); err != nil || len(res.Charts) != 1 {
		t.Errorf("a match: %+v, %v", res, err)
	}
}
