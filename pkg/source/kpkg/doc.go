// Package kpkg is the kustomize package artifact: a directory with a
// kustomization file and no Chart.yaml, installed as a release of its own. It reads
// packages from directories and archives, writes their deterministic archive, and
// names their OCI media types.
//
// It checks the artifact (file names, limits, the root kustomization's
// metadata.name and version annotation), not what the kustomization does:
// pkg/postrender builds packages with kustomize and checks them when it loads or
// renders one. It imports neither kustomize nor client-go, so that sources
// (pkg/source/oci, pkg/source/git) fetch packages without linking the kustomize
// engine. They check a package fully through an injected loader (the Packages
// field of source.LocalGetter, oci.Options and git.Options), which pkg/postrender
// provides; without one, the first two check only the artifact and Git refuses
// packages.
//
// # Limits
//
// A package (and a kustomize overlay, which pkg/postrender reads with the same
// rules) holds at most MaxFiles files of MaxFileSize bytes each and MaxTotalSize
// bytes in all; an archive at most MaxArchiveEntries entries.
package kpkg
