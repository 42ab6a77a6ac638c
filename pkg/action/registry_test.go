package action

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/hoist-dev/hoist/pkg/chart"
	"github.com/hoist-dev/hoist/pkg/chart/provenance/provenancetest"
	"github.com/hoist-dev/hoist/pkg/source"
	"github.com/hoist-dev/hoist/pkg/source/oci"
)

// memRegistry is an in-memory registry client: credentials per host, pushed
// archives per reference, and the options each client was built with.
type memRegistry struct {
	creds  map[string]string
	pushed map[string]string
	pulls  []source.Ref
	built  []RegistryOptions
	kind   oci.Kind
}

func newMemRegistry() *memRegistry {
	return &memRegistry{creds: map[string]string{}, pushed: map[string]string{}, kind: oci.KindChart}
}

func (r *memRegistry) Login(_ context.Context, host, username, password string) error {
	if password != "secret" {
		return errors.New("unauthorized")
	}
	r.creds[host] = username
	return nil
}

func (r *memRegistry) Logout(_ context.Context, host string) (bool, error) {
	_, had := r.creds[host]
	delete(r.creds, host)
	return had, nil
}

func (r *memRegistry) PushFile(_ context.Context, path string, target oci.Target) (*oci.PushResult, error) {
	c, err := chart.Load(path)
	if err != nil {
		return nil, err
	}
	tag := strings.ReplaceAll(c.Metadata.Version, "+", "_")
	ref := target.Registry + "/" + target.Path + "/" + c.Name() + ":" + tag
	r.pushed[ref] = path
	return &oci.PushResult{Ref: ref, Name: c.Name(), Version: c.Metadata.Version, Tag: tag, ManifestDigest: "sha256:m"}, nil
}

func (r *memRegistry) Pull(_ context.Context, ref source.Ref, opts oci.PullOptions) (*oci.PullResult, error) {
	r.pulls = append(r.pulls, ref)
	p := filepath.Join(opts.DestDir, "web-1.0.0.tgz")
	if err := os.WriteFile(p, []byte("archive"), 0o644); err != nil {
		return nil, err
	}
	return &oci.PullResult{Ref: ref.Registry + "/" + ref.Repository + ":1.0.0", Kind: r.kind, Name: "web", Version: "1.0.0", Path: p}, nil
}

func (r *memRegistry) auth(o RegistryOptions) (RegistryAuth, error) {
	r.built = append(r.built, o)
	return r, nil
}

func TestRegistryLoginLogout(t *testing.T) {
	ctx := context.Background()
	r := newMemRegistry()
	if _, err := (RegistryLogin{Client: r.auth}).Run(ctx, RegistryLoginOptions{Host: "r.example", Username: "me", Password: "wrong"}); err == nil {
		t.Error("login with a wrong password succeeded")
	}
	res, err := RegistryLogin{Client: r.auth}.Run(ctx, RegistryLoginOptions{Host: "r.example", Username: "me", Password: "secret", Registry: RegistryOptions{PlainHTTP: true}})
	if err != nil || res.Host != "r.example" || r.creds["r.example"] != "me" || !r.built[1].PlainHTTP {
		t.Fatalf("login: %+v, %v, creds %v, built %+v", res, err, r.creds, r.built)
	}
	for _, want := range []bool{true, false} {
		out, err := RegistryLogout{Client: r.auth}.Run(ctx, RegistryLogoutOptions{Host: "r.example"})
		if err != nil || out.WasLoggedIn != want {
			t.Errorf("logout: %+v, %v; want WasLoggedIn %v", out, err, want)
		}
	}
}

func TestNewRegistryClientRefusesContradictions(t *testing.T) {
	for _, tc := range []struct {
		opts RegistryOptions
		want string
	}{
		{RegistryOptions{PlainHTTP: true, CAFile: "ca.pem"}, "--plain-http cannot be combined with TLS options"},
		{RegistryOptions{Username: "u"}, "--username and --password go together"},
	} {
		if _, err := NewRegistryClient(tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.opts, err, tc.want)
		}
		// The use cases build their client with it when none is injected.
		if _, err := (RegistryLogout{}).Run(context.Background(), RegistryLogoutOptions{Host: "r.example", Registry: tc.opts}); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("logout with %+v: %v, want %q", tc.opts, err, tc.want)
		}
	}
}

