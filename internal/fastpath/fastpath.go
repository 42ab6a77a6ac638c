package fastpath

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/internal/sigctx"
	"github.com/hoist-dev/hoist/internal/startup"
	"github.com/hoist-dev/hoist/pkg/chart"
	"github.com/hoist-dev/hoist/pkg/cli/chartcmd"
	"github.com/hoist-dev/hoist/pkg/render"
)

func init() {
	if !candidate(os.Args[1:], os.Getenv) {
		return
	}
	startup.Done()
	ctx, stop := sigctx.New(os.Stderr)
	code, ok := Run(ctx, chartcmd.Deps{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Args: os.Args[1:]}, os.Getenv)
	stop()
	if ok {
		os.Exit(code)
	}
}

// candidate is the cheap test of the command line, before anything is set up.
func candidate(args []string, getenv func(string) string) bool {
	if len(args) < 2 || args[0] != "template" {
		return false
	}
	if getenv("HOIST_CPUPROFILE") != "" || getenv("HOIST_NO_FAST_PATH") != "" {
		return false
	}
	for _, a := range args[1:] {
		if a == "-h" || a == "--help" || strings.HasPrefix(a, "--help=") {
			return false
		}
	}
	return true
}

// errDecline: the command is left to the full command line.
var errDecline = errors.New("not for the fast path")

// Run runs the template command in deps.Args if the fast path can (see the package
// documentation) and returns its exit status and true; it returns false, having read
// and written nothing, when it cannot.
func Run(ctx context.Context, deps chartcmd.Deps, getenv func(string) string) (code int, ok bool) {
	if !candidate(deps.Args, getenv) {
		return 0, false
	}
	root := &cobra.Command{Use: "hoist", SilenceUsage: true, SilenceErrors: true}
	root.SetIn(deps.In)
	root.SetOut(deps.Out)
	root.SetErr(deps.Err)
	root.CompletionOptions.DisableDefaultCmd = true
	var g chartcmd.GlobalFlags
	g.Register(root.PersistentFlags())
	started := false
	namespace := ""
	root.AddCommand(chartcmd.NewTemplateCmd(deps, chartcmd.TemplateEnv{
		Namespace: func() string { return namespace },
		Fetch: func(_ context.Context, ref string, _ chartcmd.ChartFlags) (*chart.Chart, render.Package, error) {
			c, err := chart.Load(ref)
			return c, nil, err
		},
		PostRenderer: func(chartcmd.PostRenderFlags) (render.PostRenderer, error) { return nil, nil },
		Precheck: func(ref string, cf chartcmd.ChartFlags, pr chartcmd.PostRenderFlags) error {
			if pr.Set() || cf.Version != "" || !chartDir(ref) {
				return errDecline
			}
			ns, known := resolveNamespace(&g, getenv)
			if !known {
				return errDecline
			}
			namespace, started = ns, true
			return nil
		},
	}))
	root.SetArgs(deps.Args)
	err := root.ExecuteContext(ctx)
	if !started {
		// Declined, or the flags or arguments are wrong: the full command line runs
		// it, and says what is wrong in its own words.
		return 0, false
	}
	if err != nil {
		fmt.Fprintf(deps.Err, "Error: %v\n", err)
		return 1, true
	}
	return 0, true
}

// chartDir reports whether ref names a chart directory on disk, as the full command
// line's chart references resolve it (a path that exists is a local chart; one with
// a Chart.yaml is a chart, not a kustomize package).
func chartDir(ref string) bool {
	if ref == "" || strings.HasPrefix(ref, "git+") || strings.Contains(ref, "://") {
		return false
	}
	if fi, err := os.Stat(ref); err != nil || !fi.IsDir() {
		return false
	}
	fi, err := os.Stat(filepath.Join(ref, "Chart.yaml"))
	return err == nil && fi.Mode().IsRegular()
}

// resolveNamespace is the namespace the full command line would use, when the fast path
// knows it without reading a kubeconfig: by the full command line's rule
// (chartcmd.GlobalFlags.ResolveNamespace), with "default" for the kubeconfig's when
// there is no kubeconfig and no in-cluster configuration.
func resolveNamespace(g *chartcmd.GlobalFlags, getenv func(string) string) (string, bool) {
	return g.ResolveNamespace(getenv, func() (string, bool) {
		if g.Conn.KubeConfig != "" || getenv("KUBERNETES_SERVICE_HOST") != "" {
			return "", false
		}
		if list := getenv("KUBECONFIG"); list != "" {
			for _, p := range filepath.SplitList(list) {
				if p != "" && !emptyOrMissing(p) {
					return "", false
				}
			}
			return "default", true
		}
		home := getenv("HOME")
		if home == "" {
			return "", false
		}
		// ~/.kube/.kubeconfig is the old name client-go still migrates from.
		for _, p := range []string{filepath.Join(home, ".kube", "config"), filepath.Join(home, ".kube", ".kubeconfig")} {
			if !emptyOrMissing(p) {
				return "", false
			}
		}
		return "default", true
	})
}

// emptyOrMissing reports whether the file p does not exist or has nothing in it
// (/dev/null included).
func emptyOrMissing(p string) bool {
	f, err := os.Open(p)
	if errors.Is(err, os.ErrNotExist) {
		return true
	}
	if err != nil {
		return false
	}
	defer f.Close()
	n, err := f.Read(make([]byte, 1))
	return n == 0 && errors.Is(err, io.EOF)
}
