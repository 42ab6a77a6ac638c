package values

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Limits of the --set family.
const (
	// MaxIndex is the largest list index a --set path may use (a[65536]=x), as in
	// Helm; a list is grown to index+1 elements, so it also bounds what one index
	// costs.
	MaxIndex = 65536
	// MaxNestingDepth is how deeply a --set path may nest: its "." steps, as in Helm,
	// plus (which Helm does not count) its "[i]" steps other than the first after a
	// name: the second [0] of a[0][0], and the ".b" of a[0].b. With MaxIndex it
	// bounds what one path can allocate, and one argument may not allocate more
	// than 16*MaxIndex list elements in all.
	MaxNestingDepth = 30
)

// ParseSet parses a --set argument ("a.b=1,list={x,y},c[0].d=true") into dest,
// with Helm's typing: true and false (any case) become bool, null (any case) nil,
// decimal integers without a leading zero int64 ("0" too), everything else a
// string ("1.5", "007"). A backslash escapes the next character ("a\.b=x\,y").
// Later keys overwrite earlier ones; maps are merged.
func ParseSet(s string, dest map[string]any) error {
	return newSetParser(s, modeTyped, nil).parse(dest)
}

// ParseSetString parses a --set-string argument into dest: like ParseSet, but every
// value is a string.
func ParseSetString(s string, dest map[string]any) error {
	return newSetParser(s, modeString, nil).parse(dest)
}

// ParseSetFile parses a --set-file argument ("key=path") into dest: each value is a
// path, and the contents readFile returns for it become the string value. An empty
// value ("key=") stays the empty string and reads nothing.
func ParseSetFile(s string, dest map[string]any, readFile func(path string) ([]byte, error)) error {
	if readFile == nil {
		return errors.New("no file reader for --set-file")
	}
	return newSetParser(s, modeFile, readFile).parse(dest)
}

// ParseSetJSON parses a --set-json argument into dest. It is either a JSON object
// ('{"a":{"b":1}}'), deep-merged into dest, or key=JSON pairs
// ('a.b=[1,2],c={"d":null}'), where an empty JSON value means null. JSON numbers
// become float64.
func ParseSetJSON(s string, dest map[string]any) error {
	if dest == nil {
		return errNilDest
	}
	if t := strings.TrimSpace(s); t != "" && t[0] == '{' {
		var obj map[string]any
		if err := json.Unmarshal([]byte(t), &obj); err != nil {
			return fmt.Errorf("invalid JSON object: %w", err)
		}
		mergeInto(dest, obj)
		return nil
	}
	return newSetParser(s, modeJSON, nil).parse(dest)
}

// ParseSetLiteral parses a --set-literal argument ("a.b=anything, even {x,y}") into
// dest: everything after the first "=" is the string value, taken as written; the
// key is split on "." and "[i]" but knows no escapes.
func ParseSetLiteral(s string, dest map[string]any) error {
	return newSetParser(s, modeLiteral, nil).parse(dest)
}

type valueMode int

const (
	modeTyped valueMode = iota
	modeString
	modeFile
	modeJSON
	modeLiteral
)

// errNilDest is returned for a nil destination map (a caller's bug).
var errNilDest = errors.New("nil destination map")

// errNotList is returned by valList when the value does not start with "{".
var errNotList = errors.New("not a list")

// setParser reads one --set-family argument. It holds only the state of that one
// argument.
type setParser struct {
	src      string
	in       *strings.Reader
	mode     valueMode
	readFile func(string) ([]byte, error)
	// slots is how many more list elements the argument may allocate.
	slots int
}

// maxListSlots bounds the list elements one argument may allocate in all (Helm has
// no such bound): 16 lists of MaxIndex elements, 16 MiB of interface values.
const maxListSlots = 16 * MaxIndex

func newSetParser(s string, mode valueMode, readFile func(string) ([]byte, error)) *setParser {
	return &setParser{src: s, in: strings.NewReader(s), mode: mode, readFile: readFile, slots: maxListSlots}
}

