package postrender

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/hoist-dev/hoist/pkg/engine"
	"github.com/hoist-dev/hoist/pkg/render"
)

// PostRenderer changes rendered manifests and hooks (see render.PostRenderer, where
// the chart render that runs it declares it).
type PostRenderer = render.PostRenderer

var (
	_ PostRenderer = (*Overlay)(nil)
	_ PostRenderer = Exec{}
	_ PostRenderer = Chain(nil)
)

// Chain runs post-renderers one after the other, each on the output of the one
// before.
type Chain []PostRenderer

// Run implements PostRenderer.
func (c Chain) Run(ctx context.Context, manifests []engine.Manifest, hooks []*engine.Hook) ([]engine.Manifest, []*engine.Hook, error) {
	for _, p := range c {
		var err error
		if manifests, hooks, err = p.Run(ctx, manifests, hooks); err != nil {
			return nil, nil, err
		}
	}
	return manifests, hooks, nil
}

// doc is one document of a post-renderer's output, before sorting.
type doc struct {
	name    string // template path (or generated name)
	index   int    // order among the documents of the same name
	content string
	// head, when set, is a document with the fields of content that
	// engine.SortManifests reads (apiVersion, kind, metadata.name and
	// .annotations), which it parses instead of the whole content.
	head string
	// manifest or hook, when set, is the document as it was rendered, unchanged:
	// it is not classified again.
	manifest *engine.Manifest
	hook     *engine.Hook
}

// sortDocs splits documents into manifests and hooks as engine.SortManifests does,
// in Helm's install order: by kind, then template path, then index. Unchanged
// documents keep their classification and are only put in order.
func sortDocs(docs []doc) ([]engine.Manifest, []*engine.Hook, error) {
	// Each new document is its own "template", keyed so that keys sort like the
	// names and then by index ("\x00" sorts before any byte of a longer name).
	files := make(map[string]string, len(docs))
	byKey := make(map[string]*doc, len(docs))
	type sorted[T any] struct {
		d *doc
		v T
	}
	var ms []sorted[engine.Manifest]
	var hs []sorted[*engine.Hook]
	for i := range docs {
		d := &docs[i]
		switch {
		case d.manifest != nil:
			m := *d.manifest
			m.Name = d.name
			ms = append(ms, sorted[engine.Manifest]{d, m})
			continue
		case d.hook != nil:
			h := *d.hook
			h.Path = d.name
			hs = append(hs, sorted[*engine.Hook]{d, &h})
			continue
		}
		key := fmt.Sprintf("%s\x00%09d", d.name, d.index)
		if _, dup := files[key]; dup {
			return nil, nil, fmt.Errorf("internal error: two documents %s #%d", d.name, d.index)
		}
		files[key] = d.content
		if d.head != "" {
			files[key] = d.head
		}
		byKey[key] = d
	}
	hooks, manifests, err := engine.SortManifests(files, engine.InstallOrder)
	if err != nil {
		return nil, nil, cleanKeys(err, byKey)
	}
	for _, m := range manifests {
		d := byKey[m.Name]
		m.Name, m.Content = d.name, d.content
		ms = append(ms, sorted[engine.Manifest]{d, m})
	}
	for _, h := range hooks {
		d := byKey[h.Path]
		h.Path, h.Manifest = d.name, d.content
		hs = append(hs, sorted[*engine.Hook]{d, h})
	}
	rank := make(map[string]int, len(engine.InstallOrder))
	for i, k := range engine.InstallOrder {
		rank[k] = i
	}
	less := func(ka, kb string, a, b *doc) int {
		if c := compareKinds(rank, ka, kb); c != 0 {
			return c
		}
		if c := strings.Compare(a.name, b.name); c != 0 {
			return c
		}
		return a.index - b.index
	}
	slices.SortStableFunc(ms, func(a, b sorted[engine.Manifest]) int {
		var ka, kb string
		if a.v.Head != nil {
			ka = a.v.Head.Kind
		}
		if b.v.Head != nil {
			kb = b.v.Head.Kind
		}
		return less(ka, kb, a.d, b.d)
	})
	slices.SortStableFunc(hs, func(a, b sorted[*engine.Hook]) int { return less(a.v.Kind, b.v.Kind, a.d, b.d) })
	outM := make([]engine.Manifest, len(ms))
	for i, m := range ms {
		outM[i] = m.v
	}
	outH := make([]*engine.Hook, len(hs))
	for i, h := range hs {
		outH[i] = h.v
	}
	return outM, outH, nil
}

// compareKinds orders kinds as engine.SortManifests does: kinds of the install
// order by their rank, before the others, which go by name.
func compareKinds(rank map[string]int, a, b string) int {
	ra, aok := rank[a]
	rb, bok := rank[b]
	switch {
	case aok && bok:
		return ra - rb
	case aok:
		return -1
	case bok:
		return 1
	}
	return strings.Compare(a, b)
}

// cleanKeys replaces sortDocs' keys in an error message by the documents' names.
func cleanKeys(err error, docs map[string]*doc) error {
	msg := err.Error()
	for key, d := range docs {
		if strings.Contains(msg, key) {
			return fmt.Errorf("%s: %w: %s", d.name, ErrInvalidOutput, strings.ReplaceAll(msg, key, d.name))
		}
	}
	return err
}

// usableName reports whether a document name survives engine.SortManifests, which
// skips templates whose base name starts with "_" (partials).
func usableName(name string) bool {
	return name != "" && !strings.HasPrefix(path.Base(name), "_") && !strings.ContainsRune(name, 0)
}
