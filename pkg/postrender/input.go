package postrender

import (
	"fmt"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/resid"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/hoist-dev/hoist/pkg/engine"
)

// input is a rendered document that goes through kustomize.
type input struct {
	name    string
	index   int
	content string
	head    *engine.Head // nil when unknown
	ids     []*ident     // parsed on demand
	parsed  bool
}

// idents is the objects of the document, parsed on first use: only its metadata
// when the head is known and the document a simple block mapping.
func (in *input) idents() []*ident {
	if !in.parsed {
		in.parsed = true
		if id := quickIdent(in.content, in.head); id != nil {
			id.source = in.name
			in.ids = []*ident{id}
		} else {
			in.ids = parseIdents(in.name, in.content)
		}
	}
	return in.ids
}

// quickIdent is the identity of a document with a known head, from its metadata
// block alone (the lines from "metadata:" to the next top-level key); nil when
// that does not apply or does not parse.
func quickIdent(content string, head *engine.Head) *ident {
	if head == nil || head.Kind == "" || strings.HasSuffix(head.Kind, "List") || !blockMapping(content) {
		return nil
	}
	var block strings.Builder
	in := false
	for line := range strings.Lines(content) {
		top := line != "" && line[0] != ' ' && line[0] != '#' && line[0] != '\n'
		switch {
		case strings.HasPrefix(line, "metadata:"):
			if in {
				return nil // twice
			}
			in = true
		case top && in:
			in = false
		}
		if in {
			block.WriteString(line)
		}
	}
	var m struct {
		Metadata struct {
			Name        string            `yaml:"name"`
			Namespace   string            `yaml:"namespace"`
			Labels      map[string]string `yaml:"labels"`
			Annotations map[string]string `yaml:"annotations"`
		} `yaml:"metadata"`
	}
	if err := kyaml.Unmarshal([]byte(block.String()), &m); err != nil {
		return nil
	}
	gv, _ := schema.ParseGroupVersion(head.APIVersion)
	md := m.Metadata
	return &ident{
		gvk:         resid.Gvk{Group: gv.Group, Version: gv.Version, Kind: head.Kind},
		names:       []string{md.Name},
		namespaces:  []string{md.Namespace},
		labels:      md.Labels,
		annotations: md.Annotations,
	}
}

// parseIdents is the identities of the objects of a document; none when it does
// not parse (kustomize reports that).
func parseIdents(name, content string) []*ident {
	nodes, err := kio.FromBytes([]byte(content))
	if err != nil {
		return nil
	}
	var ids []*ident
	for _, n := range nodes {
		if id := nodeIdent(n); id != nil {
			id.source = name
			ids = append(ids, id)
		}
	}
	return ids
}

// addInput adds a rendered document: through kustomize if it is a manifest or a
// hook that a patch names, passed through otherwise (and when it holds no object).
// When the overlay is selective, a manifest that no patch selects passes through
// too. A manifest whose head is known is not parsed whole.
func (b *build) addInput(index int, m *engine.Manifest, h *engine.Hook) error {
	var name, content string
	var head *engine.Head
	manifest := m != nil
	if manifest {
		name, content, head = m.Name, m.Content, m.Head
	} else {
		name, content = h.Path, h.Manifest
	}
	// Before anything parses it: kyaml expands aliases.
	if err := b.aliases.check(content); err != nil {
		return fmt.Errorf("%s: rendered %s: %w", b.what, name, err)
	}
	in := &input{name: name, index: index, content: content, head: head}
	pass := func() {
		d := doc{name: name, index: index, content: content, hook: h}
		if m != nil && m.Head != nil {
			d.manifest = m
		}
		b.passed = append(b.passed, d)
	}
	if manifest && b.selective && head != nil && head.Kind != "" && !b.touched(in) {
		pass()
		b.bypassed = append(b.bypassed, in)
		return nil
	}
	if head == nil || head.Kind == "" || !manifest {
		ids := in.idents()
		switch {
		case len(ids) == 0:
			pass()
			return nil
		case !manifest && !b.named(ids):
			pass()
			b.held = append(b.held, ids...)
			return nil
		}
	}
	b.through = append(b.through, in)
	source := strconv.Itoa(index) + ":" + name
	if head != nil && !strings.HasSuffix(head.Kind, "List") && blockMapping(content) {
		// The common case: the field is appended to the text, without parsing.
		b.rendered.WriteString("---\n")
		b.rendered.WriteString(content)
		if !strings.HasSuffix(content, "\n") {
			b.rendered.WriteString("\n")
		}
		b.rendered.WriteString(sourceField + ": " + strconv.Quote(source) + "\n")
		return nil
	}
	nodes, err := kio.FromBytes([]byte(content))
	if err != nil {
		return fmt.Errorf("%s: rendered %s: %w", b.what, name, err)
	}
	for _, n := range nodes {
		if err := setSource(n, source); err != nil {
			return fmt.Errorf("%s: rendered %s: %w", b.what, name, err)
		}
	}
	text, err := kio.StringAll(nodes)
	if err != nil {
		return fmt.Errorf("%s: rendered %s: %w", b.what, name, err)
	}
	b.rendered.WriteString("---\n")
	b.rendered.WriteString(text)
	return nil
}

