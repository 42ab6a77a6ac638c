package engine

import (
	"fmt"
	"strings"
	"testing"
)

func TestNestingLimit(t *testing.T) {
	t.Run("values tpl themselves", func(t *testing.T) {
		c := newChart("c", map[string]any{"x": "{{ tpl .Values.x . }}"}, tpl("templates/cm.yaml", "x: {{ tpl .Values.x . }}\n"))
		_, err := renderBounded(t, c, map[string]any{"x": "{{ tpl .Values.x . }}"}, Options{})
		wantError(t, err, "c/templates/cm.yaml:1:6", `tpl "{{ tpl .Values.x . }}" refused`, "nest more than 1000 deep", "cycle of 1")
	})
	t.Run("a cycle through 200 templates", func(t *testing.T) {
		var defs strings.Builder
		for i := range 200 {
			fmt.Fprintf(&defs, "{{ define \"n%d\" }}{{ include \"n%d\" . }}{{ end }}\n", i, (i+1)%200)
		}
		c := newChart("c", nil, tpl("templates/_helpers.tpl", defs.String()), tpl("templates/cm.yaml", `{{ include "n0" . }}`))
		_, err := renderBounded(t, c, nil, Options{})
		wantError(t, err, "c/templates/cm.yaml:1:3", "nested reference name: n", "cycle of 200", `include "n0" -> include "n1"`, "more", `include "n199" -> include "n0"`)
	})
	t.Run("include and tpl in turn", func(t *testing.T) {
		c := newChart("c", nil, tpl("templates/cm.yaml", `{{ define "a" }}{{ tpl "{{ include \"a\" . }}" . }}{{ end }}{{ include "a" . }}`))
		_, err := renderBounded(t, c, nil, Options{})
		// Call 1002, the one refused, is a tpl.
		wantError(t, err, `cycle of 2: tpl "{{ include \"a\" . }}" -> include "a" -> tpl "{{ include \"a\" . }}"`)
	})
	t.Run("template calls between includes", func(t *testing.T) {
		// text/template stops 100,000 template calls deep, but each include starts
		// again: some of them overflowed Go's stack and killed the process (40,000
		// template calls are about 240,000 frames).
		c := newChart("c", nil, tpl("templates/cm.yaml", `{{ define "ti" }}{{ if lt (int .) 40000 }}{{ template "ti" (add1 .) }}{{ else }}{{ include "ti" 0 }}{{ end }}{{ end }}{{ include "ti" 0 }}`))
		_, err := renderBounded(t, c, nil, Options{})
		wantError(t, err, `include "ti" refused; templates nest more than 200000 stack frames deep`)
	})
	t.Run("long names", func(t *testing.T) {
		long := strings.Repeat("n", 10_000)
		c := newChart("c", nil, tpl("templates/cm.yaml", fmt.Sprintf(`{{ define %q }}{{ include %q . }}{{ end }}{{ include %q . }}`, long, long, long)))
		_, err := renderBounded(t, c, nil, Options{})
		wantError(t, err, "nested reference name: nnnn", "n…")
	})
	t.Run("large tpl text nested deep", func(t *testing.T) {
		// Quoting the whole text at every level made errors of depth × size: here
		// 8 GB built, where the limits of renderBounded are 5 s and 300 MB.
		pad := strings.Repeat("#", 20_000)
		vals := map[string]any{"n": 0, "x": `{{ $_ := set .Values "n" (add1 .Values.n) }}{{ if lt (int .Values.n) 900 }}{{ tpl .Values.x . }}{{ else }}{{ fail "deep enough" }}{{ end }}` + pad}
		c := newChart("c", nil, tpl("templates/cm.yaml", `{{ tpl .Values.x . }}`))
		_, err := renderBounded(t, c, vals, Options{})
		wantError(t, err, "deep enough")
		vals["n"], vals["x"] = 0, "{{ tpl .Values.x . }}"+pad
		_, err = renderBounded(t, c, vals, Options{})
		wantError(t, err, "nest more than 1000 deep")
	})
	t.Run("deep but finite", func(t *testing.T) {
		// Like Helm, one template may be under way 1001 times, not 1002.
		for _, n := range []int{100, 1001} {
			c := newChart("c", nil, tpl("templates/cm.yaml", fmt.Sprintf(`{{ define "d" }}{{ if gt (int .) 1 }}{{ include "d" (sub (int .) 1) }}{{ end }}x{{ end }}{{ include "d" %d | len }}`, n)))
			out, err := renderBounded(t, c, nil, Options{})
			if err != nil || out["c/templates/cm.yaml"] != fmt.Sprint(n) {
				t.Fatalf("depth %d: %q, %v", n, out, err)
			}
		}
		c := newChart("c", nil, tpl("templates/cm.yaml", `{{ define "d" }}{{ if gt (int .) 1 }}{{ include "d" (sub (int .) 1) }}{{ end }}x{{ end }}{{ include "d" 1002 }}`))
		_, err := renderBounded(t, c, nil, Options{})
		wantError(t, err, "nested reference name: d")
		// 100 tpl in 100 includes, 10 times: the limit is on calls under way, not per
		// render.
		c = newChart("c", map[string]any{}, tpl("templates/cm.yaml", `{{ define "t" }}{{ if gt (int .) 1 }}{{ tpl "{{ include \"t\" . }}" (sub (int .) 1) }}{{ end }}y{{ end }}{{ range until 10 }}{{ include "t" 100 | len }} {{ end }}`))
		out, err := renderBounded(t, c, nil, Options{})
		if err != nil || out["c/templates/cm.yaml"] != strings.Repeat("100 ", 10) {
			t.Fatalf("tpl in include: %q, %v", out, err)
		}
	})
}
