package testenv_test

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"
	"os"
	"testing"
	"time"

	"github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	"github.com/go-git/go-git/v5/storage/memory"
	"github.com/opencontainers/go-digest"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"
	"k8s.io/utils/ptr"
	"oras.land/oras-go/v2"
	"oras.land/oras-go/v2/content"
	orasmem "oras.land/oras-go/v2/content/memory"
	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"

	"github.com/hoist-dev/hoist/pkg/testenv"
)

// TestE2ESmoke checks each part of the environment the way later tests use it.
func TestE2ESmoke(t *testing.T) {
	env := testenv.Require(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()

	t.Run("deployment rolls out on kwok nodes", func(t *testing.T) {
		ns := env.Namespace(t)
		cs, err := env.Clientset()
		if err != nil {
			t.Fatal(err)
		}
		labels := map[string]string{"app": "smoke"}
		dep := &appsv1.Deployment{
			ObjectMeta: metav1.ObjectMeta{Name: "smoke", Namespace: ns},
			Spec: appsv1.DeploymentSpec{
				Replicas: ptr.To[int32](3),
				Selector: &metav1.LabelSelector{MatchLabels: labels},
				Template: corev1.PodTemplateSpec{
					ObjectMeta: metav1.ObjectMeta{Labels: labels},
					Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app", Image: "registry.invalid/app:1"}}},
				},
			},
		}
		if _, err := cs.AppsV1().Deployments(ns).Create(ctx, dep, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		w, err := cs.AppsV1().Deployments(ns).Watch(ctx, metav1.ListOptions{FieldSelector: "metadata.name=smoke"})
		if err != nil {
			t.Fatal(err)
		}
		defer w.Stop()
		var last *appsv1.Deployment
	watchLoop:
		for {
			select {
			case ev, ok := <-w.ResultChan():
				if !ok {
					t.Fatal("watch closed before the rollout finished")
				}
				if ev.Type == watch.Error {
					t.Fatalf("watch error: %v", ev.Object)
				}
				d, ok := ev.Object.(*appsv1.Deployment)
				if !ok {
					continue
				}
				last = d
				if d.Status.ObservedGeneration >= d.Generation && d.Status.UpdatedReplicas == 3 &&
					d.Status.ReadyReplicas == 3 && d.Status.AvailableReplicas == 3 {
					break watchLoop
				}
			case <-ctx.Done():
				t.Fatalf("deployment not rolled out: last status %+v", last.Status)
			}
		}
		pods, err := cs.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "app=smoke"})
		if err != nil {
			t.Fatal(err)
		}
		running := 0
		for _, p := range pods.Items {
			if p.Status.Phase == corev1.PodRunning && podReady(&p) && p.Spec.NodeName != "" {
				running++
			}
		}
		if running != 3 {
			t.Fatalf("want 3 pods Running and Ready on a node, got %d of %d", running, len(pods.Items))
		}
	})

	t.Run("non-admin user has no rights", func(t *testing.T) {
		cfg, err := clientcmd.BuildConfigFromFlags("", env.UserKubeconfig)
		if err != nil {
			t.Fatal(err)
		}
		cs, err := kubernetes.NewForConfig(cfg)
		if err != nil {
			t.Fatal(err)
		}
		_, err = cs.CoreV1().Pods("default").List(ctx, metav1.ListOptions{})
		if !apierrors.IsForbidden(err) {
			t.Fatalf("want Forbidden for %s, got %v", env.UserName, err)
		}
	})

	t.Run("oci push and pull, plain registry", func(t *testing.T) {
		repo, err := remote.NewRepository(env.Registry + "/smoke/plain")
		if err != nil {
			t.Fatal(err)
		}
		repo.PlainHTTP = true
		pushPull(ctx, t, repo)
	})

	t.Run("oci push and pull, TLS registry with htpasswd", func(t *testing.T) {
		repo, err := remote.NewRepository(env.SecureRegistry + "/smoke/secure")
		if err != nil {
			t.Fatal(err)
		}
		pem, err := os.ReadFile(env.CAFile)
		if err != nil {
			t.Fatal(err)
		}
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(pem)
		httpClient := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}}

		// Without credentials, and with a wrong password, the registry refuses.
		resp, err := httpClient.Get("https://" + env.SecureRegistry + "/v2/")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("GET /v2/ without credentials: %s, want 401", resp.Status)
		}
		repo.Client = &auth.Client{
			Client:     httpClient,
			Cache:      auth.NewCache(),
			Credential: auth.StaticCredential(env.SecureRegistry, auth.Credential{Username: env.RegistryUser, Password: "wrong"}),
		}
		if err := repo.Tags(ctx, "", func([]string) error { return nil }); !isUnauthorized(err) {
			t.Fatalf("want 401 with a wrong password, got %v", err)
		}
		repo.Client = &auth.Client{
			Client:     httpClient,
			Cache:      auth.NewCache(),
			Credential: auth.StaticCredential(env.SecureRegistry, auth.Credential{Username: env.RegistryUser, Password: env.RegistryPass}),
		}
		pushPull(ctx, t, repo)
	})

	t.Run("git clone with go-git", func(t *testing.T) {
		repo, err := env.CreateGitRepo("smoke/" + fmt.Sprint(time.Now().UnixNano()))
		if err != nil {
			t.Fatal(err)
		}
		first, err := repo.Commit(map[string][]byte{"chart/Chart.yaml": []byte("apiVersion: v2\nname: smoke\nversion: 0.1.0\n")}, "first")
		if err != nil {
			t.Fatal(err)
		}
		if err := repo.Tag("v0.1.0"); err != nil {
			t.Fatal(err)
		}
		second, err := repo.Commit(map[string][]byte{"chart/Chart.yaml": []byte("apiVersion: v2\nname: smoke\nversion: 0.2.0\n")}, "second")
		if err != nil {
			t.Fatal(err)
		}
		r, err := git.CloneContext(ctx, memory.NewStorage(), nil, &git.CloneOptions{URL: repo.URL, Tags: git.AllTags})
		if err != nil {
			t.Fatalf("clone %s: %v", repo.URL, err)
		}
		head, err := r.Head()
		if err != nil {
			t.Fatal(err)
		}
		if head.Hash().String() != second || head.Name() != plumbing.NewBranchReferenceName("main") {
			t.Fatalf("HEAD = %s %s, want main at %s", head.Name(), head.Hash(), second)
		}
		tag, err := r.Tag("v0.1.0")
		if err != nil {
			t.Fatal(err)
		}
		tagObj, err := r.TagObject(tag.Hash())
		if err != nil {
			t.Fatal(err)
		}
		commit, err := tagObj.Commit()
		if err != nil || commit.Hash.String() != first {
			t.Fatalf("tag v0.1.0 points at %v (%v), want %s", commit, err, first)
		}
		file, err := commit.File("chart/Chart.yaml")
		if err != nil {
			t.Fatal(err)
		}
		if body, _ := file.Contents(); !bytes.Contains([]byte(body), []byte("version: 0.1.0")) {
			t.Fatalf("chart/Chart.yaml at v0.1.0 = %q", body)
		}

		// The /auth/ endpoint needs the credentials.
		if _, err := git.CloneContext(ctx, memory.NewStorage(), nil, &git.CloneOptions{URL: repo.AuthURL}); err == nil {
			t.Fatal("clone of the authenticated URL without credentials succeeded")
		}
		if _, err := git.CloneContext(ctx, memory.NewStorage(), nil, &git.CloneOptions{
			URL: repo.AuthURL, Auth: &githttp.BasicAuth{Username: env.GitUser, Password: env.GitPass},
		}); err != nil {
			t.Fatalf("clone with credentials: %v", err)
		}
	})
}

