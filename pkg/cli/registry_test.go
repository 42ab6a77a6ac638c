package cli

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoist-dev/hoist/pkg/testenv"
)

// runIn executes the CLI with stdin and returns stdout, stderr and the exit code.
func runIn(t *testing.T, stdin string, args ...string) (string, string, int) {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(context.Background(), Deps{In: strings.NewReader(stdin), Out: &out, Err: &errb, Args: args, Build: testBuild})
	return out.String(), errb.String(), code
}

// isolateRegistryState points credentials and the OCI cache at fresh directories,
// and returns the Docker configuration directory.
func isolateRegistryState(t *testing.T) string {
	t.Helper()
	docker := t.TempDir()
	t.Setenv("DOCKER_CONFIG", docker)
	t.Setenv("XDG_CACHE_HOME", t.TempDir())
	return docker
}

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestRegistryHelp(t *testing.T) {
	for _, args := range [][]string{
		{"registry", "--help"}, {"registry", "login", "--help"}, {"registry", "logout", "--help"},
		{"push", "--help"}, {"pull", "--help"},
	} {
		out, _, code := run(t, args...)
		if code != 0 || !strings.Contains(out, "Usage:") {
			t.Errorf("%v: exit %d\n%s", args, code, out)
		}
		if args[0] != "registry" || args[1] != "--help" {
			if !strings.Contains(out, "Examples:") {
				t.Errorf("%v has no examples", args)
			}
		}
	}
	out, _, _ := run(t, "pull", "--help")
	for _, flag := range []string{"--version", "--devel", "--untar", "--untardir", "--destination", "--prov", "--plain-http", "--insecure-skip-tls-verify", "--ca-file", "--cert-file", "--key-file", "--username", "--password"} {
		if !strings.Contains(out, flag) {
			t.Errorf("pull has no %s", flag)
		}
	}
	out, _, _ = run(t, "registry", "login", "--help")
	for _, flag := range []string{"--username", "--password-stdin", "--insecure", "--plain-http", "--ca-file", "--cert-file", "--key-file"} {
		if !strings.Contains(out, flag) {
			t.Errorf("registry login has no %s", flag)
		}
	}
}

func TestRegistryLoginErrors(t *testing.T) {
	isolateRegistryState(t)
	host := closedPort(t)
	for _, tc := range []struct {
		stdin string
		args  []string
		want  string
	}{
		{"", []string{"registry", "login", host, "-u", "me"}, "no password: pass it on standard input with --password-stdin"},
		{"", []string{"registry", "login", host, "-u", "me", "--password-stdin"}, "standard input is empty"},
		{"pw\n", []string{"registry", "login", host, "-u", "me", "-p", "x", "--password-stdin"}, "mutually exclusive"},
		{"pw\n", []string{"registry", "login", host, "-u", "me", "--password-stdin", "--plain-http"}, "cannot reach registry " + host + ": connection refused"},
		{"pw\n", []string{"registry", "login", host, "-u", "me", "--password-stdin", "--plain-http", "--ca-file", "x"}, "--plain-http cannot be combined"},
		{"", []string{"registry", "login", "a b"}, "want a registry host"},
		{"", []string{"registry", "logout"}, "accepts 1 arg"},
	} {
		out, errOut, code := runIn(t, tc.stdin, tc.args...)
		if code != 1 || out != "" || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, stdout %q, stderr %q; want %q", tc.args, code, out, errOut, tc.want)
		}
	}
	if out, _, code := run(t, "registry", "logout", host); code != 0 || out != "Not logged in to "+host+"\n" {
		t.Errorf("logout when not logged in: %d %q", code, out)
	}
}

