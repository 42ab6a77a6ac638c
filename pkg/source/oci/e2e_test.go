package oci

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/opencontainers/go-digest"

	"github.com/hoist-dev/hoist/pkg/testenv"
)

// HelmVersion is the helm release the interoperability tests run against.
const helmVersion = "4.3.1"

// uniqueRepo is a repository path element no other test run uses.
func uniqueRepo(t testing.TB) string {
	t.Helper()
	name := strings.ToLower(regexp.MustCompile(`[^a-zA-Z0-9]+`).ReplaceAllString(t.Name(), "-"))
	if len(name) > 40 {
		name = name[:40]
	}
	return strings.Trim(name, "-") + "-" + fmt.Sprint(time.Now().UnixNano())
}

// countingTransport counts requests, and those for blobs, by method and path.
type countingTransport struct {
	base http.RoundTripper
	mu   sync.Mutex
	log  []string
	n    atomic.Int64
}

func (c *countingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	c.n.Add(1)
	c.mu.Lock()
	c.log = append(c.log, req.Method+" "+req.URL.Path)
	c.mu.Unlock()
	return c.base.RoundTrip(req)
}

func (c *countingTransport) reset() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := c.log
	c.log = nil
	return out
}

// plainClient is a client for the plain-HTTP registry with its own cache and no
// stored credentials, counting its requests in ct when given.
func plainClient(t testing.TB, ct *countingTransport) *Client {
	return newTestClient(t, func(o *Options) {
		if ct != nil {
			o.WrapTransport = func(b http.RoundTripper) http.RoundTripper { ct.base = b; return ct }
		}
	})
}

// secureClient is the same for the TLS registry, trusting its CA.
func secureClient(t testing.TB, env *testenv.Env, ct *countingTransport, mod func(*Options)) *Client {
	return newTestClient(t, func(o *Options) {
		o.PlainHTTP = false
		o.CAFile = env.CAFile
		if ct != nil {
			o.WrapTransport = func(b http.RoundTripper) http.RoundTripper { ct.base = b; return ct }
		}
		if mod != nil {
			mod(o)
		}
	})
}

