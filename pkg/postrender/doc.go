// Package postrender changes rendered manifests after the chart's templates: with a
// kustomize overlay (Overlay, built in memory with sigs.k8s.io/kustomize/api), with a
// Helm-compatible post-renderer program (Exec), or both (Chain); and renders
// kustomize packages (kpkg.Package: a directory with a kustomization and no
// Chart.yaml) as releases of their own.
//
// Every post-renderer returns manifests and hooks in Helm's install order
// (engine.SortManifests), each keeping the template path it was rendered from.
//
// # Overlays
//
// The rendered manifests become a resource of the overlay's root kustomization, so
// that everything a kustomization can do applies to them: patches (strategic-merge
// and JSON 6902, targets by kind, name, namespace, label and annotation selectors),
// images, namePrefix and nameSuffix, namespace, labels, commonLabels,
// commonAnnotations, replicas, configMapGenerator and secretGenerator (hash
// suffixes, references rewritten), components, replacements, local bases. Nothing is
// written to disk and nothing is read from outside the overlay: remote bases and
// files (URLs, git::, github.com/…), absolute paths and paths leaving the overlay's
// directory are refused, as are helmCharts and openapi; plugins, exec functions and
// Helm are disabled.
//
// Hooks go through kustomize only when a patch names them: a patch whose target has
// a name (matched as kustomize does, as an anchored regular expression, together with
// the target's other fields) that selects the hook, or a strategic-merge patch
// without target of the hook's kind and name. Such a hook gets every transformation
// of the kustomization; every other hook passes through untouched (and so does not
// follow renames: a hook that refers to a ConfigMap the overlay renames keeps the
// old name unless a patch names the hook too). A patch whose target selects
// nothing is an error naming the patch (kustomize ignores it). Targets are matched
// by kustomize's own ResMap.Select; the check is deliberately lenient: an object
// counts under its names and namespaces before and after kustomize.
//
// Objects that went through kustomize come out as kustomize's kyaml prints them,
// keeping their field order, styles and comments; the others unchanged. An overlay
// that only patches sends only the manifests its patches may select through
// kustomize, whose cost grows with the square of the number of objects.
//
// kustomize panics on some inputs; a run returns such a panic as an error wrapping
// ErrKustomizePanic and naming the overlay or package.
//
// kustomize prints warnings about deprecated fields (commonLabels,
// patchesStrategicMerge…) on the process's standard error; it offers no way to
// send them elsewhere.
//
// An overlay's files are recorded in the release (Overlay.Record,
// OverlayFromRecord), so that a rollback can reproduce the same objects.
//
// # Post-renderer programs
//
// Exec runs a program as Helm v3 does: the manifests (not the hooks, unless
// IncludeHooks) on standard input, each as "---\n# Source: <path>\n<document>\n",
// and the result read from standard output and split again into manifests and
// hooks.
//
// # Kustomize packages
//
// A kustomize package (kpkg.Package: its name, version, files and archive) is
// built here: Package renders it like an overlay, gives namespaced objects without
// a namespace the release's, and treats objects annotated helm.sh/hook as hooks.
// LoadPackage and LoadArchive read one from a directory or an archive and check
// its kustomization as LoadOverlay does (Packages offers them to pkg/source and
// pkg/source/oci). LoadPackageIn reads a package from a directory of a repository
// checkout whose kustomizations may use other directories of the repository, by
// relative path or, with SameRepository, by the repository's URL
// (RepositoryPackages offers it to pkg/source/git).
//
// # Limits
//
// An overlay or package holds at most kpkg.MaxFiles files of kpkg.MaxFileSize
// bytes each and kpkg.MaxTotalSize bytes in all. Kustomize's in-memory file system
// only holds names of letters, digits, '-', '_', '.' and ':'; a file referred to
// by another name is an error, other such files are left out of the build.
// The YAML aliases of a build's files, inline patches and rendered manifests may
// add at most MaxAliasNodes nodes once expanded, as kustomize expands them.
//
// A post-renderer (Exec) may print at most MaxExecOutput bytes on standard
// output: beyond, it is killed and fails. Of its standard error, the first 16 KiB
// are kept for the error message.
package postrender
