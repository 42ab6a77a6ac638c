package values

import (
	"errors"
	"io/fs"
	"strings"
	"testing"
	"testing/iotest"
)

func fakeFiles(files map[string]string) func(string) ([]byte, error) {
	return func(path string) ([]byte, error) {
		if s, ok := files[path]; ok {
			return []byte(s), nil
		}
		return nil, &fs.PathError{Op: "open", Path: path, Err: fs.ErrNotExist}
	}
}

func TestMergeOrder(t *testing.T) {
	files := fakeFiles(map[string]string{
		"base.yaml": `
replicaCount: 1
image: {repository: app, tag: v1}
list: [a, b]
resources: {limits: {cpu: 1}}
tier: backend
podAnnotations: {a: "1"}
`,
		"prod.yaml": `
image: {tag: v2}
list: [c]
resources: {limits: null}
tier:
extra: 1.5
`,
		"msg.txt": "hello\n",
	})
	opts := Options{
		ValueFiles:    []string{"base.yaml", "prod.yaml"},
		JSONValues:    []string{`image={"pullPolicy":"Always"}`, `{"fromJSON":{"k":1},"replicaCount":2}`},
		Values:        []string{"replicaCount=5,list={x}", "podAnnotations.b=2"},
		StringValues:  []string{"podAnnotations.version=1.0"},
		FileValues:    []string{"message=msg.txt"},
		LiteralValues: []string{"literal=a,b={c}"},
	}
	got, err := opts.Merge(files, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"extra": float64(1.5), "fromJSON": {"k": float64(1)}, "image": {"pullPolicy": "Always"}, ` +
		`"list": ["x"], "literal": "a,b={c}", "message": "hello\n", ` +
		`"podAnnotations": {"a": "1", "b": int64(2), "version": "1.0"}, "replicaCount": int64(5), ` +
		`"resources": {"limits": null}, "tier": null}`
	if d := dump(got); d != want {
		t.Errorf("got  %s\nwant %s", d, want)
	}
}

// Within a kind, later arguments win; across kinds Helm's order decides: --set-json,
// then --set, --set-string, --set-file, --set-literal.
func TestMergeKindPrecedence(t *testing.T) {
	files := fakeFiles(map[string]string{"v.txt": "file"})
	for _, tc := range []struct {
		name string
		opts Options
		want string
	}{
		{"later --set wins", Options{Values: []string{"k=1", "k=2"}}, `{"k": int64(2)}`},
		{"--set over --set-json", Options{JSONValues: []string{`k="json"`}, Values: []string{"k=set"}}, `{"k": "set"}`},
		{"--set-string over --set", Options{Values: []string{"k=1"}, StringValues: []string{"k=1"}}, `{"k": "1"}`},
		{"--set-file over --set-string", Options{StringValues: []string{"k=s"}, FileValues: []string{"k=v.txt"}}, `{"k": "file"}`},
		{"--set-literal over --set-file", Options{FileValues: []string{"k=v.txt"}, LiteralValues: []string{"k=lit"}}, `{"k": "lit"}`},
		{"--set null leaves null", Options{Values: []string{"k=1", "k=null"}}, `{"k": null}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.opts.Merge(files, nil)
			if err != nil {
				t.Fatal(err)
			}
			if d := dump(got); d != tc.want {
				t.Errorf("got %s, want %s", d, tc.want)
			}
		})
	}
}

func TestMergeStdin(t *testing.T) {
	got, err := Options{ValueFiles: []string{"-"}, FileValues: []string{"again= - "}}.Merge(nil, strings.NewReader("a: 1\n"))
	if err != nil {
		t.Fatal(err)
	}
	// stdin is read once; the second "-" finds it empty, as in Helm.
	if d := dump(got); d != `{"a": float64(1), "again": ""}` {
		t.Errorf("got %s", d)
	}
	_, err = Options{ValueFiles: []string{"-"}}.Merge(nil, nil)
	if err == nil || !strings.Contains(err.Error(), "values file -: no standard input") {
		t.Errorf("got %v", err)
	}
	_, err = Options{ValueFiles: []string{"-"}}.Merge(nil, iotest.ErrReader(errors.New("boom")))
	if err == nil || !strings.Contains(err.Error(), "boom") {
		t.Errorf("got %v", err)
	}
}

