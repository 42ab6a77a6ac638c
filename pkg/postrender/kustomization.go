package postrender

import (
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/kio"
	"sigs.k8s.io/kustomize/kyaml/resid"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"
	"sigs.k8s.io/yaml"

	"github.com/hoist-dev/hoist/pkg/source/kpkg"
)

// kustomization is one parsed kustomization file reachable from the root.
type kustomization struct {
	file string // slash path, e.g. "kustomization.yaml" or "base/kustomization.yaml"
	dir  string // its directory: "." or "base"
	k    types.Kustomization
	// top is set for the root and the components it includes (directly or
	// through other components): the kustomizations whose generators see the
	// rendered manifests.
	top bool
}

// tree is the kustomizations of a file set reachable from the root one, checked,
// with what the patch checks need.
type tree struct {
	files   map[string]string
	display string // prefix for file names in messages (the overlay's directory), or ""
	base    string // the directory of the root kustomization: "." but for LoadPackageIn
	root    string // the root kustomization's file name (in base)
	// fetch, when set, reads a file or directory that files lack (LoadPackageIn)
	// and reports whether it exists.
	fetch func(rel string) (bool, error)
	// repos are the Git repositories whose remote references are read from
	// files (SameRepository), normalised; rewrites are the references to replace
	// by local paths: file -> reference -> path.
	repos    []string
	rewrites map[string]map[string]string
	kusts    []*kustomization
	patches  []*patchRef
	// inputs are the objects the kustomizations bring themselves: documents of
	// their resource files and the generators' ConfigMaps and Secrets.
	inputs []*ident
	// prefixes, suffixes and namespaces are every namePrefix, nameSuffix and
	// namespace set by a kustomization, for the lenient patch check.
	prefixes, suffixes, namespaces []string
	// renames is set when a patch may change an object's kind, name or
	// namespace (kustomize then updates the references to it everywhere).
	renames bool
}

// selective reports whether only the rendered objects that a patch selects need
// to go through kustomize: when every kustomization holds nothing but patches,
// resources and components (no name, label, annotation, namespace, image or
// replica transformation, no generator, replacement or plugin), and no patch can
// rename an object. Any other object comes out of kustomize unchanged but for
// its formatting, so it can pass by, which saves most of kustomize's cost
// (it is quadratic in the number of objects).
func (t *tree) selective() bool {
	if t.renames {
		return false
	}
	for _, k := range t.kusts {
		rest := k.k
		rest.TypeMeta, rest.MetaData = types.TypeMeta{}, nil
		rest.Patches, rest.PatchesJson6902, rest.PatchesStrategicMerge = nil, nil, nil //nolint:staticcheck // users' kustomizations still use them
		rest.Resources, rest.Components, rest.Bases = nil, nil, nil                    //nolint:staticcheck // users' kustomizations still use it
		rest.SortOptions, rest.GeneratorOptions = nil, nil
		if !reflect.DeepEqual(rest, types.Kustomization{}) {
			return false
		}
	}
	return true
}

// renames reports whether a patch's text is a JSON 6902 patch (or does not parse
// as one) that may change an object's kind, name or namespace.
func renames(text string) bool {
	if len(smTargets(text)) > 0 {
		return false
	}
	var ops []map[string]any
	if err := yaml.Unmarshal([]byte(text), &ops); err != nil {
		return true
	}
	for _, op := range ops {
		for _, key := range []string{"path", "from"} {
			p, _ := op[key].(string)
			switch {
			case key == "from" && p == "":
			case p == "" || p == "/" || p == "/kind" || p == "/apiVersion" || p == "/metadata" ||
				strings.HasPrefix(p, "/metadata/name") || strings.HasPrefix(p, "/metadata/namespace"):
				return true
			}
		}
	}
	return false
}

// loadTree parses and checks the kustomizations reachable from the root
// kustomization of files. Every error names the file.
func loadTree(files map[string]string, display string) (*tree, error) {
	return (&tree{files: files, display: display, base: "."}).load()
}