func pushPull(ctx context.Context, t *testing.T, repo *remote.Repository) {
	t.Helper()
	payload := []byte("hoist smoke test " + time.Now().String())
	layer := content.NewDescriptorFromBytes("application/vnd.hoist.test.layer.v1", payload)
	if err := repo.Push(ctx, layer, bytes.NewReader(payload)); err != nil {
		t.Fatalf("push blob: %v", err)
	}
	manifest, err := oras.PackManifest(ctx, repo, oras.PackManifestVersion1_1, "application/vnd.hoist.test.v1",
		oras.PackManifestOptions{Layers: []ocispec.Descriptor{layer}})
	if err != nil {
		t.Fatalf("push manifest: %v", err)
	}
	if err := repo.Tag(ctx, manifest, "v1"); err != nil {
		t.Fatalf("tag: %v", err)
	}
	store := orasmem.New()
	got, err := oras.Copy(ctx, repo, "v1", store, "v1", oras.DefaultCopyOptions)
	if err != nil {
		t.Fatalf("pull: %v", err)
	}
	if got.Digest != manifest.Digest {
		t.Fatalf("pulled manifest %s, pushed %s", got.Digest, manifest.Digest)
	}
	pulled, err := content.FetchAll(ctx, store, layer)
	if err != nil {
		t.Fatal(err)
	}
	if digest.FromBytes(pulled) != layer.Digest || !bytes.Equal(pulled, payload) {
		t.Fatalf("pulled layer differs from what was pushed")
	}
}

func isUnauthorized(err error) bool {
	var resp *errcode.ErrorResponse
	return errors.As(err, &resp) && resp.StatusCode == http.StatusUnauthorized && !errors.Is(err, errdef.ErrNotFound)
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}
