package chart

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

func TestLoadArchiveEntries(t *testing.T) {
	chart := entry{Name: "c/Chart.yaml", Data: chartYAMLOf("c")}
	tests := []struct {
		name    string
		entries []entry
		err     *wantErr
		files   []string // Files of the loaded chart
	}{
		{name: "minimal", entries: []entry{chart}},
		{
			name:    "parent directory",
			entries: []entry{chart, {Name: "../../malicious"}},
			err:     &wantErr{is: []error{ErrUnsafePath}, has: []string{`archive entry "../../malicious"`, "chart illegally references parent directory"}},
		},
		{
			name:    "parent directory after the first element",
			entries: []entry{chart, {Name: "/foo/../../malicious"}},
			err:     &wantErr{is: []error{ErrUnsafePath}, has: []string{"chart illegally references parent directory"}},
		},
		{
			name:    "parent directory with backslashes",
			entries: []entry{chart, {Name: `\..\..\malicious`}},
			err:     &wantErr{is: []error{ErrUnsafePath}, has: []string{"chart illegally references parent directory"}},
		},
		{
			name:    "absolute path",
			entries: []entry{chart, {Name: "//etc/passwd"}},
			err:     &wantErr{is: []error{ErrUnsafePath}, has: []string{`"//etc/passwd"`, "chart illegally contains absolute paths"}},
		},
		{
			name:    "absolute path with backslashes",
			entries: []entry{chart, {Name: `\\foo`}},
			err:     &wantErr{is: []error{ErrUnsafePath}, has: []string{"chart illegally contains absolute paths"}},
		},
		{
			name:    "drive letter",
			entries: []entry{chart, {Name: "/./c://foo"}},
			err:     &wantErr{is: []error{ErrUnsafePath}, has: []string{"chart contains illegally named files"}},
		},
		{
			name:    "file at the top level",
			entries: []entry{chart, {Name: "stray.txt"}},
			err:     &wantErr{is: []error{ErrUnsafePath}, has: []string{`"stray.txt"`, "content outside the base directory"}},
		},
		{
			name:    "Chart.yaml at the top level",
			entries: []entry{{Name: "Chart.yaml", Data: chartYAMLOf("c")}},
			err:     &wantErr{is: []error{ErrUnsafePath}, has: []string{"content outside the base directory"}},
		},
		{
			name:    "Chart.yaml as the top-level directory",
			entries: []entry{{Name: "Chart.yaml/x", Data: "x"}},
			err:     &wantErr{is: []error{ErrInvalidArchive}, has: []string{"chart yaml not in base directory"}},
		},
		{
			name:    "symlink",
			entries: []entry{chart, {Name: "c/templates/link.yaml", Type: tar.TypeSymlink, Linkname: "/etc/passwd"}},
			err:     &wantErr{is: []error{ErrUnsupportedFile}, has: []string{`"c/templates/link.yaml"`, `symbolic link to "/etc/passwd"`}},
		},
		{
			name:    "hard link",
			entries: []entry{chart, {Name: "c/values.yaml", Type: tar.TypeLink, Linkname: "c/Chart.yaml"}},
			err:     &wantErr{is: []error{ErrUnsupportedFile}, has: []string{`"c/values.yaml"`, `hard link to "c/Chart.yaml"`}},
		},
		{
			name:    "character device",
			entries: []entry{chart, {Name: "c/null", Type: tar.TypeChar}},
			err:     &wantErr{is: []error{ErrUnsupportedFile}, has: []string{`"c/null"`, "character device"}},
		},
		{
			name:    "block device",
			entries: []entry{chart, {Name: "c/sda", Type: tar.TypeBlock}},
			err:     &wantErr{is: []error{ErrUnsupportedFile}, has: []string{"block device"}},
		},
		{
			name:    "FIFO",
			entries: []entry{chart, {Name: "c/pipe", Type: tar.TypeFifo}},
			err:     &wantErr{is: []error{ErrUnsupportedFile}, has: []string{"FIFO"}},
		},
		{
			name:    "duplicate entry",
			entries: []entry{chart, {Name: "c/a.txt"}, {Name: "c/./a.txt"}},
			err:     &wantErr{is: []error{ErrDuplicateFile}, has: []string{`"c/./a.txt"`, `"c/a.txt"`}},
		},
		{
			name:    "duplicate Chart.yaml under two top-level directories",
			entries: []entry{chart, {Name: "d/Chart.yaml", Data: chartYAMLOf("d")}},
			err:     &wantErr{is: []error{ErrDuplicateFile}},
		},
		{
			name:    "names are cleaned, as in Helm",
			entries: []entry{chart, {Name: "c/templates//x/../a.yaml"}, {Name: "c/./b.txt"}},
			files:   []string{"b.txt"},
		},
		{
			name:    "backslash separators",
			entries: []entry{{Name: `c\Chart.yaml`, Data: chartYAMLOf("c")}, {Name: `c\docs\a.md`}},
			files:   []string{"docs/a.md"},
		},
		{
			name: "directories and PAX headers are skipped",
			entries: []entry{
				{Name: "c/", Type: tar.TypeDir, Mode: 0o755},
				{Name: "pax_global_header", Type: tar.TypeXGlobalHeader},
				chart,
				{Name: "c/templates/", Type: tar.TypeDir, Mode: 0o755},
			},
		},
		{
			name:    "top-level directories other than the first are accepted, as in Helm",
			entries: []entry{chart, {Name: "other/README.md"}},
			files:   []string{"README.md"},
		},
		{
			name:    "no Chart.yaml",
			entries: []entry{{Name: "c/values.yaml", Data: "a: 1\n"}},
			err:     &wantErr{is: []error{ErrChartYAMLMissing}},
		},
		{
			name:    "Chart.yaml one level too deep",
			entries: []entry{{Name: "c/c/Chart.yaml", Data: chartYAMLOf("c")}},
			err:     &wantErr{is: []error{ErrChartYAMLMissing}},
		},
		{
			name:    "only directories",
			entries: []entry{{Name: "c/", Type: tar.TypeDir}},
			err:     &wantErr{is: []error{ErrInvalidArchive}, has: []string{"no files in chart archive"}},
		},
		{
			name:    "empty",
			entries: nil,
			err:     &wantErr{is: []error{ErrInvalidArchive}, has: []string{"no files in chart archive"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := LoadArchive(bytes.NewReader(tgz(t, tt.entries...)))
			tt.err.check(t, err)
			if err == nil && !slices.Equal(names(c.Files), tt.files) {
				t.Errorf("files = %q, want %q", names(c.Files), tt.files)
			}
		})
	}
}

func TestLoadArchiveCorrupt(t *testing.T) {
	valid := tgz(t, entry{Name: "c/Chart.yaml", Data: chartYAMLOf("c")}, entry{Name: "c/README.md", Data: strings.Repeat("r", 2000)})
	rawTar := tarball(t, entry{Name: "c/Chart.yaml", Data: chartYAMLOf("c")}, entry{Name: "c/README.md", Data: strings.Repeat("r", 2000)})
	tests := map[string][]byte{
		"empty input":       nil,
		"not gzip":          []byte("apiVersion: v2\nname: c\n"),
		"plain tar":         rawTar,
		"truncated gzip":    valid[:len(valid)/2],
		"gzip header only":  valid[:10],
		"truncated tar":     gz(t, rawTar[:1024+512+100]),
		"gzip of garbage":   gz(t, bytes.Repeat([]byte("garbage!"), 200)),
		"corrupt tar block": gz(t, append(bytes.Repeat([]byte{0xff}, 512), rawTar...)),
	}
	for name, data := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := LoadArchive(bytes.NewReader(data))
			(&wantErr{is: []error{ErrInvalidArchive}}).check(t, err)
		})
	}
}

