package storage

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/hoist-dev/hoist/pkg/chart"
	"github.com/hoist-dev/hoist/pkg/release"
	"github.com/hoist-dev/hoist/pkg/testenv"
)

func rec(name string, rev int, status release.Status, manifest string) *release.Release {
	return &release.Release{
		Name: name, Namespace: "ns", Revision: rev, Status: status,
		FirstDeployed: time.Unix(1700000000, 0).UTC(), LastDeployed: time.Unix(1700000000+int64(rev), 0).UTC(),
		Chart:    release.ChartInfo{Metadata: &chart.Metadata{Name: "c", Version: "1.0.0"}, Digest: "sha256:00"},
		Config:   map[string]any{"replicas": float64(rev)},
		Manifest: manifest,
		Labels:   map[string]string{"team": "web"},
	}
}

// driverContract runs the same checks against any Driver.
// versioned drivers detect conflicting writes (client-go's fake clientset keeps no
// resourceVersions, so the fake-backed Secrets driver cannot).
func driverContract(t *testing.T, d Driver, ns string, versioned bool) {
	ctx := context.Background()
	for rev := 1; rev <= 3; rev++ {
		r := rec("web", rev, release.StatusSuperseded, "kind: ConfigMap\n")
		r.Namespace = ns
		if rev == 3 {
			r.Status = release.StatusDeployed
			r.Manifest = randomText(40 << 10)
		}
		if err := d.Create(ctx, r); err != nil {
			t.Fatalf("create v%d: %v", rev, err)
		}
	}
	other := rec("api", 1, release.StatusFailed, "")
	other.Namespace = ns
	if err := d.Create(ctx, other); err != nil {
		t.Fatal(err)
	}
	if err := d.Create(ctx, other); !errors.Is(err, ErrExists) {
		t.Fatalf("second create: %v, want ErrExists", err)
	}
	got, err := d.Get(ctx, ns, "web", 3)
	if err != nil {
		t.Fatal(err)
	}
	if got.Status != release.StatusDeployed || len(got.Manifest) != 40<<10 || got.Config["replicas"] != float64(3) || got.Labels["team"] != "web" {
		t.Fatalf("round trip lost data: status %s manifest %d config %v labels %v", got.Status, len(got.Manifest), got.Config, got.Labels)
	}
	h, err := d.History(ctx, ns, "web")
	if err != nil || len(h) != 3 || h[0].Revision != 1 || h[2].Revision != 3 {
		t.Fatalf("history: %d records, %v", len(h), err)
	}
	all, err := d.List(ctx, ns, func(r *release.Release) bool {
		return r.Status == release.StatusDeployed || r.Status == release.StatusFailed
	})
	if err != nil || len(all) != 2 {
		t.Fatalf("list: %d, %v", len(all), err)
	}
	// Update changes size (and the number of parts), then shrinks again.
	got.Manifest = randomText(60 << 10)
	got.Status = release.StatusSuperseded
	if err := d.Update(ctx, got); err != nil {
		t.Fatal(err)
	}
	again, err := d.Get(ctx, ns, "web", 3)
	if err != nil || again.Manifest != got.Manifest || again.Status != release.StatusSuperseded {
		t.Fatalf("after update: %v", err)
	}
	if versioned {
		// Two writers read the same version; the second to write would lose the first's
		// update, so it fails.
		stale := *again
		again.Description = "first writer"
		if err := d.Update(ctx, again); err != nil {
			t.Fatalf("update at the version read: %v", err)
		}
		stale.Description = "second writer"
		if err := d.Update(ctx, &stale); !errors.Is(err, ErrConflict) {
			t.Fatalf("update of a record changed since it was read: %v, want ErrConflict", err)
		}
		if again, err = d.Get(ctx, ns, "web", 3); err != nil {
			t.Fatal(err)
		}
	}
	again.Manifest = "small"
	if err := d.Update(ctx, again); err != nil {
		t.Fatal(err)
	}
	if err := d.Delete(ctx, ns, "web", 2); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Get(ctx, ns, "web", 2); !errors.Is(err, ErrNotFound) {
		t.Fatalf("get deleted: %v", err)
	}
	if err := d.Update(ctx, rec("nope", 1, release.StatusDeployed, "")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("update missing: %v", err)
	}
}

// randomText is text gzip cannot shrink much, so records really need several parts.
func randomText(n int) string {
	var b strings.Builder
	x := uint64(88172645463325252)
	for b.Len() < n {
		x ^= x << 13
		x ^= x >> 7
		x ^= x << 17
		b.WriteByte(byte('a' + x%26))
	}
	return b.String()
}

func TestMemoryDriver(t *testing.T) { driverContract(t, NewMemory(), "ns", true) }

func TestSecretDriverChunksRecords(t *testing.T) {
	client := fake.NewClientset()
	d := &Secrets{Client: client, ChunkSize: 8 << 10}
	driverContract(t, d, "ns", false)
	// Only the records and their live parts remain: web v1, v3 (now small), api v1.
	list, err := client.CoreV1().Secrets("ns").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range list.Items {
		names = append(names, s.Name)
		if s.Type != SecretType || s.Labels[LabelOwner] != "hoist" {
			t.Errorf("secret %s: type %s labels %v", s.Name, s.Type, s.Labels)
		}
	}
	if len(names) != 3 {
		t.Fatalf("secrets left: %v (stale parts were not removed)", names)
	}
}

func TestReservedLabels(t *testing.T) {
	d := &Secrets{Client: fake.NewClientset()}
	r := rec("web", 1, release.StatusDeployed, "")
	r.Labels = map[string]string{"owner": "me"}
	if err := d.Create(context.Background(), r); err == nil || !strings.Contains(err.Error(), "reserved") {
		t.Fatalf("want a reserved-label error, got %v", err)
	}
}

func TestE2ESecretDriver(t *testing.T) {
	env := testenv.Require(t)
	ns := env.Namespace(t)
	cs, err := env.Clientset()
	if err != nil {
		t.Fatal(err)
	}
	driverContract(t, &Secrets{Client: cs, ChunkSize: 16 << 10}, ns, true)
}
