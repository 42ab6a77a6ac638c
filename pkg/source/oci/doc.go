// Package oci pulls Helm charts and hoist's kustomize packages from OCI registries
// and pushes them there; charts in Helm's exact format, so that helm reads what
// hoist writes and the other way round.
//
// Contract: a chart pushed by Client.Push is an OCI image manifest whose config is
// the chart's Chart.yaml as JSON (ConfigMediaType), whose layers are the chart
// archive (ChartLayerMediaType) and optionally its provenance file
// (ProvLayerMediaType), sorted by digest, and whose annotations are Helm's; a chart
// is pulled by tag, by digest or by a SemVer constraint over the repository's
// tags, its digest verified, and kept in a content-addressed Cache.
//
// # Kustomize packages
//
// A kustomize package (kpkg.Package: a directory with a kustomization and no
// Chart.yaml) is pushed and pulled the same way, with hoist's own media types:
//
//	{
//	  "schemaVersion": 2,
//	  "mediaType": "application/vnd.oci.image.manifest.v1+json",
//	  "artifactType": "application/vnd.hoist.kustomize.config.v1+json",
//	  "config": {"mediaType": "application/vnd.hoist.kustomize.config.v1+json", …},
//	  "layers": [{"mediaType": "application/vnd.hoist.kustomize.content.v1.tar+gzip", …}],
//	  "annotations": {
//	    "org.opencontainers.image.created": "<RFC 3339, UTC>",
//	    "org.opencontainers.image.title": "<name>",
//	    "org.opencontainers.image.version": "<version>"
//	  }
//	}
//
// The config (kpkg.ConfigMediaType) is {"name":…,"version":…}; the single
// layer (kpkg.ContentMediaType) is the package's deterministic archive
// (kpkg.Package.Archive), pushed as given and pulled back byte for byte. Name
// and version come from the kustomization (metadata.name, the annotation
// hoist.dev/version); the version must be SemVer 2 and is the tag, '+' stored as
// '_' as for charts. Packages carry no provenance file. Push and pull read the
// archive with Options.Packages, so that a client given pkg/postrender's refuses
// a package whose kustomization kustomize refuses. Client.Push recognises a
// package archive with kpkg.IsPackageArchive; Client.Get returns it as
// source.Fetched with Package set; Client.Pull writes it as <name>-<version>.tgz or
// expands it (without Helm's byte-order-mark stripping). A manifest whose config
// is neither Helm's nor a package's is refused with ErrNotChart.
//
// # References and tags
//
// OCI tags cannot contain '+', so a chart version "1.2.3+build.1" is stored under the
// tag "1.2.3_build.1" and read back as "1.2.3+build.1" (Helm's convention). A push
// to oci://HOST/PATH stores the chart as HOST/PATH/<chart name>:<version tag>: the
// last element of the repository is always the chart's name, as Helm requires.
//
// A version (source.Ref.Version) that is an exact SemVer version ("1.2.3") is used
// as the tag directly, without listing tags; anything else ("^1.2", "1.2", "~1",
// ">=1.0 <2", "" for the newest) is a constraint resolved against the repository's
// tag list: the highest version that satisfies it wins, tags that are not SemVer
// are ignored, and pre-releases only match constraints that name a pre-release
// (">0.0.0-0" takes every version; "" takes the newest stable one).
//
// # Cache and network use
//
// Pulled manifests and blobs are kept by digest under Options.CacheDir (default
// ${XDG_CACHE_HOME:-~/.cache}/hoist/oci, as blobs/sha256/<hex>). Files are written
// to a temporary file in the same directory and renamed into place, so several
// processes may share a cache; every read re-hashes the file, and a file that does
// not match its name is removed and fetched again. A pull by tag or version always
// asks the registry what the tag points at (one HEAD request, plus the tag list for
// a constraint): tags move. It is a HEAD rather than a GET because registries such
// as Docker Hub count manifest GETs against pull rate limits, and HEADs not; a cold
// pull by tag is thus HEAD manifest, GET manifest, GET chart layer, and a warm one
// the HEAD alone. A pull by digest ("oci://host/repo@sha256:…") whose manifest and
// chart archive are cached makes no request at all, since the content of a digest
// cannot change. (So a cached digest is served whichever repository the pull names,
// and without asking the registry for permission, as docker does with its local
// images.) Only what a pull needs is fetched: the manifest and the chart or package
// layer (and the provenance layer when asked for), never the config blob.
//
// # Credentials
//
// Credentials come from Options.Username and Options.Password when set, for the
// one registry Options.CredentialsHost only; otherwise, and for every other
// registry, from the Docker configuration ($DOCKER_CONFIG/config.json, default
// ~/.docker/config.json) and the credential helpers it names (credsStore,
// credHelpers), read through oras-go's credentials package. Client.Login checks
// credentials against the registry before it stores them there.
//
// Errors name their subject (the OCI reference, or the registry host) and wrap one
// of this package's sentinels — ErrUnauthorized, ErrForbidden, ErrNotFound,
// ErrNoMatchingVersion, ErrTLS, ErrUnreachable, ErrNotChart, ErrDigestMismatch —
// together with the underlying error.
package oci
