package engine

import (
	"fmt"
	"strconv"
	"strings"
	"text/template"

	"github.com/Masterminds/sprig/v3"
)

// Limits bound what sprig's helpers may build in one call, so that a template like
// {{ until 2000000000 }} fails at once instead of exhausting memory. Zero fields take
// DefaultLimits' values.
type Limits struct {
	// MaxListLen caps the elements of a list from until, untilStep or seq.
	MaxListLen int `json:"maxListLen,omitempty"`
	// MaxStringLen caps the bytes of a string from repeat, and the length asked of
	// randAlpha, randAlphaNum, randAscii, randNumeric and randBytes.
	MaxStringLen int `json:"maxStringLen,omitempty"`
}

// DefaultLimits are far above what charts use (a few replicas or ports; padding of a
// few dozen characters), and above what fits one Kubernetes object (etcd takes about
// 1.5 MiB).
func DefaultLimits() Limits {
	return Limits{MaxListLen: 1_000_000, MaxStringLen: 16 << 20}
}

// bind replaces sprig's unbounded helpers in f with ones that refuse sizes above l.
func (l Limits) bind(f template.FuncMap) {
	d := DefaultLimits()
	if l.MaxListLen <= 0 {
		l.MaxListLen = d.MaxListLen
	}
	if l.MaxStringLen <= 0 {
		l.MaxStringLen = d.MaxStringLen
	}
	f["until"] = func(count int) ([]int, error) {
		step := 1
		if count < 0 {
			step = -1
		}
		return l.steps(0, count, step)
	}
	f["untilStep"] = l.steps
	f["seq"] = l.seq
	f["repeat"] = func(count int, s string) (string, error) {
		// Negative counts still reach strings.Repeat, whose panic text/template
		// reports, as with sprig.
		if count > 0 && len(s) > 0 && count > l.MaxStringLen/len(s) {
			return "", fmt.Errorf("%d copies of %d bytes exceed the limit of %s on strings from repeat", count, len(s), l.stringLimit())
		}
		return strings.Repeat(s, count), nil
	}
	s := sprig.TxtFuncMap()
	for _, name := range []string{"randAlpha", "randAlphaNum", "randAscii", "randNumeric"} {
		fn, ok := s[name].(func(int) string)
		if !ok {
			continue // sprig changed; keep its function
		}
		f[name] = func(count int) (string, error) {
			if count > l.MaxStringLen {
				return "", fmt.Errorf("%d characters exceed the limit of %s on random strings", count, l.stringLimit())
			}
			return fn(count), nil
		}
	}
	if fn, ok := s["randBytes"].(func(int) (string, error)); ok {
		f["randBytes"] = func(count int) (string, error) {
			if count > l.MaxStringLen {
				return "", fmt.Errorf("%d bytes exceed the limit of %s on random strings", count, l.stringLimit())
			}
			return fn(count)
		}
	}
}

func (l Limits) stringLimit() string {
	if l.MaxStringLen%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", l.MaxStringLen>>20)
	}
	return fmt.Sprintf("%d bytes", l.MaxStringLen)
}

// steps is sprig's untilStep (start, start+step, … short of stop; empty when step
// points away from stop), refusing lists longer than the limit before building them.
// Unlike sprig it does not wrap around at the ends of int, where sprig loops for ever.
func (l Limits) steps(start, stop, step int) ([]int, error) {
	var n uint64
	switch {
	case step > 0 && start < stop:
		n = (uint64(stop)-uint64(start)-1)/uint64(step) + 1
	case step < 0 && stop < start:
		n = (uint64(start)-uint64(stop)-1)/(uint64(-(step+1))+1) + 1
	}
	if n > uint64(l.MaxListLen) {
		return nil, fmt.Errorf("a list of %d elements exceeds the limit of %d on lists from until, untilStep and seq", n, l.MaxListLen)
	}
	v := make([]int, 0, n)
	for i, x := uint64(0), start; i < n; i++ {
		v = append(v, x)
		x += step
	}
	return v, nil
}

// seq is sprig's seq (seq END, seq START END, seq START STEP END: the numbers from
// START to END inclusive, joined by spaces) with the list limit of steps.
func (l Limits) seq(params ...int) (string, error) {
	var list []int
	var err error
	switch len(params) {
	case 1:
		end, inc := params[0], 1
		if end < 1 {
			inc = -1
		}
		list, err = l.steps(1, end+inc, inc)
	case 2:
		start, end, step := params[0], params[1], 1
		if end < start {
			step = -1
		}
		list, err = l.steps(start, end+step, step)
	case 3:
		start, step, end, inc := params[0], params[1], params[2], 1
		if end < start {
			inc = -1
			if step > 0 {
				return "", nil
			}
		}
		list, err = l.steps(start, end+inc, step)
	default:
		return "", nil
	}
	if err != nil {
		return "", err
	}
	var b strings.Builder
	for i, x := range list {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strconv.Itoa(x))
	}
	return b.String(), nil
}
