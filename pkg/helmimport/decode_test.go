package helmimport

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"

	"github.com/hoist-dev/hoist/pkg/chart"
	"github.com/hoist-dev/hoist/pkg/engine"
	"github.com/hoist-dev/hoist/pkg/release"
)

// TestDecodeHelm3Secret imports a Helm 3 revision with hooks, user labels, subchart
// objects, a cluster-scoped object and a CRD, as Helm 3 writes it.
func TestDecodeHelm3Secret(t *testing.T) {
	js := readFixture(t, "helm3-web.v3.json")
	s := helmSecret(t, "prod", "web", 3, "deployed", js, map[string]string{"team": "payments", "env": "prod"})
	r, err := DecodeSecret(s, Options{})
	if err != nil {
		t.Fatal(err)
	}

	if r.Format != release.FormatV1 || r.Name != "web" || r.Namespace != "prod" || r.Revision != 3 ||
		r.Status != release.StatusDeployed || r.Description != "Upgrade complete" {
		t.Errorf("identity: got %s %s %q %q", r.Format, r.Key(), r.Status, r.Description)
	}
	if want := mustTime(t, "2025-03-01T09:12:44.104123001+01:00"); !r.FirstDeployed.Equal(want) {
		t.Errorf("FirstDeployed = %v, want %v", r.FirstDeployed, want)
	}
	if want := mustTime(t, "2025-06-17T14:03:19.55812+02:00"); !r.LastDeployed.Equal(want) {
		t.Errorf("LastDeployed = %v, want %v", r.LastDeployed, want)
	}
	if !r.Deleted.IsZero() {
		t.Errorf(`Deleted = %v, want zero (Helm 3 writes "")`, r.Deleted)
	}
	if !strings.Contains(r.Notes, "8080:80 && open") {
		t.Errorf("Notes = %q", r.Notes)
	}

	md := r.Chart.Metadata
	wantMD := &chart.Metadata{
		Name: "web", Home: "https://acme.example/web", Sources: []string{"https://github.com/acme/web"},
		Version: "1.4.2", Description: "The Acme web front end", Keywords: []string{"web", "acme"},
		Maintainers: []*chart.Maintainer{{Name: "Ops", Email: "ops@acme.example"}},
		Icon:        "https://acme.example/icon.png", APIVersion: "v2", AppVersion: "2.1.0",
		Annotations: map[string]string{"category": "Web"}, KubeVersion: ">=1.25.0-0", Type: "application",
		Dependencies: []*chart.Dependency{{
			Name: "redis", Version: "18.x.x", Repository: "oci://registry-1.docker.io/bitnamicharts",
			Condition: "redis.enabled", Tags: []string{"cache"}, Enabled: true,
			ImportValues: []any{"exports", map[string]any{"child": "service", "parent": "redisService"}},
		}},
	}
	if !reflect.DeepEqual(md, wantMD) {
		got, _ := json.Marshal(md)
		want, _ := json.Marshal(wantMD)
		t.Errorf("chart metadata:\n got %s\nwant %s", got, want)
	}
	if r.Chart.Source != "helm:web-1.4.2" || r.Chart.Digest != "" {
		t.Errorf("chart source/digest = %q %q", r.Chart.Source, r.Chart.Digest)
	}

	wantConfig := map[string]any{"replicaCount": 3.0, "image": map[string]any{"tag": "2.1.0"}, "ingress": nil}
	if !reflect.DeepEqual(r.Config, wantConfig) {
		t.Errorf("Config = %#v", r.Config)
	}
	// `helm get values --all`: the null in the user values removes ingress, the null
	// chart default (debug) is dropped.
	wantValues := map[string]any{
		"replicaCount":   3.0,
		"image":          map[string]any{"repository": "ghcr.io/acme/web", "tag": "2.1.0", "pullPolicy": "IfNotPresent"},
		"redis":          map[string]any{"enabled": true, "architecture": "standalone"},
		"podAnnotations": map[string]any{},
	}
	if !reflect.DeepEqual(r.Values, wantValues) {
		t.Errorf("Values = %#v", r.Values)
	}

	var rec struct {
		Manifest string `json:"manifest"`
	}
	if err := json.Unmarshal(js, &rec); err != nil {
		t.Fatal(err)
	}
	if r.Manifest != rec.Manifest {
		t.Errorf("Manifest is not Helm's, as is")
	}

	if len(r.Hooks) != 2 {
		t.Fatalf("got %d hooks", len(r.Hooks))
	}
	mig := r.Hooks[0]
	if mig.Name != "web-migrate" || mig.Kind != "Job" || mig.Path != "web/templates/migrate-job.yaml" || mig.Weight != -5 ||
		!reflect.DeepEqual(mig.Events, []release.HookEvent{release.HookEvent(engine.PreUpgrade), release.HookEvent(engine.PreInstall)}) ||
		!reflect.DeepEqual(mig.DeletePolicies, []string{"before-hook-creation", "hook-succeeded"}) ||
		!strings.Contains(mig.Manifest, "args: [\"migrate\"]") {
		t.Errorf("migrate hook = %+v", *mig)
	}
	if mig.LastRun.Phase != "Succeeded" || !mig.LastRun.StartedAt.Equal(mustTime(t, "2025-06-17T14:03:20.001+02:00")) ||
		!mig.LastRun.CompletedAt.Equal(mustTime(t, "2025-06-17T14:03:41.9+02:00")) {
		t.Errorf("migrate hook last run = %+v", mig.LastRun)
	}
	tst := r.Hooks[1]
	if !reflect.DeepEqual(tst.Events, []release.HookEvent{release.HookEvent(engine.Test)}) || tst.Weight != 0 ||
		tst.DeletePolicies == nil || len(tst.DeletePolicies) != 0 || tst.LastRun != (release.HookRun{}) {
		t.Errorf("test hook = %+v, last run %+v", *tst, tst.LastRun)
	}

	if want := map[string]string{"team": "payments", "env": "prod"}; !reflect.DeepEqual(r.Labels, want) {
		t.Errorf("Labels = %v, want %v (Helm's own labels removed)", r.Labels, want)
	}
	if r.Inventory != nil {
		t.Errorf("Inventory without Scope = %v, want none", r.Inventory)
	}
	if r.Postrender != nil {
		t.Errorf("Postrender = %v", r.Postrender)
	}

	back := roundTrip(t, r)
	if back.Chart.Source != r.Chart.Source || len(back.Hooks) != 2 || !back.LastDeployed.Equal(r.LastDeployed) {
		t.Errorf("hoist codec lost fields: %+v", back)
	}
}

