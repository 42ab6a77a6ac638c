package apply

import (
	"sort"

	"github.com/hoist-dev/hoist/pkg/engine"
	"github.com/hoist-dev/hoist/pkg/release"
)

// stages splits objects into stages of equal kind rank, in order, returning indices
// into objs (document order kept within a stage). Kinds not in order come after the
// known ones, one stage per kind name in name order; with unknownFirst they come before
// (uninstall: custom resources go before the controllers that finalize them).
func stages(objs []release.ObjectRef, order engine.KindOrder, unknownFirst bool) [][]int {
	rank := make(map[string]int, len(order))
	for i, k := range order {
		if _, dup := rank[k]; !dup {
			rank[k] = i
		}
	}
	var unknown []string
	seenUnknown := map[string]bool{}
	for _, o := range objs {
		if _, ok := rank[o.Kind]; !ok && !seenUnknown[o.Kind] {
			seenUnknown[o.Kind] = true
			unknown = append(unknown, o.Kind)
		}
	}
	sort.Strings(unknown)
	for i, k := range unknown {
		if unknownFirst {
			rank[k] = i - len(unknown)
		} else {
			rank[k] = len(order) + i
		}
	}
	byRank := map[int][]int{}
	var ranks []int
	for i, o := range objs {
		r := rank[o.Kind]
		if _, ok := byRank[r]; !ok {
			ranks = append(ranks, r)
		}
		byRank[r] = append(byRank[r], i)
	}
	sort.Ints(ranks)
	out := make([][]int, 0, len(ranks))
	for _, r := range ranks {
		out = append(out, byRank[r])
	}
	return out
}

// applyStages is Apply's plan: Namespaces and CRDs first (stage 0, possibly empty), then
// the others by kind rank.
func applyStages(objs []release.ObjectRef, order engine.KindOrder) (defs []int, rest [][]int) {
	var others []release.ObjectRef
	var otherIdx []int
	for i, o := range objs {
		if isNamespace(o) || isCRD(o) {
			defs = append(defs, i)
			continue
		}
		others = append(others, o)
		otherIdx = append(otherIdx, i)
	}
	for _, st := range stages(others, order, false) {
		idx := make([]int, len(st))
		for j, k := range st {
			idx[j] = otherIdx[k]
		}
		rest = append(rest, idx)
	}
	return defs, rest
}
