package release

import "sort"

// SortByRevision sorts revisions oldest first.
func SortByRevision(rs []*Release) {
	sort.Slice(rs, func(i, j int) bool { return rs[i].Revision < rs[j].Revision })
}

// Latest returns the highest revision, or nil.
func Latest(rs []*Release) *Release {
	var latest *Release
	for _, r := range rs {
		if latest == nil || r.Revision > latest.Revision {
			latest = r
		}
	}
	return latest
}

// LastDeployed returns the highest revision with status deployed, or nil.
func LastDeployed(rs []*Release) *Release {
	var last *Release
	for _, r := range rs {
		if r.Status == StatusDeployed && (last == nil || r.Revision > last.Revision) {
			last = r
		}
	}
	return last
}

// Prunable returns the revisions to delete to keep at most max (max <= 0 keeps all):
// the oldest first, never the last deployed revision nor the latest one.
func Prunable(rs []*Release, max int) []*Release {
	if max <= 0 || len(rs) <= max {
		return nil
	}
	sorted := append([]*Release(nil), rs...)
	SortByRevision(sorted)
	keep := map[int]bool{}
	if d := LastDeployed(sorted); d != nil {
		keep[d.Revision] = true
	}
	if l := Latest(sorted); l != nil {
		keep[l.Revision] = true
	}
	excess := len(sorted) - max
	var out []*Release
	for _, r := range sorted {
		if excess == 0 {
			break
		}
		if keep[r.Revision] {
			continue
		}
		out = append(out, r)
		excess--
	}
	return out
}
