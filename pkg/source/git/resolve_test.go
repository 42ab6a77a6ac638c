package git

import (
	"errors"
	"strings"
	"testing"

	"github.com/go-git/go-git/v5/plumbing"
)

func h(c byte) plumbing.Hash {
	return plumbing.NewHash(strings.Repeat(string(c), 40))
}

func testRefSet() *refSet {
	return &refSet{
		head:     h('1'),
		headName: "refs/heads/main",
		refs: map[string]plumbing.Hash{
			"refs/heads/main":          h('1'),
			"refs/heads/dev":           h('2'),
			"refs/heads/v1.0.0":        h('3'), // a branch named like a tag: the tag wins
			"refs/tags/v1.0.0":         h('4'),
			"refs/tags/v1.1.0":         h('5'),
			"refs/tags/1.2.0":          h('6'),
			"refs/tags/v2.0.0-rc.1":    h('7'),
			"refs/tags/not-a-version":  h('8'),
			"refs/pull/1/head":         h('9'),
			"refs/heads/feature/x":     plumbing.NewHash("abcdef1234567890abcdef1234567890abcdef12"),
			"refs/tags/other-abcdef12": plumbing.NewHash("abcdef1299999999999999999999999999999999"),
		},
	}
}

func TestResolve(t *testing.T) {
	rs := testRefSet()
	for _, tc := range []struct {
		ref, commit, name string
	}{
		{"", h('1').String(), "refs/heads/main"},
		{"HEAD", h('1').String(), "refs/heads/main"},
		{"main", h('1').String(), "refs/heads/main"},
		{"dev", h('2').String(), "refs/heads/dev"},
		{"feature/x", "abcdef1234567890abcdef1234567890abcdef12", "refs/heads/feature/x"},
		{"v1.0.0", h('4').String(), "refs/tags/v1.0.0"},
		{"refs/heads/v1.0.0", h('3').String(), "refs/heads/v1.0.0"},
		{"refs/pull/1/head", h('9').String(), "refs/pull/1/head"},
		{"1.0.0", h('4').String(), "refs/tags/v1.0.0"},
		{"~1.0", h('4').String(), "refs/tags/v1.0.0"},
		{"^1", h('6').String(), "refs/tags/1.2.0"},
		{">=1.0.0 <1.2.0", h('5').String(), "refs/tags/v1.1.0"},
		{"1.x", h('6').String(), "refs/tags/1.2.0"},
		{"*", h('6').String(), "refs/tags/1.2.0"}, // pre-releases only when asked
		{">=2.0.0-0", h('7').String(), "refs/tags/v2.0.0-rc.1"},
		{strings.Repeat("5", 40), strings.Repeat("5", 40), ""},
		{strings.Repeat("A", 40), strings.Repeat("a", 40), ""}, // hashes are case-insensitive
		{"2222222", h('2').String(), ""},                       // abbreviated, at a tip
	} {
		t.Run(tc.ref, func(t *testing.T) {
			got, err := resolve(rs, tc.ref)
			if err != nil {
				t.Fatal(err)
			}
			if got.Commit != tc.commit || got.Ref != tc.name || got.prefix != "" {
				t.Fatalf("got %+v, want %s %s", got, tc.commit, tc.name)
			}
		})
	}

	t.Run("abbreviated not at a tip", func(t *testing.T) {
		got, err := resolve(rs, "fedcba9")
		if err != nil || got.prefix != "fedcba9" || got.Commit != "" {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
	t.Run("ambiguous abbreviation", func(t *testing.T) {
		_, err := resolve(rs, "abcdef12")
		if !errors.Is(err, ErrRefNotFound) || !strings.Contains(err.Error(), "ambiguous") {
			t.Fatalf("got %v", err)
		}
	})
	for _, ref := range []string{"nope", "^3", "refs/heads/nope", "~0.1"} {
		t.Run("missing "+ref, func(t *testing.T) {
			_, err := resolve(rs, ref)
			if !errors.Is(err, ErrRefNotFound) {
				t.Fatalf("got %v", err)
			}
			msg := err.Error()
			for _, want := range []string{"branches dev, feature/x, main, v1.0.0", "tags v2.0.0-rc.1, 1.2.0, v1.1.0, v1.0.0, not-a-version (and 1 more)"} {
				if !strings.Contains(msg, want) {
					t.Errorf("message %q lacks %q", msg, want)
				}
			}
		})
	}
	t.Run("no HEAD", func(t *testing.T) {
		_, err := resolve(&refSet{refs: map[string]plumbing.Hash{"refs/heads/x": h('1')}}, "")
		if !errors.Is(err, ErrRefNotFound) || !strings.Contains(err.Error(), "no HEAD") {
			t.Fatalf("got %v", err)
		}
	})
	t.Run("HEAD by symref only", func(t *testing.T) {
		got, err := resolve(&refSet{headName: "refs/heads/x", refs: map[string]plumbing.Hash{"refs/heads/x": h('1')}}, "")
		if err != nil || got.Commit != h('1').String() {
			t.Fatalf("got %+v, %v", got, err)
		}
	})
}
