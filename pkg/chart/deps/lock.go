package deps

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/hoist-dev/hoist/pkg/chart"
)

// File names of a chart directory.
const (
	ChartYAML        = "Chart.yaml"
	ChartLock        = "Chart.lock"
	RequirementsYAML = "requirements.yaml"
	RequirementsLock = "requirements.lock"
)

// ErrLockOutOfDate is returned by Build when the lock file's digest does not match
// the dependencies of Chart.yaml (or requirements.yaml).
var ErrLockOutOfDate = errors.New("the lock file is out of sync with the dependencies")

// ErrNoLock is returned by Build when the chart has no lock file.
var ErrNoLock = errors.New("no lock file")

// HashReq is Helm's lock digest: "sha256:" and the hex sha256 of the JSON array
// [req, lock], so a Chart.lock written by either tool verifies in the other.
func HashReq(req, lock []*chart.Dependency) (string, error) {
	data, err := json.Marshal([2][]*chart.Dependency{req, lock})
	if err != nil {
		return "", err
	}
	return "sha256:" + sha256hex(data), nil
}

// HashV2Req is the digest Helm 2 wrote in requirements.lock: the sha256 of
// {"dependencies": req}. Only for checking old v1 lock files.
func HashV2Req(req []*chart.Dependency) (string, error) {
	data, err := json.Marshal(map[string][]*chart.Dependency{"dependencies": req})
	if err != nil {
		return "", err
	}
	return "sha256:" + sha256hex(data), nil
}

func sha256hex(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// chartDir is what the dependency commands read of a chart directory: its metadata
// with the dependencies (from requirements.yaml for v1 charts) and its lock file.
// Subcharts are not loaded, so a broken charts/ does not stop an update.
type chartDir struct {
	dir  string
	meta *chart.Metadata
	lock *chart.Lock
}

func (c *chartDir) v1() bool { return c.meta.APIVersion == chart.APIVersionV1 }

func (c *chartDir) lockName() string {
	if c.v1() {
		return RequirementsLock
	}
	return ChartLock
}

func readChartDir(dir string) (*chartDir, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, fmt.Errorf("%s is not a chart directory (only unpacked charts have dependencies to update)", dir)
	}
	b, err := os.ReadFile(filepath.Join(dir, ChartYAML))
	if err != nil {
		return nil, fmt.Errorf("chart %s: %w", dir, err)
	}
	md := new(chart.Metadata)
	if err := yaml.Unmarshal(b, md); err != nil {
		return nil, fmt.Errorf("chart %s: %s: %w", dir, ChartYAML, err)
	}
	if md.APIVersion == "" {
		md.APIVersion = chart.APIVersionV1
	}
	c := &chartDir{dir: dir, meta: md}
	lockFile := ChartLock
	if md.APIVersion == chart.APIVersionV1 {
		lockFile = RequirementsLock
		b, err := os.ReadFile(filepath.Join(dir, RequirementsYAML))
		switch {
		case err == nil:
			if err := yaml.Unmarshal(b, md); err != nil {
				return nil, fmt.Errorf("chart %s: %s: %w", dir, RequirementsYAML, err)
			}
		case !errors.Is(err, fs.ErrNotExist):
			return nil, fmt.Errorf("chart %s: %w", dir, err)
		}
	}
	if err := md.Validate(); err != nil {
		return nil, fmt.Errorf("chart %s: %w", dir, err)
	}
	b, err = os.ReadFile(filepath.Join(dir, lockFile))
	switch {
	case err == nil:
		c.lock = new(chart.Lock)
		if err := yaml.Unmarshal(b, c.lock); err != nil {
			return nil, fmt.Errorf("chart %s: %s: %w", dir, lockFile, err)
		}
	case !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("chart %s: %w", dir, err)
	}
	return c, nil
}

// writeLock writes lock as Helm does (YAML, keys sorted), atomically; a lock file that
// is a symlink is refused rather than followed.
func writeLock(path string, lock *chart.Lock) error {
	if fi, err := os.Lstat(path); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
		return fmt.Errorf("%s is a symlink; not overwriting it", path)
	}
	data, err := yaml.Marshal(lock)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, data, 0o644)
}

func writeFileAtomic(path string, data []byte, mode fs.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".hoist-tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), mode); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// lockTime is when a lock is generated: SOURCE_DATE_EPOCH when given, else now.
func lockTime(epoch *time.Time, now func() time.Time) time.Time {
	if epoch != nil {
		return epoch.UTC()
	}
	if now != nil {
		return now()
	}
	return time.Now()
}
