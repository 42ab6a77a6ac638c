package engine

import (
	"context"
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"

	"github.com/mitchellh/copystructure"

	"github.com/hoist-dev/hoist/pkg/chart"
)

var update = flag.Bool("update", false, "rewrite golden files")

func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("testdata", name+".golden")
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (go test -update writes it)", err)
	}
	if got != string(want) {
		t.Errorf("%s differs:\n--- got\n%s\n--- want\n%s", p, got, want)
	}
}

func tpl(name, text string) *chart.File { return &chart.File{Name: name, Data: []byte(text)} }

func newChart(name string, values map[string]any, templates ...*chart.File) *chart.Chart {
	if values == nil {
		values = map[string]any{}
	}
	return &chart.Chart{
		Metadata:  &chart.Metadata{APIVersion: "v2", Name: name, Version: "1.2.3", AppVersion: "9.9"},
		Values:    values,
		Templates: templates,
	}
}

// renderAll renders c with values and returns "== name\noutput" blocks in name order.
func renderAll(t *testing.T, c *chart.Chart, values map[string]any, opts Options) string {
	t.Helper()
	top := TopValues(c, values, ReleaseOptions{Name: "rel", Namespace: "ns", Revision: 1, IsInstall: true}, nil)
	out, err := Render(context.Background(), c, top, opts)
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, 0, len(out))
	for n := range out {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString("== " + n + "\n" + out[n] + "\n")
	}
	return b.String()
}

func TestBuiltInObjects(t *testing.T) {
	c := newChart("app", nil, tpl("templates/objects.yaml", `release: {{ .Release.Name }}/{{ .Release.Namespace }} rev {{ .Release.Revision }} install={{ .Release.IsInstall }} upgrade={{ .Release.IsUpgrade }} service={{ .Release.Service }}
chart: {{ .Chart.Name }}-{{ .Chart.Version }} app {{ .Chart.AppVersion }} root={{ .Chart.IsRoot }}
template: {{ .Template.Name }} in {{ .Template.BasePath }}
kube: {{ .Capabilities.KubeVersion }} {{ .Capabilities.KubeVersion.Major }}.{{ .Capabilities.KubeVersion.Minor }} {{ .Capabilities.KubeVersion.GitVersion }}
apps/v1: {{ .Capabilities.APIVersions.Has "apps/v1" }}
missing: [{{ .Values.nope }}] [{{ .Values.a.b }}]
`))
	golden(t, "objects", renderAll(t, c, map[string]any{"a": map[string]any{}}, Options{}))
}

func TestFunctions(t *testing.T) {
	c := newChart("fn", nil,
		tpl("templates/_helpers.tpl", `{{- define "fn.name" -}}{{ .Chart.Name }}-x{{- end -}}
{{- define "fn.rec" -}}{{ if gt (int .) 0 }}{{ include "fn.rec" (sub (int .) 1) }}{{ . }}{{ end }}{{- end -}}`),
		tpl("templates/funcs.yaml", `include: {{ include "fn.name" . }}
tpl: {{ tpl "{{ .Values.greeting }} from {{ .Release.Name }}" . }}
tplDefine: {{ tpl "{{ define \"in.tpl\" }}z{{ end }}{{ include \"in.tpl\" . }}" . }}
toYaml:
  {{- toYaml .Values.nested | nindent 2 }}
toJson: {{ toJson .Values.nested }}
fromYaml: {{ (fromYaml "a: 1\nb: [x]").b }}
fromYamlError: {{ (fromYaml "a: [").Error | contains "yaml" }}
fromYamlArray: {{ fromYamlArray "- 1\n- two" | toJson }}
fromJson: {{ (fromJson "{\"k\":\"v\"}").k }}
fromJsonArray: {{ fromJsonArray "[1,2]" | toJson }}
toToml: {{ toToml .Values.nested | quote }}
fromToml: {{ (fromToml "x = 1").x }}
toYamlPretty:
{{ toYamlPretty .Values.nested | indent 2 }}
recursion: {{ include "fn.rec" 3 }}
b64: {{ "hoist" | b64enc }}
dns: [{{ getHostByName "localhost" }}]
lookup: {{ lookup "v1" "ConfigMap" "ns" "x" | toJson }}
duration: {{ durationSeconds "1m30s" }} {{ durationMinutes 120 }}
`))
	golden(t, "funcs", renderAll(t, c, map[string]any{
		"greeting": "hi",
		"nested":   map[string]any{"list": []any{"a", "b"}, "num": float64(3), "big": float64(1000000), "s": "text"},
	}, Options{}))
}

