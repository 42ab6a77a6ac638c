package postrender

import (
	"fmt"
	"maps"
	"path"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/kio"
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
	// aliases counts what YAML aliases add to the build; aliasChecked are the
	// files counted.
	aliases      aliasBudget
	aliasChecked map[string]bool
}

// loadTree parses and checks the kustomizations reachable from the root
// kustomization of files. Every error names the file.
func loadTree(files map[string]string, display string) (*tree, error) {
	return (&tree{files: files, display: display, base: "."}).load()
}

func (t *tree) load() (*tree, error) {
	// Before anything parses them: kyaml expands aliases.
	if err := t.checkAliases(); err != nil {
		return nil, err
	}
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
	// Files fetched meanwhile (LoadPackageIn), for kustomize.
	if err := t.checkAliases(); err != nil {
		return nil, err
	}
	return t, nil
}

// checkAliases checks the files not checked yet against MaxAliasNodes.
func (t *tree) checkAliases() error {
	for _, file := range slices.Sorted(maps.Keys(t.files)) {
		if err := t.checkAliasesIn(file); err != nil {
			return err
		}
	}
	return nil
}

// checkAliasesIn checks a file against MaxAliasNodes, once.
func (t *tree) checkAliasesIn(file string) error {
	if t.aliasChecked[file] {
		return nil
	}
	if t.aliasChecked == nil {
		t.aliasChecked = map[string]bool{}
	}
	t.aliasChecked[file] = true
	if err := t.aliases.check(t.files[file]); err != nil {
		return fmt.Errorf("%s: %w", t.name(file), err)
	}
	return nil
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
			if err := t.addInputs(target); err != nil {
				return nil, err
			}
		}
	}
	if err := t.collectPatches(k); err != nil {
		return nil, err
	}
	return dirs, nil
}

// addInputs records the objects of a resource file for the patch check; what does
// not parse is left to kustomize to report.
func (t *tree) addInputs(file string) error {
	if err := t.checkAliasesIn(file); err != nil {
		return err
	}
	nodes, err := kio.FromBytes([]byte(t.files[file]))
	if err != nil {
		return nil
	}
	for _, n := range nodes {
		if id := nodeIdent(n); id != nil {
			id.source = file
			t.inputs = append(t.inputs, id)
		}
	}
	return nil
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
