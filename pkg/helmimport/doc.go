// Package helmimport reads the release records Helm 3 and Helm 4 keep in a cluster and
// turns each revision into a hoist release record, without any Helm code.
//
// # Helm's storage format
//
// Helm's default driver keeps one Secret per revision, of type "helm.sh/release.v1",
// named "sh.helm.release.v1.<release>.v<revision>" in the release's namespace and
// labelled owner=helm, name, status and version (plus createdAt and modifiedAt, and the
// user's --labels). Its data key "release" holds base64 text (so it is base64 twice on
// the wire: the bytes of a decoded corev1.Secret are that text) of the gzip-compressed
// JSON of Helm's release object; JSON that is not compressed is accepted too, as Helm
// accepts it. The ConfigMap driver stores the same text under the same key, without a
// type. Helm 3 and Helm 4 write the same JSON, with these differences, all accepted:
// Helm 3 writes a time it does not know as "" (info.deleted, hooks' last_run times)
// where Helm 4 leaves the key out; Helm 4 adds "apply_method" ("csa" or "ssa"), chart
// modification times and (after 4.2.4, unreleased when this was written)
// info.rollback_revision. The user's --labels are
// not in the JSON: they are the storage object's labels other than Helm's own.
//
// # Mapping
//
// A revision keeps its name, namespace, revision (Helm's "version"), status (Helm's and
// hoist's statuses have the same names), description, timestamps, notes, user values
// (Helm's "config"), manifest (as Helm stored it) and hooks (with their last run), and
// the chart's Chart.yaml. Chart.Source is SourcePrefix followed by "<chart>-<version>"
// (Helm does not record where a chart came from) and Chart.Digest is empty.
//
// Values, the values the templates saw, are computed as `helm get values --all` computes
// them: the user values coalesced over the chart's default values. Helm does not store
// subcharts, so their defaults (and import-values) are missing from Values, exactly as
// they are from Helm's own output and from what Helm's --reuse-values starts from.
//
// Inventory, the objects a revision applied, needs to know which kinds are namespaced:
// with Options.Scope it lists the manifest's objects with the release's namespace filled
// in for namespaced kinds; without it, it is left empty, and hoist derives the objects
// from the manifest with the cluster's REST mapper when it needs them. ManifestObjects
// lists the objects as written.
//
// What cannot be imported is refused with an error naming the storage object and
// wrapping ErrCorrupt (bad base64, gzip or JSON, or a record larger than
// release.MaxDecodedSize once decompressed), ErrNotRecord (not something Helm 3 or 4
// writes: wrong type, missing fields, an unknown status or hook event; Helm 2's records
// among them), ErrMismatch (a record that contradicts its object's name or labels, or
// that belongs to another release) or ErrUnsupported (a valid Helm record that hoist
// cannot store, such as a label key hoist's storage reserves).
package helmimport