// touched reports whether some patch may change the document's object, or
// kustomize would drop it (local configuration). The head decides when it can;
// the metadata is parsed only for a patch whose target's kind and name match and
// that selects by namespace, labels or annotations.
func (b *build) touched(in *input) bool {
	h := in.head
	var name string
	var annotations map[string]string
	if h.Metadata != nil {
		name, annotations = h.Metadata.Name, h.Metadata.Annotations
	}
	if _, ok := annotations[localConfigAnnotation]; ok {
		return true
	}
	gv, _ := schema.ParseGroupVersion(h.APIVersion)
	gvk := resid.Gvk{Group: gv.Group, Version: gv.Version, Kind: h.Kind}
	for _, p := range b.patches {
		if p.target == nil {
			if anyOf(p.ids, func(id resid.ResId) bool { return id.Kind == h.Kind && id.Name == name }) {
				return true
			}
			continue
		}
		if !p.sel.MatchGvk(gvk) || !p.sel.MatchName(name) {
			continue
		}
		if p.target.Namespace == "" && p.target.LabelSelector == "" && p.target.AnnotationSelector == "" {
			return true
		}
		if anyOf(in.idents(), p.selects) {
			return true
		}
	}
	return false
}

// localConfigAnnotation marks objects kustomize leaves out of its output.
const localConfigAnnotation = "config.kubernetes.io/local-config"

// blockMapping reports whether a document is a block mapping whose keys start in
// the first column, with no line that could make a key appended at its end part
// of something else: then appending "key: value" adds a top-level field.
func blockMapping(content string) bool {
	for line := range strings.Lines(content) {
		t := strings.TrimLeft(line, " ")
		if t == "" || t == "\n" || t[0] == '#' {
			continue
		}
		c := line[0]
		return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '_'
	}
	return false
}

// named reports whether some patch names one of the objects.
func (b *build) named(ids []*ident) bool {
	for _, p := range b.patches {
		for _, id := range ids {
			if p.names(id) {
				return true
			}
		}
	}
	return false
}

// setSource sets sourceField on an object, or on each item of a List.
func setSource(n *kyaml.RNode, source string) error {
	value := kyaml.NewScalarRNode(source)
	value.YNode().Style = kyaml.DoubleQuotedStyle
	if strings.HasSuffix(n.GetKind(), "List") {
		if items := n.Field("items"); items != nil && items.Value.YNode().Kind == kyaml.SequenceNode {
			elems, err := items.Value.Elements()
			if err != nil {
				return err
			}
			for _, e := range elems {
				if e.YNode().Kind == kyaml.MappingNode {
					if err := e.PipeE(kyaml.SetField(sourceField, value.Copy())); err != nil {
						return err
					}
				}
			}
			return nil
		}
	}
	return n.PipeE(kyaml.SetField(sourceField, value))
}