func TestEnvIsNotAvailable(t *testing.T) {
	c := newChart("env", nil, tpl("templates/x.yaml", `{{ env "HOME" }}`))
	top := TopValues(c, nil, ReleaseOptions{Name: "r"}, nil)
	_, err := Render(context.Background(), c, top, Options{})
	if err == nil || !strings.Contains(err.Error(), `function "env" not defined`) {
		t.Fatalf("want env undefined, got %v", err)
	}
}

func TestRequiredAndFail(t *testing.T) {
	for _, tc := range []struct{ name, text, want string }{
		{"required", `{{ required "image.tag is required" .Values.tag }}`, `execution error at (c/templates/x.yaml:1:3): image.tag is required`},
		{"required empty string", `{{ required "need s" .Values.empty }}`, `need s`},
		{"fail", "a\n{{ fail \"nope: bad combination\" }}", `execution error at (c/templates/x.yaml:2:3): nope: bad combination`},
		{"fail inside include", `{{ define "d" }}{{ fail "deep" }}{{ end }}{{ include "d" . }}`, `deep`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newChart("c", nil, tpl("templates/x.yaml", tc.text))
			top := TopValues(c, map[string]any{"empty": ""}, ReleaseOptions{Name: "r"}, nil)
			_, err := Render(context.Background(), c, top, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("want error containing %q, got %v", tc.want, err)
			}
		})
	}
	// In lint mode both warn and render on.
	var warnings []string
	c := newChart("c", nil, tpl("templates/x.yaml", `a{{ required "r" .Values.x }}{{ fail "f" }}b`))
	top := TopValues(c, nil, ReleaseOptions{Name: "r"}, nil)
	out, err := Render(context.Background(), c, top, Options{LintMode: true, Warn: func(m string) { warnings = append(warnings, m) }})
	if err != nil || out["c/templates/x.yaml"] != "ab" || len(warnings) != 2 {
		t.Fatalf("lint mode: out %q, err %v, warnings %v", out, err, warnings)
	}
}

func TestStrictMissingKey(t *testing.T) {
	c := newChart("c", nil, tpl("templates/x.yaml", `{{ .Values.missing }}`))
	top := TopValues(c, nil, ReleaseOptions{Name: "r"}, nil)
	if _, err := Render(context.Background(), c, top, Options{Strict: true}); err == nil {
		t.Fatal("strict mode rendered a missing key")
	}
}

func TestIncludeRecursionLimit(t *testing.T) {
	c := newChart("c", nil, tpl("templates/x.yaml", `{{ define "loop" }}{{ include "loop" . }}{{ end }}{{ include "loop" . }}`))
	top := TopValues(c, nil, ReleaseOptions{Name: "r"}, nil)
	_, err := Render(context.Background(), c, top, Options{})
	if err == nil || !strings.Contains(err.Error(), "nested reference name: loop") {
		t.Fatalf("want the recursion limit, got %v", err)
	}
}

func TestParseErrorNamesTemplate(t *testing.T) {
	c := newChart("c", nil, tpl("templates/bad.yaml", "ok\n{{ if }}"))
	top := TopValues(c, nil, ReleaseOptions{Name: "r"}, nil)
	_, err := Render(context.Background(), c, top, Options{})
	if err == nil || !strings.Contains(err.Error(), "parse error at (c/templates/bad.yaml:2)") {
		t.Fatalf("want a parse error naming the file and line, got %v", err)
	}
}

func TestSubchartsGlobalsAndOverrides(t *testing.T) {
	sub := newChart("sub", map[string]any{"port": float64(80)},
		tpl("templates/_helpers.tpl", `{{ define "shared" }}from-sub{{ end }}`),
		tpl("templates/svc.yaml", `sub port {{ .Values.port }} global {{ .Values.global.env }} chart {{ .Chart.Name }} root={{ .Chart.IsRoot }} {{ include "shared" . }} {{ .Template.BasePath }}`))
	lib := newChart("lib", nil,
		tpl("templates/_lib.tpl", `{{ define "lib.hello" }}hello from lib{{ end }}`),
		tpl("templates/ignored.yaml", `libraries render nothing`))
	lib.Metadata.Type = "library"
	parent := newChart("parent", nil,
		tpl("templates/_helpers.tpl", `{{ define "shared" }}from-parent{{ end }}`),
		tpl("templates/main.yaml", `{{ include "lib.hello" . }} {{ include "shared" . }} sub sees {{ .Subcharts.sub.Values.port }}`))
	parent.AddDependency(sub, lib)
	vals := map[string]any{"global": map[string]any{"env": "prod"}, "sub": map[string]any{"port": float64(8080), "global": map[string]any{"env": "prod"}}}
	golden(t, "subcharts", renderAll(t, parent, vals, Options{}))
}

