package fastpath

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/pflag"

	"github.com/hoist-dev/hoist/pkg/cli"
	"github.com/hoist-dev/hoist/pkg/cli/chartcmd"
)

const chartDirPath = "../../pkg/cli/testdata/charts/diffchart"

type outcome struct {
	code           int
	stdout, stderr string
}

func runFast(t *testing.T, stdin string, args ...string) (outcome, bool) {
	t.Helper()
	var out, errb bytes.Buffer
	code, ok := Run(context.Background(), chartcmd.Deps{In: strings.NewReader(stdin), Out: &out, Err: &errb, Args: args}, os.Getenv)
	if !ok && (out.Len() > 0 || errb.Len() > 0) {
		t.Fatalf("declined %q after writing stdout %q, stderr %q", args, out.String(), errb.String())
	}
	return outcome{code, out.String(), errb.String()}, ok
}

func runFull(stdin string, args ...string) outcome {
	var out, errb bytes.Buffer
	code := cli.Main(context.Background(), cli.Deps{In: strings.NewReader(stdin), Out: &out, Err: &errb, Args: args})
	return outcome{code, out.String(), errb.String()}
}

func noKubeconfig(t *testing.T) {
	t.Setenv("KUBECONFIG", os.DevNull)
	t.Setenv("HOIST_NAMESPACE", "")
	t.Setenv("KUBERNETES_SERVICE_HOST", "")
	t.Setenv("HOIST_NO_FAST_PATH", "")
	t.Setenv("HOIST_CPUPROFILE", "")
}