func (p *setParser) parse(dest map[string]any) error {
	if dest == nil {
		return errNilDest
	}
	for {
		err := p.key(dest, 0, "")
		if err == nil {
			continue
		}
		if errors.Is(err, io.EOF) {
			return nil
		}
		return err
	}
}

// until reads up to the first rune in stops (consumed, and returned as last) or to
// the end of input (err io.EOF). Outside literal mode a backslash makes the next
// rune ordinary; a backslash at the very end is dropped.
func (p *setParser) until(stops string) (s string, last rune, err error) {
	var b strings.Builder
	for {
		r, _, err := p.in.ReadRune()
		if err != nil {
			return b.String(), 0, err
		}
		if strings.ContainsRune(stops, r) {
			return b.String(), r, nil
		}
		if r == '\\' && p.mode != modeLiteral {
			next, _, err := p.in.ReadRune()
			if err != nil {
				return b.String(), 0, err
			}
			r = next
		}
		b.WriteRune(r)
	}
}

// rest reads everything that is left, decoded rune by rune like the rest of the
// input (an invalid UTF-8 byte becomes U+FFFD).
func (p *setParser) rest() string {
	s := p.src[len(p.src)-p.in.Len():]
	_, _ = p.in.Seek(0, io.SeekEnd)
	return string([]rune(s))
}

// key parses one "name..." step into data. prefix is the path parsed so far
// ("a.b[0].") and only serves error messages, which name the whole key.
func (p *setParser) key(data map[string]any, depth int, prefix string) error {
	stops := "=[,."
	if p.mode == modeLiteral {
		stops = "=[." // a literal key may contain commas
	}
	k, last, err := p.until(stops)
	name := prefix + k
	if err != nil {
		if k == "" {
			return err
		}
		return fmt.Errorf("key %q has no value", name)
	}
	switch last {
	case '[':
		i, err := p.index()
		if err != nil {
			// A path cut short inside "[...]" ends the parse quietly, as in Helm.
			return fmt.Errorf("key %q: error parsing index: %w", name, err)
		}
		list := []any{}
		if existing, ok := data[k]; ok {
			l, ok := existing.([]any)
			if !ok {
				return notA(name, existing, "list")
			}
			list = l
		}
		list, err = p.listItem(list, i, depth, name)
		set(data, k, list)
		return err
	case '=':
		v, err := p.value(name)
		if err != nil && !errors.Is(err, io.EOF) {
			return err
		}
		set(data, k, v)
		return err
	case ',':
		set(data, k, "")
		return fmt.Errorf("key %q has no value (cannot end with ,)", name)
	default: // '.'
		depth++
		if depth > MaxNestingDepth {
			return fmt.Errorf("key %q: value name nested level is greater than maximum supported nested level of %d", name, MaxNestingDepth)
		}
		inner := map[string]any{}
		if existing, ok := data[k]; ok {
			m, ok := existing.(map[string]any)
			if !ok {
				return notA(name, existing, "map")
			}
			inner = m
		}
		err := p.key(inner, depth, name+".")
		if err == nil && len(inner) == 0 {
			return fmt.Errorf("key map %q has no value", name)
		}
		if len(inner) != 0 {
			set(data, k, inner)
		}
		return err
	}
}

// value reads what follows "key=". It returns io.EOF (with the value) when the
// input ends there, as Helm's parser does, which ends the parse.
func (p *setParser) value(name string) (any, error) {
	switch p.mode {
	case modeLiteral:
		return p.rest(), nil
	case modeJSON:
		empty, err := p.emptyVal()
		if err != nil {
			return nil, err
		}
		if empty {
			return nil, nil
		}
		v, err := p.jsonVal()
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", name, err)
		}
		return v, nil
	}
	vl, err := p.valList()
	switch {
	case err == nil:
		return vl, nil
	case errors.Is(err, io.EOF):
		return "", io.EOF
	case errors.Is(err, errNotList):
		raw, _, _ := p.until(",") // only ever io.EOF, which ends the parse later
		v, err := p.convert(raw)
		if err != nil {
			return nil, fmt.Errorf("key %q: %w", name, err)
		}
		return v, nil
	default:
		return nil, fmt.Errorf("key %q: %w", name, err)
	}
}

