package testenv

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Versions of the components, kept in step with scripts/versions.env (a test checks).
const (
	KubeVersion = "1.34.4"
	EtcdVersion = "3.6.6"
	KwokVersion = "0.7.0"
)

// Ports fixes ports for components; zero picks a free loopback port.
type Ports struct {
	Etcd, EtcdPeer, APIServer, Registry, SecureRegistry, Git int
}

// Options configures Start.
type Options struct {
	// Dir holds state, certificates, data and logs. Created if missing; required.
	Dir string
	// ToolsDir is the cache of built binaries (scripts/build-tools.sh). Default:
	// $HOIST_TOOLS_DIR, else ${XDG_CACHE_HOME:-$HOME/.cache}/hoist/tools.
	ToolsDir string
	// Nodes is the number of simulated (kwok) nodes; default 3.
	Nodes int
	// Detach leaves the components running after this process exits (`make cluster-up`).
	Detach bool
	// GitCommand, if set, runs the Git server as a child process: the command is given
	// the flags --addr, --root, --user and --password. Otherwise it runs in this process.
	GitCommand []string
	// Ports fixes ports; zero values pick free ones.
	Ports Ports
	// Log receives progress lines; nil discards them.
	Log io.Writer
	// Timeout bounds each component's start-up; default 60 s.
	Timeout time.Duration
}

func (o *Options) defaults() error {
	if o.Dir == "" {
		return errors.New("testenv: Options.Dir is required")
	}
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return err
	}
	o.Dir = dir
	if o.ToolsDir == "" {
		o.ToolsDir = DefaultToolsDir()
	}
	if o.Nodes <= 0 {
		o.Nodes = 3
	}
	if o.Log == nil {
		o.Log = io.Discard
	}
	if o.Timeout <= 0 {
		o.Timeout = 60 * time.Second
	}
	return nil
}

// DefaultToolsDir is where scripts/build-tools.sh caches binaries.
func DefaultToolsDir() string {
	if d := os.Getenv("HOIST_TOOLS_DIR"); d != "" {
		return d
	}
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return filepath.Join(d, "hoist", "tools")
	}
	home, _ := os.UserHomeDir()
	return filepath.Join(home, ".cache", "hoist", "tools")
}

// starter carries the state of one Start call.
type starter struct {
	opts Options
	env  *Env
	ca   *authority

	etcdURL    string
	adminToken string
}

// Start brings the whole environment up and returns it once the API server is ready, the
// nodes are Ready, and the registries and Git server answer. On any failure everything
// already started is stopped and the error names the component and its log file.
func Start(ctx context.Context, opts Options) (_ *Env, err error) {
	if err := opts.defaults(); err != nil {
		return nil, err
	}
	begin := time.Now()
	for _, d := range []string{"", "pki", "logs", "data"} {
		if err := os.MkdirAll(filepath.Join(opts.Dir, d), 0o755); err != nil {
			return nil, fmt.Errorf("testenv: creating %s: %w", opts.Dir, err)
		}
	}
	if _, err := os.Stat(filepath.Join(opts.Dir, "env.json")); err == nil {
		if old, lerr := Load(opts.Dir); lerr == nil && old.anyAlive() {
			return nil, fmt.Errorf("testenv: an environment is already running in %s (stop it with `make cluster-down`)", opts.Dir)
		}
	}
	s := &starter{opts: opts, env: &Env{Dir: opts.Dir, StartedAt: begin, KubeVersion: KubeVersion}}
	defer func() {
		if err != nil {
			s.env.Stop()
		}
	}()
	if s.ca, err = newAuthority(); err != nil {
		return nil, fmt.Errorf("testenv: creating CA: %w", err)
	}
	s.env.CAFile = s.path("pki", "ca.crt")
	if err := os.WriteFile(s.env.CAFile, s.ca.pem, 0o644); err != nil {
		return nil, err
	}

	if err := s.startEtcd(ctx); err != nil {
		return nil, err
	}
	if err := s.startAPIServer(ctx); err != nil {
		return nil, err
	}
	// The rest start together: none depends on another beyond the API server.
	if err := s.startControllers(ctx); err != nil {
		return nil, err
	}
	if err := s.startRegistries(ctx); err != nil {
		return nil, err
	}
	if err := s.startGit(ctx); err != nil {
		return nil, err
	}
	if err := s.waitCluster(ctx); err != nil {
		return nil, err
	}
	if err := s.env.save(); err != nil {
		return nil, fmt.Errorf("testenv: writing state: %w", err)
	}
	fmt.Fprintf(opts.Log, "testenv: ready in %.1f s (%s)\n", time.Since(begin).Seconds(), s.env.Dir)
	return s.env, nil
}

func (s *starter) path(parts ...string) string {
	return filepath.Join(append([]string{s.opts.Dir}, parts...)...)
}

func (s *starter) bin(tool, version, name string) string {
	return filepath.Join(s.opts.ToolsDir, tool+"-"+version, name)
}

// port returns fixed if set, else a free loopback port. A fixed port that is taken is
// reported against the component before anything is started for it.
func port(component string, fixed int) (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:"+strconv.Itoa(fixed))
	if err != nil {
		return 0, &ComponentError{Component: component, Err: fmt.Errorf("port %d is not free: %w", fixed, err)}
	}
	p := l.Addr().(*net.TCPAddr).Port
	_ = l.Close()
	return p, nil
}

// launch starts a component and records it for Stop.
func (s *starter) launch(name, bin string, args, env []string) (*Process, error) {
	fmt.Fprintf(s.opts.Log, "testenv: starting %s\n", name)
	p, err := startProcess(name, bin, args, env, s.path("logs", name+".log"), s.opts.Detach)
	if err != nil {
		return nil, err
	}
	s.env.Processes = append(s.env.Processes, p)
	// Record right away, so that `cluster-down` finds a half-started environment.
	_ = s.env.save()
	return p, nil
}

func (e *Env) anyAlive() bool {
	for _, p := range e.Processes {
		if alive(p.PID) && ownedBy(p.PID, p.Bin) {
			return true
		}
	}
	return false
}

// Stop stops every component, last started first, and removes nothing else: logs and
// data stay in Dir for inspection. Safe to call more than once and from another process.
func (e *Env) Stop() {
	if e.stopGit != nil {
		e.stopGit()
		e.stopGit = nil
	}
	for i := len(e.Processes) - 1; i >= 0; i-- {
		e.Processes[i].stop(10 * time.Second)
	}
}

// RSS returns the resident memory of every running component, in bytes, by name.
func (e *Env) RSS() map[string]int64 {
	out := map[string]int64{}
	for _, p := range e.Processes {
		f, err := os.Open(fmt.Sprintf("/proc/%d/status", p.PID))
		if err != nil {
			continue
		}
		sc := bufio.NewScanner(f)
		for sc.Scan() {
			if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
				kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
				out[p.Name] += kb * 1024
			}
		}
		f.Close()
	}
	return out
}
