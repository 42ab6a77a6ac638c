package action

import (
	"context"
	"fmt"
	"regexp"
	"sort"

	"github.com/hoist-dev/hoist/pkg/release"
)

// History returns a release's revisions, oldest first, at most max (0: all).
func History(ctx context.Context, cfg *Configuration, ns, name string, max int) ([]*release.Release, error) {
	h, err := cfg.existingHistory(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	if max > 0 && len(h) > max {
		h = h[len(h)-max:]
	}
	return h, nil
}

// Get returns one revision (0: the latest).
func Get(ctx context.Context, cfg *Configuration, ns, name string, revision int) (*release.Release, error) {
	if revision > 0 {
		return cfg.Storage.Get(ctx, ns, name, revision)
	}
	h, err := cfg.existingHistory(ctx, ns, name)
	if err != nil {
		return nil, err
	}
	return release.Latest(h), nil
}

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

// List returns the latest revision of each release, sorted by namespace and name.
func List(ctx context.Context, cfg *Configuration, opts ListOptions) ([]*release.Release, error) {
	ns := opts.Namespace
	if opts.AllNamespaces {
		ns = ""
	}
	var re *regexp.Regexp
	if opts.Filter != "" {
		var err error
		if re, err = regexp.Compile(opts.Filter); err != nil {
			return nil, fmt.Errorf("filter %q: %w", opts.Filter, err)
		}
	}
	all, err := cfg.Storage.List(ctx, ns, nil)
	if err != nil {
		return nil, err
	}
	latest := map[string]*release.Release{}
	for _, r := range all {
		k := r.Namespace + "/" + r.Name
		if cur := latest[k]; cur == nil || r.Revision > cur.Revision {
			latest[k] = r
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
	return out, nil
}
