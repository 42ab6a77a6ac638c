// Package chart is hoist's model of a Helm chart (Chart.yaml v1 and v2, values, schema,
// templates, CRDs, files, subcharts) and loads one from a directory, a .tgz archive or an
// fs.FS, honouring .helmignore and refusing unsafe archives.
package chart