func (t *tree) load() (*tree, error) {
	var found []string
	for _, n := range konfig.RecognizedKustomizationFileNames() {
		if _, ok := t.files[path.Join(t.base, n)]; ok {
			found = append(found, n)
		}
	}
	switch len(found) {
	case 0:
		return nil, fmt.Errorf("%s: %w: expected one of %s", t.name(t.base), ErrNoKustomization, strings.Join(konfig.RecognizedKustomizationFileNames(), ", "))
	case 1:
		t.root = path.Join(t.base, found[0])
	default:
		return nil, t.errorf(path.Join(t.base, found[0]), "%w: more than one kustomization file (%s)", ErrInvalidKustomization, strings.Join(found, ", "))
	}
	seen := map[string]*kustomization{}
	queue := []subdir{{dir: t.base, top: true}}
	for len(queue) > 0 {
		sd := queue[0]
		queue = queue[1:]
		if k, ok := seen[sd.dir]; ok {
			if k != nil && sd.top {
				k.top = true
			}
			continue
		}
		k, err := t.parse(sd.dir)
		if err != nil {
			return nil, err
		}
		seen[sd.dir] = k
		if k == nil {
			continue // kustomize reports the missing kustomization file
		}
		k.top = sd.top
		dir := sd.dir
		if dir == t.base && k.k.Kind == types.ComponentKind {
			return nil, t.errorf(k.file, "%w: the root kustomization must be of kind Kustomization, not Component", ErrInvalidKustomization)
		}
		t.kusts = append(t.kusts, k)
		subdirs, err := t.check(k)
		if err != nil {
			return nil, err
		}
		queue = append(queue, subdirs...)
	}
	return t, nil
}

// subdir is a directory a kustomization refers to; top when it is a component of
// a top kustomization.
type subdir struct {
	dir string
	top bool
}

// name is a file's name for messages.
func (t *tree) name(file string) string {
	if t.display == "" {
		return file
	}
	return filepath.Join(t.display, filepath.FromSlash(file))
}

func (t *tree) errorf(file, format string, args ...any) error {
	return fmt.Errorf("%s: %w", t.name(file), fmt.Errorf(format, args...))
}

// parse reads the kustomization file of dir; nil when dir has none.
func (t *tree) parse(dir string) (*kustomization, error) {
	for _, n := range konfig.RecognizedKustomizationFileNames() {
		file := path.Join(dir, n)
		data, ok := t.files[file]
		if !ok {
			continue
		}
		k := &kustomization{file: file, dir: dir}
		if err := k.k.Unmarshal([]byte(data)); err != nil {
			return nil, t.errorf(file, "%w: %w", ErrInvalidKustomization, err)
		}
		switch k.k.Kind {
		case "", types.KustomizationKind, types.ComponentKind:
		default:
			return nil, t.errorf(file, "%w: kind %q is neither %s nor %s", ErrInvalidKustomization, k.k.Kind, types.KustomizationKind, types.ComponentKind)
		}
		k.k.FixKustomization()
		return k, nil
	}
	return nil, nil
}