func (p *setParser) index() (int, error) {
	s, _, err := p.until("]")
	if err != nil {
		return 0, err
	}
	return strconv.Atoi(s)
}

// listItem parses what follows "name[i]" into list and returns the list. name is
// the key so far, for error messages.
func (p *setParser) listItem(list []any, i, depth int, name string) ([]any, error) {
	if i < 0 {
		return list, fmt.Errorf("key %q: negative %d index not allowed", name, i)
	}
	item := fmt.Sprintf("%s[%d]", name, i)
	k, last, err := p.until("[.=")
	switch {
	case k != "":
		return list, fmt.Errorf("key %q: unexpected data at end of array index: %q", item, k)
	case err != nil:
		return list, err
	}
	switch last {
	case '=':
		var v any
		switch p.mode {
		case modeLiteral:
			v = p.rest()
		case modeJSON:
			empty, err := p.emptyVal()
			if err != nil {
				return list, err
			}
			if !empty {
				if v, err = p.jsonVal(); err != nil {
					return list, fmt.Errorf("key %q: %w", item, err)
				}
			}
		default:
			vl, err := p.valList()
			switch {
			case err == nil:
				v = vl
			case errors.Is(err, io.EOF):
				v = ""
			case errors.Is(err, errNotList):
				raw, _, _ := p.until(",")
				if v, err = p.convert(raw); err != nil {
					return list, fmt.Errorf("key %q: %w", item, err)
				}
			default:
				return list, fmt.Errorf("key %q: %w", item, err)
			}
		}
		return p.setIndex(list, i, v, item)
	case '[':
		// Helm does not count nested lists towards the nesting limit; hoist does,
		// so that a[65536][65536]... cannot allocate without bound.
		depth++
		if depth > MaxNestingDepth {
			return list, fmt.Errorf("key %q: list nesting level is greater than maximum supported nested level of %d", item, MaxNestingDepth)
		}
		next, err := p.index()
		if err != nil {
			return list, fmt.Errorf("key %q: error parsing index: %w", item, err)
		}
		var inner []any
		if i < len(list) && list[i] != nil {
			l, ok := list[i].([]any)
			if !ok {
				return list, notA(item, list[i], "list")
			}
			inner = l
		}
		inner, err = p.listItem(inner, next, depth, item)
		if err != nil {
			return list, err
		}
		return p.setIndex(list, i, inner, item)
	default: // '.'
		// Helm does not count this step either (a[0].a[0].a[0]...); hoist does.
		depth++
		if depth > MaxNestingDepth {
			return list, fmt.Errorf("key %q: value name nested level is greater than maximum supported nested level of %d", item, MaxNestingDepth)
		}
		inner := map[string]any{}
		if i < len(list) {
			if m, ok := list[i].(map[string]any); ok {
				inner = m
			} else {
				// Indexes set out of order leave nils (or other values) behind;
				// Helm replaces them with a map.
				list[i] = inner
			}
		}
		if err := p.key(inner, depth, item+"."); err != nil {
			return list, err
		}
		return p.setIndex(list, i, inner, item)
	}
}

// setIndex stores v at list[i], growing the list as needed within MaxIndex and the
// argument's budget of list slots.
func (p *setParser) setIndex(list []any, i int, v any, item string) ([]any, error) {
	if i > MaxIndex {
		return list, fmt.Errorf("key %q: index of %d is greater than maximum supported index of %d", item, i, MaxIndex)
	}
	if len(list) <= i {
		grow := i + 1 - len(list)
		if grow > p.slots {
			return list, fmt.Errorf("key %q: lists of one argument may hold at most %d elements in all", item, maxListSlots)
		}
		p.slots -= grow
		// Grow with append's amortized capacity (Helm copies the whole list at
		// every growth, quadratic for a[1]=x,a[2]=x,...), clearing what a reused
		// capacity may hold.
		n := len(list)
		list = slices.Grow(list, grow)[:i+1]
		clear(list[n:])
	}
	list[i] = v
	return list, nil
}

