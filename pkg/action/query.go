package action

import (
	"context"
	"fmt"
	"regexp"
	"sort"

	"github.com/hoist-dev/hoist/pkg/release"
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

// Run returns the latest revision of each release, sorted by namespace and name.
func (a List) Run(ctx context.Context, opts ListOptions) ([]*release.Release, error) {
	cfg := a.Config
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
