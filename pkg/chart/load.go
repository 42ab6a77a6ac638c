package chart

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path"
	"slices"
	"strings"

	"sigs.k8s.io/yaml"
)

// Limits bound what the loader reads, so that a hostile or broken chart cannot
// exhaust memory or time. They apply to directories, fs.FS trees, archives and
// in-memory files alike, and to a chart together with all its subcharts (the
// contents of a subchart archive count as well as the archive itself). Exceeding
// one is an error wrapping ErrLimitExceeded. A zero field takes DefaultLimits'
// value.
type Limits struct {
	// MaxFiles is the largest number of entries loaded: files, plus the
	// directories walked in a chart directory and the non-file entries of an
	// archive.
	MaxFiles int
	// MaxFileSize is the largest size of a single file, decompressed.
	MaxFileSize int64
	// MaxTotalSize is the largest number of bytes read in all, decompressed.
	MaxTotalSize int64
	// MaxDepth is the deepest nesting of subcharts (charts/a/charts/b is 2).
	MaxDepth int
	// MaxDirDepth is how many directories deep a file may be in a chart: 1 for
	// templates/a.yaml, 4 for charts/a/templates/b.yaml. Directories are walked
	// no deeper.
	MaxDirDepth int
}

// DefaultLimits returns the limits used when none are given: Helm's 5 MiB per file
// (DefaultMaxFileSize) and 100 MiB in all (which Helm applies to archives only),
// 10,000 entries, 32 levels of subcharts and 128 levels of directories (Helm has
// no limit for these three; 32 subcharts deep take 64 levels of charts/<name>).
func DefaultLimits() Limits {
	return Limits{
		MaxFiles:     10_000,
		MaxFileSize:  DefaultMaxFileSize,
		MaxTotalSize: 100 << 20,
		MaxDepth:     32,
		MaxDirDepth:  128,
	}
}

// DefaultMaxFileSize is the default Limits.MaxFileSize, also the size up to which
// pkg/values reads a values file.
const DefaultMaxFileSize = 5 << 20

func (l Limits) orDefaults() Limits {
	d := DefaultLimits()
	if l.MaxFiles <= 0 {
		l.MaxFiles = d.MaxFiles
	}
	if l.MaxFileSize <= 0 {
		l.MaxFileSize = d.MaxFileSize
	}
	if l.MaxTotalSize <= 0 {
		l.MaxTotalSize = d.MaxTotalSize
	}
	if l.MaxDepth <= 0 {
		l.MaxDepth = d.MaxDepth
	}
	if l.MaxDirDepth <= 0 {
		l.MaxDirDepth = d.MaxDirDepth
	}
	return l
}

// Loader loads charts. The zero value is ready to use, with DefaultLimits and no
// logging. Load, LoadDir, LoadFS, LoadArchive and LoadFiles are shorthands for
// the methods of the zero Loader.
type Loader struct {
	// Limits bound what is read (zero fields: DefaultLimits).
	Limits Limits
	// Logger receives the warnings Helm prints (requirements.yaml in a v2 chart,
	// symlinks followed in a chart directory). Nil discards them.
	Logger *slog.Logger
}

// Load loads a chart from a directory or, for a regular file, from a gzipped tar
// archive (.tgz, .tar.gz: the file's content decides, not its name).
func Load(path string) (*Chart, error) { return Loader{}.Load(path) }

// LoadDir loads a chart from a directory (see Loader.LoadDir).
func LoadDir(dir string) (*Chart, error) { return Loader{}.LoadDir(dir) }

// LoadFS loads a chart whose root is the root of fsys (see Loader.LoadFS).
func LoadFS(fsys fs.FS) (*Chart, error) { return Loader{}.LoadFS(fsys) }

// LoadArchive loads a chart from a gzipped tar archive (see Loader.LoadArchive).
func LoadArchive(r io.Reader) (*Chart, error) { return Loader{}.LoadArchive(r) }

