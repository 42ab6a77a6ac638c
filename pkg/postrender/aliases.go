package postrender

import (
	"fmt"
	"math"
	"regexp"
	"strings"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
)

// MaxAliasNodes is the most YAML nodes that aliases may add, once expanded, to
// the documents of one overlay or package build: its files, inline patches and
// the rendered manifests that go through kustomize, together. kyaml (and so
// kustomize) replaces every alias by a copy of its anchor's value, so a few
// hundred bytes of nested aliases ("billion laughs") would take gigabytes. The
// limit is well above what shared blocks and merge keys add, and keeps the
// build's cost within that of files without aliases.
const MaxAliasNodes = 100_000

// mayHold is a cheap test for text that may hold an anchor (c '&') or an alias
// (c '*'): c followed by a name, at the start of a line or after a space or a
// flow indicator. Most documents have no alias and are not parsed.
func mayHold(text string, c byte) bool {
	for i := 0; i < len(text); i++ {
		j := strings.IndexByte(text[i:], c)
		if j < 0 {
			return false
		}
		i += j
		if (i == 0 || strings.IndexByte(" \t\r\n[{,", text[i-1]) >= 0) &&
			i+1 < len(text) && strings.IndexByte(" \t\r\n,[]{}", text[i+1]) < 0 {
			return true
		}
	}
	return false
}

// yamlSeparator is where kyaml's reader splits a stream into documents (kio's
// splitDocuments), each parsed on its own.
var yamlSeparator = regexp.MustCompile(`\n---.*\n`)

// aliasBudget counts the nodes that aliases add across the documents of a build.
type aliasBudget struct {
	added int
}

// check parses text as kyaml does and fails when expanding the aliases of its
// documents would take the build over MaxAliasNodes, or when an alias refers to
// a node that holds it (expanding it would never end). Text that does not
// parse as YAML is left to kustomize: it cannot expand what it cannot parse.
// Errors wrap ErrLimitExceeded and give the line; the caller names the file or
// patch.
func (b *aliasBudget) check(text string) error {
	if !mayHold(text, '*') || !mayHold(text, '&') {
		return nil
	}
	text = strings.ReplaceAll(text, "\r\n", "\n")
	line := 0 // of the current part's start
	for len(text) > 0 {
		part := text
		if loc := yamlSeparator.FindStringIndex(text); loc != nil {
			part, text = text[:loc[0]+1], text[loc[1]-1:]
		} else {
			text = ""
		}
		if mayHold(part, '*') {
			// kyaml decodes the first document of each part; the others are
			// checked too, for readers that split differently.
			dec := kyaml.NewDecoder(strings.NewReader(part))
			for {
				var n kyaml.Node
				if err := dec.Decode(&n); err != nil {
					break // the end, or not YAML from here on: nothing kyaml could expand either
				}
				if err := b.add(&n, line); err != nil {
					return err
				}
			}
		}
		line += strings.Count(part, "\n")
	}
	return nil
}

// add counts the nodes that the aliases of a document add when expanded; line
// is the line before the document's part of the text.
func (b *aliasBudget) add(doc *kyaml.Node, line int) error {
	w := aliasWalk{sizes: map[*kyaml.Node]int{}, room: MaxAliasNodes - b.added, line: line}
	expanded, err := w.size(doc)
	if err != nil {
		return err
	}
	added := expanded - w.literal
	if added > w.room {
		start := doc
		if doc.Kind == kyaml.DocumentNode && len(doc.Content) > 0 {
			start = doc.Content[0]
		}
		return fmt.Errorf("%w: the YAML aliases of the document at line %d add more than %d nodes when expanded (%s)",
			ErrLimitExceeded, line+start.Line, w.room, aliasLimit)
	}
	b.added += added
	return nil
}

// aliasLimit says what the limit is, for messages.
var aliasLimit = fmt.Sprintf("the limit is %d nodes added by aliases in an overlay or package", MaxAliasNodes)

// aliasWalk computes a document's size with its aliases expanded, in time linear
// in its size as written: the expanded size of each anchored node is computed
// once. Sizes stop growing at maxSize, so that nested aliases cannot overflow
// them.
type aliasWalk struct {
	// sizes are the expanded sizes of the anchored nodes walked, -1 while the
	// walk is inside one.
	sizes   map[*kyaml.Node]int
	literal int // the nodes as written, an alias counting as one
	room    int // how many nodes aliases may still add
	line    int // added to the parser's line numbers
}

const maxSize = math.MaxInt / 4

func (w *aliasWalk) size(n *kyaml.Node) (int, error) {
	if n.Kind == kyaml.AliasNode {
		w.literal++
		if n.Alias == nil {
			return 1, nil
		}
		s, ok := w.sizes[n.Alias]
		switch {
		case !ok:
			// The parser puts anchors before their aliases, so this does not
			// happen; walk the anchor without counting its nodes as written.
			lit := w.literal
			var err error
			if s, err = w.size(n.Alias); err != nil {
				return 0, err
			}
			w.literal = lit
		case s < 0:
			return 0, fmt.Errorf("%w: YAML alias *%s at line %d refers to a node that holds it (it would expand without end)", ErrLimitExceeded, n.Value, w.line+n.Line)
		}
		if s > w.room {
			return 0, fmt.Errorf("%w: YAML alias *%s at line %d expands to more than %d nodes (%s)", ErrLimitExceeded, n.Value, w.line+n.Line, w.room, aliasLimit)
		}
		return s, nil
	}
	w.literal++
	if n.Anchor != "" {
		w.sizes[n] = -1
	}
	total := 1
	for _, c := range n.Content {
		s, err := w.size(c)
		if err != nil {
			return 0, err
		}
		total = min(total+s, maxSize)
	}
	if n.Anchor != "" {
		w.sizes[n] = total
	}
	return total, nil
}