// check refuses what this package does not support in k, checks every file or
// directory it refers to, and collects its patches and inputs. It returns the
// directories k refers to (resources, components, generators, transformers and
// validators that are directories).
func (t *tree) check(k *kustomization) ([]subdir, error) {
	kk := &k.k
	switch {
	case len(kk.HelmCharts) > 0 || kk.HelmGlobals != nil:
		return nil, t.errorf(k.file, "%w: helmCharts are not supported in a kustomize overlay or package", ErrInvalidKustomization)
	case len(kk.OpenAPI) > 0:
		// kustomize keeps a custom schema in process-wide state, shared by every
		// build that follows: refused, so that one release cannot change another's.
		return nil, t.errorf(k.file, "%w: openapi is not supported", ErrInvalidKustomization)
	}
	if kk.NamePrefix != "" {
		t.prefixes = append(t.prefixes, kk.NamePrefix)
	}
	if kk.NameSuffix != "" {
		t.suffixes = append(t.suffixes, kk.NameSuffix)
	}
	if kk.Namespace != "" {
		t.namespaces = append(t.namespaces, kk.Namespace)
	}
	var dirs []subdir
	// refs lists the path-valued fields: kind "dir" may be a directory, "file"
	// must be a file, "inline" may also be YAML text.
	type ref struct {
		field, value  string
		dirOK, inline bool
	}
	var refs []ref
	add := func(field string, dirOK, inline bool, values ...string) {
		for i, v := range values {
			refs = append(refs, ref{fmt.Sprintf("%s[%d]", field, i), v, dirOK, inline})
		}
	}
	add1 := func(field string, value string) {
		refs = append(refs, ref{field, value, false, false})
	}
	add("resources", true, false, kk.Resources...)
	add("components", true, false, kk.Components...)
	add("crds", false, false, kk.Crds...)
	add("configurations", false, false, kk.Configurations...)
	add("generators", true, true, kk.Generators...)
	add("transformers", true, true, kk.Transformers...)
	add("validators", true, true, kk.Validators...)
	for i, p := range kk.Patches {
		if p.Path != "" {
			add1(fmt.Sprintf("patches[%d].path", i), p.Path)
		}
	}
	for i, p := range kk.PatchesJson6902 { //nolint:staticcheck // users' kustomizations still use it
		if p.Path != "" {
			add1(fmt.Sprintf("patchesJson6902[%d].path", i), p.Path)
		}
	}
	for i, p := range kk.PatchesStrategicMerge { //nolint:staticcheck // users' kustomizations still use it
		add(fmt.Sprintf("patchesStrategicMerge[%d]", i), false, true, string(p))
	}
	for i, r := range kk.Replacements {
		if r.Path != "" {
			add1(fmt.Sprintf("replacements[%d].path", i), r.Path)
		}
	}
	generatorFiles := func(field string, i int, a types.GeneratorArgs) {
		for j, f := range a.FileSources {
			if _, file, ok := strings.Cut(f, "="); ok {
				f = file
			}
			add1(fmt.Sprintf("%s[%d].files[%d]", field, i, j), f)
		}
		add(fmt.Sprintf("%s[%d].envs", field, i), false, false, a.EnvSources...)
	}
	for i, g := range kk.ConfigMapGenerator {
		generatorFiles("configMapGenerator", i, g.GeneratorArgs)
		t.inputs = append(t.inputs, generatedIdent("ConfigMap", g.GeneratorArgs, k.file))
	}
	for i, g := range kk.SecretGenerator {
		generatorFiles("secretGenerator", i, g.GeneratorArgs)
		t.inputs = append(t.inputs, generatedIdent("Secret", g.GeneratorArgs, k.file))
	}
	for _, r := range refs {
		if r.inline && strings.Contains(r.value, "\n") {
			continue
		}
		target, isDir, err := t.resolve(k, r.field, r.value, r.dirOK)
		if err != nil {
			if r.inline && isNotExist(err) {
				continue // kustomize reads it as inline YAML
			}
			return nil, err
		}
		if isDir {
			dirs = append(dirs, subdir{dir: target, top: k.top && strings.HasPrefix(r.field, "components[")})
		} else if strings.HasPrefix(r.field, "resources[") {
			t.addInputs(target)
		}
	}
	if err := t.collectPatches(k); err != nil {
		return nil, err
	}
	return dirs, nil
}

// memfsName is what a file or directory name must look like for kustomize's
// in-memory file system to hold it.
var memfsName = regexp.MustCompile(`^[a-zA-Z0-9_.:-]+$`)

