package engine

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
	"unicode"
)

// splitReference is the regular-expression definition SplitDocuments must agree with.
func splitReference(s string) []string {
	var docs []string
	for _, d := range regexp.MustCompile(`(?m)^---[ \t]*`).Split(strings.TrimLeftFunc(s, unicode.IsSpace), -1) {
		if strings.TrimSpace(d) != "" {
			docs = append(docs, strings.TrimLeftFunc(d, unicode.IsSpace))
		}
	}
	return docs
}

func TestSplitDocuments(t *testing.T) {
	got := SplitDocuments("\n\n---\na: 1\n  \n\n---   \n \n---\nb: 2\n--- # comment\nc: 3\nx: |\n  ---not a separator\n")
	want := []string{"a: 1\n  \n\n", "b: 2\n", "# comment\nc: 3\nx: |\n  ---not a separator\n"}
	if fmt.Sprintf("%q", got) != fmt.Sprintf("%q", want) {
		t.Fatalf("got %q\nwant %q", got, want)
	}
}

func TestSortManifestsOrderAndHooks(t *testing.T) {
	files := map[string]string{
		"c/templates/b.yaml": "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n---\napiVersion: v1\nkind: Service\nmetadata:\n  name: s\n",
		"c/templates/a.yaml": "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n---\nkind: Widget\napiVersion: x/v1\nmetadata:\n  name: w\n---\nkind: Alpha\napiVersion: x/v1\nmetadata:\n  name: al\n",
		"c/templates/hook.yaml": "apiVersion: batch/v1\nkind: Job\nmetadata:\n  name: migrate\n  annotations:\n    helm.sh/hook: pre-install, pre-upgrade\n    helm.sh/hook-weight: \"-5\"\n    helm.sh/hook-delete-policy: hook-succeeded\n" +
			"---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: unknown\n  annotations:\n    helm.sh/hook: sometime\n",
		"c/templates/_partial.yaml": "kind: Secret\n",
		"c/templates/empty.yaml":    " \n\n",
	}
	hooks, manifests, err := SortManifests(files, InstallOrder)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, m := range manifests {
		kinds = append(kinds, m.Head.Kind+"/"+m.Head.Metadata.Name)
	}
	if got := strings.Join(kinds, " "); got != "ConfigMap/cm Service/s Deployment/d Alpha/al Widget/w" {
		t.Fatalf("order: %s", got)
	}
	if len(hooks) != 1 || hooks[0].Name != "migrate" || hooks[0].Weight != -5 ||
		!hooks[0].HasEvent(PreUpgrade) || hooks[0].DeletePolicies[0] != "hook-succeeded" {
		t.Fatalf("hooks: %+v", hooks)
	}
	if _, _, err := SortManifests(map[string]string{"c/templates/bad.yaml": "a: [\n"}, InstallOrder); err == nil ||
		!strings.Contains(err.Error(), "c/templates/bad.yaml") {
		t.Fatalf("want a YAML error naming the template, got %v", err)
	}
}

func FuzzSplitDocuments(f *testing.F) {
	for _, s := range []string{"", "---", "a: 1\n---\nb: 2", "\n---\n---\n", "--- \t\nx", "a\n---b\n"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		docs := SplitDocuments(s)
		if ref := splitReference(s); fmt.Sprintf("%q", ref) != fmt.Sprintf("%q", docs) {
			t.Fatalf("SplitDocuments(%q) = %q, reference %q", s, docs, ref)
		}
		for _, d := range docs {
			if strings.TrimSpace(d) == "" {
				t.Fatalf("empty document kept: %q", d)
			}
			if d != strings.TrimLeft(d, " \t\r\n\v\f") && strings.TrimLeft(d, " \t\r\n\v\f") != "" {
				// leading Unicode space other than ASCII is trimmed too; ASCII must be.
				t.Fatalf("leading whitespace kept: %q", d)
			}
		}
		// Splitting is stable: joining with separators and splitting again gives the same.
		again := SplitDocuments(strings.Join(docs, "\n---\n"))
		if len(again) > len(docs) {
			t.Fatalf("re-split grew from %d to %d documents", len(docs), len(again))
		}
	})
}
