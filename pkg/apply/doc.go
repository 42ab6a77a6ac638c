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
// For every object Apply then makes a server-side dry-run apply, without force first:
// when the server answers with field-manager conflicts, they are recorded in
// Change.Conflicts (the fields and the managers hoist takes them from) and the dry run is
// repeated with force. The dry-run result is compared with the live object, ignoring
// resourceVersion, generation, uid, timestamps, status and the managed fields of other
// managers (hoist's own managed field set is compared: a change of what hoist owns is a
// change). Only objects that differ are written; the others are reported unchanged, so
// re-applying an unchanged release makes no write at all.
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
// (engine.UninstallOrder), skip objects that are already gone or, when an Owner is
// given, no longer owned by that release, keep objects annotated
// helm.sh/resource-policy: keep (ActionKept), and never delete CustomResourceDefinitions
// (which would delete every custom resource of the kind cluster-wide) unless DeleteCRDs.
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
