package action

import (
	"crypto/sha256"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/hoist-dev/hoist/pkg/apply"
	"github.com/hoist-dev/hoist/pkg/release"
	"github.com/hoist-dev/hoist/pkg/release/storage"
)

const bigRecordChart = "../../testdata/charts/big-record"

// TestE2EBigRecord: a release whose record is over 1 MiB compressed is stored across
// several Secrets, each under 1 MiB, and install, upgrade, history and rollback work.
func TestE2EBigRecord(t *testing.T) {
	t.Parallel()
	cfg, ns, ctx, cs, step := scenario(t, 3*time.Minute)
	const name = "big"
	chart := fetchLocal(t, bigRecordChart)
	opts := DeployOptions{Timeout: 60 * time.Second, HistoryMax: 10}
	blobSums := map[string][sha256.Size]byte{}

	// secretsOf checks the storage of a revision: split, each part under 1 MiB, and
	// returns the number of Secrets and the size of the encoded record.
	secretsOf := func(t *testing.T, rev int) (n, total int) {
		t.Helper()
		list, err := cs.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.Set{
			storage.LabelOwner: "hoist", storage.LabelName: name, storage.LabelRevision: strconv.Itoa(rev),
		}.String()})
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range list.Items {
			size := 0
			for k, v := range s.Data {
				size += len(k) + len(v)
			}
			if size >= 1<<20 {
				t.Fatalf("secret %s holds %d bytes: over 1 MiB", s.Name, size)
			}
			total += size
		}
		return len(list.Items), total
	}
	blobs := func(t *testing.T, seed string) {
		t.Helper()
		for i := range 6 {
			cm, err := cs.CoreV1().ConfigMaps(ns).Get(ctx, fmt.Sprintf("%s-blob-%d", name, i), metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			if cm.Data["seed"] != seed || len(cm.Data["blob"]) != 512<<10 {
				t.Fatalf("blob %d: seed %q, %d bytes", i, cm.Data["seed"], len(cm.Data["blob"]))
			}
			k := fmt.Sprintf("%s/%d", seed, i)
			sum := sha256.Sum256([]byte(cm.Data["blob"]))
			if prev, ok := blobSums[k]; ok && prev != sum {
				t.Fatalf("blob %d of seed %s differs from the one first applied", i, seed)
			}
			blobSums[k] = sum
		}
	}

	step("install", func(t *testing.T) {
		res, err := Install{Config: cfg}.Run(ctx, InstallOptions{Name: name, Namespace: ns, Chart: chart, DeployOptions: opts})
		if err != nil {
			t.Fatal(err)
		}
		if res.Release.Status != release.StatusDeployed {
			t.Fatalf("status %s", res.Release.Status)
		}
		n, total := secretsOf(t, 1)
		if n < 2 || total <= 1<<20 {
			t.Fatalf("revision 1 is stored in %d Secrets, %d bytes: want a record over 1 MiB in several Secrets", n, total)
		}
		t.Logf("revision 1: %d Secrets, %d bytes", n, total)
		blobs(t, "one")
	})

	step("upgrade", func(t *testing.T) {
		res, err := Upgrade{Config: cfg}.Run(ctx, UpgradeOptions{Name: name, Namespace: ns, Chart: chart, Values: map[string]any{"seed": "two"}, DeployOptions: opts})
		if err != nil {
			t.Fatal(err)
		}
		if res.Release.Revision != 2 || res.Changes.Count(apply.ActionConfigured) != 6 {
			t.Fatalf("revision %d, changes %s", res.Release.Revision, res.Changes.Summary())
		}
		if n, _ := secretsOf(t, 2); n < 2 {
			t.Fatalf("revision 2 in %d Secrets", n)
		}
		blobs(t, "two")
	})

	step("history", func(t *testing.T) {
		h, err := History{Config: cfg}.Run(ctx, HistoryOptions{Name: name, Namespace: ns, Max: 0})
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != 2 || h[0].Status != release.StatusSuperseded || h[1].Status != release.StatusDeployed {
			t.Fatalf("history: %d revisions", len(h))
		}
		for _, r := range h {
			if len(r.Manifest) < 3<<20 {
				t.Fatalf("revision %d manifest: %d bytes", r.Revision, len(r.Manifest))
			}
		}
		if !strings.Contains(h[0].Manifest, "seed: \"one\"") || !strings.Contains(h[1].Manifest, "seed: \"two\"") {
			t.Fatal("the records do not hold their manifests")
		}
	})

	step("rollback", func(t *testing.T) {
		res, err := Rollback{Config: cfg}.Run(ctx, RollbackOptions{Name: name, Namespace: ns, Revision: 1, DeployOptions: opts})
		if err != nil {
			t.Fatal(err)
		}
		if res.Release.Revision != 3 || res.Release.Status != release.StatusDeployed {
			t.Fatalf("revision %d %s", res.Release.Revision, res.Release.Status)
		}
		blobs(t, "one")
		if n, _ := secretsOf(t, 3); n < 2 {
			t.Fatalf("revision 3 in %d Secrets", n)
		}
		wantHistory(t, ctx, cfg, ns, name, release.StatusSuperseded, release.StatusSuperseded, release.StatusDeployed)
	})

	step("no part is left over", func(t *testing.T) {
		// Every continuation Secret is listed by its record (updates replace parts).
		list, err := cs.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{LabelSelector: storage.LabelName + "=" + name})
		if err != nil {
			t.Fatal(err)
		}
		listed := map[string]bool{}
		for _, s := range list.Items {
			for _, p := range strings.Split(s.Annotations["hoist.dev/chunks"], ",") {
				listed[p] = true
			}
		}
		for _, s := range list.Items {
			if of := s.Labels["hoist.dev/chunk-of"]; of != "" && !listed[s.Name] {
				t.Fatalf("part %s of %s is not listed by its record", s.Name, of)
			}
		}
	})
}
