package postrender

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/hoist-dev/hoist/pkg/engine"
)

// ExecSource is the name of the documents a post-renderer prints without a
// "# Source:" comment.
const ExecSource = "post-renderer"

// Limits on what a post-renderer may print.
const (
	// MaxExecOutput is the most bytes read from a post-renderer's standard output.
	MaxExecOutput = 256 << 20
	// maxExecStderr is how much of its standard error an ExecError keeps.
	maxExecStderr = 16 << 10
)

// Exec is a post-renderer program, as Helm v3's --post-renderer: it reads the
// rendered manifests on standard input, each document as "---\n# Source:
// <template path>\n<document>\n" in install order, and prints the result on
// standard output.
//
// Helm v3 passes only the manifests (hooks are never post-rendered); Helm v4 by
// default passes hooks too ("combined" strategy). Exec does what Helm v3 does
// unless IncludeHooks is set. Every document printed is a manifest or, when
// annotated helm.sh/hook, a hook; it keeps the template path of its "# Source:"
// comment (which Helm-compatible post-renderers keep, though kustomize drops
// them) or is named ExecSource. Hooks not passed go through unchanged.
type Exec struct {
	// Path is the program: a name without a slash is looked up in PATH, a
	// relative path is relative to the working directory.
	Path string
	Args []string
	// IncludeHooks also passes the hooks, after the manifests, as Helm v4's
	// default does.
	IncludeHooks bool

	// maxOutput and maxStderr replace MaxExecOutput and maxExecStderr when set
	// (tests).
	maxOutput, maxStderr int
}

// ExecError is a post-renderer that failed: could not start, exited with a
// non-zero status or was killed.
type ExecError struct {
	// Command is the program and its arguments (Exec.String).
	Command string
	// ExitCode is the program's exit status; -1 when it did not exit normally
	// or did not start.
	ExitCode int
	// Stderr is the start of what it printed on standard error: at most 16 KiB,
	// StderrTruncated when it printed more.
	Stderr          string
	StderrTruncated bool
	Err             error
}

func (e *ExecError) Error() string {
	msg := fmt.Sprintf("post-renderer %s: %v", e.Command, e.Err)
	if s := strings.TrimSpace(e.Stderr); s != "" {
		if e.StderrTruncated {
			msg += fmt.Sprintf("; error output (truncated to its first %d bytes):\n%s", len(e.Stderr), s)
		} else {
			msg += "; error output:\n" + s
		}
	}
	return msg
}

func (e *ExecError) Unwrap() error { return e.Err }

// Run implements PostRenderer: it runs the program (killed when ctx ends) and
// splits what it prints into manifests and hooks in Helm's install order. Output
// that is not YAML, a document that is not an object with apiVersion and kind,
// or no object at all for a non-empty input is an error wrapping
// ErrInvalidOutput; a program that fails gives an *ExecError.
func (e Exec) Run(ctx context.Context, manifests []engine.Manifest, hooks []*engine.Hook) ([]engine.Manifest, []*engine.Hook, error) {
	var in bytes.Buffer
	for _, m := range manifests {
		fmt.Fprintf(&in, "---\n# Source: %s\n%s\n", m.Name, m.Content)
	}
	if e.IncludeHooks {
		for _, h := range hooks {
			fmt.Fprintf(&in, "---\n# Source: %s\n%s\n", h.Path, h.Manifest)
		}
	}
	out, err := e.exec(ctx, in.Bytes())
	if err != nil {
		return nil, nil, err
	}
	docs, err := e.parse(out)
	if err != nil {
		return nil, nil, err
	}
	if len(docs) == 0 && in.Len() > 0 {
		return nil, nil, fmt.Errorf("post-renderer %s: %w: it printed no objects", e, ErrInvalidOutput)
	}
	if !e.IncludeHooks {
		// Hooks pass through, after any document the program printed.
		for i, h := range hooks {
			docs = append(docs, doc{name: h.Path, index: 1<<20 + i, content: h.Manifest, hook: h})
		}
	}
	return sortDocs(docs)
}