// resolve checks a path-valued field: not remote, not absolute, not leaving the
// root, present among the files (or a directory of them when dirOK), with a name
// kustomize's in-memory file system accepts. It returns the slash path relative to
// the root and whether it is a directory. A missing file is an error wrapping
// fs.ErrNotExist.
func (t *tree) resolve(k *kustomization, field, ref string, dirOK bool) (string, bool, error) {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("%s: %s %q: %w", t.name(k.file), field, ref, fmt.Errorf(format, args...))
	}
	local := ref
	switch {
	case ref == "":
		return "", false, fail("%w: empty path", ErrInvalidKustomization)
	case isRemote(ref):
		p, ok := t.sameRepository(ref)
		if !ok || !dirOK {
			return "", false, fail("%w: only the files of the directory itself can be used", ErrRemoteBase)
		}
		local = relPath(k.dir, p)
		if t.rewrites == nil {
			t.rewrites = map[string]map[string]string{}
		}
		if t.rewrites[k.file] == nil {
			t.rewrites[k.file] = map[string]string{}
		}
		t.rewrites[k.file][ref] = local
	case path.IsAbs(ref) || filepath.IsAbs(ref) || kpkg.IsDrivePath(ref):
		return "", false, fail("%w: absolute path", ErrUnsafePath)
	}
	target := path.Join(k.dir, local)
	if target == ".." || strings.HasPrefix(target, "../") {
		return "", false, fail("%w: path leaves the directory", ErrUnsafePath)
	}
	if t.fetch != nil {
		if _, err := t.fetch(target); err != nil {
			return "", false, fail("%w", err)
		}
	}
	_, isFile := t.files[target]
	isDir := !isFile && t.hasDir(target)
	switch {
	case isDir && !dirOK:
		return "", false, fail("is a directory, not a file")
	case !isFile && !isDir:
		if hostLike(ref) {
			return "", false, fail("%w: it looks like a remote reference; only the files of the directory itself can be used", ErrRemoteBase)
		}
		return "", false, fail("%w", fs.ErrNotExist)
	}
	if target != "." {
		for _, elem := range strings.Split(target, "/") {
			if !memfsName.MatchString(elem) || strings.Contains(elem, "..") {
				return "", false, fail("%w: kustomize accepts only names of letters, digits, '-', '_', '.' and ':' (without '..')", ErrUnsafePath)
			}
		}
	}
	return target, isDir, nil
}

// hasDir reports whether some file lies under the slash path dir.
func (t *tree) hasDir(dir string) bool { return dir == "." || kpkg.HasDir(t.files, dir) }

// relPath is the slash path of to relative to from (both clean slash paths
// relative to the same root, "." for the root).
func relPath(from, to string) string {
	split := func(p string) []string {
		if p == "." || p == "" {
			return nil
		}
		return strings.Split(p, "/")
	}
	f, g := split(from), split(to)
	i := 0
	for i < len(f) && i < len(g) && f[i] == g[i] {
		i++
	}
	parts := make([]string, 0, len(f)-i+len(g)-i)
	for range f[i:] {
		parts = append(parts, "..")
	}
	parts = append(parts, g[i:]...)
	if len(parts) == 0 {
		return "."
	}
	return strings.Join(parts, "/")
}

// sameRepository is the directory, relative to the root of the files, that a
// remote reference to one of the repositories of SameRepository names.
func (t *tree) sameRepository(ref string) (string, bool) {
	n := normalizeGitURL(ref)
	for _, repo := range t.repos {
		var rest string
		switch {
		case n == repo:
		case strings.HasPrefix(n, repo+"/"):
			rest = n[len(repo)+1:]
		default:
			continue
		}
		p := path.Clean("./" + rest)
		if p == ".." || strings.HasPrefix(p, "../") {
			return "", false
		}
		return p, true
	}
	return "", false
}

// normalizeGitURL reduces a Git reference to host/path: without git:: prefix,
// scheme, user, query, ".git" suffix of the repository or kustomize's "//"
// separator, with scp-like "host:path" as "host/path" and the host in lower case.
func normalizeGitURL(s string) string {
	if l := strings.ToLower(s); strings.HasPrefix(l, "git::") {
		s = s[len("git::"):]
	}
	s, _, _ = strings.Cut(s, "?")
	scheme := false
	if i := strings.Index(s, "://"); i >= 0 {
		s, scheme = s[i+3:], true
	}
	// before reports whether i is the index of a byte before the first slash.
	before := func(i int) bool { slash := strings.Index(s, "/"); return i >= 0 && (slash < 0 || i < slash) }
	if at := strings.Index(s, "@"); before(at) {
		s = s[at+1:]
	}
	if c := strings.Index(s, ":"); !scheme && before(c) {
		s = s[:c] + "/" + s[c+1:]
	}
	host, rest, _ := strings.Cut(s, "/")
	s = strings.ToLower(host) + "/" + rest
	if i := strings.Index(s, ".git/"); i >= 0 {
		s = s[:i] + s[i+len(".git"):]
	}
	s = strings.TrimSuffix(s, ".git")
	for strings.Contains(s, "//") {
		s = strings.ReplaceAll(s, "//", "/")
	}
	return strings.TrimSuffix(s, "/")
}

