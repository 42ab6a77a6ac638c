// Package engine renders a chart's templates exactly as Helm v4 does: text/template with
// sprig v3 (without env and expandenv) and Helm's functions, the built-in objects
// (Release, Chart, Values, Capabilities, Template, Files, Subcharts), and Helm's
// splitting and install-order sorting of the result into manifests and hooks. It imports
// no client-go: lookup reaches a cluster only through the Lookuper interface.
package engine
