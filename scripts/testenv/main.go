// Command testenv starts, stops and runs commands inside hoist's local test environment
// (see pkg/testenv). The Makefile calls it:
//
//	testenv up   [--dir DIR]             start and leave running (make cluster-up)
//	testenv down [--dir DIR]             stop what `up` started (make cluster-down)
//	testenv status [--dir DIR]           URLs and memory of a running environment
//	testenv exec [--dir DIR] -- CMD…     start, run CMD inside, stop (make test)
//	testenv git-serve --addr --root …    the Git server process `up` starts
//	testenv secret-bytes -n NS -l SEL    bytes of data in matching Secrets (benchmarks)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"sort"
	"syscall"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/hoist-dev/hoist/pkg/testenv"
)

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	code := 0
	switch os.Args[1] {
	case "up":
		err = up(os.Args[2:])
	case "down":
		err = down(os.Args[2:])
	case "status":
		err = status(os.Args[2:])
	case "exec":
		code, err = execCmd(os.Args[2:])
	case "git-serve":
		err = gitServe(os.Args[2:])
	case "ping":
		err = ping(os.Args[2:])
	case "secret-bytes":
		err = secretBytes(os.Args[2:])
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "testenv:", err)
		os.Exit(1)
	}
	os.Exit(code)
}

func usage() {
	fmt.Fprintln(os.Stderr, "usage: testenv up|down|status|exec|git-serve [flags] (see go doc ./scripts/testenv)")
	os.Exit(2)
}

func defaultDir() string {
	if d := os.Getenv("HOIST_TESTENV_DIR"); d != "" {
		return d
	}
	return filepath.Join(os.TempDir(), "hoist-testenv")
}

func up(args []string) error {
	fs := flag.NewFlagSet("up", flag.ExitOnError)
	dir := fs.String("dir", defaultDir(), "state directory")
	nodes := fs.Int("nodes", 3, "simulated nodes")
	_ = fs.Parse(args)
	self, err := os.Executable()
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env, err := testenv.Start(ctx, testenv.Options{
		Dir: *dir, Nodes: *nodes, Detach: true, Log: os.Stderr,
		GitCommand: []string{self, "git-serve"},
	})
	if err != nil {
		return err
	}
	fmt.Printf("# hoist test environment is up (Kubernetes v%s, %d nodes). Stop it with: make cluster-down\n", env.KubeVersion, len(env.Nodes))
	for _, l := range env.Exports() {
		fmt.Println(l)
	}
	fmt.Printf("# OCI registry (plain HTTP):   %s\n", env.Registry)
	fmt.Printf("# OCI registry (TLS + auth):   %s  user %s  password %s  CA %s\n", env.SecureRegistry, env.RegistryUser, env.RegistryPass, env.CAFile)
	fmt.Printf("# Git server (smart HTTP):     %s/<repo>.git  (basic auth under %s/auth/: %s / %s)\n", env.GitURL, env.GitURL, env.GitUser, env.GitPass)
	fmt.Printf("# non-admin kubeconfig:        %s\n", env.UserKubeconfig)
	fmt.Printf("# logs:                        %s\n", filepath.Join(env.Dir, "logs"))
	return nil
}

func down(args []string) error {
	fs := flag.NewFlagSet("down", flag.ExitOnError)
	dir := fs.String("dir", defaultDir(), "state directory")
	_ = fs.Parse(args)
	env, err := testenv.Load(*dir)
	if errors.Is(err, os.ErrNotExist) {
		fmt.Fprintf(os.Stderr, "testenv: nothing running in %s\n", *dir)
		return nil
	}
	if err != nil {
		return err
	}
	env.Stop()
	fmt.Fprintf(os.Stderr, "testenv: stopped the environment in %s\n", *dir)
	return os.Remove(env.StateFile())
}

func status(args []string) error {
	fs := flag.NewFlagSet("status", flag.ExitOnError)
	dir := fs.String("dir", defaultDir(), "state directory")
	_ = fs.Parse(args)
	env, err := testenv.Load(*dir)
	if err != nil {
		return err
	}
	printRSS(env)
	for _, l := range env.Exports() {
		fmt.Println(l)
	}
	return nil
}

// ping succeeds when the environment's API server answers.
func ping(args []string) error {
	fs := flag.NewFlagSet("ping", flag.ExitOnError)
	dir := fs.String("dir", defaultDir(), "state directory")
	_ = fs.Parse(args)
	env, err := testenv.Load(*dir)
	if err != nil {
		return err
	}
	cs, err := env.Clientset()
	if err != nil {
		return err
	}
	_, err = cs.Discovery().ServerVersion()
	return err
}

