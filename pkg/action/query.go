package action

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"sort"

	"github.com/hoist-dev/hoist/pkg/release"
	"github.com/hoist-dev/hoist/pkg/release/storage"
)

// History reads a release's revisions.
type History struct{ Config *Configuration }

// HistoryOptions configure History.Run.
type HistoryOptions struct {
	Name, Namespace string
	// Max is the most revisions returned, the latest ones (0: all).
	Max int
}

// Run returns the revisions, oldest first.
func (a History) Run(ctx context.Context, opts HistoryOptions) ([]*release.Release, error) {
	h, err := a.Config.existingHistory(ctx, opts.Namespace, opts.Name)
	if err != nil {
		return nil, err
	}
	if opts.Max > 0 && len(h) > opts.Max {
		h = h[len(h)-opts.Max:]
	}
	return h, nil
}

// Get reads one revision of a release.
type Get struct{ Config *Configuration }

// GetOptions configure Get.Run.
type GetOptions struct {
	Name, Namespace string
	// Revision to read (0: the latest).
	Revision int
}

// Run returns the revision.
func (a Get) Run(ctx context.Context, opts GetOptions) (*release.Release, error) {
	if opts.Revision > 0 {
		return a.Config.Storage.Get(ctx, opts.Namespace, opts.Name, opts.Revision)
	}
	h, err := a.Config.existingHistory(ctx, opts.Namespace, opts.Name)
	if err != nil {
		return nil, err
	}
	return release.Latest(h), nil
}

// List lists releases.
type List struct{ Config *Configuration }

// ListOptions filters List.
type ListOptions struct {
	// AllNamespaces lists every namespace; otherwise Namespace only.
	AllNamespaces bool
	Namespace     string
	// Filter is a regular expression over release names.
	Filter string
	// States keeps releases whose latest revision has one of these statuses; empty
	// means deployed and failed (Helm's default); All lists every status.
	States []release.Status
	All    bool
	// Selector keeps releases whose labels match all of these.
	Selector map[string]string
}

// ListResult is what List found.
type ListResult struct {
	// Releases are the latest revision of each release, sorted by namespace and name.
	Releases []*release.Release
	// Skipped are records that could not be read (tampered, truncated, over a size
	// limit), for the caller to report; a release whose newest record is among them is
	// not in Releases, since its older revisions no longer say what it is.
	Skipped []storage.Skipped
}

// Run returns the latest revision of each release; unreadable records are left out and
// listed in the result, not an error.
func (a List) Run(ctx context.Context, opts ListOptions) (ListResult, error) {
	cfg := a.Config
	ns := opts.Namespace
	if opts.AllNamespaces {
		ns = ""
	}
	var re *regexp.Regexp
	if opts.Filter != "" {
		var err error
		if re, err = regexp.Compile(opts.Filter); err != nil {
			return ListResult{}, fmt.Errorf("filter %q: %w", opts.Filter, err)
		}
	}
	var res ListResult
	all, err := cfg.Storage.List(ctx, ns, nil)
	if skipped := (*storage.SkippedError)(nil); errors.As(err, &skipped) {
		res.Skipped, err = skipped.Skipped, nil
	}
	if err != nil {
		return ListResult{}, err
	}
	latest := map[string]*release.Release{}
	for _, r := range all {
		k := r.Namespace + "/" + r.Name
		if cur := latest[k]; cur == nil || r.Revision > cur.Revision {
			latest[k] = r
		}
	}
	for _, sk := range res.Skipped {
		k := sk.Namespace + "/" + sk.Name
		if cur := latest[k]; cur != nil && sk.Revision > cur.Revision {
			delete(latest, k)
		}
	}
	states := map[release.Status]bool{}
	for _, s := range opts.States {
		states[s] = true
	}
	if len(states) == 0 {
		states = map[release.Status]bool{release.StatusDeployed: true, release.StatusFailed: true,
			release.StatusPendingInstall: true, release.StatusPendingUpgrade: true, release.StatusPendingRollback: true}
	}
	var out []*release.Release
	for _, r := range latest {
		if !opts.All && !states[r.Status] {
			continue
		}
		if re != nil && !re.MatchString(r.Name) {
			continue
		}
		match := true
		for k, v := range opts.Selector {
			if r.Labels[k] != v {
				match = false
			}
		}
		if match {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Namespace != out[j].Namespace {
			return out[i].Namespace < out[j].Namespace
		}
		return out[i].Name < out[j].Name
	})
	res.Releases = out
	return res, nil
}
