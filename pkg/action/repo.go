package action

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/hoist-dev/hoist/pkg/source/repo"
)

// RepoAdder is what RepoAdd needs of the chart repositories (*repo.Manager).
type RepoAdder interface {
	Add(ctx context.Context, e repo.Entry, force bool) (repo.AddResult, error)
}

// RepoAdd adds a chart repository after checking that its index downloads.
type RepoAdd struct{ Repos RepoAdder }

// RepoAddOptions configure RepoAdd.Run.
type RepoAddOptions struct {
	Entry repo.Entry `json:"entry"`
	// Force replaces a repository of that name with other settings.
	Force bool `json:"force,omitempty"`
}

// RepoAddResult says what RepoAdd did.
type RepoAddResult struct {
	Name string `json:"name"`
	// Outcome is repo.Added, repo.Unchanged (the same settings were there) or
	// repo.Replaced.
	Outcome repo.AddResult `json:"outcome"`
}

// Run adds opts.Entry. Credentials come in pairs.
func (a RepoAdd) Run(ctx context.Context, opts RepoAddOptions) (RepoAddResult, error) {
	e := opts.Entry
	if e.Username != "" && e.Password == "" {
		return RepoAddResult{}, errors.New("--username needs --password or --password-stdin")
	}
	if e.Password != "" && e.Username == "" {
		return RepoAddResult{}, errors.New("--password needs --username")
	}
	res, err := a.Repos.Add(ctx, e, opts.Force)
	if err != nil {
		return RepoAddResult{}, err
	}
	return RepoAddResult{Name: e.Name, Outcome: res}, nil
}

// RepoLister is what RepoList needs of the chart repositories (*repo.Manager).
type RepoLister interface {
	List() ([]*repo.Entry, error)
}

// RepoList lists the added chart repositories.
type RepoList struct{ Repos RepoLister }

// RepoListOptions configure RepoList.Run; there are none yet.
type RepoListOptions struct{}

// RepoListEntry is an added repository.
type RepoListEntry struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

// RepoListResult is the added repositories, in the repositories file's order.
type RepoListResult struct {
	Repositories []RepoListEntry `json:"repositories"`
}

// Run lists the repositories; credentials are left out.
func (a RepoList) Run(_ context.Context, _ RepoListOptions) (RepoListResult, error) {
	entries, err := a.Repos.List()
	if err != nil {
		return RepoListResult{}, err
	}
	res := RepoListResult{Repositories: make([]RepoListEntry, 0, len(entries))}
	for _, e := range entries {
		res.Repositories = append(res.Repositories, RepoListEntry{Name: e.Name, URL: e.URL})
	}
	return res, nil
}

// RepoUpdater is what RepoUpdate needs of the chart repositories (*repo.Manager).
type RepoUpdater interface {
	Update(ctx context.Context, names ...string) ([]repo.UpdateResult, error)
}

// RepoUpdate downloads the latest index of chart repositories.
type RepoUpdate struct{ Repos RepoUpdater }

// RepoUpdateOptions configure RepoUpdate.Run.
type RepoUpdateOptions struct {
	// Names are the repositories to update; none means all.
	Names []string `json:"names,omitempty"`
}

// RepoUpdateResult is the outcome for each repository.
type RepoUpdateResult struct {
	Results []repo.UpdateResult `json:"results"`
	// Failed names the repositories whose index could not be downloaded.
	Failed []string `json:"failed,omitempty"`
}

// Run updates the repositories. One that fails does not stop the others: Run then
// returns every outcome and an error naming the failed ones.
func (a RepoUpdate) Run(ctx context.Context, opts RepoUpdateOptions) (RepoUpdateResult, error) {
	results, err := a.Repos.Update(ctx, opts.Names...)
	if err != nil {
		return RepoUpdateResult{}, err
	}
	res := RepoUpdateResult{Results: results}
	for _, r := range results {
		if r.Err != nil {
			res.Failed = append(res.Failed, r.Name)
		}
	}
	if len(res.Failed) > 0 {
		return res, fmt.Errorf("failed to update the repositories %s", strings.Join(res.Failed, ", "))
	}
	return res, nil
}

// RepoRemover is what RepoRemove needs of the chart repositories (*repo.Manager).
type RepoRemover interface {
	Remove(ctx context.Context, names ...string) error
}

// RepoRemove removes chart repositories and their cached indexes.
type RepoRemove struct{ Repos RepoRemover }

// RepoRemoveOptions configure RepoRemove.Run.
type RepoRemoveOptions struct {
	Names []string `json:"names"`
}

// RepoRemoveResult names the repositories removed.
type RepoRemoveResult struct {
	Removed []string `json:"removed"`
}

// Run removes the named repositories: all of them, or none if one is not there.
func (a RepoRemove) Run(ctx context.Context, opts RepoRemoveOptions) (RepoRemoveResult, error) {
	if err := a.Repos.Remove(ctx, opts.Names...); err != nil {
		return RepoRemoveResult{}, err
	}
	return RepoRemoveResult{Removed: opts.Names}, nil
}