func TestMergeErrors(t *testing.T) {
	files := fakeFiles(map[string]string{"bad.yaml": "a: [", "list.yaml": "- 1\n", "sep.yaml": "a: 1\n--- x\n"})
	for _, tc := range []struct {
		opts Options
		want string
	}{
		{Options{ValueFiles: []string{"missing.yaml"}}, "values file missing.yaml: open missing.yaml: file does not exist"},
		{Options{ValueFiles: []string{"bad.yaml"}}, "failed to parse bad.yaml: cannot unmarshal yaml document:"},
		{Options{ValueFiles: []string{"list.yaml"}}, "failed to parse list.yaml: cannot unmarshal yaml document:"},
		{Options{ValueFiles: []string{"sep.yaml"}}, "failed to parse sep.yaml: error reading yaml document: invalid Yaml document separator: x"},
		{Options{JSONValues: []string{"a={"}}, `failed parsing --set-json data: key "a": invalid JSON value`},
		{Options{JSONValues: []string{"{bad"}}, `failed parsing --set-json data: invalid JSON object`},
		{Options{Values: []string{"a.b"}}, `failed parsing --set data: key "a.b" has no value`},
		{Options{StringValues: []string{"a,b"}}, `failed parsing --set-string data: key "a" has no value (cannot end with ,)`},
		{Options{FileValues: []string{"a=nope.txt"}}, `failed parsing --set-file data: key "a": open nope.txt: file does not exist`},
		{Options{LiteralValues: []string{"novalue"}}, `failed parsing --set-literal data: key "novalue" has no value`},
		{Options{Values: []string{"a=1", "a.b=2"}}, `failed parsing --set data: unable to parse key "a": it already holds a number, not a map`},
	} {
		_, err := tc.opts.Merge(files, nil)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: got %v, want %q", tc.opts, err, tc.want)
		}
	}
}

func TestReadValues(t *testing.T) {
	for _, tc := range []struct {
		name, in, want, wantErr string
	}{
		{name: "empty", in: "", want: `{}`},
		{name: "comments only", in: "# nothing\n", want: `{}`},
		{name: "numbers are float64", in: "a: 1\nb: 1.5\nc: '1'", want: `{"a": float64(1), "b": float64(1.5), "c": "1"}`},
		{name: "null", in: "a:\nb: null\nc: ~", want: `{"a": null, "b": null, "c": null}`},
		{name: "documents merge", in: "a: {p: 1, q: 2}\nl: [1]\n---\na: {q: 3}\nl: [2]\n", want: `{"a": {"p": float64(1), "q": float64(3)}, "l": [float64(2)]}`},
		{name: "leading separator", in: "---\na: 1\n", want: `{"a": float64(1)}`},
		{name: "separator with comment", in: "a: 1\n--- # next\nb: 2", want: `{"a": float64(1), "b": float64(2)}`},
		{name: "CRLF", in: "a: 1\r\n---\r\nb: x\r\n", want: `{"a": float64(1), "b": "x"}`},
		{name: "empty documents", in: "---\n---\n---\n", want: `{}`},
		{name: "null document", in: "a: 1\n---\nnull\n", want: `{"a": float64(1)}`},
		{name: "no final newline", in: "a: |\n  text", want: `{"a": "text\n"}`},
		{name: "bad separator", in: "a: 1\n---x\n", wantErr: "invalid Yaml document separator: x"},
		{name: "a first-line separator stays in the document", in: "---#x\n", wantErr: "cannot unmarshal yaml document"},
		{name: "list document", in: "- a\n", wantErr: "cannot unmarshal yaml document"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadValues([]byte(tc.in))
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want error %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := dump(got); d != tc.want {
				t.Errorf("got %s, want %s", d, tc.want)
			}
		})
	}
}

func TestMergeMaps(t *testing.T) {
	a := map[string]any{"m": map[string]any{"x": 1, "y": 2}, "l": []any{1}, "s": "a", "keep": true}
	b := map[string]any{"m": map[string]any{"y": nil, "z": 3}, "l": []any{2}, "s": map[string]any{"t": 1}, "n": nil}
	got := MergeMaps(a, b)
	want := `{"keep": true, "l": [int(2)], "m": {"x": int(1), "y": null, "z": int(3)}, "n": null, "s": {"t": int(1)}}`
	if d := dump(got); d != want {
		t.Errorf("got  %s\nwant %s", d, want)
	}
	if d := dump(a); d != `{"keep": true, "l": [int(1)], "m": {"x": int(1), "y": int(2)}, "s": "a"}` {
		t.Errorf("a modified: %s", d)
	}
}