// TestDecodeHelm4Secret imports a Helm 4 revision: times left out rather than "",
// apply_method, chart modification times, a hook with an output log policy.
func TestDecodeHelm4Secret(t *testing.T) {
	js := readFixture(t, "helm4-api.v2.json")
	s := helmSecret(t, "apps", "api", 2, "failed", js, nil)
	r, err := DecodeSecret(s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "api" || r.Namespace != "apps" || r.Revision != 2 || r.Status != release.StatusFailed ||
		r.Description != `Upgrade "api" failed: context deadline exceeded` {
		t.Errorf("identity: %s %q %q", r.Key(), r.Status, r.Description)
	}
	if !r.FirstDeployed.Equal(mustTime(t, "2026-01-10T08:00:00.5Z")) || !r.LastDeployed.Equal(mustTime(t, "2026-01-12T10:30:00.25Z")) || !r.Deleted.IsZero() {
		t.Errorf("times: %v %v %v", r.FirstDeployed, r.LastDeployed, r.Deleted)
	}
	if r.Chart.Metadata.Name != "api" || r.Chart.Metadata.Version != "0.9.0" || r.Chart.Source != "helm:api-0.9.0" {
		t.Errorf("chart: %+v %q", r.Chart.Metadata, r.Chart.Source)
	}
	if r.Labels != nil {
		t.Errorf("Labels = %v, want none", r.Labels)
	}
	wantValues := map[string]any{"replicas": 2.0, "resources": map[string]any{"limits": map[string]any{"cpu": "500m"}}}
	if !reflect.DeepEqual(r.Values, wantValues) {
		t.Errorf("Values = %#v", r.Values)
	}
	h := r.Hooks[0]
	if !reflect.DeepEqual(h.Events, []release.HookEvent{release.HookEvent(engine.PostInstall)}) || !reflect.DeepEqual(h.OutputLogPolicies, []string{"hook-failed"}) ||
		h.LastRun != (release.HookRun{}) {
		t.Errorf("hook = %+v %+v", *h, h.LastRun)
	}
	roundTrip(t, r)

	rec, err := DecodeRecord(s.Data["release"])
	if err != nil {
		t.Fatal(err)
	}
	if rec.ApplyMethod != "ssa" {
		t.Errorf("ApplyMethod = %q, want ssa", rec.ApplyMethod)
	}
}

// TestHelm3And4RecordsAgree stores the same revision as Helm 3 and as Helm 4 write it.
func TestHelm3And4RecordsAgree(t *testing.T) {
	helm3 := `{"name":"x","info":{"first_deployed":"2025-01-01T00:00:00Z","last_deployed":"2025-01-02T00:00:00Z","deleted":"","description":"Rollback to 1","status":"superseded","notes":"n"},` +
		`"chart":{"metadata":{"name":"c","version":"1.0.0","apiVersion":"v2"},"lock":null,"templates":[],"values":{"k":"v"},"schema":null,"files":[]},` +
		`"config":{"k":"w"},"manifest":"---\n# Source: c/templates/a.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",` +
		`"hooks":[{"name":"h","kind":"Job","path":"c/templates/h.yaml","manifest":"kind: Job","events":["pre-rollback"],"last_run":{"started_at":"","completed_at":"","phase":""}}],"version":2,"namespace":"ns"}`
	helm4 := `{"name":"x","info":{"first_deployed":"2025-01-01T00:00:00Z","last_deployed":"2025-01-02T00:00:00Z","description":"Rollback to 1","status":"superseded","rollback_revision":1,"notes":"n"},` +
		`"chart":{"metadata":{"name":"c","version":"1.0.0","apiVersion":"v2"},"lock":null,"templates":[],"values":{"k":"v"},"schema":null,"schemamodtime":"0001-01-01T00:00:00Z","files":[]},` +
		`"config":{"k":"w"},"manifest":"---\n# Source: c/templates/a.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n",` +
		`"hooks":[{"name":"h","kind":"Job","path":"c/templates/h.yaml","manifest":"kind: Job","events":["pre-rollback"],"last_run":{"phase":""}}],"version":2,"namespace":"ns","apply_method":"csa"}`
	var got [2][]byte
	for i, js := range []string{helm3, helm4} {
		r, err := DecodeSecret(helmSecret(t, "ns", "x", 2, "superseded", []byte(js), nil), Options{})
		if err != nil {
			t.Fatalf("record %d: %v", i, err)
		}
		if got[i], err = release.Encode(r); err != nil {
			t.Fatal(err)
		}
	}
	if string(got[0]) != string(got[1]) {
		t.Errorf("the Helm 3 and Helm 4 records import differently")
	}
	rec, err := DecodeRecord([]byte(base64.StdEncoding.EncodeToString([]byte(helm4))))
	if err != nil {
		t.Fatal(err)
	}
	if rec.Info.RollbackRevision != 1 || rec.ApplyMethod != "csa" {
		t.Errorf("Helm 4 fields: %+v %q", rec.Info, rec.ApplyMethod)
	}
}

// TestPlainJSONRecord: Helm decompresses only data that starts with gzip's magic bytes.
func TestPlainJSONRecord(t *testing.T) {
	s := helmSecret(t, "ns", "demo", 1, "deployed", minimalJSON("demo", "ns", 1, "deployed"), nil)
	s.Data["release"] = []byte(base64.StdEncoding.EncodeToString(minimalJSON("demo", "ns", 1, "deployed")))
	r, err := DecodeSecret(s, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Name != "demo" || r.Chart.Metadata.Name != "demo" {
		t.Errorf("got %+v", r)
	}
	roundTrip(t, r)
}

// TestSecretOnTheWire checks the double base64: a Secret read from the API server (or
// `kubectl get -o json`) holds the base64 text Helm wrote.
func TestSecretOnTheWire(t *testing.T) {
	s := helmSecret(t, "prod", "web", 3, "deployed", readFixture(t, "helm3-web.v3.json"), nil)
	wire, err := json.Marshal(s)
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Data map[string]string `json:"data"`
	}
	if err := json.Unmarshal(wire, &raw); err != nil {
		t.Fatal(err)
	}
	once, err := base64.StdEncoding.DecodeString(raw.Data["release"])
	if err != nil {
		t.Fatal(err)
	}
	twice, err := base64.StdEncoding.DecodeString(string(once))
	if err != nil {
		t.Fatal(err)
	}
	if len(twice) < 3 || twice[0] != 0x1f || twice[1] != 0x8b {
		t.Fatalf("the wire form is not base64(base64(gzip))")
	}
	var back corev1.Secret
	if err := json.Unmarshal(wire, &back); err != nil {
		t.Fatal(err)
	}
	if _, err := DecodeSecret(&back, Options{}); err != nil {
		t.Fatal(err)
	}
}

func TestStatuses(t *testing.T) {
	for helm, want := range map[string]release.Status{
		"unknown": release.StatusUnknown, "deployed": release.StatusDeployed, "uninstalled": release.StatusUninstalled,
		"superseded": release.StatusSuperseded, "failed": release.StatusFailed, "uninstalling": release.StatusUninstalling,
		"pending-install": release.StatusPendingInstall, "pending-upgrade": release.StatusPendingUpgrade,
		"pending-rollback": release.StatusPendingRollback,
	} {
		js := minimalJSON("demo", "ns", 4, helm)
		if helm == "uninstalled" {
			js = editJSON(t, js, func(m map[string]any) {
				m["info"].(map[string]any)["deleted"] = "2025-02-01T10:00:00Z"
			})
		}
		r, err := DecodeSecret(helmSecret(t, "ns", "demo", 4, helm, js, nil), Options{})
		if err != nil {
			t.Fatalf("%s: %v", helm, err)
		}
		if r.Status != want {
			t.Errorf("%s: status %q, want %q", helm, r.Status, want)
		}
		if helm == "uninstalled" && !r.Deleted.Equal(mustTime(t, "2025-02-01T10:00:00Z")) {
			t.Errorf("Deleted = %v", r.Deleted)
		}
		roundTrip(t, r)
	}
}

func TestHookEventsAndPhases(t *testing.T) {
	js := editJSON(t, minimalJSON("demo", "ns", 1, "deployed"), func(m map[string]any) {
		m["hooks"] = []any{
			map[string]any{"name": "a", "kind": "Pod", "path": "demo/templates/a.yaml", "manifest": "kind: Pod",
				"events":   []any{"test-success", "test", "pre-delete", "post-delete", "post-upgrade", "post-rollback"},
				"last_run": map[string]any{"started_at": "2025-01-01T00:00:00Z", "completed_at": "", "phase": "Unknown"}},
			map[string]any{"name": "b", "kind": "Job", "path": "demo/templates/b.yaml", "manifest": "kind: Job",
				"events": []any{"post-install"}, "weight": 10,
				"last_run": map[string]any{"started_at": "2025-01-01T00:00:00Z", "completed_at": "2025-01-01T00:01:00Z", "phase": "Failed"}},
			map[string]any{"name": "c", "kind": "Job", "path": "demo/templates/c.yaml", "manifest": "kind: Job",
				"events": []any{"pre-install"}, "last_run": map[string]any{"started_at": "2025-01-01T00:00:00Z", "phase": "Running"}},
		}
	})
	r, err := DecodeSecret(helmSecret(t, "ns", "demo", 1, "deployed", js, nil), Options{})
	if err != nil {
		t.Fatal(err)
	}
	a := r.Hooks[0]
	if !reflect.DeepEqual(a.Events, []release.HookEvent{release.HookEvent(engine.Test), release.HookEvent(engine.PreDelete), release.HookEvent(engine.PostDelete), release.HookEvent(engine.PostUpgrade), release.HookEvent(engine.PostRollback)}) {
		t.Errorf("events = %v", a.Events)
	}
	if a.LastRun.Phase != "" || a.LastRun.StartedAt.IsZero() || !a.LastRun.CompletedAt.IsZero() {
		t.Errorf("Unknown phase: %+v", a.LastRun)
	}
	if r.Hooks[1].LastRun.Phase != "Failed" || r.Hooks[1].Weight != 10 || r.Hooks[2].LastRun.Phase != "Running" {
		t.Errorf("hooks: %+v %+v", r.Hooks[1], r.Hooks[2])
	}
	roundTrip(t, r)
}

// TestNamespaceFromSecret: a record without a namespace takes its Secret's.
func TestNamespaceFromSecret(t *testing.T) {
	js := editJSON(t, minimalJSON("demo", "", 1, "deployed"), func(m map[string]any) { delete(m, "namespace") })
	r, err := DecodeSecret(helmSecret(t, "team-a", "demo", 1, "deployed", js, nil), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if r.Namespace != "team-a" {
		t.Errorf("Namespace = %q", r.Namespace)
	}
}

func TestNamesAndSelectors(t *testing.T) {
	if got := SecretName("web", 12); got != "sh.helm.release.v1.web.v12" {
		t.Errorf("SecretName = %q", got)
	}
	if got := ListSelector("web"); got != "name=web,owner=helm" {
		t.Errorf("ListSelector = %q", got)
	}
	if got := AllSelector(); got != "owner=helm" {
		t.Errorf("AllSelector = %q", got)
	}
	lbls := map[string]string{"name": "x", "owner": "helm", "status": "deployed", "version": "1", "createdAt": "1", "modifiedAt": "2", "team": "a"}
	if got := UserLabels(lbls); !reflect.DeepEqual(got, map[string]string{"team": "a"}) {
		t.Errorf("UserLabels = %v", got)
	}
	if got := UserLabels(map[string]string{"owner": "helm"}); got != nil {
		t.Errorf("UserLabels = %v, want nil", got)
	}
}

func TestBadInput(t *testing.T) {
	good := minimalJSON("demo", "ns", 2, "deployed")
	secret := func(mod func(s *corev1.Secret)) *corev1.Secret {
		s := helmSecret(t, "ns", "demo", 2, "deployed", good, nil)
		mod(s)
		return s
	}
	withJSON := func(js []byte) *corev1.Secret {
		return secret(func(s *corev1.Secret) { s.Data["release"] = helmEncode(t, js) })
	}
	edit := func(f func(m map[string]any)) *corev1.Secret { return withJSON(editJSON(t, good, f)) }
	info := func(m map[string]any) map[string]any { return m["info"].(map[string]any) }
	hook := func(h map[string]any) func(m map[string]any) {
		return func(m map[string]any) {
			base := map[string]any{"name": "h", "kind": "Job", "path": "demo/templates/h.yaml", "manifest": "kind: Job", "events": []any{"pre-install"}, "last_run": map[string]any{"phase": ""}}
			for k, v := range h {
				base[k] = v
			}
			m["hooks"] = []any{base}
		}
	}
	gzipped := helmEncode(t, good)
	rawGzip, _ := base64.StdEncoding.DecodeString(string(gzipped))
	truncated := []byte(base64.StdEncoding.EncodeToString(rawGzip[:len(rawGzip)/2]))

	for _, tc := range []struct {
		name   string
		secret *corev1.Secret
		want   error
		msg    string
	}{
		{"nil", nil, ErrNotRecord, "no Secret"},
		{"opaque", secret(func(s *corev1.Secret) { s.Type = corev1.SecretTypeOpaque }), ErrNotRecord, `secret ns/sh.helm.release.v1.demo.v2: not a Helm release record: type is "Opaque"`},
		{"hoist record", secret(func(s *corev1.Secret) { s.Type = "hoist.dev/release.v1" }), ErrNotRecord, `type is "hoist.dev/release.v1"`},
		{"helm 2", secret(func(s *corev1.Secret) {
			s.Type = corev1.SecretTypeOpaque
			s.Labels = map[string]string{"OWNER": "TILLER", "NAME": "demo"}
		}), ErrNotRecord, "helm-2to3"},
		{"other owner", secret(func(s *corev1.Secret) { s.Labels["owner"] = "someone" }), ErrNotRecord, `label owner is "someone"`},
		{"no data", secret(func(s *corev1.Secret) { s.Data = nil }), ErrNotRecord, `no data under "release"`},
		{"empty data", secret(func(s *corev1.Secret) { s.Data["release"] = nil }), ErrNotRecord, `no data under "release"`},
		{"bad base64", secret(func(s *corev1.Secret) { s.Data["release"] = []byte("H4sI!!!") }), ErrCorrupt, "corrupt Helm release record: base64"},
		{"raw gzip, not base64", secret(func(s *corev1.Secret) { s.Data["release"] = rawGzip }), ErrCorrupt, "base64"},
		{"bad gzip", secret(func(s *corev1.Secret) {
			s.Data["release"] = []byte(base64.StdEncoding.EncodeToString([]byte{0x1f, 0x8b, 0x08, 0xff, 0, 0, 0, 0, 0, 0, 1, 2, 3}))
		}), ErrCorrupt, "gzip"},
		{"truncated gzip", secret(func(s *corev1.Secret) { s.Data["release"] = truncated }), ErrCorrupt, "gzip"},
		{"bad JSON", withJSON([]byte(`{"name":"demo",`)), ErrCorrupt, "JSON"},
		{"JSON array", withJSON([]byte(`[1,2]`)), ErrNotRecord, "cannot unmarshal"},
		{"version is a string", edit(func(m map[string]any) { m["version"] = "2" }), ErrNotRecord, "cannot unmarshal"},
		{"bad time", edit(func(m map[string]any) { info(m)["last_deployed"] = "yesterday" }), ErrNotRecord, "yesterday"},
		{"JSON null", withJSON([]byte(`null`)), ErrNotRecord, "no release name"},
		{"no name", edit(func(m map[string]any) { delete(m, "name") }), ErrNotRecord, "no release name"},
		{"no version", edit(func(m map[string]any) { delete(m, "version") }), ErrNotRecord, "has no revision"},
		{"no info", edit(func(m map[string]any) { delete(m, "info") }), ErrNotRecord, `has no "info"`},
		{"no status", edit(func(m map[string]any) { delete(info(m), "status") }), ErrNotRecord, "has no status"},
		{"unknown status", edit(func(m map[string]any) { info(m)["status"] = "paused" }), ErrNotRecord, `status "paused"`},
		{"status in capitals", edit(func(m map[string]any) { info(m)["status"] = "DEPLOYED" }), ErrNotRecord, `status "DEPLOYED"`},
		{"no chart", edit(func(m map[string]any) { delete(m, "chart") }), ErrNotRecord, "no chart metadata"},
		{"chart without name", edit(func(m map[string]any) {
			m["chart"] = map[string]any{"metadata": map[string]any{"version": "1.0.0"}}
		}), ErrNotRecord, "no name or version"},
		{"null hook", edit(func(m map[string]any) { m["hooks"] = []any{nil} }), ErrNotRecord, "hook 1 is null"},
		{"unknown hook event", edit(hook(map[string]any{"events": []any{"pre-install", "on-friday"}})), ErrNotRecord, `event "on-friday"`},
		{"unknown hook phase", edit(hook(map[string]any{"last_run": map[string]any{"phase": "Exploded"}})), ErrNotRecord, `phase "Exploded"`},
		{"hook weight not a number", edit(hook(map[string]any{"weight": "5"})), ErrNotRecord, "cannot unmarshal"},
		{"Secret named for another release", secret(func(s *corev1.Secret) { s.Name = SecretName("other", 2) }), ErrMismatch,
			`secret ns/sh.helm.release.v1.other.v2: mismatched Helm release record: it holds release "demo" revision 2, which Helm stores as sh.helm.release.v1.demo.v2`},
		{"Secret named for another revision", secret(func(s *corev1.Secret) { s.Name = SecretName("demo", 3) }), ErrMismatch, "revision 2"},
		{"name label", secret(func(s *corev1.Secret) { s.Labels["name"] = "other" }), ErrMismatch, `label name is "other"`},
		{"version label", secret(func(s *corev1.Secret) { s.Labels["version"] = "7" }), ErrMismatch, `label version is "7"`},
		{"namespace", secret(func(s *corev1.Secret) { s.Namespace = "elsewhere" }), ErrMismatch, `secret elsewhere/sh.helm.release.v1.demo.v2: mismatched Helm release record: the record is of namespace "ns"`},
		{"name hoist cannot store", func() *corev1.Secret {
			s := helmSecret(t, "ns", "Demo_1", 2, "deployed", minimalJSON("Demo_1", "ns", 2, "deployed"), nil)
			return s
		}(), ErrUnsupported, "invalid release name"},
		{"label hoist reserves", secret(func(s *corev1.Secret) { s.Labels["revision"] = "blue" }), ErrUnsupported, `label "revision"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := DecodeSecret(tc.secret, Options{})
			if err == nil {
				t.Fatalf("no error; got %+v", r)
			}
			if !errors.Is(err, tc.want) {
				t.Errorf("error %q does not wrap %q", err, tc.want)
			}
			if !strings.Contains(err.Error(), tc.msg) {
				t.Errorf("error %q does not say %q", err, tc.msg)
			}
			if tc.secret != nil && !strings.HasPrefix(err.Error(), "secret "+tc.secret.Namespace+"/"+tc.secret.Name+": ") {
				t.Errorf("error %q does not name the Secret", err)
			}
		})
	}
}

// TestDecompressedSizeLimit: a gzip bomb is refused once the limit is passed, and so is
// uncompressed JSON over it.
func TestDecompressedSizeLimit(t *testing.T) {
	const limit = 64 << 10
	big := editJSON(t, minimalJSON("demo", "ns", 1, "deployed"), func(m map[string]any) {
		m["manifest"] = strings.Repeat("# padding\n", limit/5)
	})
	bomb := helmEncode(t, big)
	if len(bomb) > limit/4 {
		t.Fatalf("bomb is %d bytes: not a bomb", len(bomb))
	}
	if _, err := decodeRecord(bomb, limit); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("gzip bomb: %v", err)
	}
	plain := []byte(base64.StdEncoding.EncodeToString(big))
	if _, err := decodeRecord(plain, limit); !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "larger than") {
		t.Errorf("plain JSON over the limit: %v", err)
	}
	if _, err := decodeRecord(bomb, len(big)); err != nil {
		t.Errorf("record at the limit: %v", err)
	}
	if release.MaxDecodedSize < 100<<20 {
		t.Errorf("limit too small for real records")
	}
}

func TestRevisions(t *testing.T) {
	mk := func(ns, name string, rev int, status string) corev1.Secret {
		return *helmSecret(t, ns, name, rev, status, minimalJSON(name, ns, rev, status), nil)
	}
	secrets := []corev1.Secret{
		mk("ns", "demo", 10, "deployed"),
		mk("ns", "demo", 2, "superseded"),
		mk("ns", "demo", 9, "failed"),
	}
	got, err := Revisions(secrets, "demo", Options{})
	if err != nil {
		t.Fatal(err)
	}
	var revs []int
	for _, r := range got {
		revs = append(revs, r.Revision)
		roundTrip(t, r)
	}
	if !reflect.DeepEqual(revs, []int{2, 9, 10}) {
		t.Errorf("revisions %v, want sorted [2 9 10]", revs)
	}
	if got, err := Revisions(nil, "demo", Options{}); err != nil || len(got) != 0 {
		t.Errorf("no Secrets: %v %v", got, err)
	}

	dup := mk("ns", "demo", 2, "superseded")
	dup.Name = "copy-of-v2"
	dup.Labels = nil
	// A copy under another name is refused as misnamed before it can be a duplicate.
	if _, err := Revisions(append(secrets[:3:3], dup), "demo", Options{}); !errors.Is(err, ErrMismatch) {
		t.Errorf("renamed copy: %v", err)
	}
	if _, err := Revisions(append(secrets[:3:3], secrets[1]), "demo", Options{}); !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), "revision 2 of release \"demo\" is also in secret ns/sh.helm.release.v1.demo.v2") {
		t.Errorf("duplicate: %v", err)
	}
	other := mk("ns", "other", 1, "deployed")
	if _, err := Revisions(append(secrets[:3:3], other), "demo", Options{}); !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), `record of release "other", not "demo"`) {
		t.Errorf("other release: %v", err)
	}
	elsewhere := mk("ns2", "demo", 3, "superseded")
	if _, err := Revisions(append(secrets[:3:3], elsewhere), "demo", Options{}); !errors.Is(err, ErrMismatch) || !strings.Contains(err.Error(), `in namespace "ns2"`) {
		t.Errorf("two namespaces: %v", err)
	}
	if _, err := Revisions(secrets, "Bad_Name", Options{}); err == nil || !strings.Contains(err.Error(), "invalid release name") {
		t.Errorf("invalid name: %v", err)
	}

	// Every problem is reported, each naming its Secret.
	broken := mk("ns", "demo", 4, "superseded")
	broken.Data["release"] = []byte("%%%")
	_, err = Revisions(append(secrets[:3:3], broken, other), "demo", Options{})
	if !errors.Is(err, ErrCorrupt) || !errors.Is(err, ErrMismatch) ||
		!strings.Contains(err.Error(), "secret ns/sh.helm.release.v1.demo.v4: corrupt") || !strings.Contains(err.Error(), "sh.helm.release.v1.other.v1") {
		t.Errorf("joined errors: %v", err)
	}
}

func TestConfigMapDriver(t *testing.T) {
	mk := func(rev int) corev1.ConfigMap {
		s := helmSecret(t, "ns", "demo", rev, "superseded", minimalJSON("demo", "ns", rev, "superseded"), map[string]string{"team": "x"})
		return corev1.ConfigMap{ObjectMeta: s.ObjectMeta, Data: map[string]string{"release": string(s.Data["release"])}}
	}
	cms := []corev1.ConfigMap{mk(2), mk(1)}
	got, err := ConfigMapRevisions(cms, "demo", Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || got[0].Revision != 1 || got[1].Revision != 2 || got[0].Labels["team"] != "x" {
		t.Errorf("got %+v", got)
	}
	roundTrip(t, got[0])

	noOwner := mk(3)
	delete(noOwner.Labels, "owner")
	if _, err := DecodeConfigMap(&noOwner, Options{}); !errors.Is(err, ErrNotRecord) || !strings.HasPrefix(err.Error(), "configmap ns/sh.helm.release.v1.demo.v3: ") {
		t.Errorf("no owner label: %v", err)
	}
	helm2 := corev1.ConfigMap{
		ObjectMeta: metav1.ObjectMeta{Name: "demo.v1", Namespace: "kube-system", Labels: map[string]string{"OWNER": "TILLER", "NAME": "demo"}},
		Data:       map[string]string{"release": "H4sIAAAAAAAA"},
	}
	if _, err := DecodeConfigMap(&helm2, Options{}); !errors.Is(err, ErrNotRecord) || !strings.Contains(err.Error(), "helm-2to3") {
		t.Errorf("Helm 2: %v", err)
	}
	empty := mk(4)
	empty.Data = nil
	if _, err := DecodeConfigMap(&empty, Options{}); !errors.Is(err, ErrNotRecord) {
		t.Errorf("no data: %v", err)
	}
	if _, err := DecodeConfigMap(nil, Options{}); !errors.Is(err, ErrNotRecord) {
		t.Errorf("nil: %v", err)
	}
}

// fakeScope knows a few built-in kinds, as a REST mapper would.
func fakeScope(gvk schema.GroupVersionKind) (bool, error) {
	switch gvk.GroupKind().String() {
	case "Service", "ServiceAccount", "ConfigMap", "Pod", "Deployment.apps", "Job.batch":
		return true, nil
	case "ClusterRole.rbac.authorization.k8s.io", "Namespace", "CustomResourceDefinition.apiextensions.k8s.io":
		return false, nil
	}
	return false, fmt.Errorf("no matches for %s: %w", gvk, ErrUnknownKind)
}

func TestInventoryWithScope(t *testing.T) {
	s := helmSecret(t, "prod", "web", 3, "deployed", readFixture(t, "helm3-web.v3.json"), nil)
	r, err := DecodeSecret(s, Options{Scope: fakeScope})
	if err != nil {
		t.Fatal(err)
	}
	want := []release.ObjectRef{
		{Version: "v1", Kind: "Service", Namespace: "prod", Name: "web-redis"},
		{Version: "v1", Kind: "ServiceAccount", Namespace: "prod", Name: "web"},
		{Group: "rbac.authorization.k8s.io", Version: "v1", Kind: "ClusterRole", Name: "web-reader"},
		{Version: "v1", Kind: "ConfigMap", Namespace: "shared", Name: "web-shared"},
		{Group: "apiextensions.k8s.io", Version: "v1", Kind: "CustomResourceDefinition", Name: "widgets.example.com"},
		// Widget is unknown to the scope, but the manifest's CRD says it is namespaced.
		{Group: "example.com", Version: "v1", Kind: "Widget", Namespace: "prod", Name: "web"},
		{Group: "apps", Version: "v1", Kind: "Deployment", Namespace: "prod", Name: "web"},
	}
	if !reflect.DeepEqual(r.Inventory, want) {
		t.Errorf("Inventory:\n got %+v\nwant %+v", r.Inventory, want)
	}
	roundTrip(t, r)

	asWritten, err := ManifestObjects(r.Manifest)
	if err != nil {
		t.Fatal(err)
	}
	if asWritten[0].Namespace != "" || asWritten[2].Namespace != "prod" || asWritten[3].Namespace != "shared" {
		t.Errorf("ManifestObjects changed namespaces: %+v", asWritten)
	}
}

func TestInventoryEdgeCases(t *testing.T) {
	manifest := "---\n# Source: c/templates/list.yaml\napiVersion: v1\nkind: List\nitems:\n" +
		"  - apiVersion: v1\n    kind: ConfigMap\n    metadata:\n      name: a\n" +
		"  - apiVersion: v1\n    kind: Namespace\n    metadata:\n      name: team\n" +
		"---\n# Source: c/templates/hidden.yaml\n# HIDDEN: The Secret output has been suppressed\n" +
		"---\n# Source: c/templates/again.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  namespace: rel\n"
	got, err := Inventory(manifest, "rel", fakeScope)
	if err != nil {
		t.Fatal(err)
	}
	want := []release.ObjectRef{
		{Version: "v1", Kind: "ConfigMap", Namespace: "rel", Name: "a"},
		{Version: "v1", Kind: "Namespace", Name: "team"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if got, err := Inventory("", "rel", fakeScope); err != nil || len(got) != 0 {
		t.Errorf("empty manifest: %v %v", got, err)
	}

	for _, bad := range []struct{ manifest, msg string }{
		{"---\n# Source: c/templates/x.yaml\nkind: ConfigMap\nmetadata:\n  name: x\n", "document 1 (c/templates/x.yaml): not a Kubernetes object"},
		{"apiVersion: v1\nkind: ConfigMap\nmetadata: {}\n", "metadata.name are required"},
		{"apiVersion: v1\nkind: [\n", "parsing YAML"},
		{"- a\n- b\n", "not a Kubernetes object"},
	} {
		if _, err := ManifestObjects(bad.manifest); err == nil || !strings.Contains(err.Error(), bad.msg) {
			t.Errorf("%q: error %v, want %q", bad.manifest, err, bad.msg)
		}
	}

	// Through DecodeSecret: an unknown kind or an unreadable manifest leaves Inventory
	// empty; another error of the scope is returned.
	unknown := editJSON(t, minimalJSON("demo", "ns", 1, "deployed"), func(m map[string]any) {
		m["manifest"] = "apiVersion: extensions/v1beta1\nkind: Ingress\nmetadata:\n  name: old\n"
	})
	r, err := DecodeSecret(helmSecret(t, "ns", "demo", 1, "deployed", unknown, nil), Options{Scope: fakeScope})
	if err != nil || r.Inventory != nil {
		t.Errorf("unknown kind: %v, inventory %v", err, r.Inventory)
	}
	unreadable := editJSON(t, minimalJSON("demo", "ns", 1, "deployed"), func(m map[string]any) { m["manifest"] = "kind: [\n" })
	r, err = DecodeSecret(helmSecret(t, "ns", "demo", 1, "deployed", unreadable, nil), Options{Scope: fakeScope})
	if err != nil || r.Inventory != nil {
		t.Errorf("unreadable manifest: %v, inventory %v", err, r.Inventory)
	}
	boom := errors.New("discovery failed")
	failing := func(schema.GroupVersionKind) (bool, error) { return false, boom }
	_, err = DecodeSecret(helmSecret(t, "ns", "demo", 1, "deployed", minimalJSON("demo", "ns", 1, "deployed"), nil), Options{Scope: failing})
	if !errors.Is(err, boom) || !strings.Contains(err.Error(), "scope of v1, Kind=ConfigMap") {
		t.Errorf("scope error: %v", err)
	}
}

// TestConvertDoesNotShare: the hoist record shares no maps or slices with the Helm
// record it came from.
func TestConvertDoesNotShare(t *testing.T) {
	rec, err := DecodeRecord(helmEncode(t, readFixture(t, "helm3-web.v3.json")))
	if err != nil {
		t.Fatal(err)
	}
	r, err := Convert(rec, map[string]string{"team": "a"}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	before, _ := json.Marshal(r)
	rec.Chart.Metadata.Keywords[0] = "changed"
	rec.Chart.Metadata.Maintainers[0].Name = "changed"
	rec.Chart.Metadata.Annotations["category"] = "changed"
	rec.Hooks[0].DeletePolicies[0] = "changed"
	rec.Chart.Values["replicaCount"] = 99
	rec.Chart.Values["image"].(map[string]any)["pullPolicy"] = "changed"
	rec.Config["image"].(map[string]any)["tag"] = "changed"
	after, _ := json.Marshal(r)
	if string(before) != string(after) {
		t.Errorf("the hoist record changed with the Helm record")
	}
	if _, err := Convert(nil, nil, Options{}); !errors.Is(err, ErrNotRecord) {
		t.Errorf("nil record: %v", err)
	}
	rec.Namespace = ""
	if _, err := Convert(rec, nil, Options{}); !errors.Is(err, ErrNotRecord) || !strings.Contains(err.Error(), "no namespace") {
		t.Errorf("no namespace: %v", err)
	}
}
