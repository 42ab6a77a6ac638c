package engine

import (
	"context"
	"errors"
	"fmt"
	"path"
	"regexp"
	"sort"
	"strings"
	"text/template"

	"github.com/hoist-dev/hoist/pkg/chart"
)

// Lookuper is how the lookup function reaches a cluster. Get returns one object
// (name set) or a list (name empty) as unstructured maps; a missing object is an empty
// map and no error.
type Lookuper interface {
	Lookup(ctx context.Context, apiVersion, kind, namespace, name string) (map[string]any, error)
}

// Options configures rendering.
type Options struct {
	// Strict makes a missing map key an error instead of "" (lint --strict).
	Strict bool
	// LintMode turns required and fail into warnings, reported through Warn.
	LintMode bool
	// EnableDNS lets getHostByName resolve names; off, it returns "".
	EnableDNS bool
	// Lookup backs the lookup function; nil makes every lookup return an empty map.
	Lookup Lookuper
	// Warn receives lint-mode warnings; nil drops them.
	Warn func(msg string)
	// Funcs adds or overrides template functions.
	Funcs template.FuncMap
	// Limits bound the lists and strings the sprig helpers build; zero fields take
	// DefaultLimits' values.
	Limits Limits
}

// Markers around the message of required and fail, so the message survives
// text/template's error wrapping intact.
const (
	msgStart = "\x00HOIST_MSG_START\x00"
	msgEnd   = "\x00HOIST_MSG_END\x00"
)

var msgRE = regexp.MustCompile(regexp.QuoteMeta(msgStart) + `((?s).*)` + regexp.QuoteMeta(msgEnd))

// renderable is one template with the values it is executed with.
type renderable struct {
	text     string
	vals     Values
	basePath string
}

// Render executes every template of the chart and its subcharts with top (see
// TopValues) and returns the output by template name ("chart/templates/x.yaml",
// "chart/charts/sub/templates/y.yaml"). Partials (names starting with "_") are parsed
// for their definitions but not rendered; so are all templates of library charts.
func Render(ctx context.Context, c *chart.Chart, top Values, opts Options) (out map[string]string, err error) {
	defer func() {
		if r := recover(); r != nil {
			out, err = nil, fmt.Errorf("rendering template failed: %v", r)
		}
	}()
	tpls := map[string]renderable{}
	collect(c, top, tpls)

	root := template.New("gotpl")
	if opts.Strict {
		root.Option("missingkey=error")
	} else {
		root.Option("missingkey=zero")
	}
	r := &renderer{opts: opts, ctx: ctx}
	root.Funcs(r.funcs(root))

	names := parseOrder(tpls)
	for _, name := range names {
		if _, err := root.New(name).Parse(tpls[name].text); err != nil {
			return nil, parseError(name, err)
		}
	}
	out = make(map[string]string, len(names))
	for _, name := range names {
		if strings.HasPrefix(path.Base(name), "_") {
			continue
		}
		t := tpls[name]
		t.vals["Template"] = Values{"Name": name, "BasePath": t.basePath}
		var buf strings.Builder
		if err := root.ExecuteTemplate(&buf, name, t.vals); err != nil {
			return nil, execError(name, err)
		}
		out[name] = strings.ReplaceAll(buf.String(), "<no value>", "")
	}
	return out, nil
}

// collect gathers the templates of c and its subcharts with the values each sees, and
// returns c's object (which becomes its entry in the parent's .Subcharts).
func collect(c *chart.Chart, parent Values, tpls map[string]renderable) Values {
	subcharts := map[string]any{}
	meta := metadataMap(c.Metadata)
	if meta != nil {
		meta["IsRoot"] = c.IsRoot()
	}
	vals := Values{
		"Chart":        meta,
		"Files":        newFiles(c.Files),
		"Release":      parent["Release"],
		"Capabilities": parent["Capabilities"],
		"Values":       Values{},
		"Subcharts":    subcharts,
	}
	if c.IsRoot() {
		vals["Values"] = parent["Values"]
	} else if pv, ok := parent["Values"].(Values); ok {
		if sub, err := pv.Table(c.Name()); err == nil {
			vals["Values"] = sub
		}
	}
	for _, d := range c.Dependencies() {
		subcharts[d.Name()] = collect(d, vals, tpls)
	}
	full := c.ChartFullPath()
	for _, t := range c.Templates {
		if t == nil {
			continue
		}
		if c.IsLibrary() && !strings.HasPrefix(path.Base(t.Name), "_") {
			continue
		}
		tpls[path.Join(full, t.Name)] = renderable{text: string(t.Data), vals: vals, basePath: path.Join(full, "templates")}
	}
	return vals
}

// parseOrder sorts template names deepest path first, then by name descending, so that
// a parent chart's definitions, parsed last, win over its subcharts'.
func parseOrder(tpls map[string]renderable) []string {
	names := make([]string, 0, len(tpls))
	for n := range tpls {
		names = append(names, n)
	}
	sort.Slice(names, func(i, j int) bool {
		a, b := names[i], names[j]
		da, db := strings.Count(a, "/"), strings.Count(b, "/")
		if da != db {
			return da > db
		}
		return a > b
	})
	return names
}

