package git

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// netrcEntry is one machine (or the default) of a netrc file.
type netrcEntry struct {
	machine   string // "" for the default entry
	login     string
	password  string
	isDefault bool
}

// netrc holds the entries of a netrc file in file order.
type netrc []netrcEntry

// loadNetrc reads a netrc file; a missing file is an empty netrc.
func loadNetrc(path string) (netrc, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading netrc: %w", err)
	}
	n, err := parseNetrc(string(b))
	if err != nil {
		return nil, fmt.Errorf("netrc %s: %w", path, err)
	}
	return n, nil
}

// parseNetrc reads the netrc format as curl does: whitespace-separated tokens,
// "machine NAME", "default", "login", "password", "account" (ignored), "macdef NAME"
// (its body, up to an empty line, is skipped), '#' comments, and double-quoted
// tokens with backslash escapes.
func parseNetrc(data string) (netrc, error) {
	var (
		out []netrcEntry
		cur *netrcEntry
	)
	toks, err := netrcTokens(data)
	if err != nil {
		return nil, err
	}
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		next := func() (string, error) {
			if i+1 >= len(toks) {
				return "", fmt.Errorf("line %d: %q needs a value", t.line, t.text)
			}
			i++
			return toks[i].text, nil
		}
		switch t.text {
		case "machine":
			v, err := next()
			if err != nil {
				return nil, err
			}
			out = append(out, netrcEntry{machine: strings.ToLower(v)})
			cur = &out[len(out)-1]
		case "default":
			out = append(out, netrcEntry{isDefault: true})
			cur = &out[len(out)-1]
		case "login", "password", "account":
			v, err := next()
			if err != nil {
				return nil, err
			}
			if cur == nil {
				return nil, fmt.Errorf("line %d: %q outside a machine entry", t.line, t.text)
			}
			switch t.text {
			case "login":
				cur.login = v
			case "password":
				cur.password = v
			}
		case "macdef":
			if _, err := next(); err != nil {
				return nil, err
			}
			cur = nil
		default:
			return nil, fmt.Errorf("line %d: unexpected token %q", t.line, t.text)
		}
	}
	return out, nil
}

type netrcToken struct {
	text string
	line int
}

func netrcTokens(s string) ([]netrcToken, error) {
	var (
		toks []netrcToken
		line = 1
	)
	for i := 0; i < len(s); {
		c := s[i]
		switch c {
		case '\n':
			line++
			i++
		case ' ', '\t', '\r', '\f', '\v':
			i++
		case '#':
			for i < len(s) && s[i] != '\n' {
				i++
			}
		case '"':
			var b strings.Builder
			i++
			closed := false
			for i < len(s) {
				if s[i] == '\\' && i+1 < len(s) {
					switch s[i+1] {
					case 'n':
						b.WriteByte('\n')
					case 't':
						b.WriteByte('\t')
					case 'r':
						b.WriteByte('\r')
					default:
						b.WriteByte(s[i+1])
					}
					i += 2
					continue
				}
				if s[i] == '"' {
					closed = true
					i++
					break
				}
				if s[i] == '\n' {
					line++
				}
				b.WriteByte(s[i])
				i++
			}
			if !closed {
				return nil, fmt.Errorf("line %d: unterminated quoted token", line)
			}
			toks = append(toks, netrcToken{text: b.String(), line: line})
		default:
			start := i
			for i < len(s) && !strings.ContainsRune(" \t\r\n\f\v", rune(s[i])) {
				i++
			}
			toks = append(toks, netrcToken{text: s[start:i], line: line})
			// After "macdef NAME" comes the macro's body, up to an empty line: skip it.
			if n := len(toks); n >= 2 && toks[n-2].text == "macdef" {
				i = skipMacdefBody(s, i, &line)
			}
		}
	}
	return toks, nil
}

// skipMacdefBody skips from i (just after the macro name) to the end of the line,
// then every following line up to and including the first empty one.
func skipMacdefBody(s string, i int, line *int) int {
	for i < len(s) && s[i] != '\n' {
		i++
	}
	for i < len(s) {
		i++ // the newline ending the previous line
		*line++
		if i >= len(s) || s[i] == '\n' {
			return i
		}
		for i < len(s) && s[i] != '\n' {
			i++
		}
	}
	return i
}

// lookup returns the credentials for host (without port): the first machine entry
// naming it, else the default entry.
func (n netrc) lookup(host string) (login, password string, ok bool) {
	host = strings.ToLower(host)
	for _, e := range n {
		if !e.isDefault && e.machine == host {
			return e.login, e.password, true
		}
	}
	for _, e := range n {
		if e.isDefault {
			return e.login, e.password, true
		}
	}
	return "", "", false
}