// The fast path prints exactly what the full command line prints, errors included.
func TestSameAsFullCommandLine(t *testing.T) {
	noKubeconfig(t)
	valuesFile := filepath.Join(t.TempDir(), "v.yaml")
	if err := os.WriteFile(valuesFile, []byte("replicas: 3\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		stdin string
		args  []string
	}{
		{"plain", "", []string{"template", "web", chartDirPath}},
		{"namespace and values", "", []string{"template", "web", chartDirPath, "-n", "prod", "--set", "replicas=2", "-f", valuesFile}},
		{"values from stdin", "replicas: 4\n", []string{"template", chartDirPath, "--namespace=x", "-f", "-"}},
		{"show only and kube version", "", []string{"template", "web", chartDirPath, "-s", "templates/all.yaml", "--kube-version", "1.31"}},
		{"global flags after the command", "", []string{"template", "web", chartDirPath, "--kube-context", "nowhere", "-n", "a"}},
		{"no hooks, is-upgrade", "", []string{"template", "web", chartDirPath, "--no-hooks", "--is-upgrade"}},
		{"bad release name", "", []string{"template", "Not_Valid", chartDirPath}},
		{"bad --set", "", []string{"template", "web", chartDirPath, "--set", "a.b[x]=1"}},
		{"missing template for -s", "", []string{"template", "web", chartDirPath, "-s", "templates/nope.yaml"}},
		{"bad kube version", "", []string{"template", "web", chartDirPath, "--kube-version", "banana"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			fast, ok := runFast(t, tc.stdin, tc.args...)
			if !ok {
				t.Fatalf("the fast path declined %q", tc.args)
			}
			full := runFull(tc.stdin, tc.args...)
			if fast != full {
				t.Errorf("fast path:\n%+v\nfull command line:\n%+v", fast, full)
			}
			if tc.name == "plain" && (fast.code != 0 || !strings.Contains(fast.stdout, "# Source: diffchart/templates/")) {
				t.Errorf("no manifest rendered: %+v", fast)
			}
		})
	}
}

// The corpus, when it is there: the fast path takes every case and prints what the
// full command line prints.
func TestCorpusSameAsFullCommandLine(t *testing.T) {
	corpus, err := filepath.Abs("../../../shared/conformance")
	if err != nil {
		t.Fatal(err)
	}
	dirs, _ := filepath.Glob(filepath.Join(corpus, "cases", "*-default"))
	if len(dirs) == 0 {
		t.Skipf("no conformance corpus at %s (it lives in ../shared beside the repository)", corpus)
	}
	noKubeconfig(t)
	for _, dir := range dirs[:min(len(dirs), 8)] {
		read := func(name string) string {
			b, err := os.ReadFile(filepath.Join(dir, name))
			if err != nil {
				t.Fatal(err)
			}
			return strings.TrimSpace(strings.SplitN(string(b), "\n", 2)[0])
		}
		args := []string{"template", read("release"), filepath.Join(corpus, read("chart"))}
		args = append(args, strings.Fields(read("args"))...)
		t.Run(filepath.Base(dir), func(t *testing.T) {
			if strings.ContainsAny(read("args"), `'"`) {
				t.Skip("quoted arguments")
			}
			fast, ok := runFast(t, "", args...)
			if !ok {
				t.Fatalf("the fast path declined %q", args)
			}
			if full := runFull("", args...); fast != full {
				t.Errorf("fast path and full command line differ: fast %d (%d bytes, stderr %q), full %d (%d bytes, stderr %q)",
					fast.code, len(fast.stdout), fast.stderr, full.code, len(full.stdout), full.stderr)
			}
		})
	}
}

// Whatever the fast path cannot do exactly as the full command line is left to it,
// with nothing read or written.
func TestDeclines(t *testing.T) {
	noKubeconfig(t)
	overlay := t.TempDir()
	kubeconfig := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(kubeconfig, []byte("apiVersion: v1\nkind: Config\ncurrent-context: c\ncontexts:\n- name: c\n  context: {namespace: team}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "c-1.0.0.tgz")
	if err := os.WriteFile(archive, []byte("not really"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"another command", nil, []string{"version"}},
		{"a global flag first", nil, []string{"-n", "x", "template", "web", chartDirPath}},
		{"help", nil, []string{"template", "--help"}},
		{"unknown flag", nil, []string{"template", "web", chartDirPath, "--no-such-flag"}},
		{"too many arguments", nil, []string{"template", "a", "b", "c"}},
		{"kustomize", nil, []string{"template", "web", chartDirPath, "--kustomize", overlay}},
		{"post-renderer", nil, []string{"template", "web", chartDirPath, "--post-renderer", "cat"}},
		{"version", nil, []string{"template", "web", chartDirPath, "--version", "1.0.0"}},
		{"OCI reference", nil, []string{"template", "web", "oci://registry.invalid/charts/web"}},
		{"Git reference", nil, []string{"template", "web", "git+https://git.invalid/charts.git"}},
		{"repository reference", nil, []string{"template", "web", "stable/web"}},
		{"archive", nil, []string{"template", "web", archive}},
		{"not a chart", nil, []string{"template", "web", t.TempDir()}},
		{"a kubeconfig to read", map[string]string{"KUBECONFIG": kubeconfig}, []string{"template", "web", chartDirPath}},
		{"--kubeconfig", nil, []string{"template", "web", chartDirPath, "--kubeconfig", kubeconfig}},
		{"in a pod", map[string]string{"KUBERNETES_SERVICE_HOST": "10.0.0.1"}, []string{"template", "web", chartDirPath}},
		{"profiling", map[string]string{"HOIST_CPUPROFILE": filepath.Join(t.TempDir(), "p")}, []string{"template", "web", chartDirPath, "-n", "x"}},
		{"switched off", map[string]string{"HOIST_NO_FAST_PATH": "1"}, []string{"template", "web", chartDirPath, "-n", "x"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			const stdin = "replicas: 9\n"
			in := strings.NewReader(stdin)
			var out, errb bytes.Buffer
			_, ok := Run(context.Background(), chartcmd.Deps{In: in, Out: &out, Err: &errb, Args: tc.args}, os.Getenv)
			if ok {
				t.Fatalf("the fast path took %q", tc.args)
			}
			if out.Len() > 0 || errb.Len() > 0 || in.Len() != len(stdin) {
				t.Errorf("declined after writing %q / %q or reading stdin", out.String(), errb.String())
			}
		})
	}
}

// The namespace the fast path uses is the one the full command line would.
func TestNamespace(t *testing.T) {
	home := t.TempDir()
	withConfig := t.TempDir()
	if err := os.MkdirAll(filepath.Join(withConfig, ".kube"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(withConfig, ".kube", "config"), []byte("current-context: x\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	empty := filepath.Join(t.TempDir(), "empty")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name  string
		flag  string
		env   map[string]string
		want  string
		known bool
	}{
		{"flag", "prod", map[string]string{"HOIST_NAMESPACE": "other"}, "prod", true},
		{"environment", "", map[string]string{"HOIST_NAMESPACE": "other"}, "other", true},
		{"no kubeconfig", "", map[string]string{"HOME": home}, "default", true},
		{"KUBECONFIG of missing and empty files", "", map[string]string{"KUBECONFIG": filepath.Join(home, "nope") + string(filepath.ListSeparator) + empty}, "default", true},
		{"KUBECONFIG=/dev/null", "", map[string]string{"KUBECONFIG": os.DevNull}, "default", true},
		{"~/.kube/config", "", map[string]string{"HOME": withConfig}, "", false},
		{"no home", "", map[string]string{}, "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			g := chartcmd.GlobalFlags{Namespace: tc.flag}
			got, known := resolveNamespace(&g, func(k string) string { return tc.env[k] })
			if got != tc.want || known != tc.known {
				t.Errorf("got %q, %v; want %q, %v", got, known, tc.want, tc.known)
			}
		})
	}
}

// This test binary links internal/startup but is not hoist: it renders with the
// collector on, as Go starts every program.
func TestCollectorOn(t *testing.T) {
	noKubeconfig(t)
	if _, ok := runFast(t, "", "template", "web", chartDirPath); !ok {
		t.Fatal("the fast path declined")
	}
	got := debug.SetGCPercent(-1)
	debug.SetGCPercent(got)
	if got == -1 && os.Getenv("GOGC") != "off" {
		t.Fatal("the collector is off in the fast path's test binary")
	}
}

// The fast path's global flags are the full command line's: one definition
// (chartcmd.GlobalFlags), and no persistent flag added beside it in pkg/cli.
func TestSameGlobalFlags(t *testing.T) {
	describe := func(f *pflag.FlagSet) []string {
		var out []string
		f.VisitAll(func(fl *pflag.Flag) {
			out = append(out, fl.Name+" -"+fl.Shorthand+" "+fl.Value.Type()+" "+fl.DefValue)
		})
		return out
	}
	var g chartcmd.GlobalFlags
	fast := pflag.NewFlagSet("hoist", pflag.ContinueOnError)
	g.Register(fast)
	full := cli.NewRoot(cli.Deps{In: strings.NewReader(""), Out: io.Discard, Err: io.Discard}).PersistentFlags()
	if a, b := describe(fast), describe(full); !slices.Equal(a, b) {
		t.Errorf("fast path's global flags:\n%s\nfull command line's:\n%s", strings.Join(a, "\n"), strings.Join(b, "\n"))
	}
}
