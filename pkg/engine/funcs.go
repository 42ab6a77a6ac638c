package engine

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"text/template"
	"time"

	"github.com/BurntSushi/toml"
	"github.com/Masterminds/sprig/v3"
	"github.com/mitchellh/copystructure"
	"sigs.k8s.io/yaml"
	goyaml3 "sigs.k8s.io/yaml/goyaml.v3"
)

// baseFuncs is sprig's text function map without env and expandenv, plus Helm's own
// functions that need no render state. include, tpl, required, fail, lookup and
// getHostByName are bound per render (see render.go).
func baseFuncs() template.FuncMap {
	f := sprig.TxtFuncMap()
	delete(f, "env")
	delete(f, "expandenv")
	for name, fn := range map[string]any{
		"toToml":        toTOML,
		"mustToToml":    mustToTOML,
		"fromToml":      fromTOML,
		"toYaml":        toYAML,
		"mustToYaml":    mustToYAML,
		"toYamlPretty":  toYAMLPretty,
		"fromYaml":      fromYAML,
		"fromYamlArray": fromYAMLArray,
		"toJson":        toJSON,
		"mustToJson":    mustToJSON,
		"fromJson":      fromJSON,
		"fromJsonArray": fromJSONArray,
		"deepCopy":      deepCopy,
		"mustDeepCopy":  mustDeepCopy,

		"mustToDuration":       mustToDuration,
		"durationSeconds":      durationFunc(time.Duration.Seconds),
		"durationMilliseconds": durationIntFunc(time.Duration.Milliseconds),
		"durationMicroseconds": durationIntFunc(time.Duration.Microseconds),
		"durationNanoseconds":  durationIntFunc(time.Duration.Nanoseconds),
		"durationMinutes":      durationFunc(time.Duration.Minutes),
		"durationHours":        durationFunc(time.Duration.Hours),
		"durationDays":         durationFunc(func(d time.Duration) float64 { return d.Hours() / 24 }),
		"durationWeeks":        durationFunc(func(d time.Duration) float64 { return d.Hours() / 24 / 7 }),
		"durationRoundTo":      durationRoundTo,
		"durationTruncateTo":   durationTruncateTo,
	} {
		f[name] = fn
	}
	return f
}

// deepCopy is sprig's deepCopy (a deep copy, panicking on error), faster on values:
// charts copy .Values and parts of it over and over, and sprig's reflection-based copy
// (copystructure) took half the render time of some charts.
func deepCopy(v any) any {
	c, err := mustDeepCopy(v)
	if err != nil {
		panic("deepCopy error: " + err.Error())
	}
	return c
}

// mustDeepCopy copies maps, lists, scalars, Files and Capabilities directly, and
// anything else with copystructure, as sprig does.
func mustDeepCopy(v any) (any, error) {
	if v == nil { // copystructure panics on it: so does sprig's deepCopy, and so Helm
		return copystructure.Copy(v)
	}
	return fastCopy(v)
}

// fastCopy deep-copies v, keeping types and nils: maps of values, lists, immutable
// scalars, Files and *Capabilities directly, anything else through copystructure.
func fastCopy(v any) (any, error) {
	switch x := v.(type) {
	case nil, string, bool, int, int8, int16, int32, int64, uint, uint8, uint16, uint32, uint64, float32, float64:
		return x, nil
	case map[string]any:
		return copyMap(x)
	case Values:
		m, err := copyMap(x)
		return Values(m), err
	case []any:
		if x == nil {
			return x, nil
		}
		out := make([]any, len(x))
		for i, e := range x {
			c, err := fastCopy(e)
			if err != nil {
				return nil, err
			}
			out[i] = c
		}
		return out, nil
	case Files:
		if x == nil {
			return x, nil
		}
		out := make(Files, len(x))
		for k, b := range x {
			if b != nil {
				b = append(make([]byte, 0, len(b)), b...)
			}
			out[k] = b
		}
		return out, nil
	case *Capabilities:
		if x == nil {
			return x, nil
		}
		c := *x
		if x.APIVersions != nil {
			c.APIVersions = append(make(VersionSet, 0, len(x.APIVersions)), x.APIVersions...)
		}
		return &c, nil
	}
	return copystructure.Copy(v)
}

func copyMap(x map[string]any) (map[string]any, error) {
	if x == nil {
		return x, nil
	}
	out := make(map[string]any, len(x))
	for k, e := range x {
		c, err := fastCopy(e)
		if err != nil {
			return nil, err
		}
		out[k] = c
	}
	return out, nil
}