// TestE2EPushPull pushes a chart to each real registry and pulls it back.
func TestE2EPushPull(t *testing.T) {
	env := testenv.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	archive := chartArchive(t, "web", "1.2.3+build.4", nil)
	prov := []byte("-----BEGIN PGP SIGNED MESSAGE-----\nnot really\n")

	check := func(t *testing.T, c *Client, host string) {
		org := uniqueRepo(t)
		pushed, err := c.Push(ctx, PushRequest{Archive: archive, Prov: prov, Target: target(t, "oci://"+host+"/"+org), Created: created})
		if err != nil {
			t.Fatal(err)
		}
		if pushed.Ref != host+"/"+org+"/web:1.2.3_build.4" {
			t.Errorf("pushed to %s", pushed.Ref)
		}
		dest := t.TempDir()
		res, err := c.Pull(ctx, ociRef(t, "oci://"+host+"/"+org+"/web", "1.2.3+build.4"), PullOptions{DestDir: dest, Prov: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.ManifestDigest != pushed.ManifestDigest || res.Version != "1.2.3+build.4" {
			t.Errorf("pulled %+v", res)
		}
		if got := mustRead(t, filepath.Join(dest, "web-1.2.3+build.4.tgz")); !bytes.Equal(got, archive) {
			t.Error("archive differs")
		}
		if got := mustRead(t, filepath.Join(dest, "web-1.2.3+build.4.tgz.prov")); !bytes.Equal(got, prov) {
			t.Error("provenance differs")
		}
		// By digest, through a fresh cache, for the Getter.
		c2 := newTestClient(t, func(o *Options) { *o = c.opts; o.CacheDir = t.TempDir() })
		f, err := c2.Get(ctx, ociRef(t, "oci://"+host+"/"+org+"/web@"+pushed.ManifestDigest, ""))
		if err != nil {
			t.Fatal(err)
		}
		if f.Digest != digest.FromBytes(archive).String() || f.Chart.Metadata.Version != "1.2.3+build.4" {
			t.Errorf("fetched %+v", f)
		}
	}

	t.Run("plain HTTP registry", func(t *testing.T) {
		check(t, plainClient(t, nil), env.Registry)
	})

	t.Run("TLS registry with login", func(t *testing.T) {
		t.Setenv("DOCKER_CONFIG", t.TempDir())
		host := env.SecureRegistry
		ref := ociRef(t, "oci://"+host+"/"+uniqueRepo(t)+"/web:1.0.0", "")
		newClient := func() *Client {
			c, err := New(Options{CAFile: env.CAFile, CacheDir: t.TempDir()})
			if err != nil {
				t.Fatal(err)
			}
			return c
		}
		// Without the CA: a TLS error that names the host and the fix.
		noCA, err := New(Options{CacheDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := noCA.Get(ctx, ref); !errors.Is(err, ErrTLS) || !strings.Contains(err.Error(), host) || !strings.Contains(err.Error(), "--ca-file") {
			t.Errorf("without the CA: %v", err)
		}
		// Before login: 401, with the command that fixes it.
		_, err = newClient().Get(ctx, ref)
		if !errors.Is(err, ErrUnauthorized) || !strings.Contains(err.Error(), "hoist registry login "+host) {
			t.Fatalf("before login: %v", err)
		}
		t.Logf("before login: %v", err)
		if err := newClient().Login(ctx, host, env.RegistryUser, "wrong"); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("login with a wrong password: %v", err)
		}
		if err := newClient().Login(ctx, host, env.RegistryUser, env.RegistryPass); err != nil {
			t.Fatal(err)
		}
		check(t, newClient(), host)
		if had, err := newClient().Logout(ctx, host); !had || err != nil {
			t.Errorf("logout: %v, %v", had, err)
		}
		if _, err := newClient().Get(ctx, ref); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("after logout: %v", err)
		}
	})
}

// TestE2EVersionConstraints resolves --version constraints against a real tag list.
func TestE2EVersionConstraints(t *testing.T) {
	env := testenv.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	c := plainClient(t, nil)
	org := uniqueRepo(t)
	for _, v := range []string{"0.9.0", "1.0.0", "1.2.0", "1.10.1", "2.0.0-beta.1"} {
		if _, err := c.Push(ctx, PushRequest{Archive: chartArchive(t, "web", v, nil), Target: target(t, "oci://"+env.Registry+"/"+org), Created: created}); err != nil {
			t.Fatal(err)
		}
	}
	for _, tc := range []struct{ version, want string }{
		{"", "1.10.1"}, {"^1.0", "1.10.1"}, {"~1.2", "1.2.0"}, {"<1", "0.9.0"}, {">=2.0.0-0", "2.0.0-beta.1"}, {"1.0.0", "1.0.0"},
	} {
		f, err := c.Get(ctx, ociRef(t, "oci://"+env.Registry+"/"+org+"/web", tc.version))
		if err != nil {
			t.Errorf("%q: %v", tc.version, err)
		} else if f.Version != tc.want {
			t.Errorf("%q resolved to %s, want %s", tc.version, f.Version, tc.want)
		}
	}
	_, err := c.Get(ctx, ociRef(t, "oci://"+env.Registry+"/"+org+"/web", "^3"))
	if !errors.Is(err, ErrNoMatchingVersion) || !strings.Contains(err.Error(), "available: 2.0.0-beta.1, 1.10.1, 1.2.0, 1.0.0, 0.9.0") {
		t.Errorf("^3: %v", err)
	}
	_, err = c.Get(ctx, ociRef(t, "oci://"+env.Registry+"/"+org+"/nope", ""))
	if !errors.Is(err, ErrNotFound) || !strings.Contains(err.Error(), "repository "+org+"/nope not found on registry "+env.Registry) {
		t.Errorf("missing repository: %v", err)
	}
}

// TestE2ECachedPullRequests counts the requests of cold and warm pulls against the
// authenticated TLS registry: a warm pull by tag makes no blob request, a warm pull
// by digest no request at all.
func TestE2ECachedPullRequests(t *testing.T) {
	env := testenv.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ct := &countingTransport{}
	c := secureClient(t, env, ct, func(o *Options) {
		o.Username, o.Password, o.CredentialsHost = env.RegistryUser, env.RegistryPass, env.SecureRegistry
	})
	org := uniqueRepo(t)
	pushed, err := c.Push(ctx, PushRequest{Archive: chartArchive(t, "web", "1.0.0", nil), Target: target(t, "oci://"+env.SecureRegistry+"/"+org), Created: created})
	if err != nil {
		t.Fatal(err)
	}
	pushLog := ct.reset()
	byTag := ociRef(t, "oci://"+env.SecureRegistry+"/"+org+"/web:1.0.0", "")
	byDigest := ociRef(t, "oci://"+env.SecureRegistry+"/"+org+"/web@"+pushed.ManifestDigest, "")

	if _, err := c.Get(ctx, byTag); err != nil {
		t.Fatal(err)
	}
	cold := ct.reset()
	if _, err := c.Get(ctx, byTag); err != nil {
		t.Fatal(err)
	}
	warmTag := ct.reset()
	if _, err := c.Get(ctx, byDigest); err != nil {
		t.Fatal(err)
	}
	warmDigest := ct.reset()
	t.Logf("push: %d requests %q", len(pushLog), pushLog)
	t.Logf("cold pull by tag: %d requests %q", len(cold), cold)
	t.Logf("warm pull by tag: %d requests %q", len(warmTag), warmTag)
	t.Logf("warm pull by digest: %d requests", len(warmDigest))
	if countBy(cold, "/blobs/") != 1 {
		t.Errorf("cold pull: want exactly one blob request (the chart layer), got %q", cold)
	}
	if countBy(warmTag, "/blobs/") != 0 || countBy(warmTag, "GET ") != 0 || len(warmTag) != 1 {
		t.Errorf("warm pull by tag: want one HEAD of the manifest, got %q", warmTag)
	}
	if len(warmDigest) != 0 {
		t.Errorf("warm pull by digest: want no request, got %q", warmDigest)
	}
}

// helm returns a runner for the helm binary with its own configuration, cache and
// Docker configuration under dir, in UTC (helm writes the archive's modification
// time in local time into the manifest). It skips the test without helm.
func helm(t *testing.T, dockerConfig string) func(args ...string) (string, error) {
	t.Helper()
	bin := filepath.Join(testenv.DefaultToolsDir(), "helm-"+helmVersion, "helm")
	if _, err := os.Stat(bin); err != nil {
		t.Skipf("helm %s not found at %s: build it with scripts/build-tools.sh helm", helmVersion, bin)
	}
	home := t.TempDir()
	envv := append(os.Environ(),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
		"HELM_REGISTRY_CONFIG="+filepath.Join(home, "registry.json"),
		"DOCKER_CONFIG="+dockerConfig,
		"TZ=UTC",
	)
	return func(args ...string) (string, error) {
		cmd := exec.Command(bin, args...)
		cmd.Env = envv
		var out, errb bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &errb
		if err := cmd.Run(); err != nil {
			return out.String(), fmt.Errorf("helm %s: %w\n%s%s", strings.Join(args, " "), err, out.String(), errb.String())
		}
		return out.String() + errb.String(), nil
	}
}

var digestLineRE = regexp.MustCompile(`(?m)^Digest: (sha256:[a-f0-9]{64})$`)

func digestLine(t *testing.T, out string) string {
	t.Helper()
	m := digestLineRE.FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no Digest: line in %q", out)
	}
	return m[1]
}

// TestE2EHelmInterop checks that helm v4 and hoist read each other's charts, and
// write the same manifest for the same archive.
func TestE2EHelmInterop(t *testing.T) {
	env := testenv.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	dockerConfig := t.TempDir()
	t.Setenv("DOCKER_CONFIG", dockerConfig)
	run := helm(t, dockerConfig)

	dir := t.TempDir()
	archivePath := filepath.Join(dir, "web-0.3.0+meta.tgz")
	archive := chartArchive(t, "web", "0.3.0+meta", nil)
	mustWrite(t, archivePath, archive)
	mustWrite(t, archivePath+".prov", []byte("provenance\n"))
	mtime := time.Date(2026, 5, 6, 7, 8, 9, 0, time.UTC)
	if err := os.Chtimes(archivePath, mtime, mtime); err != nil {
		t.Fatal(err)
	}

	t.Run("helm pulls what hoist pushed", func(t *testing.T) {
		c := plainClient(t, nil)
		org := uniqueRepo(t)
		pushed, err := c.PushFile(ctx, archivePath, target(t, "oci://"+env.Registry+"/"+org))
		if err != nil {
			t.Fatal(err)
		}
		dest := t.TempDir()
		out, err := run("pull", "oci://"+env.Registry+"/"+org+"/web", "--version", "0.3.0+meta", "--plain-http", "--prov", "-d", dest)
		if err != nil {
			t.Fatal(err)
		}
		if d := digestLine(t, out); d != pushed.ManifestDigest {
			t.Errorf("helm pulled manifest %s, hoist pushed %s", d, pushed.ManifestDigest)
		}
		if got := mustRead(t, filepath.Join(dest, "web-0.3.0+meta.tgz")); !bytes.Equal(got, archive) {
			t.Error("helm pulled a different archive")
		}
		if got := mustRead(t, filepath.Join(dest, "web-0.3.0+meta.tgz.prov")); string(got) != "provenance\n" {
			t.Errorf("helm pulled provenance %q", got)
		}
		// helm resolves a constraint over the same tags.
		out, err = run("show", "chart", "oci://"+env.Registry+"/"+org+"/web", "--version", "^0.3.0-0", "--plain-http")
		if err != nil || !strings.Contains(out, "version: 0.3.0+meta") {
			t.Errorf("helm show chart: %v\n%s", err, out)
		}
	})

	t.Run("hoist pulls what helm pushed, and pushes the same manifest", func(t *testing.T) {
		org := uniqueRepo(t)
		out, err := run("push", archivePath, "oci://"+env.Registry+"/"+org, "--plain-http")
		if err != nil {
			t.Fatal(err)
		}
		helmDigest := digestLine(t, out)
		c := plainClient(t, nil)
		dest := t.TempDir()
		res, err := c.Pull(ctx, ociRef(t, "oci://"+env.Registry+"/"+org+"/web", ""), PullOptions{DestDir: dest, Prov: true})
		if err != nil {
			t.Fatal(err)
		}
		if res.ManifestDigest != helmDigest || res.Version != "0.3.0+meta" {
			t.Errorf("hoist pulled %+v, helm pushed %s", res, helmDigest)
		}
		if got := mustRead(t, res.Path); !bytes.Equal(got, archive) {
			t.Error("hoist pulled a different archive")
		}
		if res.ProvPath == "" {
			t.Error("no provenance pulled")
		}
		// The manifest hoist builds for the same file is byte for byte helm's.
		p, err := pack(archive, []byte("provenance\n"), mtime)
		if err != nil {
			t.Fatal(err)
		}
		if p.manifest.Digest.String() != helmDigest {
			t.Errorf("hoist's manifest %s differs from helm's %s:\n%s", p.manifest.Digest, helmDigest, p.blobs[p.manifest.Digest])
		}
	})

	t.Run("TLS registry: hoist login is used by helm", func(t *testing.T) {
		// The Docker configuration in DOCKER_CONFIG, which helm reads too.
		c := secureClient(t, env, nil, func(o *Options) { o.Credentials = nil })
		if err := c.Login(ctx, env.SecureRegistry, env.RegistryUser, env.RegistryPass); err != nil {
			t.Fatal(err)
		}
		org := uniqueRepo(t)
		out, err := run("push", archivePath, "oci://"+env.SecureRegistry+"/"+org, "--ca-file", env.CAFile)
		if err != nil {
			t.Fatal(err)
		}
		res, err := c.Pull(ctx, ociRef(t, "oci://"+env.SecureRegistry+"/"+org+"/web:0.3.0_meta", ""), PullOptions{DestDir: t.TempDir()})
		if err != nil {
			t.Fatal(err)
		}
		if res.ManifestDigest != digestLine(t, out) {
			t.Errorf("digest %s, helm pushed %s", res.ManifestDigest, digestLine(t, out))
		}
	})
}

// TestE2EHelmManifestsConformance packages every chart of the conformance corpus
// with helm, pushes it with helm, and checks that hoist builds the identical
// manifest (config JSON, layers, annotations) for the same archive.
func TestE2EHelmManifestsConformance(t *testing.T) {
	env := testenv.Require(t)
	corpus := filepath.Join("..", "..", "..", "..", "shared", "conformance", "charts")
	entries, err := os.ReadDir(corpus)
	if err != nil {
		t.Skipf("conformance corpus not found: %v", err)
	}
	run := helm(t, t.TempDir())
	org := uniqueRepo(t)
	mtime := time.Date(2026, 7, 8, 9, 10, 11, 0, time.UTC)
	var names []string
	for _, e := range entries {
		if e.IsDir() {
			names = append(names, e.Name())
		}
	}
	sort.Strings(names)
	checked := 0
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			dest := t.TempDir()
			out, err := run("package", filepath.Join(corpus, name), "-d", dest)
			if err != nil {
				t.Skipf("helm cannot package it: %v", err)
			}
			tgz, _ := filepath.Glob(filepath.Join(dest, "*.tgz"))
			if len(tgz) != 1 {
				t.Fatalf("helm package wrote %v (%s)", tgz, out)
			}
			if err := os.Chtimes(tgz[0], mtime, mtime); err != nil {
				t.Fatal(err)
			}
			out, err = run("push", tgz[0], "oci://"+env.Registry+"/"+org, "--plain-http")
			if err != nil {
				t.Fatal(err)
			}
			p, err := pack(mustRead(t, tgz[0]), nil, mtime)
			if err != nil {
				t.Fatal(err)
			}
			if got, want := p.manifest.Digest.String(), digestLine(t, out); got != want {
				t.Errorf("manifest %s, helm's %s\nhoist config: %s", got, want, p.blobs[p.config.Digest])
			}
			checked++
		})
	}
	t.Logf("%d charts: identical manifests", checked)
}

