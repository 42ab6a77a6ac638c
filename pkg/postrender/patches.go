package postrender

import (
	"fmt"
	"path"
	"strings"

	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/resid"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/yaml"
)

// patchRef is one patch of a kustomization.
type patchRef struct {
	where  string // for messages: "dir/kustomization.yaml: patches[1] (path: p.yaml)"
	target *types.Selector
	// sel is target compiled, for a quick look at an object's kind and name
	// before its identity is parsed.
	sel *types.SelectorRegex
	// ids are the kind and name of each strategic-merge document, for a patch
	// without a target.
	ids []resid.ResId
}

// checkSelectors fails for a target whose labelSelector or annotationSelector
// kustomize cannot parse (it would fail only when the patch is applied).
func checkSelectors(s *types.Selector) error {
	probe := kyaml.NewMapRNode(nil)
	if _, err := probe.MatchesLabelSelector(s.LabelSelector); err != nil {
		return fmt.Errorf("target.labelSelector: %w", err)
	}
	if _, err := probe.MatchesAnnotationSelector(s.AnnotationSelector); err != nil {
		return fmt.Errorf("target.annotationSelector: %w", err)
	}
	return nil
}

// renames reports whether a patch's text is a JSON 6902 patch (or does not parse
// as one) that may change an object's kind, name or namespace.
func renames(text string) bool {
	if len(smTargets(text)) > 0 {
		return false
	}
	var ops []map[string]any
	if err := yaml.Unmarshal([]byte(text), &ops); err != nil {
		return true
	}
	for _, op := range ops {
		for _, key := range []string{"path", "from"} {
			p, _ := op[key].(string)
			switch {
			case key == "from" && p == "":
			case p == "" || p == "/" || p == "/kind" || p == "/apiVersion" || p == "/metadata" ||
				strings.HasPrefix(p, "/metadata/name") || strings.HasPrefix(p, "/metadata/namespace"):
				return true
			}
		}
	}
	return false
}

// collectPatches records k's patches (patches, patchesJson6902 and
// patchesStrategicMerge) for the hook rule and the target check.
func (t *tree) collectPatches(k *kustomization) error {
	kk := &k.k
	add := func(field string, i int, p types.Patch) error {
		where := fmt.Sprintf("%s: %s[%d]", t.name(k.file), field, i)
		text := p.Patch
		if p.Path != "" {
			where += fmt.Sprintf(" (path: %s)", p.Path)
			file := path.Join(k.dir, p.Path)
			if err := t.checkAliasesIn(file); err != nil {
				return err
			}
			text = t.files[file]
		} else if err := t.aliases.check(text); err != nil {
			return fmt.Errorf("%s: %w", where, err)
		}
		pr := &patchRef{where: where, target: p.Target}
		if o := p.Options; o != nil && (o.AllowNameChange || o.AllowKindChange) || renames(text) {
			t.renames = true
		}
		if p.Target != nil {
			sel, err := types.NewSelectorRegex(p.Target)
			if err != nil {
				return fmt.Errorf("%s: %w: target: %w", where, ErrInvalidKustomization, err)
			}
			pr.sel = sel
			if err := checkSelectors(p.Target); err != nil {
				return fmt.Errorf("%s: %w: %w", where, ErrInvalidKustomization, err)
			}
		} else {
			pr.ids = smTargets(text)
		}
		t.patches = append(t.patches, pr)
		return nil
	}
	for i, p := range kk.Patches {
		if err := add("patches", i, p); err != nil {
			return err
		}
	}
	for i, p := range kk.PatchesJson6902 { //nolint:staticcheck // users' kustomizations still use it
		if err := add("patchesJson6902", i, p); err != nil {
			return err
		}
	}
	for i, s := range kk.PatchesStrategicMerge { //nolint:staticcheck // users' kustomizations still use it
		p := types.Patch{Patch: string(s)}
		if _, ok := t.files[path.Join(k.dir, string(s))]; ok && !strings.Contains(string(s), "\n") {
			p = types.Patch{Path: string(s)}
		}
		if err := add("patchesStrategicMerge", i, p); err != nil {
			return err
		}
	}
	return nil
}

// smTargets is the kind, name and namespace of each object of a strategic-merge
// patch; nothing for a JSON 6902 patch or what does not parse.
func smTargets(text string) []resid.ResId {
	nodes, err := kio.FromBytes([]byte(text))
	if err != nil {
		return nil
	}
	var ids []resid.ResId
	for _, n := range nodes {
		if n.YNode().Kind != kyaml.MappingNode || n.GetKind() == "" {
			continue
		}
		ids = append(ids, resid.NewResIdWithNamespace(resid.GvkFromNode(n), n.GetName(), n.GetNamespace()))
	}
	return ids
}
