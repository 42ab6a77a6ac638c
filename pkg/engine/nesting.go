package engine

import (
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// maxNesting is Helm's recursion limit (recursionMaxNums): a call is refused while
// more than this many are under way. Helm counts each name's includes apart and tpl
// not at all, so tpl of itself, or a cycle through many names, recursed until memory
// or the stack ran out; hoist counts include and tpl calls together.
const maxNesting = 1000

// Each include and tpl starts a new execution, which text/template lets nest 100,000
// `template` calls deep (about 130 MB of stack); a few of those, one in another, hit
// Go's 1 GB stack limit, which kills the process. So include and tpl also refuse to
// start on a stack of more than maxFrames frames (about 45 MB; charts use a few
// thousand), so that at most one such execution is deep. Counting frames is slow on a
// deep stack, so it is done only when the stack pointer has moved more than
// recountAfter since the last count (or the stack was moved as it grew).
const (
	maxFrames    = 200_000
	recountAfter = 8 << 20
)

// call is one include (arg: the template's name) or tpl (arg: the text).
type call struct{ fn, arg string }

func (c call) String() string { return fmt.Sprintf("%s %q", c.fn, short(c.arg)) }

// short cuts s to a length fit for an error message: a hostile chart may name
// templates with megabytes.
func short(s string) string {
	const maxLen = 100
	if len(s) <= maxLen {
		return s
	}
	cut := maxLen
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}

// enter records c as under way, or refuses it when too many are, or the stack is too
// deep.
func (r *renderer) enter(c call) error {
	if len(r.calls) > maxNesting {
		return &nestingError{calls: append([]call(nil), r.calls...), refused: c}
	}
	if r.stackTooDeep() {
		return fmt.Errorf("%s refused; templates nest more than %d stack frames deep through `template` calls between include and tpl calls", c, maxFrames)
	}
	r.calls = append(r.calls, c)
	return nil
}

func (r *renderer) stackTooDeep() bool {
	sp := int64(stackPointer())
	if moved := sp - r.countedAt; r.countedAt != 0 && moved < recountAfter && moved > -recountAfter {
		return false
	}
	r.countedAt = sp
	var pc [1]uintptr
	return runtime.Callers(maxFrames, pc[:]) > 0
}

// stackPointer is about where the caller's stack ends.
//
//go:noinline
func stackPointer() uintptr {
	var b byte
	return uintptr(unsafe.Pointer(&b))
}

func (r *renderer) leave() { r.calls = r.calls[:len(r.calls)-1] }

// nestingError is the refusal of an include or tpl call nested too deep.
type nestingError struct {
	calls   []call // under way, outermost first
	refused call
}

func (e *nestingError) Error() string {
	var b strings.Builder
	if e.refused.fn == "include" {
		// Helm's message, which users and tests search for, then the cause.
		fmt.Fprintf(&b, "rendering template has a nested reference name: %s: unable to execute template; ", short(e.refused.arg))
	} else {
		fmt.Fprintf(&b, "%s refused; ", e.refused)
	}
	fmt.Fprintf(&b, "include and tpl calls nest more than %d deep", maxNesting)
	j := len(e.calls) - 1
	for j >= 0 && e.calls[j] != e.refused {
		j--
	}
	if j < 0 { // no repetition: show the innermost calls
		from := max(len(e.calls)-4, 0)
		b.WriteString(" with no repeating cycle, the innermost being ")
		writeCalls(&b, append(e.calls[from:len(e.calls):len(e.calls)], e.refused), 0)
		return b.String()
	}
	cycle := slices.Concat(e.calls[j:], []call{e.refused})
	fmt.Fprintf(&b, ", going round a cycle of %d: ", len(cycle)-1)
	writeCalls(&b, cycle, 12)
	return b.String()
}

// writeCalls writes cs joined by " -> "; more than limit (if not 0) are shortened to
// the first and last few.
func writeCalls(b *strings.Builder, cs []call, limit int) {
	for i, c := range cs {
		if limit > 0 && len(cs) > limit && i == limit-4 {
			fmt.Fprintf(b, " -> … %d more …", len(cs)-limit)
		}
		if limit > 0 && len(cs) > limit && i >= limit-4 && i < len(cs)-4 {
			continue
		}
		if i > 0 {
			b.WriteString(" -> ")
		}
		b.WriteString(c.String())
	}
}

// innerError carries the innermost failure of nested include and tpl calls up through
// the enclosing ones unchanged: wrapping it once more at every level made the message,
// and the work of building it, grow with the square of the depth (a tpl quotes its
// whole text). Only the innermost cause is reported (see execError).
type innerError struct{ err error }

func (e *innerError) Error() string { return e.err.Error() }
func (e *innerError) Unwrap() error { return e.err }

// innermost returns the innerError within err, or err as a new one.
func innermost(err error) error {
	if err == nil {
		return nil
	}
	var in *innerError
	if errors.As(err, &in) {
		return in
	}
	return &innerError{err}
}