func TestFilesAPI(t *testing.T) {
	c := newChart("files", nil, tpl("templates/cm.yaml", `get: {{ .Files.Get "config/a.conf" | quote }}
bytes: {{ .Files.GetBytes "config/a.conf" | len }}
missing: [{{ .Files.Get "nope" }}]
glob:
{{ (.Files.Glob "config/*.conf").AsConfig | indent 2 }}
secrets:
{{ (.Files.Glob "config/**").AsSecrets | indent 2 }}
lines: {{ range .Files.Lines "lines.txt" }}[{{ . }}]{{ end }}
`))
	c.Files = []*chart.File{
		{Name: "config/a.conf", Data: []byte("a=1\n")},
		{Name: "config/b.conf", Data: []byte("b=2")},
		{Name: "config/sub/c.txt", Data: []byte("c")},
		{Name: "lines.txt", Data: []byte("one\ntwo\n")},
	}
	golden(t, "files", renderAll(t, c, nil, Options{}))
}

type fakeLookup struct{ calls int }

func (f *fakeLookup) Lookup(_ context.Context, apiVersion, kind, ns, name string) (map[string]any, error) {
	f.calls++
	if name == "err" {
		return nil, errors.New("boom")
	}
	return map[string]any{"apiVersion": apiVersion, "kind": kind, "metadata": map[string]any{"name": name, "namespace": ns}}, nil
}

func TestLookupThroughInterface(t *testing.T) {
	c := newChart("c", nil, tpl("templates/x.yaml", `{{ (lookup "v1" "Secret" "ns" "s").metadata.name }}`))
	top := TopValues(c, nil, ReleaseOptions{Name: "r"}, nil)
	fl := &fakeLookup{}
	out, err := Render(context.Background(), c, top, Options{Lookup: fl})
	if err != nil || out["c/templates/x.yaml"] != "s" || fl.calls != 1 {
		t.Fatalf("out %q err %v calls %d", out, err, fl.calls)
	}
}

func TestParseKubeVersion(t *testing.T) {
	for in, want := range map[string]string{"1.31": "v1.31", "v1.31.2": "v1.31.2", "1.28.0-gke.1": "v1.28.0"} {
		kv, err := ParseKubeVersion(in)
		if err != nil || kv.String() != want {
			t.Errorf("ParseKubeVersion(%q) = %v, %v; want %s", in, kv, err, want)
		}
	}
	for _, bad := range []string{"", "1", "x.y", "01.2"} {
		if _, err := ParseKubeVersion(bad); err == nil {
			t.Errorf("ParseKubeVersion(%q) accepted", bad)
		}
	}
}

func TestDeepCopyMatchesSprig(t *testing.T) {
	type named string
	vals := []any{
		"s", 3, int64(4), 2.5, true,
		map[string]any{"a": []any{1, map[string]any{"b": nil}, []any{}}, "n": nil, "e": map[string]any{}},
		Values{"x": map[string]any{"y": []any{"z"}}},
		[]any(nil), map[string]any(nil),
		[]string{"typed", "slice"}, named("n"), map[string]any{"t": []string{"u"}},
		Files{"a": []byte("x"), "e": []byte{}, "n": nil}, Values{"Files": Files{"f": []byte("y")}, "Values": Values{"k": 1}},
	}
	for _, v := range vals {
		got, err := mustDeepCopy(v)
		if err != nil {
			t.Fatal(err)
		}
		want, err := copystructure.Copy(v)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) || reflect.TypeOf(got) != reflect.TypeOf(want) {
			t.Errorf("deepCopy(%#v) = %#v, sprig gives %#v", v, got, want)
		}
	}
	// Capabilities are copied whole (copystructure would drop the unexported
	// normalised kube version, which Helm's struct does not have).
	caps := DefaultCapabilities()
	c2 := deepCopy(caps).(*Capabilities)
	if c2 == caps || !reflect.DeepEqual(c2, caps) || &c2.APIVersions[0] == &caps.APIVersions[0] {
		t.Errorf("Capabilities copy: %+v", c2)
	}
	// Like sprig, deepCopy of nil panics (a template error in Helm).
	func() {
		defer func() {
			if recover() == nil {
				t.Error("deepCopy(nil) does not panic")
			}
		}()
		deepCopy(nil)
	}()
	// A copy shares nothing with the original.
	orig := map[string]any{"a": map[string]any{"b": []any{"c"}}}
	c := deepCopy(orig).(map[string]any)
	c["a"].(map[string]any)["b"].([]any)[0] = "changed"
	if orig["a"].(map[string]any)["b"].([]any)[0] != "c" {
		t.Error("the copy shares a list with the original")
	}
}