func TestLoadArchiveLimits(t *testing.T) {
	chart := entry{Name: "c/Chart.yaml", Data: chartYAMLOf("c")}
	data := tgz(t, chart, entry{Name: "c/a", Data: strings.Repeat("a", 1000)}, entry{Name: "c/b", Data: strings.Repeat("b", 1000)},
		entry{Name: "c/d/", Type: tar.TypeDir})
	tests := []struct {
		limits Limits
		err    *wantErr
	}{
		{Limits{MaxFiles: 4, MaxFileSize: 1000, MaxTotalSize: 3000}, nil},
		{Limits{MaxFileSize: 999}, &wantErr{is: []error{ErrLimitExceeded}, has: []string{`"c/a"`, "1000 bytes", "maximum file size 999"}}},
		{Limits{MaxTotalSize: 1500}, &wantErr{is: []error{ErrLimitExceeded}, has: []string{`"c/b"`, "maximum size 1500"}}},
		{Limits{MaxFiles: 3}, &wantErr{is: []error{ErrLimitExceeded}, has: []string{`"c/d/"`, "more than 3 files"}}},
	}
	for _, tt := range tests {
		_, err := Loader{Limits: tt.limits}.LoadArchive(bytes.NewReader(data))
		tt.err.check(t, err)
	}
}

