package postrender

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

func script(name string, args ...string) Exec {
	return Exec{Path: "/bin/sh", Args: append([]string{filepath.Join("testdata/exec", name)}, args...)}
}

// TestExecGolden runs post-renderer scripts over the shared rendered chart.
func TestExecGolden(t *testing.T) {
	cases := []struct {
		name string
		exec Exec
	}{
		// --post-renderer sed.sh --post-renderer-args nginx:1.25 --post-renderer-args nginx:1.27
		{"sed", script("sed.sh", "nginx:1.25", "nginx:1.27")},
		// busybox is in the hooks too, which are not passed (Helm v3).
		{"sed-hooks-not-passed", script("sed.sh", "busybox:1.36", "busybox:1.37")},
		// … unless IncludeHooks (Helm v4's default).
		{"sed-include-hooks", func() Exec { e := script("sed.sh", "busybox:1.36", "busybox:1.37"); e.IncludeHooks = true; return e }()},
		{"strip-sources", script("strip-sources.sh")},
		{"add-hook", script("add-hook.sh")},
		// A program found in PATH, with its arguments.
		{"path-lookup", Exec{Path: "sed", Args: []string{"-e", "s/replicas: 1/replicas: 5/"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			manifests, hooks := readRendered(t, "testdata/overlay/rendered.yaml")
			m, h, err := c.exec.Run(context.Background(), manifests, hooks)
			if err != nil {
				t.Fatal(err)
			}
			golden(t, filepath.Join("testdata/exec", c.name+".golden"), format(m, h))
		})
	}
}

// TestExecStdin: the program reads Helm v3's format; an identity post-renderer
// gives back the same manifests and hooks.
func TestExecStdin(t *testing.T) {
	manifests, hooks := readRendered(t, "testdata/overlay/rendered.yaml")
	for _, include := range []bool{false, true} {
		name := "stdin.golden"
		if include {
			name = "stdin-include-hooks.golden"
		}
		copyFile := filepath.Join(t.TempDir(), "stdin")
		e := script("tee.sh", copyFile)
		e.IncludeHooks = include
		m, h, err := e.Run(context.Background(), manifests, hooks)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := format(m, h), format(manifests, hooks); got != want {
			t.Errorf("identity post-renderer (hooks %v) changed the output:\n%s", include, diff(want, got))
		}
		stdin, err := os.ReadFile(copyFile)
		if err != nil {
			t.Fatal(err)
		}
		golden(t, filepath.Join("testdata/exec", name), string(stdin))
	}
}

func TestExecErrors(t *testing.T) {
	manifests, hooks := readRendered(t, "testdata/overlay/rendered.yaml")
	run := func(e Exec) error {
		_, _, err := e.Run(context.Background(), manifests, hooks)
		return err
	}

	err := run(script("fail.sh"))
	wantError(t, err, nil, "testdata/exec/fail.sh", "exit status 3", "error: overlay not found")
	var ee *ExecError
	if !errors.As(err, &ee) || ee.ExitCode != 3 || ee.Stderr != "error: overlay not found\n" {
		t.Errorf("ExecError = %+v", ee)
	}

	err = run(Exec{Path: "./testdata/exec/no-such-program"})
	wantError(t, err, os.ErrNotExist, "no-such-program")
	if !errors.As(err, &ee) || ee.ExitCode != -1 {
		t.Errorf("ExecError = %+v", ee)
	}
	wantError(t, run(Exec{Path: "hoist-no-such-post-renderer"}), exec.ErrNotFound, "hoist-no-such-post-renderer")
	wantError(t, run(Exec{}), nil, "no program")

	wantError(t, run(script("invalid.sh")), ErrInvalidOutput, "testdata/exec/invalid.sh", "document 1", "yaml")
	wantError(t, run(script("not-object.sh")), ErrInvalidOutput, "document 1 (x/y.yaml)", "not a Kubernetes object")
	wantError(t, run(script("empty.sh")), ErrInvalidOutput, "printed no objects")
	// Nothing in, nothing out is fine.
	if m, h, err := script("empty.sh").Run(context.Background(), nil, nil); err != nil || len(m) != 0 || len(h) != 0 {
		t.Errorf("empty input: %v, %v, %v", m, h, err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err = script("sleep.sh").Run(ctx, manifests, hooks)
	wantError(t, err, context.DeadlineExceeded, "sleep.sh")
	if d := time.Since(start); d > 10*time.Second {
		t.Errorf("cancelled post-renderer took %v", d)
	}
}