// toYAML marshals like Helm (through JSON, so keys are sorted), without the final
// newline; on error it gives "".
func toYAML(v any) string {
	b, err := yaml.Marshal(v)
	if err != nil {
		return ""
	}
	return strings.TrimSuffix(string(b), "\n")
}

func mustToYAML(v any) string {
	b, err := yaml.Marshal(v)
	if err != nil {
		panic(err)
	}
	return strings.TrimSuffix(string(b), "\n")
}

// toYAMLPretty indents sequences inside mappings by two spaces.
func toYAMLPretty(v any) string {
	var buf bytes.Buffer
	enc := goyaml3.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(v); err != nil {
		return ""
	}
	return strings.TrimSuffix(buf.String(), "\n")
}

// fromYAML returns the parsed map, or a map holding only "Error".
func fromYAML(s string) map[string]any {
	m := map[string]any{}
	if err := yaml.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

// fromYAMLArray returns the parsed list, or a list holding only the error text.
func fromYAMLArray(s string) []any {
	a := []any{}
	if err := yaml.Unmarshal([]byte(s), &a); err != nil {
		a = []any{err.Error()}
	}
	return a
}

func toTOML(v any) string {
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(v); err != nil {
		return err.Error()
	}
	return buf.String()
}

func mustToTOML(v any) string {
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(v); err != nil {
		panic(err)
	}
	return buf.String()
}

func fromTOML(s string) map[string]any {
	m := map[string]any{}
	if err := toml.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func toJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return ""
	}
	return string(b)
}

func mustToJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func fromJSON(s string) map[string]any {
	m := map[string]any{}
	if err := json.Unmarshal([]byte(s), &m); err != nil {
		m["Error"] = err.Error()
	}
	return m
}

func fromJSONArray(s string) []any {
	a := []any{}
	if err := json.Unmarshal([]byte(s), &a); err != nil {
		a = []any{err.Error()}
	}
	return a
}

// toDuration reads a duration: a time.Duration, a Go duration string ("1m30s"), or a
// number of seconds (integer, float, or numeric string).
func toDuration(v any) (time.Duration, error) {
	switch x := v.(type) {
	case nil:
		return 0, errors.New("invalid duration")
	case time.Duration:
		return x, nil
	case string:
		s := strings.TrimSpace(x)
		if s == "" {
			return 0, errors.New("empty duration")
		}
		if d, err := time.ParseDuration(s); err == nil {
			return d, nil
		}
		if f, err := strconv.ParseFloat(s, 64); err == nil {
			return secondsFloat(f)
		}
		return 0, fmt.Errorf("could not parse duration %q", x)
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		s := rv.Int()
		if s > math.MaxInt64/int64(time.Second) || s < math.MinInt64/int64(time.Second) {
			return 0, fmt.Errorf("duration seconds overflow: %d", s)
		}
		return time.Duration(s) * time.Second, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		s := rv.Uint()
		if s > uint64(math.MaxInt64/int64(time.Second)) {
			return 0, fmt.Errorf("duration seconds overflow: %d", s)
		}
		return time.Duration(s) * time.Second, nil
	case reflect.Float32, reflect.Float64:
		return secondsFloat(rv.Float())
	}
	return 0, fmt.Errorf("unsupported duration type %T", v)
}

func secondsFloat(s float64) (time.Duration, error) {
	if math.IsNaN(s) || math.IsInf(s, 0) {
		return 0, fmt.Errorf("invalid duration seconds: %v", s)
	}
	ns := s * float64(time.Second)
	if ns >= math.MaxInt64 || ns <= math.MinInt64 {
		return 0, fmt.Errorf("duration seconds overflow: %v", s)
	}
	return time.Duration(ns), nil
}

func mustToDuration(v any) time.Duration {
	d, err := toDuration(v)
	if err != nil {
		panic(err)
	}
	return d
}

func durationFunc(f func(time.Duration) float64) func(any) float64 {
	return func(v any) float64 {
		d, err := toDuration(v)
		if err != nil {
			return 0
		}
		return f(d)
	}
}

func durationIntFunc(f func(time.Duration) int64) func(any) int64 {
	return func(v any) int64 {
		d, err := toDuration(v)
		if err != nil {
			return 0
		}
		return f(d)
	}
}

func durationRoundTo(v, m any) time.Duration {
	d, err := toDuration(v)
	if err != nil {
		return 0
	}
	if mul, err := toDuration(m); err == nil {
		return d.Round(mul)
	}
	return d
}

func durationTruncateTo(v, m any) time.Duration {
	d, err := toDuration(v)
	if err != nil {
		return 0
	}
	if mul, err := toDuration(m); err == nil {
		return d.Truncate(mul)
	}
	return d
}
