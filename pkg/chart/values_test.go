package chart

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseValues(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want map[string]any
		err  string
	}{
		{name: "empty", in: "", want: map[string]any{}},
		{name: "comments only", in: "# nothing\n# here\n", want: map[string]any{}},
		{name: "null", in: "null\n", want: map[string]any{}},
		{name: "numbers are float64", in: "i: 1\nf: 1.5\nbig: 12345678901\nneg: -3\n",
			want: map[string]any{"i": float64(1), "f": 1.5, "big": float64(12345678901), "neg": float64(-3)}},
		{name: "no final newline", in: "a: 1\nb: x", want: map[string]any{"a": float64(1), "b": "x"}},
		{name: "CRLF", in: "a: 1\r\nb:\r\n  c: 2\r\n", want: map[string]any{"a": float64(1), "b": map[string]any{"c": float64(2)}}},
		{name: "nested maps and lists", in: "a:\n  b: [1, {c: d}]\n  e: ~\n",
			want: map[string]any{"a": map[string]any{"b": []any{float64(1), map[string]any{"c": "d"}}, "e": nil}}},
		{
			name: "documents are merged, maps recursively",
			in:   "a: {p: 1, q: 1}\nl: [1]\ns: str\n---\na: {q: 2, r: 2}\nl: [2]\ns: {now: map}\n--- # comment\n\n---\n",
			want: map[string]any{"a": map[string]any{"p": float64(1), "q": float64(2), "r": float64(2)}, "l": []any{float64(2)}, "s": map[string]any{"now": "map"}},
		},
		{
			// YAML 1.1, as in Helm: y, yes, on are true (also as keys).
			name: "YAML 1.1 booleans",
			in:   "y: yes\nn: off\n",
			want: map[string]any{"true": true, "false": false},
		},
		{name: "a map replaced by a scalar", in: "a: {x: 1}\n---\na: 3\n", want: map[string]any{"a": float64(3)}},
		{name: "leading separator", in: "---\na: 1\n", want: map[string]any{"a": float64(1)}},
		{name: "separator with spaces", in: "a: 1\n---   \nb: 2\n", want: map[string]any{"a": float64(1), "b": float64(2)}},
		{name: "indented dashes are content", in: "a: |\n  ---\n  x\n", want: map[string]any{"a": "---\nx\n"}},
		{name: "bad separator", in: "a: 1\n--- b: 2\n", err: "error reading yaml document: invalid Yaml document separator: b: 2"},
		{name: "four dashes", in: "----\n", err: "invalid Yaml document separator: -"},
		{name: "a list", in: "- 1\n", err: "cannot unmarshal yaml document"},
		{name: "a scalar", in: "hello\n", err: "cannot unmarshal yaml document"},
		{name: "bad YAML in the second document", in: "a: 1\n---\nb: [\n", err: "cannot unmarshal yaml document"},
		{name: "long line", in: "a: " + strings.Repeat("x", 5000) + "\n", want: map[string]any{"a": strings.Repeat("x", 5000)}},
		{name: "line ending at the 4096 boundary", in: "a: " + strings.Repeat("x", 4093), want: map[string]any{"a": strings.Repeat("x", 4093)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseValues([]byte(tt.in))
			if tt.err != "" {
				if err == nil || !strings.Contains(err.Error(), tt.err) {
					t.Fatalf("ParseValues() error = %v, want %q", err, tt.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("ParseValues() = %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestMergeMapsDoesNotModifyItsInputs(t *testing.T) {
	a := map[string]any{"m": map[string]any{"x": 1}}
	b := map[string]any{"m": map[string]any{"y": 2}}
	out := MergeMaps(a, b)
	if !reflect.DeepEqual(a, map[string]any{"m": map[string]any{"x": 1}}) || !reflect.DeepEqual(b, map[string]any{"m": map[string]any{"y": 2}}) {
		t.Error("inputs modified")
	}
	if !reflect.DeepEqual(out, map[string]any{"m": map[string]any{"x": 1, "y": 2}}) {
		t.Errorf("merged = %v", out)
	}
}