// emptyVal consumes blanks up to a comma or the end (an empty JSON value) or stops
// before anything else.
func (p *setParser) emptyVal() (bool, error) {
	for {
		r, _, err := p.in.ReadRune()
		if errors.Is(err, io.EOF) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		if r == ',' {
			return true, nil
		}
		if !unicode.IsSpace(r) {
			return false, p.in.UnreadRune()
		}
	}
}

// jsonVal decodes one JSON value from the input and skips the blanks and the comma
// after it.
func (p *setParser) jsonVal() (any, error) {
	rest := p.src[len(p.src)-p.in.Len():]
	dec := json.NewDecoder(strings.NewReader(rest))
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, fmt.Errorf("invalid JSON value: %w", err)
	}
	if _, err := p.in.Seek(dec.InputOffset(), io.SeekCurrent); err != nil {
		return nil, err
	}
	if _, err := p.emptyVal(); err != nil {
		return nil, err
	}
	return v, nil
}

// valList reads a {a,b,c} list, or returns errNotList (consuming nothing) when the
// value does not start with "{", or io.EOF when there is no value at all. As in
// Helm, "{}" is a list of one empty string.
func (p *setParser) valList() ([]any, error) {
	r, _, err := p.in.ReadRune()
	if err != nil {
		return nil, err
	}
	if r != '{' {
		_ = p.in.UnreadRune()
		return nil, errNotList
	}
	list := []any{}
	for {
		raw, last, err := p.until(",}")
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = errors.New("list must terminate with '}'")
			}
			return list, err
		}
		v, err := p.convert(raw)
		if err != nil {
			return list, err
		}
		list = append(list, v)
		if last == '}' {
			// A comma right after the list ends it; anything else starts the next key.
			if r, _, err := p.in.ReadRune(); err == nil && r != ',' {
				_ = p.in.UnreadRune()
			}
			return list, nil
		}
	}
}

// convert turns a raw value into what the mode makes of it.
func (p *setParser) convert(raw string) (any, error) {
	switch p.mode {
	case modeString:
		return raw, nil
	case modeFile:
		data, err := p.readFile(raw)
		if err != nil {
			var pe *fs.PathError
			if errors.As(err, &pe) {
				return nil, err // already names the path
			}
			return nil, fmt.Errorf("reading %s: %w", raw, err)
		}
		return string(data), nil
	default:
		return typedVal(raw), nil
	}
}

// typedVal types a --set value the way Helm does.
func typedVal(s string) any {
	switch {
	case strings.EqualFold(s, "true"):
		return true
	case strings.EqualFold(s, "false"):
		return false
	case strings.EqualFold(s, "null"):
		return nil
	case s == "0":
		return int64(0)
	}
	// No leading zero: "007" stays a string, "-7" and "+7" are numbers.
	if s != "" && s[0] != '0' {
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
	}
	return s
}

func set(data map[string]any, k string, v any) {
	if k == "" { // Helm drops values set under an empty key ("=x", ".a=x", "[0]=x")
		return
	}
	data[k] = v
}

// notA reports a path step that meets a value of the wrong kind (Helm panics and
// recovers here: "unable to parse key: interface conversion ...").
func notA(k string, v any, want string) error {
	return fmt.Errorf("unable to parse key %q: it already holds %s, not a %s", k, describe(v), want)
}

func describe(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "a map"
	case []any:
		return "a list"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case int, int64, float64, int32, float32, uint64, json.Number:
		return "a number"
	default:
		return fmt.Sprintf("a %T", v)
	}
}