// TestE2ERegistryLoginPushPull logs in to the TLS registry with --password-stdin,
// pushes and pulls through the commands, and logs out.
func TestE2ERegistryLoginPushPull(t *testing.T) {
	env := testenv.Require(t)
	docker := isolateRegistryState(t)
	host := env.SecureRegistry
	archive := writeChartArchive(t, t.TempDir(), "web", "1.0.0")
	org := uniqueName(t)

	// Before login: a 401 that says what to do, and nothing written.
	_, errOut, code := run(t, "push", archive, "oci://"+host+"/"+org, "--ca-file", env.CAFile)
	if code != 1 || !strings.Contains(errOut, "requires authentication") || !strings.Contains(errOut, "hoist registry login "+host) {
		t.Fatalf("push before login: exit %d: %s", code, errOut)
	}
	// No CA: a TLS error naming the host and --ca-file.
	_, errOut, code = run(t, "push", archive, "oci://"+host+"/"+org)
	if code != 1 || !strings.Contains(errOut, "TLS connection to registry "+host) || !strings.Contains(errOut, "--ca-file") {
		t.Errorf("push without the CA: exit %d: %s", code, errOut)
	}
	_, errOut, code = runIn(t, "wrong\n", "registry", "login", host, "-u", env.RegistryUser, "--password-stdin", "--ca-file", env.CAFile)
	if code != 1 || !strings.Contains(errOut, "rejected the username or password") {
		t.Errorf("login with a wrong password: exit %d: %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(docker, "config.json")); err == nil {
		t.Error("a failed login stored credentials")
	}
	out, errOut, code := runIn(t, env.RegistryPass+"\n", "registry", "login", host, "-u", env.RegistryUser, "--password-stdin", "--ca-file", env.CAFile)
	if code != 0 || out != "Login Succeeded\n" {
		t.Fatalf("login: exit %d %q %s", code, out, errOut)
	}

	out, errOut, code = run(t, "push", archive, "oci://"+host+"/"+org, "--ca-file", env.CAFile)
	if code != 0 || !strings.HasPrefix(out, "Pushed: "+host+"/"+org+"/web:1.0.0\nDigest: sha256:") {
		t.Fatalf("push: exit %d %q %s", code, out, errOut)
	}
	digest := strings.TrimSpace(strings.TrimPrefix(strings.Split(out, "\n")[1], "Digest: "))

	dest := t.TempDir()
	out, errOut, code = run(t, "pull", "oci://"+host+"/"+org+"/web", "--version", "^1", "--ca-file", env.CAFile, "-d", dest)
	if code != 0 || out != "Pulled: "+host+"/"+org+"/web:1.0.0\nDigest: "+digest+"\n" {
		t.Fatalf("pull: exit %d %q %s", code, out, errOut)
	}
	if a, b := readFile(t, archive), readFile(t, filepath.Join(dest, "web-1.0.0.tgz")); !bytes.Equal(a, b) {
		t.Error("pulled archive differs from the pushed one")
	}
	out, errOut, code = run(t, "pull", "oci://"+host+"/"+org+"/web@"+digest, "--ca-file", env.CAFile, "-d", dest, "--untar", "--untardir", "src")
	if code != 0 || !strings.Contains(out, "Pulled: "+host+"/"+org+"/web@"+digest) {
		t.Fatalf("pull --untar: exit %d %q %s", code, out, errOut)
	}
	if _, err := os.Stat(filepath.Join(dest, "src", "web", "Chart.yaml")); err != nil {
		t.Error(err)
	}
	// A version that is not there lists those that are; nothing is written.
	empty := t.TempDir()
	_, errOut, code = run(t, "pull", "oci://"+host+"/"+org+"/web", "--version", "^2", "--ca-file", env.CAFile, "-d", empty)
	if code != 1 || !strings.Contains(errOut, `no version matches "^2"; available: 1.0.0`) {
		t.Errorf("pull ^2: exit %d: %s", code, errOut)
	}
	if entries, _ := os.ReadDir(empty); len(entries) != 0 {
		t.Errorf("a failed pull left %v", entries)
	}

	out, _, code = run(t, "registry", "logout", host)
	if code != 0 || out != "Removing login credentials for "+host+"\n" {
		t.Errorf("logout: exit %d %q", code, out)
	}
	_, errOut, code = run(t, "pull", "oci://"+host+"/"+org+"/web:1.0.0", "--ca-file", env.CAFile, "-d", t.TempDir())
	if code != 1 || !strings.Contains(errOut, "401") {
		t.Errorf("pull after logout: exit %d: %s", code, errOut)
	}
}