// LoadFiles builds a chart from in-memory files (see Loader.LoadFiles).
func LoadFiles(files []*File) (*Chart, error) { return Loader{}.LoadFiles(files) }

// Load loads a chart from a directory (LoadDir) or an archive file. Anything else
// (a device, a FIFO, a socket) is refused with ErrUnsupportedFile before it is
// read. A file that does not start with the gzip magic number is refused before it
// is read further, with a hint when its name says YAML (a values file given in
// place of a chart). Errors other than the path's own (it does not exist) are
// wrapped with the path.
func (l Loader) Load(name string) (*Chart, error) {
	fi, err := os.Stat(name)
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return l.LoadDir(name)
	}
	c, err := l.loadArchiveFile(name)
	if err != nil {
		return nil, fmt.Errorf("chart archive %s: %w", name, err)
	}
	return c, nil
}

var gzipMagic = []byte{0x1f, 0x8b, 0x08}

func (l Loader) loadArchiveFile(name string) (*Chart, error) {
	f, _, err := OpenRegular(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	br := bufio.NewReader(f)
	head, err := br.Peek(len(gzipMagic))
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	if !bytes.Equal(head, gzipMagic) {
		if strings.HasSuffix(name, ".yaml") || strings.HasSuffix(name, ".yml") {
			return nil, fmt.Errorf("%w: the file seems to be YAML, but a chart directory or gzipped archive was expected", ErrInvalidArchive)
		}
		return nil, fmt.Errorf("%w: the file is neither a directory nor a gzipped archive", ErrInvalidArchive)
	}
	return l.LoadArchive(br)
}

// LoadDir loads the chart in dir, as Helm does:
//
//   - dir must hold a Chart.yaml (else ErrChartYAMLMissing, before anything else is
//     read);
//   - the chart's .helmignore (at its root only; a subchart's own .helmignore is
//     loaded as a file, not applied) plus the default rule "templates/.?*" decide
//     which files and directories are skipped, an ignored directory with all it
//     holds; .helmignore itself is a file of the chart unless it ignores itself;
//   - the tree is walked in lexical order within each directory, which is the
//     order of Files and Templates;
//   - symbolic links are followed, to files and directories, as long as their
//     target is inside dir (else ErrUnsafePath, unless .helmignore skips the
//     link); a link to a directory containing it is a loop (ErrUnsupportedFile);
//   - an irregular file (device, FIFO, socket) that is not ignored is refused
//     (ErrUnsupportedFile);
//   - a leading UTF-8 byte order mark is removed from every file.
//
// Errors are wrapped with dir.
func (l Loader) LoadDir(dir string) (*Chart, error) {
	c, _, err := l.LoadDirFiles(dir)
	return c, err
}

// LoadDirFiles is LoadDir, also returning the files it read (those .helmignore
// keeps, byte order marks removed, in the order of the walk), for a caller that
// digests them without reading the directory a second time.
func (l Loader) LoadDirFiles(dir string) (*Chart, []*File, error) {
	c, files, err := l.loadDir(dir)
	if err != nil {
		return nil, nil, fmt.Errorf("chart directory %s: %w", dir, err)
	}
	return c, files, nil
}

func (l Loader) loadDir(dir string) (*Chart, []*File, error) {
	tree, err := openOSTree(dir)
	if err != nil {
		return nil, nil, err
	}
	defer tree.close()
	st := l.newState()
	files, err := st.walk(tree)
	if err != nil {
		return nil, nil, err
	}
	c, err := st.loadFiles(files, 0)
	if err != nil {
		return nil, nil, err
	}
	return c, files, nil
}

// LoadFS loads the chart whose root is the root of fsys, with LoadDir's rules. A
// symlink is followed within fsys when fsys implements fs.ReadLinkFS (os.DirFS
// does); one that is absolute or climbs above the root is refused with
// ErrUnsafePath. Without fs.ReadLinkFS, fsys's own Stat decides what a name is.
func (l Loader) LoadFS(fsys fs.FS) (*Chart, error) {
	st := l.newState()
	files, err := st.walk(fsTree{fsys: fsys})
	if err != nil {
		return nil, err
	}
	return st.loadFiles(files, 0)
}

// LoadArchive loads a chart from a gzipped tar archive, as Helm does:
//
//   - the first element of every entry's path (the chart's directory, whatever
//     its name) is removed; an entry with nothing after it is outside the chart
//     (ErrUnsafePath), as are absolute paths, paths that climb out with ".." (as
//     in Helm, any cleaned name starting with "..", "..data" too), and names that
//     look like a Windows drive ("c:/"); a path using backslashes is split on
//     them; paths are cleaned ("a/./b" is "a/b", "a/../b" is "b");
//   - directory entries and PAX headers are skipped; symbolic links, hard links,
//     devices, FIFOs and sparse files are refused (ErrUnsupportedFile; Helm loads
//     a link as an empty file);
//   - two entries with the same cleaned name are refused (ErrDuplicateFile; Helm
//     keeps both);
//   - .helmignore is NOT applied (as in Helm: `helm package` applied it already);
//   - a leading UTF-8 byte order mark is removed from every file;
//   - Files and Templates keep the archive's order.
//
// Corrupt or truncated input, or an archive without files, is ErrInvalidArchive.
func (l Loader) LoadArchive(r io.Reader) (*Chart, error) {
	st := l.newState()
	files, err := st.readArchive(r)
	if err != nil {
		return nil, err
	}
	return st.loadFiles(files, 0)
}

// LoadFiles builds a chart from files whose names are relative to the chart root
// (".helmignore" is not applied, byte order marks are kept). Every name must be a
// clean relative slash-separated path (fs.ValidPath, not "."), and unique.
//
// Files are classified as Helm does:
//
//   - Chart.yaml is Metadata (an empty apiVersion means v1); a missing Chart.yaml
//     is ErrChartYAMLMissing; an apiVersion other than v1 and v2 of the top-level
//     chart is ErrUnsupportedAPIVersion; Metadata.Validate must pass;
//   - Chart.lock is Lock; values.yaml is Values (ParseValues) and RawValues;
//     values.schema.json is Schema. Other names (values.yml, …) are Files;
//   - requirements.yaml is read into Metadata (replacing its dependencies) and
//     requirements.lock into Lock, whatever the apiVersion; for a v1 chart they
//     are also kept in Files;
//   - templates/… are Templates;
//   - charts/<name>/… is the subchart <name>, charts/<name>.tgz a subchart archive,
//     both loaded recursively; names starting with "_" or "." are skipped; a .prov
//     file anywhere under charts/ is a File of this chart; anything else directly
//     in charts/ (README.md, x.tar.gz) is an error, for lack of a Chart.yaml.
//     Subcharts are added in lexical order of <name> (Helm's order is random);
//   - everything else is Files, in input order.
func (l Loader) LoadFiles(files []*File) (*Chart, error) {
	st := l.newState()
	seen := make(map[string]bool, len(files))
	for i, f := range files {
		if f == nil {
			return nil, fmt.Errorf("file %d is nil", i)
		}
		if !fs.ValidPath(f.Name) || f.Name == "." {
			return nil, fmt.Errorf("file %q: %w: not a clean relative slash-separated path", f.Name, ErrUnsafePath)
		}
		if seen[f.Name] {
			return nil, fmt.Errorf("file %q: %w", f.Name, ErrDuplicateFile)
		}
		seen[f.Name] = true
		if err := st.checkDirDepth(f.Name); err != nil {
			return nil, err
		}
		if err := st.addFile(f.Name, int64(len(f.Data))); err != nil {
			return nil, err
		}
	}
	return st.loadFiles(files, 0)
}

// loadState is what one load shares across the chart and its subcharts: the
// limits and what has been read so far.
type loadState struct {
	limits Limits
	log    *slog.Logger
	count  int
	total  int64
}

func (l Loader) newState() *loadState {
	log := l.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &loadState{limits: l.Limits.orDefaults(), log: log}
}

// addEntry counts one entry (file or directory) named name.
func (st *loadState) addEntry(name string) error {
	st.count++
	if st.count > st.limits.MaxFiles {
		return fmt.Errorf("%q: %w: more than %d files", name, ErrLimitExceeded, st.limits.MaxFiles)
	}
	return nil
}

// addBytes counts n bytes read for name.
func (st *loadState) addBytes(name string, n int64) error {
	if n > st.limits.MaxTotalSize-st.total {
		return fmt.Errorf("%q: %w: the chart is larger than the maximum size %d", name, ErrLimitExceeded, st.limits.MaxTotalSize)
	}
	st.total += n
	return nil
}

// checkDirDepth refuses a file or directory name deeper in directories than
// Limits.MaxDirDepth.
func (st *loadState) checkDirDepth(name string) error {
	if strings.Count(name, "/") > st.limits.MaxDirDepth {
		return fmt.Errorf("%q: %w: directories nested more than %d deep", name, ErrLimitExceeded, st.limits.MaxDirDepth)
	}
	return nil
}

// checkSize refuses a file of size bytes.
func (st *loadState) checkSize(name string, size int64) error {
	if size > st.limits.MaxFileSize {
		return fmt.Errorf("%q: %w: the file (%d bytes) is larger than the maximum file size %d", name, ErrLimitExceeded, size, st.limits.MaxFileSize)
	}
	return nil
}

// addFile counts a file of size bytes.
func (st *loadState) addFile(name string, size int64) error {
	if err := st.checkSize(name, size); err != nil {
		return err
	}
	if err := st.addEntry(name); err != nil {
		return err
	}
	return st.addBytes(name, size)
}

const (
	chartYAML        = "Chart.yaml"
	chartLock        = "Chart.lock"
	valuesYAML       = "values.yaml"
	valuesSchema     = "values.schema.json"
	requirementsYAML = "requirements.yaml"
	requirementsLock = "requirements.lock"
)

// loadFiles is the core of every loader: files have valid, unique names relative
// to the chart's root and have been counted. depth is 0 for the top-level chart.
func (st *loadState) loadFiles(files []*File, depth int) (*Chart, error) {
	c := &Chart{}
	for _, f := range files {
		if f.Name != chartYAML {
			continue
		}
		md := new(Metadata)
		if err := yaml.Unmarshal(f.Data, md); err != nil {
			return nil, fmt.Errorf("cannot load Chart.yaml: %w", err)
		}
		// Helm 2 accepted charts without apiVersion; Helm reads them as v1.
		if md.APIVersion == "" {
			md.APIVersion = APIVersionV1
		}
		c.Metadata = md
	}
	if c.Metadata == nil {
		return nil, ErrChartYAMLMissing
	}
	if depth == 0 && c.Metadata.APIVersion != APIVersionV1 && c.Metadata.APIVersion != APIVersionV2 {
		return nil, fmt.Errorf("%w %q", ErrUnsupportedAPIVersion, c.Metadata.APIVersion)
	}

	subcharts := map[string][]*File{}
	for _, f := range files {
		switch {
		case f.Name == chartYAML:
		case f.Name == chartLock:
			c.Lock = new(Lock)
			if err := yaml.Unmarshal(f.Data, &c.Lock); err != nil {
				return nil, fmt.Errorf("cannot load Chart.lock: %w", err)
			}
		case f.Name == valuesYAML:
			values, err := ParseValues(f.Data)
			if err != nil {
				return nil, fmt.Errorf("cannot load values.yaml: %w", err)
			}
			c.Values, c.RawValues = values, f.Data
		case f.Name == valuesSchema:
			c.Schema = f.Data
		case f.Name == requirementsYAML:
			if c.Metadata.APIVersion != APIVersionV1 {
				st.log.Warn("dependencies are handled in Chart.yaml since apiVersion \"v2\"; we recommend migrating dependencies to Chart.yaml",
					"chart", c.Metadata.Name, "file", f.Name)
			}
			if err := yaml.Unmarshal(f.Data, c.Metadata); err != nil {
				return nil, fmt.Errorf("cannot load requirements.yaml: %w", err)
			}
			if c.Metadata.APIVersion == APIVersionV1 {
				c.Files = append(c.Files, &File{Name: f.Name, Data: f.Data})
			}
		case f.Name == requirementsLock:
			c.Lock = new(Lock)
			if err := yaml.Unmarshal(f.Data, &c.Lock); err != nil {
				return nil, fmt.Errorf("cannot load requirements.lock: %w", err)
			}
			if c.Metadata.APIVersion != APIVersionV1 {
				st.log.Warn("dependency locking is handled in Chart.lock since apiVersion \"v2\"; we recommend migrating to Chart.lock",
					"chart", c.Metadata.Name, "file", f.Name)
			}
			if c.Metadata.APIVersion == APIVersionV1 {
				c.Files = append(c.Files, &File{Name: f.Name, Data: f.Data})
			}
		case strings.HasPrefix(f.Name, "templates/"):
			c.Templates = append(c.Templates, &File{Name: f.Name, Data: f.Data})
		case strings.HasPrefix(f.Name, "charts/"):
			if path.Ext(f.Name) == ".prov" {
				c.Files = append(c.Files, &File{Name: f.Name, Data: f.Data})
				continue
			}
			rest := strings.TrimPrefix(f.Name, "charts/")
			name, _, _ := strings.Cut(rest, "/")
			subcharts[name] = append(subcharts[name], &File{Name: rest, Data: f.Data})
		default:
			c.Files = append(c.Files, &File{Name: f.Name, Data: f.Data})
		}
	}
	if c.Values == nil {
		c.Values = map[string]any{}
	}
	if err := c.Validate(); err != nil {
		return nil, err
	}

	names := make([]string, 0, len(subcharts))
	for n := range subcharts {
		if strings.IndexAny(n, "_.") == 0 {
			continue
		}
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		if path.Ext(n) == ".tgz" {
			// charts/<n>.tgz must be a file, not a directory.
			for _, f := range subcharts[n] {
				if f.Name != n {
					return nil, fmt.Errorf("error unpacking subchart tar in %s: expected %s, got %s", c.Name(), n, f.Name)
				}
			}
		}
		sc, err := st.loadSubchart(n, subcharts[n], depth+1)
		if err != nil {
			return nil, fmt.Errorf("error unpacking subchart %s in %s: %w", n, c.Name(), err)
		}
		c.AddDependency(sc)
	}
	return c, nil
}

// loadSubchart loads charts/<n> from its files, whose names start with n (for an
// archive, the one file is named n).
func (st *loadState) loadSubchart(n string, files []*File, depth int) (*Chart, error) {
	if depth > st.limits.MaxDepth {
		return nil, fmt.Errorf("%w: subcharts are nested more than %d deep", ErrLimitExceeded, st.limits.MaxDepth)
	}
	if path.Ext(n) == ".tgz" {
		archived, err := st.readArchive(bytes.NewReader(files[0].Data))
		if err != nil {
			return nil, err
		}
		return st.loadFiles(archived, depth)
	}
	// A directory: drop charts/<n>/ from every name, and whatever is not in it.
	inner := make([]*File, 0, len(files))
	for _, f := range files {
		_, rest, ok := strings.Cut(f.Name, "/")
		if !ok {
			continue
		}
		inner = append(inner, &File{Name: rest, Data: f.Data})
	}
	return st.loadFiles(inner, depth)
}
