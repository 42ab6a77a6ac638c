package testenv

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"
)

// Process is a component of the environment running as a child process.
type Process struct {
	// Name names the component in messages ("etcd", "kube-apiserver", …).
	Name string `json:"name"`
	PID  int    `json:"pid"`
	// Bin is the executable, checked against /proc before a later process signals it.
	Bin string `json:"bin"`
	// Log is the file the component's standard output and error go to.
	Log string `json:"log"`

	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited (own children only)
	err  error         // exit error, valid once done is closed
}

// ComponentError reports a component that could not be started or did not become ready.
type ComponentError struct {
	Component string
	Log       string
	Err       error
	Tail      string // last lines of the log, if any
}

func (e *ComponentError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s: %v", e.Component, e.Err)
	if e.Log != "" {
		fmt.Fprintf(&b, " (log: %s)", e.Log)
	}
	if e.Tail != "" {
		b.WriteString("\n--- last lines of " + e.Log + " ---\n" + e.Tail)
	}
	return b.String()
}

func (e *ComponentError) Unwrap() error { return e.Err }

// ErrExited is wrapped when a component exits while it should be running.
var ErrExited = errors.New("exited during start-up")

// startProcess runs bin with args, its output appended to logPath. With detach the child
// survives this process (cluster-up); otherwise the kernel kills it when this process dies.
func startProcess(name, bin string, args []string, env []string, logPath string, detach bool) (*Process, error) {
	if _, err := os.Stat(bin); err != nil {
		return nil, &ComponentError{Component: name, Err: fmt.Errorf("binary missing: %w (run `make tools` to build it)", err)}
	}
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, &ComponentError{Component: name, Err: fmt.Errorf("opening log: %w", err)}
	}
	defer logf.Close()
	cmd := exec.Command(bin, args...)
	cmd.Stdout = logf
	cmd.Stderr = logf
	cmd.Env = append(os.Environ(), env...)
	// Own process group: a Ctrl-C in the terminal reaches the test runner, which then
	// stops the environment in order, instead of killing every component at once.
	attr := &syscall.SysProcAttr{Setpgid: true}
	if !detach {
		attr.Pdeathsig = syscall.SIGKILL
	}
	cmd.SysProcAttr = attr
	if err := cmd.Start(); err != nil {
		return nil, &ComponentError{Component: name, Log: logPath, Err: fmt.Errorf("starting %s: %w", bin, err)}
	}
	p := &Process{Name: name, PID: cmd.Process.Pid, Bin: bin, Log: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		close(p.done)
	}()
	return p, nil
}

// exited reports whether the process has ended, and how.
func (p *Process) exited() (bool, error) {
	if p.done == nil {
		return !alive(p.PID), nil
	}
	select {
	case <-p.done:
		if p.err == nil {
			return true, errors.New("exit status 0")
		}
		return true, p.err
	default:
		return false, nil
	}
}

// failure builds the error for a component that failed, with the end of its log.
func (p *Process) failure(err error) error {
	return &ComponentError{Component: p.Name, Log: p.Log, Err: err, Tail: tailFile(p.Log, 15)}
}

// waitReady polls ready until it reports true, the process exits, or ctx ends.
func (p *Process) waitReady(ctx context.Context, timeout time.Duration, ready func(context.Context) (bool, error)) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	var last error
	for {
		if gone, err := p.exited(); gone {
			return p.failure(fmt.Errorf("%w: %w", ErrExited, err))
		}
		ok, err := ready(ctx)
		if ok {
			return nil
		}
		if err != nil {
			last = err
		}
		select {
		case <-ctx.Done():
			if last == nil {
				last = ctx.Err()
			}
			return p.failure(fmt.Errorf("not ready after %s: %w", timeout, last))
		case <-tick.C:
		}
	}
}

// stop ends the component: SIGTERM to its process group, SIGKILL after grace.
func (p *Process) stop(grace time.Duration) {
	if p.PID <= 0 {
		return
	}
	if p.done == nil && !ownedBy(p.PID, p.Bin) {
		return // not ours any more (PID reused after the component died)
	}
	_ = syscall.Kill(-p.PID, syscall.SIGTERM)
	deadline := time.Now().Add(grace)
	for time.Now().Before(deadline) {
		if gone, _ := p.exited(); gone {
			_ = syscall.Kill(-p.PID, syscall.SIGKILL) // anything the component left behind
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = syscall.Kill(-p.PID, syscall.SIGKILL)
	if p.done != nil {
		<-p.done
		return
	}
	for i := 0; i < 100 && alive(p.PID); i++ {
		time.Sleep(20 * time.Millisecond)
	}
}

func alive(pid int) bool {
	if syscall.Kill(pid, 0) != nil {
		return false
	}
	// A zombie is not alive; /proc tells.
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	return len(fields) == 0 || fields[0] != "Z"
}

// ownedBy reports whether pid still runs the executable it was recorded with.
func ownedBy(pid int, bin string) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if err != nil {
		return alive(pid)
	}
	cmdline := strings.ReplaceAll(string(b), "\x00", " ")
	return strings.HasPrefix(cmdline, bin) || strings.Contains(cmdline, filepath.Base(bin))
}

// tailFile returns the last n lines of a file, or "".
func tailFile(path string, n int) string {
	b, err := os.ReadFile(path)
	if err != nil || len(b) == 0 {
		return ""
	}
	if len(b) > 64<<10 {
		b = b[len(b)-64<<10:]
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