// TestE2EPullTiming compares a cold pull of the largest conformance chart by hoist
// and by helm on the same registry (logged, not asserted).
func TestE2EPullTiming(t *testing.T) {
	env := testenv.Require(t)
	chartDir := filepath.Join("..", "..", "..", "..", "shared", "conformance", "charts", "argo-rollouts")
	if _, err := os.Stat(chartDir); err != nil {
		t.Skipf("conformance chart not found: %v", err)
	}
	run := helm(t, t.TempDir())
	dest := t.TempDir()
	if _, err := run("package", chartDir, "-d", dest); err != nil {
		t.Fatal(err)
	}
	tgz, _ := filepath.Glob(filepath.Join(dest, "*.tgz"))
	ctx := context.Background()
	org := uniqueRepo(t)
	pushed, err := plainClient(t, nil).PushFile(ctx, tgz[0], target(t, "oci://"+env.Registry+"/"+org))
	if err != nil {
		t.Fatal(err)
	}
	ref := "oci://" + env.Registry + "/" + org + "/argo-rollouts"
	const rounds = 5
	var hoistCold, hoistWarm, helmCold []time.Duration
	for range rounds {
		c := plainClient(t, nil) // a fresh cache: cold
		start := time.Now()
		if _, err := c.Pull(ctx, ociRef(t, ref, pushed.Version), PullOptions{DestDir: t.TempDir()}); err != nil {
			t.Fatal(err)
		}
		hoistCold = append(hoistCold, time.Since(start))
		start = time.Now()
		if _, err := c.Pull(ctx, ociRef(t, ref, pushed.Version), PullOptions{DestDir: t.TempDir()}); err != nil {
			t.Fatal(err)
		}
		hoistWarm = append(hoistWarm, time.Since(start))
		start = time.Now()
		if _, err := run("pull", ref, "--version", pushed.Version, "--plain-http", "-d", t.TempDir()); err != nil {
			t.Fatal(err)
		}
		helmCold = append(helmCold, time.Since(start))
	}
	fi, _ := os.Stat(tgz[0])
	t.Logf("argo-rollouts %s (%d bytes): median of %d — hoist cold pull %v (in process), hoist warm pull %v, helm pull %v (a process)",
		pushed.Version, fi.Size(), rounds, median(hoistCold), median(hoistWarm), median(helmCold))
}

func median(ds []time.Duration) time.Duration {
	s := append([]time.Duration(nil), ds...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2]
}
