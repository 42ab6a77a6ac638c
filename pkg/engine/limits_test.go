package engine

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"strings"
	"testing"
	"text/template"
	"time"

	"github.com/Masterminds/sprig/v3"

	"github.com/hoist-dev/hoist/pkg/chart"
)

// renderBounded renders c and fails the test if that takes more than a few seconds
// or allocates more than a few hundred MB (hostile input must fail fast).
func renderBounded(t *testing.T, c *chart.Chart, values map[string]any, opts Options) (map[string]string, error) {
	t.Helper()
	const maxTime, maxAlloc = 5 * time.Second, 300 << 20
	top := TopValues(c, values, ReleaseOptions{Name: "r", Namespace: "ns"}, nil)
	type result struct {
		out map[string]string
		err error
	}
	done := make(chan result, 1)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	start := time.Now()
	go func() {
		out, err := Render(context.Background(), c, top, opts)
		done <- result{out, err}
	}()
	select {
	case r := <-done:
		runtime.ReadMemStats(&after)
		if alloc := after.TotalAlloc - before.TotalAlloc; alloc > maxAlloc {
			t.Fatalf("render allocated %d MB, more than %d MB", alloc>>20, maxAlloc>>20)
		}
		t.Logf("%v, %d MB allocated", time.Since(start).Round(time.Millisecond), (after.TotalAlloc-before.TotalAlloc)>>20)
		return r.out, r.err
	case <-time.After(maxTime):
		t.Fatalf("render still running after %v", maxTime)
		return nil, nil
	}
}

func wantError(t *testing.T, err error, parts ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("rendered; want an error containing %q", parts)
	}
	for _, p := range parts {
		if !strings.Contains(err.Error(), p) {
			t.Fatalf("error %q does not contain %q", err, p)
		}
	}
	if len(err.Error()) > 4096 {
		t.Fatalf("error of %d bytes, want a short one: %.300s…", len(err.Error()), err)
	}
}

func TestSprigSizeLimits(t *testing.T) {
	for _, tc := range []struct{ text, want string }{
		{`{{ until 2000000000 }}`, "error calling until: a list of 2000000000 elements exceeds the limit of 1000000"},
		{`{{ until -2000000000 }}`, "error calling until: a list of 2000000000 elements"},
		{`{{ untilStep 0 2000000000 1 }}`, "error calling untilStep: a list of 2000000000 elements"},
		{`{{ untilStep -9223372036854775808 9223372036854775807 1 }}`, "error calling untilStep: a list of 18446744073709551615 elements"},
		{`{{ seq 2000000000 }}`, "error calling seq: a list of 2000000000 elements"},
		{`{{ seq 1 2 4000000000 }}`, "error calling seq: a list of 2000000000 elements"},
		{`{{ repeat 2000000000 "x" }}`, "error calling repeat: 2000000000 copies of 1 bytes exceed the limit of 16 MiB"},
		{`{{ repeat 1000 (repeat 1000000 "ab") }}`, "error calling repeat: 1000 copies of 2000000 bytes exceed the limit of 16 MiB"},
		{`{{ randAlpha 2000000000 }}`, "error calling randAlpha: 2000000000 characters exceed the limit of 16 MiB"},
		{`{{ randBytes 2000000000 }}`, "error calling randBytes: 2000000000 bytes exceed"},
	} {
		t.Run(tc.text, func(t *testing.T) {
			c := newChart("c", nil, tpl("templates/x.yaml", tc.text))
			_, err := renderBounded(t, c, nil, Options{})
			wantError(t, err, "c/templates/x.yaml:1:3", tc.want)
		})
	}
	t.Run("adjustable", func(t *testing.T) {
		c := newChart("c", nil, tpl("templates/x.yaml", `{{ until 10 | len }} {{ repeat 3 "abc" }}`))
		out, err := renderBounded(t, c, nil, Options{Limits: Limits{MaxListLen: 10, MaxStringLen: 9}})
		if err != nil || out["c/templates/x.yaml"] != "10 abcabcabc" {
			t.Fatalf("at the limits: %q, %v", out, err)
		}
		for text, want := range map[string]string{`{{ until 11 }}`: "limit of 10 ", `{{ repeat 5 "ab" }}`: "limit of 9 bytes"} {
			c := newChart("c", nil, tpl("templates/x.yaml", text))
			_, err := renderBounded(t, c, nil, Options{Limits: Limits{MaxListLen: 10, MaxStringLen: 9}})
			wantError(t, err, want)
		}
	})
	t.Run("at the default limits", func(t *testing.T) {
		c := newChart("c", nil, tpl("templates/x.yaml", `{{ until 1000000 | len }} {{ repeat 16777216 "x" | len }} {{ randAlpha 1000 | len }}`))
		out, err := renderBounded(t, c, nil, Options{})
		if err != nil || out["c/templates/x.yaml"] != "1000000 16777216 1000" {
			t.Fatalf("%q, %v", out, err)
		}
	})
}

// Below the limits the helpers give what sprig's give.
func TestSprigSizeHelpersMatchSprig(t *testing.T) {
	s := sprig.TxtFuncMap()
	f := template.FuncMap{}
	DefaultLimits().bind(f)
	vals := []int{-7, -3, -2, -1, 0, 1, 2, 3, 5, 8}
	for _, a := range vals {
		check(t, "until", s["until"].(func(int) []int)(a), call1(f["until"].(func(int) ([]int, error))(a)), a)
		check(t, "seq", s["seq"].(func(...int) string)(a), call1(f["seq"].(func(...int) (string, error))(a)), a)
		for _, b := range vals {
			check(t, "seq", s["seq"].(func(...int) string)(a, b), call1(f["seq"].(func(...int) (string, error))(a, b)), a, b)
			for _, c := range vals {
				check(t, "untilStep", s["untilStep"].(func(int, int, int) []int)(a, b, c), call1(f["untilStep"].(func(int, int, int) ([]int, error))(a, b, c)), a, b, c)
				check(t, "seq", s["seq"].(func(...int) string)(a, b, c), call1(f["seq"].(func(...int) (string, error))(a, b, c)), a, b, c)
			}
		}
	}
	check(t, "seq", "", call1(f["seq"].(func(...int) (string, error))()))
	check(t, "repeat", s["repeat"].(func(int, string) string)(3, "ab"), call1(f["repeat"].(func(int, string) (string, error))(3, "ab")))
	// Where sprig wraps around the end of int and never stops, hoist stops at the end.
	check(t, "untilStep", []int{math.MaxInt - 1}, call1(f["untilStep"].(func(int, int, int) ([]int, error))(math.MaxInt-1, math.MaxInt, 2)))
	check(t, "untilStep", []int{math.MinInt + 1}, call1(f["untilStep"].(func(int, int, int) ([]int, error))(math.MinInt+1, math.MinInt, math.MinInt)))
}

func call1[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

func check(t *testing.T, fn string, want, got any, args ...int) {
	t.Helper()
	if fmt.Sprint(want) != fmt.Sprint(got) || fmt.Sprintf("%T", want) != fmt.Sprintf("%T", got) {
		t.Errorf("%s %v: sprig %#v, hoist %#v", fn, args, want, got)
	}
}