func TestPush(t *testing.T) {
	r := newMemRegistry()
	dest := t.TempDir()
	pushClient := func(RegistryOptions) (Pusher, error) { return r, nil }
	for _, tc := range []struct {
		version    string
		tagDiffers bool
	}{{"1.0.0", false}, {"1.0.0+build.7", true}} {
		res, err := Package{}.Run(context.Background(), PackageOptions{Dirs: []string{writeChart(t, "web", tc.version)}, Destination: dest})
		if err != nil {
			t.Fatal(err)
		}
		pushed, err := Push{Client: pushClient}.Run(context.Background(), PushOptions{Archive: res.Packaged[0].Archive, Target: oci.Target{Registry: "r.example", Path: "charts"}})
		if err != nil || pushed.TagDiffers != tc.tagDiffers || pushed.Version != tc.version {
			t.Errorf("push %s: %+v, %v", tc.version, pushed, err)
		}
	}
	if _, ok := r.pushed["r.example/charts/web:1.0.0_build.7"]; !ok {
		t.Errorf("pushed %v", r.pushed)
	}
}

func TestPull(t *testing.T) {
	ctx := context.Background()
	r := newMemRegistry()
	pull := Pull{Client: func(o RegistryOptions) (Puller, error) { r.built = append(r.built, o); return r, nil }}
	for name, tc := range map[string]struct {
		opts PullOptions
		want string
	}{
		"repo reference": {PullOptions{Refs: []string{"bitnami/nginx"}}, `"bitnami/nginx" is a repo reference: hoist pull fetches charts from OCI registries`},
		"verify untar":   {PullOptions{Refs: []string{"oci://r.example/web"}, Verify: true, Pull: oci.PullOptions{Untar: true}}, "--verify cannot be combined with --untar"},
		"no keyring":     {PullOptions{Refs: []string{"oci://r.example/web"}, Verify: true, Keyring: filepath.Join(t.TempDir(), "none.gpg")}, "--verify: "},
	} {
		if _, err := pull.Run(ctx, tc.opts); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: %v, want %q", name, err, tc.want)
		}
	}
	if len(r.built) != 0 {
		t.Errorf("a client was built for refused options: %+v", r.built)
	}
	dest := t.TempDir()
	res, err := pull.Run(ctx, PullOptions{Refs: []string{"oci://r.example/web", "oci://r.example/api"}, Devel: true, Pull: oci.PullOptions{DestDir: dest}})
	if err != nil || len(res.Pulled) != 2 || len(r.pulls) != 2 || r.pulls[0].Version != ">0.0.0-0" {
		t.Fatalf("pull: %+v, %v, refs %+v", res, err, r.pulls)
	}

	// A kustomize package has no provenance file: --verify removes it and fails, and
	// reports it as pulled (the command prints what it pulled before the error).
	r.kind = oci.KindPackage
	_, ring := provenancetest.Keys(t, t.TempDir(), "Release Bot", "")
	res, err = pull.Run(ctx, PullOptions{Refs: []string{"oci://r.example/app"}, Verify: true, Keyring: ring, Pull: oci.PullOptions{DestDir: dest}})
	if err == nil || !strings.Contains(err.Error(), "is a kustomize package, which has no provenance file") || len(res.Pulled) != 1 {
		t.Fatalf("verify a package: %+v, %v", res, err)
	}
	if _, serr := os.Stat(res.Pulled[0].Path); serr == nil {
		t.Error("the package that failed --verify was kept")
	}
}

func TestChartSource(t *testing.T) {
	ctx := context.Background()
	dir := writeChart(t, "web", "1.2.0")
	built := 0
	src := ChartSource{OCI: func(RegistryOptions) (source.Getter, error) { built++; return nil, errors.New("no registry here") }}
	f, err := src.Run(ctx, ChartSourceOptions{Ref: dir, Registry: RegistryOptions{PlainHTTP: true, CAFile: "x"}})
	if err != nil || f.Chart.Name() != "web" || !strings.HasPrefix(f.Digest, "sha256:") || built != 0 {
		t.Fatalf("local chart: %+v, %v, OCI client built %d times", f, err, built)
	}
	if f, err := src.Run(ctx, ChartSourceOptions{Ref: dir, NoDigest: true}); err != nil || f.Digest != "" {
		t.Errorf("NoDigest: %q, %v", f.Digest, err)
	}
	if _, err := src.Run(ctx, ChartSourceOptions{Ref: dir, Version: "2.0.0"}); err == nil || !strings.Contains(err.Error(), "is version 1.2.0, not 2.0.0") {
		t.Errorf("wrong version: %v", err)
	}
	if _, err := src.Run(ctx, ChartSourceOptions{Ref: "oci://r.example/web"}); err == nil || err.Error() != "no registry here" || built != 1 {
		t.Errorf("oci: %v (built %d)", err, built)
	}
	if _, err := src.Run(ctx, ChartSourceOptions{Ref: "stable/web"}); err == nil || !strings.Contains(err.Error(), "repo references are not supported here") {
		t.Errorf("repo without a getter: %v", err)
	}
}
