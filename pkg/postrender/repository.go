package postrender

import (
	"fmt"
	"io/fs"
	"path"
	"path/filepath"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/hoist-dev/hoist/pkg/source/kpkg"
)

// LoadOption is an option of LoadPackageIn.
type LoadOption func(*loadConfig)

type loadConfig struct {
	repos []string // normalised (normalizeGitURL)
}

// SameRepository makes LoadPackageIn read remote references to the Git
// repository url (resources and components such as
// https://github.com/org/repo//base?ref=v1, github.com/org/repo/base or
// git@github.com:org/repo.git//base) from the checkout it loads from, as the
// directory they name: the whole package then comes from one commit, whatever
// ref the reference asks for. References to other repositories stay refused.
func SameRepository(url string) LoadOption {
	return func(c *loadConfig) {
		if url != "" {
			c.repos = append(c.repos, normalizeGitURL(url))
		}
	}
}

// LoadPackageIn reads the kustomize package in the directory subdir (a slash
// path, "" for the root) of root, a checkout of a repository. Its kustomizations
// may refer to files anywhere in root ("../base"; with SameRepository, remote
// references to the repository itself), not only below subdir: the files of
// subdir are read as LoadPackage does, and of the rest of root only the files and
// directories the kustomizations refer to. Symlinks may not leave root.
//
// The package's files are those paths relative to the deepest directory that
// holds them all. When that is not subdir, the package gets a root
// kustomization.yaml of its own, whose only resource is subdir (under a src/
// directory if that name is taken) and which carries the package's name and
// version; references to the repository are replaced by relative paths. The
// package is named as LoadPackage names it, subdir's base name standing for the
// directory's (the repository's name for its root).
func LoadPackageIn(root, subdir string, opts ...LoadOption) (*kpkg.Package, error) {
	var cfg loadConfig
	for _, o := range opts {
		o(&cfg)
	}
	sub := path.Clean("./" + filepath.ToSlash(subdir))
	if path.IsAbs(subdir) || sub == ".." || strings.HasPrefix(sub, "../") {
		return nil, fmt.Errorf("kustomize package: %q: %w: not a directory inside %s", subdir, ErrUnsafePath, root)
	}
	r, err := kpkg.NewDirReader(root)
	if err != nil {
		return nil, fmt.Errorf("kustomize package: %w", err)
	}
	if ok, err := r.ReadAt(sub); err != nil {
		return nil, fmt.Errorf("kustomize package: %w", err)
	} else if !ok {
		return nil, fmt.Errorf("kustomize package: %s: %w", r.Name(sub), fs.ErrNotExist)
	}
	t := &tree{files: r.Files(), display: root, base: sub, fetch: r.ReadAt, repos: cfg.repos}
	if _, err := t.load(); err != nil {
		return nil, fmt.Errorf("kustomize package: %w", err)
	}
	files := r.Files()
	for file, refs := range t.rewrites {
		if files[file], err = rewriteRefs(files[file], refs); err != nil {
			return nil, fmt.Errorf("kustomize package: %s: %w", r.Name(file), err)
		}
	}
	name := defaultPackageName(root, sub, cfg.repos)
	meta := t.kusts[0].k.MetaData
	if meta != nil && meta.Name != "" {
		name = meta.Name
	}
	// Re-root the files at their deepest common directory.
	top := sub
	for f := range files {
		top = commonDir(top, path.Dir(f))
	}
	rerooted := make(map[string]string, len(files))
	for f, data := range files {
		rerooted[relPath(top, f)] = data
	}
	if rel := relPath(top, sub); rel != "." {
		if len(kpkg.RootKustomizations(rerooted)) > 0 {
			prefixed := make(map[string]string, len(rerooted))
			for f, data := range rerooted {
				prefixed["src/"+f] = data
			}
			rerooted, rel = prefixed, "src/"+rel
		}
		wrapper := map[string]any{"resources": []string{rel}}
		md := map[string]any{"name": name}
		if meta != nil {
			if v, ok := meta.Annotations[kpkg.VersionAnnotation]; ok {
				md["annotations"] = map[string]string{kpkg.VersionAnnotation: v}
			}
		}
		wrapper["metadata"] = md
		data, err := yaml.Marshal(wrapper)
		if err != nil {
			return nil, fmt.Errorf("kustomize package: %w", err)
		}
		rerooted["kustomization.yaml"] = string(data)
	}
	p, err := newPackage(rerooted, name, filepath.Join(root, filepath.FromSlash(top)))
	if err != nil {
		return nil, fmt.Errorf("kustomize package: %w", err)
	}
	return p, nil
}

// defaultPackageName is subdir's base name, else the repository's name, else
// root's base name.
func defaultPackageName(root, sub string, repos []string) string {
	if sub != "." {
		return path.Base(sub)
	}
	if len(repos) > 0 {
		return path.Base(repos[0])
	}
	abs, err := filepath.Abs(root)
	if err != nil {
		return filepath.Base(root)
	}
	return filepath.Base(abs)
}

// commonDir is the deepest directory that holds both slash paths.
func commonDir(a, b string) string {
	for a != "." && b != a && !strings.HasPrefix(b, a+"/") {
		a = path.Dir(a)
	}
	return a
}

// rewriteRefs replaces references in the path lists of a kustomization file.
func rewriteRefs(text string, refs map[string]string) (string, error) {
	var k map[string]any
	if err := yaml.Unmarshal([]byte(text), &k); err != nil {
		return "", err
	}
	for _, field := range []string{"resources", "bases", "components", "generators", "transformers", "validators"} {
		list, _ := k[field].([]any)
		for i, v := range list {
			if s, ok := v.(string); ok {
				if local, ok := refs[s]; ok {
					list[i] = local
				}
			}
		}
	}
	out, err := yaml.Marshal(k)
	return string(out), err
}

// RepositoryPackages loads kustomize packages from Git checkouts for
// pkg/source/git (git.Options.Packages), following references to the
// repository itself (SameRepository).
type RepositoryPackages struct{}

// LoadPackageIn is LoadPackageIn(root, subdir, SameRepository(repoURL)).
func (RepositoryPackages) LoadPackageIn(root, subdir, repoURL string) (*kpkg.Package, error) {
	return LoadPackageIn(root, subdir, SameRepository(repoURL))
}
