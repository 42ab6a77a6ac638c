package values

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/pkg/chart"
)

// zeros reads as an endless stream of zero bytes.
type zeros struct{}

func (zeros) Read(p []byte) (int, error) { clear(p); return len(p), nil }

// A values file that never ends, a device or standard input, fails fast with a
// clear error instead of filling memory.
func TestMergeBoundedFiles(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.yaml")
	if err := os.WriteFile(big, []byte("a: "+strings.Repeat("x", MaxFileSize)+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opts Options
		is   error
		has  string
	}{
		{"device", Options{ValueFiles: []string{"/dev/zero"}}, chart.ErrUnsupportedFile, "values file /dev/zero: unsupported file type: not a regular file but a character device"},
		{"device for --set-file", Options{FileValues: []string{"k=/dev/zero"}}, chart.ErrUnsupportedFile, "character device"},
		{"endless standard input", Options{ValueFiles: []string{"-"}}, chart.ErrLimitExceeded, "standard input"},
		{"large file", Options{ValueFiles: []string{big}}, chart.ErrLimitExceeded, "larger than the maximum size 5242880"},
		{"directory", Options{ValueFiles: []string{dir}}, chart.ErrUnsupportedFile, "directory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if strings.Contains(tt.has, "device") {
				if _, err := os.Stat("/dev/zero"); err != nil {
					t.Skip(err)
				}
			}
			start := time.Now()
			_, err := tt.opts.Merge(nil, zeros{})
			if took := time.Since(start); took > 2*time.Second {
				t.Errorf("took %v", took)
			}
			if !errors.Is(err, tt.is) || !strings.Contains(err.Error(), tt.has) {
				t.Errorf("err = %v, want %v with %q", err, tt.is, tt.has)
			}
		})
	}
}
