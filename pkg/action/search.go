package action

import (
	"context"
	"errors"

	"github.com/hoist-dev/hoist/pkg/source/repo"
)

// ErrNoResults is returned by SearchRepo with FailOnNoResult when nothing matched.
var ErrNoResults = errors.New("no results found")

// RepoSearcher is what SearchRepo needs of the chart repositories (*repo.Manager).
type RepoSearcher interface {
	Search(opts repo.SearchOptions) ([]repo.SearchResult, []string, error)
}

// SearchRepo searches the cached indexes of the added repositories.
type SearchRepo struct{ Repos RepoSearcher }

// SearchRepoOptions configure SearchRepo.Run.
type SearchRepoOptions struct {
	repo.SearchOptions
	// FailOnNoResult makes no match an error (ErrNoResults).
	FailOnNoResult bool `json:"failOnNoResult,omitempty"`
}

// SearchRepoResult is the charts found, best match first.
type SearchRepoResult struct {
	Charts []repo.SearchResult `json:"charts"`
	// Warnings name the repositories whose index could not be read.
	Warnings []string `json:"warnings,omitempty"`
}

// Run searches. With FailOnNoResult and no match, the result (its warnings) comes
// with ErrNoResults.
func (a SearchRepo) Run(_ context.Context, opts SearchRepoOptions) (SearchRepoResult, error) {
	results, warnings, err := a.Repos.Search(opts.SearchOptions)
	if err != nil {
		return SearchRepoResult{}, err
	}
	res := SearchRepoResult{Charts: results, Warnings: warnings}
	if len(results) == 0 && opts.FailOnNoResult {
		return res, ErrNoResults
	}
	return res, nil
}
