package repo

import "errors"

// Errors callers branch on with errors.Is. The wrapping error names the repository
// and chart.
var (
	// ErrRepoNotFound: no repository of that name has been added.
	ErrRepoNotFound = errors.New("repository not found")
	// ErrRepoExists: `repo add` of a name that exists with another configuration.
	ErrRepoExists = errors.New("repository already exists")
	// ErrNoRepositories: the repositories file lists none.
	ErrNoRepositories = errors.New("no repositories configured")
	// ErrNoIndex: the repository's index has not been downloaded yet.
	ErrNoIndex = errors.New("no cached index")
	// ErrChartNotFound: the repository's index has no chart of that name.
	ErrChartNotFound = errors.New("chart not found")
	// ErrVersionNotFound: the chart has no version matching the constraint.
	ErrVersionNotFound = errors.New("no chart version matches")
	// ErrDigestMismatch: the downloaded archive's sha256 differs from the index's.
	ErrDigestMismatch = errors.New("chart archive digest mismatch")
	// ErrInvalidIndex: the index is not a chart repository index.
	ErrInvalidIndex = errors.New("invalid repository index")
	// ErrTooLarge: an index or archive is larger than hoist's limit for it.
	ErrTooLarge = errors.New("repository file too large")
	// ErrAuth: the server answered 401 or 403.
	ErrAuth = errors.New("repository authentication failed")
)
