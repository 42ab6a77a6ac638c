package chart

import "testing"

func TestHighestVersion(t *testing.T) {
	versions := []string{"1.0.0", "v1.2.0", "1.2.0", "2.0.0-rc.1", "not-a-version", "1.10.0", "0.9.0"}
	for _, c := range []struct {
		constraint string
		want       int
	}{
		{"", 5},               // the highest stable version
		{"^1.0", 5},           // 1.10.0 above 1.2.0
		{"~1.2", 1},           // v1.2.0 and 1.2.0 are equal: the first
		{"1.2.0", 1},          // an exact version
		{">=2.0.0-0", 3},      // a pre-release, when the range names one
		{"<1", 6},             //
		{">=3", -1},           // none
		{"1.x", 5},            // wildcard
		{">=0.9 <1.0.0", 6},   // a range
		{"=1.0.0 || =0.9", 0}, // alternatives: the higher
	} {
		cons, err := ParseVersionConstraint(c.constraint)
		if err != nil {
			t.Fatalf("%q: %v", c.constraint, err)
		}
		if got := HighestVersion(cons, versions); got != c.want {
			t.Errorf("HighestVersion(%q) = %d, want %d", c.constraint, got, c.want)
		}
	}
	if _, err := ParseVersionConstraint("not a range"); err == nil {
		t.Error("ParseVersionConstraint accepted garbage")
	}
}
