package chart

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strings"
)

// IgnoreFileName is the name of the file, at a chart's root, that lists the files
// the directory loader leaves out.
const IgnoreFileName = ".helmignore"

// defaultIgnoreRule is appended after a chart's own rules: dotfiles directly under
// templates/ are never templates.
const defaultIgnoreRule = "templates/.?*"

// IgnoreRules are the rules of a .helmignore file, with Helm's semantics (which
// resemble .gitignore's but differ from it in places):
//
//   - one pattern a line; blank lines and lines starting with # are skipped; leading
//     and trailing spaces are trimmed; a UTF-8 BOM on the first line is dropped;
//   - patterns are filepath.Match globs (as in Helm, so "\\" escapes on Unix but
//     is a separator on Windows); "**" is rejected;
//   - a pattern without a slash is matched against the base name, one with a slash
//     against the whole slash-separated path relative to the chart root (a leading
//     slash is removed first);
//   - a trailing slash makes the pattern match directories only;
//   - rules are evaluated in order and the first decisive rule wins. A negated rule
//     ("!pattern") is decisive when it does NOT match: then the path is ignored.
//     When it matches, evaluation goes on with the next rule. So "!pattern" does not
//     re-include what an earlier rule excluded; it excludes everything that does
//     not match it. This is what Helm does, and charts rely on it.
//
// The zero value ignores nothing.
type IgnoreRules struct {
	patterns []ignorePattern
}

type ignorePattern struct {
	raw     string // as written, for messages
	glob    string // what filepath.Match is given
	negate  bool
	dirOnly bool
	base    bool // match against the base name only
}

// ParseIgnore reads .helmignore rules. An invalid pattern is an error naming its
// line.
func ParseIgnore(r io.Reader) (*IgnoreRules, error) {
	rules := &IgnoreRules{}
	sc := bufio.NewScanner(r)
	for line := 1; sc.Scan(); line++ {
		text := sc.Bytes()
		if line == 1 {
			text = bytes.TrimPrefix(text, utf8BOM)
		}
		if err := rules.add(string(text)); err != nil {
			return nil, fmt.Errorf("line %d: %w", line, err)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return rules, nil
}

// AddDefaults appends Helm's default rule, which ignores dotfiles directly under
// templates/. The directory loaders call it after parsing the chart's .helmignore.
func (r *IgnoreRules) AddDefaults() {
	// The default rule is valid; add cannot fail.
	_ = r.add(defaultIgnoreRule)
}

func (r *IgnoreRules) add(rule string) error {
	rule = strings.TrimSpace(rule)
	if rule == "" || strings.HasPrefix(rule, "#") {
		return nil
	}
	if strings.Contains(rule, "**") {
		return fmt.Errorf("pattern %q: double-star (**) syntax is not supported", rule)
	}
	// Check the whole rule (with its ! and slashes) compiles, as Helm does, against
	// a non-empty name so that the pattern is really evaluated.
	if _, err := filepath.Match(rule, "abc"); err != nil {
		return fmt.Errorf("pattern %q: %w", rule, err)
	}
	p := ignorePattern{raw: rule}
	if after, ok := strings.CutPrefix(rule, "!"); ok {
		p.negate = true
		rule = after
	}
	if before, ok := strings.CutSuffix(rule, "/"); ok {
		p.dirOnly = true
		rule = before
	}
	switch {
	case strings.HasPrefix(rule, "/"):
		// Rooted: the whole path must match.
		p.glob = strings.TrimPrefix(rule, "/")
	case strings.Contains(rule, "/"):
		p.glob = rule
	default:
		p.glob = rule
		p.base = true
	}
	r.patterns = append(r.patterns, p)
	return nil
}

// Ignore reports whether the file or directory at name (slash-separated, relative to
// the chart root) is ignored. An ignored directory is skipped with all it contains.
func (r *IgnoreRules) Ignore(name string, isDir bool) bool {
	if r == nil || name == "" || name == "." || name == "./" {
		return false
	}
	for _, p := range r.patterns {
		if p.negate {
			if p.dirOnly && !isDir {
				return true
			}
			if !p.match(name) {
				return true
			}
			continue
		}
		if p.dirOnly && !isDir {
			continue
		}
		if p.match(name) {
			return true
		}
	}
	return false
}

func (p ignorePattern) match(name string) bool {
	if p.base {
		name = filepath.Base(name)
	}
	ok, err := filepath.Match(p.glob, name)
	return err == nil && ok
}
