package storage

import (
	"bytes"
	"context"
	"errors"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/hoist-dev/hoist/internal/boundtest"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/hoist-dev/hoist/pkg/release"
)

// bounded runs f and fails the test if it takes longer than d or allocates more than
// maxAlloc bytes in all (TotalAlloc counts every allocation, so the bound holds whatever
// the garbage collector did meanwhile).
func bounded(t *testing.T, d time.Duration, maxAlloc uint64, f func()) {
	t.Helper()
	boundtest.Run(t, d, maxAlloc, func(context.Context) { f() })
}

// recordSecret is a record Secret as the driver writes it, with data and parts as given.
func recordSecret(name string, rev int, data []byte, parts []string) *corev1.Secret {
	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: SecretName(name, rev), Namespace: "ns", Labels: map[string]string{
			LabelOwner: ownerValue, LabelName: name, LabelRevision: strconv.Itoa(rev), LabelStatus: "deployed",
		}},
		Type: SecretType,
		Data: map[string][]byte{dataKey: data},
	}
	if parts != nil {
		sec.Annotations = map[string]string{annotationChunks: strings.Join(parts, ",")}
	}
	return sec
}

// partSecret is a continuation Secret of record with n bytes of data.
func partSecret(name, record string, n int) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{
			LabelOwner: ownerValue, LabelName: "web", LabelRevision: "1", labelChunkOf: record,
		}},
		Type: SecretType,
		Data: map[string][]byte{dataKey: bytes.Repeat([]byte{'x'}, n)},
	}
}

func mustCreate(t *testing.T, c kubernetes.Interface, secs ...*corev1.Secret) {
	t.Helper()
	for _, s := range secs {
		if _, err := c.CoreV1().Secrets(s.Namespace).Create(context.Background(), s, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
}

// wantCorrupt checks err wraps ErrCorrupt and says each of the words.
func wantCorrupt(t *testing.T, err error, words ...string) {
	t.Helper()
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("error %v, want ErrCorrupt", err)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not say %q", err, w)
		}
	}
}

// TestChunkListBomb: one 1 MiB Secret named 3,000 times by a record's part list cost
// 6.7 GB and 75 s; the list is refused before any part is read.
func TestChunkListBomb(t *testing.T) {
	client := fake.NewClientset()
	d := &Secrets{Client: client}
	record := SecretName("web", 1)
	mustCreate(t, client, partSecret("big", record, 1<<20))
	names := make([]string, 3000)
	for i := range names {
		names[i] = "big"
	}
	mustCreate(t, client, recordSecret("web", 1, []byte("x"), names))
	bounded(t, 2*time.Second, 16<<20, func() {
		_, err := d.Get(context.Background(), "ns", "web", 1)
		wantCorrupt(t, err, "ns/"+record, "3000 parts", "72", "64 MiB")
	})
}

// TestChunkListHostile: a part named twice, a Secret that is not a part of the record,
// and distinct parts that together pass MaxRecordSize are refused, naming the record.
func TestChunkListHostile(t *testing.T) {
	client := fake.NewClientset()
	d := &Secrets{Client: client}
	ctx := context.Background()

	mustCreate(t, client, partSecret("p1", SecretName("dup", 1), 10), recordSecret("dup", 1, []byte("x"), []string{"p1", "p1"}))
	_, err := d.Get(ctx, "ns", "dup", 1)
	wantCorrupt(t, err, "ns/"+SecretName("dup", 1), "part p1 twice")

	mustCreate(t, client, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "tls", Namespace: "ns"}}, recordSecret("steal", 1, []byte("x"), []string{"tls"}))
	_, err = d.Get(ctx, "ns", "steal", 1)
	wantCorrupt(t, err, "ns/"+SecretName("steal", 1), "tls is not one of its parts")

	_, err = d.Get(ctx, "ns", "gone", 1)
	if !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing record: %v", err)
	}
	mustCreate(t, client, recordSecret("gone", 1, []byte("x"), []string{"nowhere"}))
	_, err = d.Get(ctx, "ns", "gone", 1)
	wantCorrupt(t, err, "part is missing: nowhere")

	// 72 parts (the most allowed) of 1 MiB each: 72 MiB, over the limit.
	record := SecretName("huge", 1)
	var names []string
	for i := range d.maxParts() {
		n := record + ".part" + string(rune('a'+i/26)) + string(rune('a'+i%26))
		names = append(names, n)
		mustCreate(t, client, partSecret(n, record, 1<<20))
	}
	mustCreate(t, client, recordSecret("huge", 1, []byte("x"), names))
	// The parts read (64 MiB) and nothing more: the count and total are checked first.
	bounded(t, 5*time.Second, 200<<20, func() {
		_, err = d.Get(ctx, "ns", "huge", 1)
		wantCorrupt(t, err, "ns/"+record, "more than the limit of 64 MiB")
	})
}