func printRSS(env *testenv.Env) {
	rss := env.RSS()
	names := make([]string, 0, len(rss))
	var total int64
	for n, b := range rss {
		names = append(names, n)
		total += b
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(os.Stderr, "testenv: %-24s %6.0f MiB RSS\n", n, float64(rss[n])/(1<<20))
	}
	fmt.Fprintf(os.Stderr, "testenv: %-24s %6.0f MiB RSS\n", "total", float64(total)/(1<<20))
}

// execCmd starts an environment, runs the command with HOIST_TESTENV, KUBECONFIG and
// HOIST_E2E_REQUIRED=1 set, and stops the environment however the command ends.
func execCmd(args []string) (int, error) {
	fs := flag.NewFlagSet("exec", flag.ExitOnError)
	dir := fs.String("dir", "", "state directory (default: a new temporary one, removed after a passing run)")
	nodes := fs.Int("nodes", 3, "simulated nodes")
	_ = fs.Parse(args)
	cmdArgs := fs.Args()
	if len(cmdArgs) == 0 {
		return 2, errors.New("exec: no command given (testenv exec -- CMD ARGS…)")
	}
	temp := *dir == ""
	if temp {
		d, err := os.MkdirTemp("", "hoist-testenv-")
		if err != nil {
			return 1, err
		}
		*dir = d
	}
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		select {
		case <-sigs:
			cancel()
		case <-ctx.Done():
		}
	}()
	start := time.Now()
	env, err := testenv.Start(ctx, testenv.Options{Dir: *dir, Nodes: *nodes, Log: os.Stderr})
	if err != nil {
		cancel()
		return 1, err
	}
	fmt.Fprintf(os.Stderr, "testenv: environment ready in %.1f s\n", time.Since(start).Seconds())
	printRSS(env)

	cmd := exec.Command(cmdArgs[0], cmdArgs[1:]...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = os.Stdin, os.Stdout, os.Stderr
	// If this process is killed outright, the command goes too.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGTERM}
	cmd.Env = append(os.Environ(),
		testenv.EnvVar+"="+env.StateFile(),
		"KUBECONFIG="+env.AdminKubeconfig,
		testenv.RequireVar+"=1")
	code := 0
	if err := cmd.Start(); err != nil {
		env.Stop()
		cancel()
		return 1, err
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err = <-done:
	case <-ctx.Done():
		// Interrupted: the command shares our terminal's process group and got the
		// signal too; give it a moment to finish its own clean-up.
		_ = cmd.Process.Signal(os.Interrupt)
		select {
		case err = <-done:
		case <-time.After(30 * time.Second):
			_ = cmd.Process.Kill()
			err = <-done
		}
	}
	cancel()
	var exit *exec.ExitError
	switch {
	case errors.As(err, &exit):
		code = exit.ExitCode()
		if code < 0 {
			code = 1
		}
	case err != nil:
		code = 1
	}
	printRSS(env)
	env.Stop()
	if temp && code == 0 {
		_ = os.RemoveAll(*dir)
	} else {
		fmt.Fprintf(os.Stderr, "testenv: logs kept in %s\n", filepath.Join(*dir, "logs"))
	}
	return code, nil
}

func gitServe(args []string) error {
	fs := flag.NewFlagSet("git-serve", flag.ExitOnError)
	addr := fs.String("addr", "127.0.0.1:0", "listen address")
	root := fs.String("root", "", "directory of bare repositories")
	user := fs.String("user", "", "user for /auth/")
	pass := fs.String("password", "", "password for /auth/")
	_ = fs.Parse(args)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	return testenv.ServeGit(ctx, *addr, *root, *user, *pass)
}

// secretBytes prints the total size of the data of the Secrets matching a selector:
// what a release record costs in etcd (benchmarks compare hoist's with Helm's).
func secretBytes(args []string) error {
	fs := flag.NewFlagSet("secret-bytes", flag.ExitOnError)
	kubeconfig := fs.String("kubeconfig", os.Getenv("KUBECONFIG"), "kubeconfig")
	ns := fs.String("n", "default", "namespace")
	selector := fs.String("l", "", "label selector")
	_ = fs.Parse(args)
	cfg, err := clientcmd.BuildConfigFromFlags("", *kubeconfig)
	if err != nil {
		return err
	}
	cs, err := kubernetes.NewForConfig(cfg)
	if err != nil {
		return err
	}
	list, err := cs.CoreV1().Secrets(*ns).List(context.Background(), metav1.ListOptions{LabelSelector: *selector})
	if err != nil {
		return err
	}
	total := 0
	for _, s := range list.Items {
		for _, v := range s.Data {
			total += len(v)
		}
	}
	fmt.Println(total)
	return nil
}