// renderer holds the state the bound functions share during one render.
type renderer struct {
	opts Options
	ctx  context.Context
	// calls are the include and tpl calls under way, outermost first.
	calls []call
	// countedAt is the stack pointer when stack frames were last counted.
	countedAt int64
}

func (r *renderer) funcs(t *template.Template) template.FuncMap {
	f := baseFuncs()
	r.opts.Limits.bind(f)
	f["include"] = r.include(t)
	f["tpl"] = r.tpl(t)
	f["required"] = r.required
	f["fail"] = r.fail
	f["lookup"] = r.lookup
	if !r.opts.EnableDNS {
		f["getHostByName"] = func(string) string { return "" }
	}
	for k, v := range r.opts.Funcs {
		f[k] = v
	}
	return f
}

func (r *renderer) include(t *template.Template) func(string, any) (string, error) {
	return func(name string, data any) (string, error) {
		if err := r.enter(call{fn: "include", arg: name}); err != nil {
			return "", err
		}
		defer r.leave()
		var buf strings.Builder
		err := t.ExecuteTemplate(&buf, name, data)
		return buf.String(), innermost(err)
	}
}

// tpl renders a string as a template, with every named template of the chart available.
func (r *renderer) tpl(parent *template.Template) func(string, any) (string, error) {
	return func(text string, data any) (string, error) {
		if err := r.enter(call{fn: "tpl", arg: text}); err != nil {
			return "", err
		}
		defer r.leave()
		t, err := parent.Clone()
		if err != nil {
			return "", fmt.Errorf("cannot clone template: %w", err)
		}
		if r.opts.Strict {
			t.Option("missingkey=error")
		} else {
			t.Option("missingkey=zero")
		}
		t.Funcs(template.FuncMap{"include": r.include(t), "tpl": r.tpl(t)})
		if t, err = t.New(parent.Name()).Parse(text); err != nil {
			return "", fmt.Errorf("cannot parse template %q: %w", text, err)
		}
		var buf strings.Builder
		if err := t.Execute(&buf, data); err != nil {
			var in *innerError
			if errors.As(err, &in) {
				return "", in
			}
			return "", &innerError{fmt.Errorf("error during tpl function execution for %q: %w", text, err)}
		}
		return strings.ReplaceAll(buf.String(), "<no value>", ""), nil
	}
}

func (r *renderer) required(msg string, val any) (any, error) {
	if val == nil || val == "" {
		if r.opts.LintMode {
			r.warn("missing required value: " + msg)
			return "", nil
		}
		return val, errors.New(msgStart + msg + msgEnd)
	}
	return val, nil
}

func (r *renderer) fail(msg string) (string, error) {
	if r.opts.LintMode {
		r.warn("fail: " + msg)
		return "", nil
	}
	return "", errors.New(msgStart + msg + msgEnd)
}

func (r *renderer) lookup(apiVersion, kind, namespace, name string) (map[string]any, error) {
	if r.opts.Lookup == nil || r.opts.LintMode {
		return map[string]any{}, nil
	}
	return r.opts.Lookup.Lookup(r.ctx, apiVersion, kind, namespace, name)
}

func (r *renderer) warn(msg string) {
	if r.opts.Warn != nil {
		r.opts.Warn(msg)
	}
}

// parseError turns "template: NAME:LINE: function "x" not defined" into
// "parse error at (NAME:LINE): function "x" not defined".
func parseError(name string, err error) error {
	parts := strings.Split(err.Error(), ": ")
	if len(parts) < 3 {
		return fmt.Errorf("parse error in (%s): %w", name, err)
	}
	return fmt.Errorf("parse error at (%s): %s", parts[1], parts[len(parts)-1])
}

// execError shortens text/template's execution errors to "execution error at
// (NAME:LINE:COL): message", with the message of required and fail as written.
func execError(name string, err error) error {
	var ee template.ExecError
	if !errors.As(err, &ee) {
		return fmt.Errorf("execution error in (%s): %w", name, err)
	}
	parts := strings.SplitN(err.Error(), ": ", 3)
	if len(parts) != 3 {
		return fmt.Errorf("execution error in (%s): %w", name, err)
	}
	var ne *nestingError
	if errors.As(err, &ne) { // its message may quote tpl text, which the trimming below could cut
		return &RenderError{Location: parts[1], Message: ne.Error()}
	}
	if m := msgRE.FindStringSubmatch(parts[2]); m != nil {
		return &RenderError{Location: parts[1], Message: m[1]}
	}
	msg := parts[2]
	// Nested includes repeat "template: …: executing …"; keep the innermost cause.
	if i := strings.LastIndex(msg, "template: "); i >= 0 {
		inner := msg[i+len("template: "):]
		if j := strings.Index(inner, ": "); j >= 0 {
			if k := strings.LastIndex(inner, ">: "); k >= 0 {
				msg = inner[k+3:]
			} else {
				msg = inner[j+2:]
			}
		}
	}
	return &RenderError{Location: parts[1], Message: msg}
}

// RenderError is a template execution failure at a location ("chart/templates/x.yaml:12:3").
type RenderError struct {
	Location string
	Message  string
}

func (e *RenderError) Error() string {
	return fmt.Sprintf("execution error at (%s): %s", e.Location, e.Message)
}
