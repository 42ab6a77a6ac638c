// Package values computes the .Values a chart's templates see exactly as Helm v4 does:
// -f files and the --set family merged in Helm's order, dependencies enabled, aliased and
// imported, chart defaults coalesced with globals, and values.schema.json enforced.
package values
