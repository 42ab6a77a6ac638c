// Package apply puts a release's objects into the cluster and takes them out again:
// Build parses a rendered manifest into objects, Apply server-side-applies them in
// Helm's install order, Prune and Delete remove objects, Wait watches them until they are
// ready. Every write operation returns a ChangeSet, the per-object outcome as data,
// which the CLI prints and the controller turns into conditions and events.
//
// # Apply
//
// Objects are applied with server-side apply (field manager Manager.FieldManager,
// "hoist" by default, force: true) sending the whole desired object, so fields the chart
// stops setting are removed when hoist was their only owner. Apply runs in stages:
//
//  1. Namespaces and CustomResourceDefinitions, then a wait until they are Active and
//     Established; the REST mapper is then reset so the new kinds resolve.
//  2. The rest, one stage per kind in ApplyOptions.Order (engine.InstallOrder by
//     default; unknown kinds after, by name), the objects of a stage concurrently
//     (Manager.Concurrency at a time). A stage with a failure stops the apply: the
//     objects of later stages are reported skipped.
//
// Before writing anything Apply reads the live objects (one LIST per resource and
// namespace when a group is large, else one GET per object) and checks ownership: an
// object that exists and is not owned by ApplyOptions.Owner is refused, with its current
// owner named, unless ApplyOptions.TakeOwnership. Owned means the hoist annotations
// AnnotationReleaseName/AnnotationReleaseNamespace name the release, or, for objects
// installed by Helm, Helm's meta.helm.sh annotations do. A refusal fails the whole apply
// before any write.
//
// An object whose live state proves the apply a no-op is reported unchanged at once,
// without a request: hoist's Apply entry in its managedFields (for the same apiVersion)
// holds exactly the field set of the desired object, and merging the desired object
// into the live one, as server-side apply does, leaves it as it is. Field sets, list
// keys and the merge are structured-merge-diff's with the server's OpenAPI v3 schema
// (Schemas: fetched once per Manager and group-version, when first needed). The proof
// is conservative (nulls, values the server normalises, no schema for a keyed list…
// make it fail) and then the dry run below decides; ApplyOptions.AlwaysDryRun makes
// the dry run for every object.
//
// An object that does not exist is applied (created) directly: it has no conflicts, no
// immutable fields and nothing to compare with. For every other object Apply makes a
// server-side dry-run apply, without force first: when the server answers with
// field-manager conflicts, they are recorded in Change.Conflicts (each field and the
// manager hoist takes it from) and the dry run is repeated with force. (Conflicts come
// from the server rather than from reading managedFields, which would need the schema to
// tell which values differ.) The dry-run result is compared with the live object,
// ignoring resourceVersion, generation, uid, timestamps, status and the managed fields of
// other managers; hoist's own managed field set is compared, so a change of what hoist
// owns is a change. When the live object changed since it was read (the dry run reports
// the resourceVersion it started from), it is read again first. Only objects that differ
// are written, with force; the others are reported unchanged, so re-applying an unchanged
// release makes no write at all.
//
// A dry run refused because an immutable field changes (a Deployment's selector, a Job's
// template, a Service's clusterIP…) fails the object with an ImmutableError naming the
// fields, unless ApplyOptions.ForceReplace: then the object is deleted (foreground
// propagation), Apply waits until it is gone, recreates it and reports it replaced.
//
// ApplyOptions.DryRun makes every step a server-side dry run: the ChangeSet says what
// would happen and nothing is written. Objects whose CRD or namespace the same apply
// would create cannot be validated by the server; they are reported created with a note.
//
// # Prune and Delete
//
// Prune deletes the objects of the previous revision that the current one no longer
// has; Delete deletes a release's objects at uninstall. Both go in uninstall order
// (engine.UninstallOrder, kinds it does not know first: custom resources are deleted
// while the controllers that finalize them still run), with background propagation by
// default and a UID precondition, optionally waiting until the objects are gone. They
// skip objects that are already gone or, when an Owner is given, no longer owned by that
// release; they keep objects annotated helm.sh/resource-policy: keep (ActionKept), and
// CustomResourceDefinitions, whose deletion deletes every custom resource of the kind
// cluster-wide, unless DeleteCRDs.
//
// # Wait
//
// Wait computes readiness with kstatus (sigs.k8s.io/cli-utils/pkg/kstatus/status) for
// every kind, from one informer (LIST + WATCH, re-listing when a watch expires) per
// resource and namespace, recomputing on every event. Progress receives a snapshot of
// every object's status after each change. A Failed status (a Deployment past its
// progress deadline, a crash-looping Pod, a failed Job) ends the wait at once; on a
// timeout the error names every object not ready and why. Services follow kstatus (and
// Helm v4): a Service is ready once it has a cluster IP, also of type LoadBalancer, whose
// ingress never comes without a cloud controller. Jobs are waited for to complete only
// with WaitOptions.WaitForJobs; otherwise they are ready once created, as in Helm.
package apply