// String is the program and its arguments, quoted where needed, for messages.
func (e Exec) String() string {
	parts := make([]string, 0, 1+len(e.Args))
	for _, p := range append([]string{e.Path}, e.Args...) {
		if p == "" || strings.ContainsAny(p, " \t\n'\"\\$`") {
			p = strconv.Quote(p)
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, " ")
}

func (e Exec) exec(ctx context.Context, stdin []byte) ([]byte, error) {
	if e.Path == "" {
		return nil, errors.New("post-renderer: no program given")
	}
	maxOut, maxErr := e.maxOutput, e.maxStderr
	if maxOut == 0 {
		maxOut = MaxExecOutput
	}
	if maxErr == 0 {
		maxErr = maxExecStderr
	}
	// Output over the limit kills the program at once: it could print for ever.
	runCtx, kill := context.WithCancel(ctx)
	defer kill()
	cmd := exec.CommandContext(runCtx, e.Path, e.Args...)
	cmd.Stdin = bytes.NewReader(stdin)
	stdout := &cappedBuffer{max: maxOut, full: kill}
	stderr := &cappedBuffer{max: maxErr}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	ownProcessGroup(cmd)
	// Children that keep the output pipes open do not hold Run up for ever.
	cmd.WaitDelay = 5 * time.Second
	err := cmd.Run()
	switch {
	case stdout.over:
		// Whatever Run says (killed, broken pipe or nothing), the cause is the limit.
		err = fmt.Errorf("%w: it printed more than %d bytes on standard output (the limit); it was stopped", ErrLimitExceeded, maxOut)
	case err != nil:
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = fmt.Errorf("%w (%w)", ctxErr, err)
		}
	}
	if err != nil {
		code := -1
		var exitErr *exec.ExitError
		if errors.As(err, &exitErr) {
			code = exitErr.ExitCode()
		}
		return nil, &ExecError{Command: e.String(), ExitCode: code, Stderr: string(stderr.buf), StderrTruncated: stderr.over, Err: err}
	}
	return stdout.buf, nil
}

// parse splits a post-renderer's output into documents, taking each one's name
// from its "# Source:" comment and checking that it is an object.
func (e Exec) parse(out []byte) ([]doc, error) {
	var docs []doc
	for i, d := range engine.SplitDocuments(string(out)) {
		name, content := splitSource(d)
		if !usableName(name) {
			name = ExecSource
		}
		var obj map[string]any
		if err := yaml.Unmarshal([]byte(content), &obj); err != nil {
			return nil, fmt.Errorf("post-renderer %s: %w: document %d (%s): %w", e, ErrInvalidOutput, i+1, name, err)
		}
		if obj == nil {
			continue // only comments
		}
		if obj["apiVersion"] == nil || obj["kind"] == nil {
			return nil, fmt.Errorf("post-renderer %s: %w: document %d (%s) is not a Kubernetes object (no apiVersion or kind)", e, ErrInvalidOutput, i+1, name)
		}
		docs = append(docs, doc{name: name, index: i, content: content})
	}
	return docs, nil
}

// splitSource takes a leading "# Source: <path>" line off a document. The newline
// that Run writes after each document comes off too, when the document still ends
// with a blank line.
func splitSource(d string) (string, string) {
	var name string
	if rest, ok := strings.CutPrefix(d, "# Source: "); ok {
		line, body, _ := strings.Cut(rest, "\n")
		name, d = strings.TrimSpace(line), body
	}
	if strings.HasSuffix(d, "\n\n") {
		d = d[:len(d)-1]
	}
	return name, d
}

// cappedBuffer keeps the first max bytes written to it. It has Write only, so
// that io.Copy (and os/exec) cannot go round the limit through a ReadFrom.
// Beyond max it records that it is over and, when full is set, calls it and
// fails the write, which stops the copy; otherwise it drops the rest and takes
// more, so that the writer is never blocked on a full pipe.
type cappedBuffer struct {
	buf  []byte
	max  int
	full func()
	over bool
}

func (b *cappedBuffer) Write(p []byte) (int, error) {
	n := len(p)
	if room := b.max - len(b.buf); n > room {
		b.over = true
		if b.full != nil {
			b.full()
			return 0, fmt.Errorf("%w: more than %d bytes", ErrLimitExceeded, b.max)
		}
		p = p[:max(room, 0)]
	}
	if len(b.buf)+len(p) > cap(b.buf) {
		// Grow by doubling, but never beyond max: the buffer of a program at its
		// limit takes max bytes, not up to twice as many.
		grown := make([]byte, len(b.buf), min(max(2*cap(b.buf), len(b.buf)+len(p), 4096), b.max))
		copy(grown, b.buf)
		b.buf = grown
	}
	b.buf = append(b.buf, p...)
	return n, nil
}
