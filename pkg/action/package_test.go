package action

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/pkg/chart/charttest"
)

func writeChart(t *testing.T, name, version string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	charttest.WriteFiles(t, dir, map[string]string{
		"Chart.yaml":        "apiVersion: v2\nname: " + name + "\nversion: " + version + "\n",
		"templates/cm.yaml": "kind: ConfigMap\n",
	})
	return dir
}

func writeKustomization(t *testing.T, name, version string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), name)
	charttest.WriteFiles(t, dir, map[string]string{
		"kustomization.yaml": "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nmetadata:\n  name: " + name +
			"\n  annotations:\n    hoist.dev/version: " + version + "\nresources:\n- cm.yaml\n",
		"cm.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n",
	})
	return dir
}

func TestPackageChartsAndKustomizePackages(t *testing.T) {
	dest := t.TempDir()
	epoch := time.Unix(1700000000, 0).UTC()
	opts := PackageOptions{Dirs: []string{writeChart(t, "web", "1.0.0"), writeKustomization(t, "app", "0.3.0")}, Destination: dest, SourceDateEpoch: &epoch}
	res, err := Package{}.Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Packaged) != 2 || res.Packaged[0].Kind != PackageChart || res.Packaged[1].Kind != PackageKustomize ||
		res.Packaged[0].Archive != filepath.Join(dest, "web-1.0.0.tgz") || res.Packaged[1].Archive != filepath.Join(dest, "app-0.3.0.tgz") {
		t.Fatalf("%+v", res.Packaged)
	}
	first, _ := os.ReadFile(res.Packaged[0].Archive)
	if _, err := (Package{}).Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(res.Packaged[0].Archive); !bytes.Equal(first, again) {
		t.Error("packaging the same chart twice gave other bytes")
	}
	if fi, _ := os.Stat(res.Packaged[1].Archive); !fi.ModTime().Equal(epoch) {
		t.Errorf("kustomize package archive's time %v, want SOURCE_DATE_EPOCH", fi.ModTime())
	}
}

func TestPackageChecksEverythingBeforeWriting(t *testing.T) {
	for name, tc := range map[string]struct {
		opts PackageOptions
		want string
	}{
		"chart-only option on a package": {PackageOptions{Dirs: []string{writeChart(t, "web", "1.0.0"), writeKustomization(t, "app", "0.3.0")}, AppVersion: "2"}, "--app-version: "},
		"bad version":                    {PackageOptions{Dirs: []string{writeChart(t, "web", "1.0.0")}, Version: "one"}, `--version "one" is not a SemVer 2 version`},
		"a file":                         {PackageOptions{Dirs: []string{writeChart(t, "web", "1.0.0"), filepath.Join(writeChart(t, "api", "1.0.0"), "Chart.yaml")}}, "is not a directory"},
	} {
		t.Run(name, func(t *testing.T) {
			dest := t.TempDir()
			tc.opts.Destination = dest
			res, err := Package{}.Run(context.Background(), tc.opts)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if entries, _ := os.ReadDir(dest); len(entries) != 0 || len(res.Packaged) != 0 {
				t.Errorf("wrote %v, reported %+v", entries, res.Packaged)
			}
		})
	}
}

// fakeUpdater records the dependency updates asked for.
type fakeUpdater struct {
	dirs []string
	err  error
}

func (f *fakeUpdater) Run(_ context.Context, opts DependencyOptions) (DependencyResult, error) {
	f.dirs = append(f.dirs, opts.Dir)
	var r DependencyResult
	r.LockFile = filepath.Join(opts.Dir, "Chart.lock")
	return r, f.err
}

func TestPackageDependencyUpdate(t *testing.T) {
	web, api := writeChart(t, "web", "1.0.0"), writeChart(t, "api", "1.0.0")
	u := &fakeUpdater{}
	res, err := Package{Dependencies: u}.Run(context.Background(), PackageOptions{Dirs: []string{web, api}, Destination: t.TempDir(), DependencyUpdate: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(u.dirs) != 2 || u.dirs[0] != web || res.Packaged[1].Dependencies == nil || res.Packaged[1].Dependencies.LockFile != filepath.Join(api, "Chart.lock") {
		t.Errorf("updates %v, result %+v", u.dirs, res.Packaged)
	}
	// A failed update stops before the chart is packaged; what was done is reported.
	u = &fakeUpdater{err: errors.New("no network")}
	res, err = Package{Dependencies: u}.Run(context.Background(), PackageOptions{Dirs: []string{web}, Destination: t.TempDir(), DependencyUpdate: true})
	if err == nil || len(res.Packaged) != 0 {
		t.Errorf("err %v, result %+v", err, res.Packaged)
	}
}
