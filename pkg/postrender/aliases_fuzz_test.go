package postrender

import (
	"errors"
	"strings"
	"testing"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// naiveAdded counts the nodes that expanding the aliases of a document adds, the
// slow way (expanding them), stopping past limit; cycle is set when an alias is
// inside its own anchor.
type naiveAdded struct {
	open           map[*kyaml.Node]bool
	total, literal int
	limit          int
	cycle          bool
}

func (c *naiveAdded) walk(n *kyaml.Node, expanding bool) {
	if c.total > c.limit || c.cycle {
		return
	}
	if n.Kind == kyaml.AliasNode {
		if !expanding {
			c.literal++
		}
		if n.Alias == nil {
			c.total++
			return
		}
		if c.open[n.Alias] {
			c.cycle = true
			return
		}
		c.walk(n.Alias, true)
		return
	}
	c.total++
	if !expanding {
		c.literal++
	}
	c.open[n] = true
	for _, k := range n.Content {
		c.walk(k, expanding)
	}
	delete(c.open, n)
}

// FuzzAliasBudget feeds the kustomize pre-check arbitrary YAML (files, patches and
// rendered manifests all go through it). check must not panic, must refuse only with
// ErrLimitExceeded, and must refuse what kyaml could not expand within MaxAliasNodes:
// for a single document, a slow expansion that finds more added nodes, or an alias
// inside its own anchor, in text check accepted is a hole in the limit.
func FuzzAliasBudget(f *testing.F) {
	f.Add(laughs(""))
	f.Add("a: " + laughs("  ")[2:])
	f.Add(bombPatch)
	f.Add("base: &b {x: 1, y: [1, 2]}\nc:\n  <<: *b\n  d: *b\n")
	f.Add("a: &a [*a]\n")
	f.Add("- &a [x]\n- [*a, *a, *a]\n---\n- *a\n- &b {k: *b}\n")
	f.Add("k: &x\n  - *x\n")
	f.Add("a: &a\nb: *a\nc: *missing\n")
	f.Add("key: &anchor value\r\nother: *anchor\r\n")
	f.Add("[&a a, *a, {*a : *a}]")
	f.Fuzz(func(t *testing.T, text string) {
		var b aliasBudget
		err := b.check(text)
		if err != nil && !errors.Is(err, ErrLimitExceeded) {
			t.Fatalf("error does not wrap ErrLimitExceeded: %v", err)
		}
		if b.added < 0 || b.added > MaxAliasNodes {
			t.Fatalf("budget out of range: %d", b.added)
		}
		norm := strings.ReplaceAll(text, "\r\n", "\n")
		if err != nil || yamlSeparator.MatchString(norm) {
			return
		}
		var doc kyaml.Node
		if kyaml.NewDecoder(strings.NewReader(norm)).Decode(&doc) != nil {
			return
		}
		c := naiveAdded{open: map[*kyaml.Node]bool{}, limit: 4 * MaxAliasNodes}
		c.walk(&doc, false)
		if c.cycle {
			t.Fatalf("an alias inside its own anchor was accepted")
		}
		if added := c.total - c.literal; added > MaxAliasNodes {
			t.Fatalf("aliases add %d nodes, more than %d, and were accepted", added, MaxAliasNodes)
		}
	})
}