// A gzip bomb stops at the total size without being decompressed in full.
func TestLoadArchiveBomb(t *testing.T) {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	tw := tar.NewWriter(zw)
	_ = tw.WriteHeader(&tar.Header{Name: "c/Chart.yaml", Mode: 0o644, Size: int64(len(chartYAMLOf("c")))})
	_, _ = tw.Write([]byte(chartYAMLOf("c")))
	zeros := make([]byte, 1<<20)
	for i := range 16 { // 16 files of 1 MiB
		_ = tw.WriteHeader(&tar.Header{Name: "c/zero" + strings.Repeat("0", i), Mode: 0o644, Size: int64(len(zeros))})
		_, _ = tw.Write(zeros)
	}
	_ = tw.Close()
	_ = zw.Close()
	_, err := Loader{Limits: Limits{MaxTotalSize: 8 << 20}}.LoadArchive(bytes.NewReader(buf.Bytes()))
	(&wantErr{is: []error{ErrLimitExceeded}, has: []string{"maximum size 8388608"}}).check(t, err)
}

// A reader error is reported, not hidden.
func TestLoadArchiveReaderError(t *testing.T) {
	valid := tgz(t, entry{Name: "c/Chart.yaml", Data: chartYAMLOf("c")}, entry{Name: "c/x", Data: strings.Repeat("x", 5000)})
	boom := errors.New("boom")
	r := io.MultiReader(bytes.NewReader(valid[:40]), &errReader{boom})
	_, err := LoadArchive(r)
	(&wantErr{is: []error{boom, ErrInvalidArchive}}).check(t, err)
}

type errReader struct{ err error }

func (r *errReader) Read([]byte) (int, error) { return 0, r.err }

func TestArchiveEntryName(t *testing.T) {
	tests := map[string]string{
		"c/Chart.yaml":            "Chart.yaml",
		"c/templates/x.yaml":      "templates/x.yaml",
		`c\templates\x.yaml`:      "templates/x.yaml",
		`c\mixed/part\name`:       "mixed/part/name",
		"c/templates///x.yaml":    "templates/x.yaml",
		"./c/Chart.yaml":          "c/Chart.yaml",
		"c/a/../b":                "b",
		"anything/goes/here.yaml": "goes/here.yaml",
	}
	for in, want := range tests {
		got, err := archiveEntryName(in)
		if err != nil || got != want {
			t.Errorf("archiveEntryName(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"x", "", "c", "c/", "c/..", "c/../..", "c/..x", "/", "//x", "c/C:/x", `c\..\x`, "c//x"} {
		if got, err := archiveEntryName(bad); err == nil {
			t.Errorf("archiveEntryName(%q) = %q, want an error", bad, got)
		}
	}
}
