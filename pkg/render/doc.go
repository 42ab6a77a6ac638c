// Package render turns a loaded chart, or a kustomize package, into a release's
// manifests, hooks and notes exactly as Helm's install and template do: dependencies
// are processed, values coalesced and validated against the charts' schemas, the
// templates rendered, the output sorted in install order and post-rendered. It is
// the whole of `hoist template` below the command line (Template).
//
// render imports no client-go, and nothing that does: the CLI's template fast path
// (internal/fastpath) runs it before the rest of hoist has been initialised.
package render
