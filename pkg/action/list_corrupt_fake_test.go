package action_test

import (
	"context"
	"errors"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/hoist-dev/hoist/pkg/action"
	"github.com/hoist-dev/hoist/pkg/release"
	"github.com/hoist-dev/hoist/pkg/release/storage"
)

// TestListSkipsCorruptRecords: an unreadable record does not hide the other releases;
// it is in the result by name, and a release whose newest record is unreadable is not
// listed with an older revision as if that were current.
func TestListSkipsCorruptRecords(t *testing.T) {
	ctx := context.Background()
	client := fake.NewClientset()
	d := &storage.Secrets{Client: client}
	for _, r := range []struct {
		name string
		rev  int
		st   release.Status
	}{{"web", 1, release.StatusSuperseded}, {"web", 2, release.StatusDeployed}, {"api", 1, release.StatusDeployed}, {"db", 1, release.StatusDeployed}} {
		rec := &release.Release{Name: r.name, Namespace: ns, Revision: r.rev, Status: r.st, Manifest: "x"}
		if err := d.Create(ctx, rec); err != nil {
			t.Fatal(err)
		}
	}
	corrupt := func(name string, rev int) {
		sec := &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: storage.SecretName(name, rev), Namespace: ns, Labels: map[string]string{
				storage.LabelOwner: "hoist", storage.LabelName: name, storage.LabelRevision: strconv.Itoa(rev), storage.LabelStatus: "deployed",
			}},
			Type: storage.SecretType,
			Data: map[string][]byte{"release": []byte("tampered")},
		}
		if _, err := client.CoreV1().Secrets(ns).Create(ctx, sec, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	corrupt("bad", 1)
	corrupt("db", 2)

	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	start := time.Now()
	res, err := action.List{Config: &action.Configuration{Storage: d}}.Run(ctx, action.ListOptions{Namespace: ns})
	took := time.Since(start)
	runtime.ReadMemStats(&after)
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if took > 5*time.Second || after.TotalAlloc-before.TotalAlloc > 64<<20 {
		t.Errorf("list took %v and %d MiB", took, (after.TotalAlloc-before.TotalAlloc)>>20)
	}
	var got []string
	for _, r := range res.Releases {
		got = append(got, r.Name+".v"+strconv.Itoa(r.Revision))
	}
	if strings.Join(got, " ") != "api.v1 web.v2" {
		t.Errorf("releases %v, want api.v1 web.v2", got)
	}
	var skipped []string
	for _, s := range res.Skipped {
		skipped = append(skipped, s.Secret)
		if !errors.Is(s.Err, storage.ErrCorrupt) || !strings.Contains(s.Err.Error(), ns+"/"+s.Secret) {
			t.Errorf("skipped %s: %v", s.Secret, s.Err)
		}
	}
	if len(skipped) != 2 || !strings.Contains(strings.Join(skipped, " "), storage.SecretName("bad", 1)) || !strings.Contains(strings.Join(skipped, " "), storage.SecretName("db", 2)) {
		t.Errorf("skipped %v", skipped)
	}
	// The broken release itself still fails clearly.
	if _, err := (action.History{Config: &action.Configuration{Storage: d}}).Run(ctx, action.HistoryOptions{Name: "db", Namespace: ns}); !errors.Is(err, storage.ErrCorrupt) {
		t.Errorf("history of db: %v", err)
	}
}
