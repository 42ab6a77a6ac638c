package apply

import (
	"math/rand"
	"strings"
	"testing"
)

func TestUnifiedDiff(t *testing.T) {
	a := "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\n"
	b := "a\nb\nc\nD\ne\nf\ng\nh\ni\nj\nk\n"
	want := `--- old
+++ new
@@ -2,5 +2,5 @@
 b
 c
-d
+D
 e
 f
@@ -9,2 +9,3 @@
 i
 j
+k
`
	if got := UnifiedDiff("old", "new", a, b, 2); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := UnifiedDiff("old", "new", a, a, 3); got != "" {
		t.Errorf("equal texts: %q", got)
	}
	// One hunk when the changes are close.
	if got := UnifiedDiff("old", "new", a, b, 3); strings.Count(got, "@@ -") != 1 {
		t.Errorf("want one hunk:\n%s", got)
	}
	if got := UnifiedDiff("old", "new", "", "x\n", 3); got != "--- old\n+++ new\n@@ -0,0 +1 @@\n+x\n" {
		t.Errorf("from empty: %q", got)
	}
	if got := UnifiedDiff("old", "new", "x\ny", "x\n", 3); !strings.Contains(got, "-y\n\\ No newline at end of file\n") {
		t.Errorf("missing newline marker: %q", got)
	}
}

// The edit script is a valid one: its '-' and ' ' lines give a, its '+' and ' ' lines b,
// and no longer than the trivial one.
func TestDiffLinesProperty(t *testing.T) {
	rng := rand.New(rand.NewSource(1))
	gen := func() []string {
		n := rng.Intn(30)
		out := make([]string, n)
		for i := range out {
			out[i] = string(rune('a'+rng.Intn(4))) + "\n"
		}
		return out
	}
	for round := 0; round < 2000; round++ {
		a, b := gen(), gen()
		ops := diffLines(a, b)
		var ga, gb []string
		edits := 0
		for _, o := range ops {
			if o.kind != '+' {
				ga = append(ga, o.text)
			}
			if o.kind != '-' {
				gb = append(gb, o.text)
			}
			if o.kind != ' ' {
				edits++
			}
		}
		if strings.Join(ga, "") != strings.Join(a, "") || strings.Join(gb, "") != strings.Join(b, "") {
			t.Fatalf("round %d: script does not reproduce the inputs\na=%q\nb=%q", round, a, b)
		}
		if edits > len(a)+len(b) {
			t.Fatalf("round %d: %d edits", round, edits)
		}
		if lcs := lcsLen(a, b); edits != len(a)+len(b)-2*lcs {
			t.Fatalf("round %d: %d edits, the shortest has %d", round, edits, len(a)+len(b)-2*lcs)
		}
	}
}

func lcsLen(a, b []string) int {
	dp := make([][]int, len(a)+1)
	for i := range dp {
		dp[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if a[i] == b[j] {
				dp[i][j] = dp[i+1][j+1] + 1
			} else {
				dp[i][j] = max(dp[i+1][j], dp[i][j+1])
			}
		}
	}
	return dp[0][0]
}
