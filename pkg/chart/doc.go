// Package chart is hoist's model of a Helm chart (Chart.yaml v1 and v2, values, schema,
// templates, CRDs, files, subcharts) and loads one from a directory, a .tgz archive or an
// fs.FS, honouring .helmignore and refusing unsafe archives.
//
// Load, LoadDir, LoadFS, LoadArchive and LoadFiles (or the same methods of a Loader,
// for other Limits or a logger) load a chart as Helm v4's loader does: the same
// classification of files, the same order of Templates and Files, the same
// .helmignore rules (directories only), the same metadata validation and messages.
// Where this package differs, it is stricter: a symlink leaving a chart directory,
// a link, device or duplicate entry in an archive, and a chart over its Limits are
// errors; subcharts are added in lexical order instead of Helm's random order.
package chart