// addInputs records the objects of a resource file for the patch check; what does
// not parse is left to kustomize to report.
func (t *tree) addInputs(file string) {
	nodes, err := kio.FromBytes([]byte(t.files[file]))
	if err != nil {
		return
	}
	for _, n := range nodes {
		if id := nodeIdent(n); id != nil {
			id.source = file
			t.inputs = append(t.inputs, id)
		}
	}
}

var (
	// scpUser is the user part of an scp-like Git URL (git@github.com:org/repo).
	scpUser = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9-]*@`)
)

// isRemote reports whether kustomize would read ref from the network: any URL,
// the git:: prefix, scp-like user@host: references and github.com/… shorthands
// (what kustomize's Git reference parser accepts, and more).
func isRemote(ref string) bool {
	l := strings.ToLower(ref)
	if u := scpUser.FindString(ref); u != "" {
		rest := ref[len(u):]
		if strings.Contains(rest, ":") || strings.Count(rest, "/") >= 2 {
			return true // user@host:org/repo, user@host/org/repo
		}
	}
	return strings.HasPrefix(l, "git::") || strings.Contains(l, "://") ||
		strings.HasPrefix(l, "github.com/") || strings.HasPrefix(l, "github.com:")
}

// hostLike reports whether ref starts with what looks like a host name
// (gitlab.com/org/repo).
func hostLike(ref string) bool {
	first, _, ok := strings.Cut(ref, "/")
	return ok && first != "." && first != ".." && strings.Contains(first, ".")
}

// collectPatches records k's patches (patches, patchesJson6902 and
// patchesStrategicMerge) for the hook rule and the target check.
func (t *tree) collectPatches(k *kustomization) error {
	kk := &k.k
	add := func(field string, i int, p types.Patch) error {
		where := fmt.Sprintf("%s: %s[%d]", t.name(k.file), field, i)
		text := p.Patch
		if p.Path != "" {
			where += fmt.Sprintf(" (path: %s)", p.Path)
			text = t.files[path.Join(k.dir, p.Path)]
		}
		pr := &patchRef{where: where, target: p.Target}
		if o := p.Options; o != nil && (o.AllowNameChange || o.AllowKindChange) || renames(text) {
			t.renames = true
		}
		if p.Target != nil {
			sel, err := types.NewSelectorRegex(p.Target)
			if err != nil {
				return fmt.Errorf("%s: %w: target: %w", where, ErrInvalidKustomization, err)
			}
			pr.sel = sel
			if err := checkSelectors(p.Target); err != nil {
				return fmt.Errorf("%s: %w: %w", where, ErrInvalidKustomization, err)
			}
		} else {
			pr.ids = smTargets(text)
		}
		t.patches = append(t.patches, pr)
		return nil
	}
	for i, p := range kk.Patches {
		if err := add("patches", i, p); err != nil {
			return err
		}
	}
	for i, p := range kk.PatchesJson6902 { //nolint:staticcheck // users' kustomizations still use it
		if err := add("patchesJson6902", i, p); err != nil {
			return err
		}
	}
	for i, s := range kk.PatchesStrategicMerge { //nolint:staticcheck // users' kustomizations still use it
		p := types.Patch{Patch: string(s)}
		if _, ok := t.files[path.Join(k.dir, string(s))]; ok && !strings.Contains(string(s), "\n") {
			p = types.Patch{Path: string(s)}
		}
		if err := add("patchesStrategicMerge", i, p); err != nil {
			return err
		}
	}
	return nil
}

// smTargets is the kind, name and namespace of each object of a strategic-merge
// patch; nothing for a JSON 6902 patch or what does not parse.
func smTargets(text string) []resid.ResId {
	nodes, err := kio.FromBytes([]byte(text))
	if err != nil {
		return nil
	}
	var ids []resid.ResId
	for _, n := range nodes {
		if n.YNode().Kind != kyaml.MappingNode || n.GetKind() == "" {
			continue
		}
		ids = append(ids, resid.NewResIdWithNamespace(resid.GvkFromNode(n), n.GetName(), n.GetNamespace()))
	}
	return ids
}