// TestGzipBombRecord: a record that decompresses to 1 GiB is refused after the limit,
// without holding it in memory.
func TestGzipBombRecord(t *testing.T) {
	bomb := boundtest.GzipBomb(1024)
	t.Logf("bomb: %d KiB", len(bomb)>>10)
	client := fake.NewClientset()
	mustCreate(t, client, recordSecret("bomb", 1, bomb, nil))
	d := &Secrets{Client: client}
	bounded(t, 5*time.Second, 32<<20, func() {
		_, err := d.Get(context.Background(), "ns", "bomb", 1)
		wantCorrupt(t, err, "ns/"+SecretName("bomb", 1), "128 MiB once decompressed")
		if !errors.Is(err, release.ErrTooLarge) {
			t.Errorf("error %v does not wrap release.ErrTooLarge", err)
		}
	})
}

// TestListSkipsCorrupt: an unreadable record among good ones is skipped by List and
// reported by name, while History and Get of its release still fail.
func TestListSkipsCorrupt(t *testing.T) {
	client := fake.NewClientset()
	d := &Secrets{Client: client}
	ctx := context.Background()
	for _, r := range []*release.Release{
		rec("web", 1, release.StatusSuperseded, "a"), rec("web", 2, release.StatusDeployed, "b"), rec("api", 1, release.StatusDeployed, "c"),
	} {
		if err := d.Create(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	mustCreate(t, client, recordSecret("bad", 1, []byte("not gzip"), nil), recordSecret("bomb", 1, boundtest.GzipBomb(256), nil))

	var got []*release.Release
	var err error
	bounded(t, 5*time.Second, 64<<20, func() { got, err = d.List(ctx, "ns", nil) })
	var skipped *SkippedError
	if !errors.As(err, &skipped) || !errors.Is(err, ErrCorrupt) {
		t.Fatalf("list: %v, want a *SkippedError", err)
	}
	if len(got) != 3 {
		t.Errorf("list returned %d good records, want 3", len(got))
	}
	var names []string
	for _, s := range skipped.Skipped {
		names = append(names, s.Secret)
		if s.Namespace != "ns" || s.Revision != 1 || !strings.Contains(s.Err.Error(), s.Secret) {
			t.Errorf("skipped %+v", s)
		}
	}
	slices.Sort(names)
	if strings.Join(names, " ") != SecretName("bad", 1)+" "+SecretName("bomb", 1) {
		t.Errorf("skipped %v", names)
	}
	if _, err := d.History(ctx, "ns", "bad"); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), SecretName("bad", 1)) {
		t.Errorf("history of the broken release: %v", err)
	}
	if _, err := d.Get(ctx, "ns", "bomb", 1); !errors.Is(err, ErrCorrupt) {
		t.Errorf("get of the broken release: %v", err)
	}
	if h, err := d.History(ctx, "ns", "web"); err != nil || len(h) != 2 {
		t.Errorf("history of a good release: %d, %v", len(h), err)
	}
}

// TestListRereadsChangedRecord: a record whose part is gone because a writer replaced
// or deleted it after the list was taken is read again, not reported as unreadable.
func TestListRereadsChangedRecord(t *testing.T) {
	client := fake.NewClientset()
	d := &Secrets{Client: client, ChunkSize: 64}
	ctx := context.Background()
	r := rec("web", 1, release.StatusDeployed, randomText(1000))
	if err := d.Create(ctx, r); err != nil {
		t.Fatal(err)
	}
	old, err := client.CoreV1().Secrets("ns").Get(ctx, SecretName("web", 1), metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	r.Manifest = randomText(900)
	if err := d.Update(ctx, r); err != nil {
		t.Fatal(err)
	}
	old.ResourceVersion = "listed-before-the-update"
	got, err := d.reread(ctx, old, errors.New("stale"))
	if err != nil || got == nil || got.Manifest != r.Manifest {
		t.Fatalf("reread of a replaced record: %v", err)
	}
	if err := d.Delete(ctx, "ns", "web", 1); err != nil {
		t.Fatal(err)
	}
	if got, err := d.reread(ctx, old, errors.New("stale")); got != nil || err != nil {
		t.Fatalf("reread of a deleted record: %v, %v", got, err)
	}
}
