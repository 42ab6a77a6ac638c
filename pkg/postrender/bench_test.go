package postrender_test

import (
	"context"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/hoist-dev/hoist/pkg/action"
	"github.com/hoist-dev/hoist/pkg/chart"
	"github.com/hoist-dev/hoist/pkg/engine"
	"github.com/hoist-dev/hoist/pkg/postrender"
	"github.com/hoist-dev/hoist/pkg/values"
)

// benchCase is a chart rendered as plain rendering (the baseline) and with a
// five-patch overlay.
type benchCase struct {
	name     string
	chart    string
	set      []string // --set values
	apis     []string // --api-versions
	overlays map[string]map[string]string
}

var benchCases = []benchCase{
	{
		// ../shared/bench/big-chart: 500 ConfigMaps, 20 Deployments, 20 Services.
		name:  "big-chart",
		chart: "../../../shared/bench/big-chart",
		overlays: map[string]map[string]string{
			// Five patches that select 45 of the 540 objects.
			"typical": {"kustomization.yaml": `
patches:
- target: {kind: Deployment}
  patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: any}
    spec:
      template:
        spec:
          containers:
          - name: c
            resources: {limits: {memory: 128Mi}}
- target: {kind: Deployment, name: web-1}
  patch: |-
    - {op: replace, path: /spec/replicas, value: 3}
- target: {kind: ConfigMap, name: cm-(1|2|3)}
  patch: |-
    - {op: add, path: /metadata/annotations, value: {reviewed: "true"}}
- target: {kind: Service, name: web-1.*}
  patch: |-
    apiVersion: v1
    kind: Service
    metadata: {name: any}
    spec: {type: ClusterIP}
- patch: |-
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: cm-0}
    data: {extra: "1"}
`},
			// Five patches that select every object.
			"every-object": {"kustomization.yaml": `
patches:
- target: {kind: Deployment}
  patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: any}
    spec:
      template:
        spec:
          containers:
          - name: c
            resources: {limits: {memory: 128Mi}}
- target: {kind: Deployment, name: web-1}
  patch: |-
    - {op: replace, path: /spec/replicas, value: 3}
- target: {kind: ConfigMap, labelSelector: app.kubernetes.io/instance=bench}
  patch: |-
    - {op: add, path: /metadata/annotations, value: {reviewed: "true"}}
- target: {kind: Service}
  patch: |-
    apiVersion: v1
    kind: Service
    metadata: {name: any}
    spec: {type: ClusterIP}
- patch: |-
    apiVersion: v1
    kind: ConfigMap
    metadata: {name: cm-0}
    data: {extra: "1"}
`},
			// A label on every object: nothing can skip kustomize.
			"labels": {"kustomization.yaml": "labels:\n- pairs: {team: web}\n"},
		},
	},
	{
		// The largest conformance chart: cert-manager with its CRDs and monitoring.
		name:  "cert-manager",
		chart: "../../../shared/conformance/charts/cert-manager",
		set:   []string{"crds.enabled=true", "prometheus.servicemonitor.enabled=true", "replicaCount=2", "podDisruptionBudget.enabled=true", "webhook.replicaCount=2"},
		apis:  []string{"monitoring.coreos.com/v1"},
		overlays: map[string]map[string]string{"typical": {"kustomization.yaml": `
patches:
- target: {kind: Deployment}
  patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata: {name: any}
    spec:
      template:
        spec:
          nodeSelector: {pool: system}
- target: {kind: Deployment, name: bench-cert-manager}
  patch: |-
    - {op: replace, path: /spec/replicas, value: 3}
- target: {kind: ClusterRole, labelSelector: app.kubernetes.io/instance=bench}
  patch: |-
    - {op: add, path: /metadata/labels/reviewed, value: "true"}
- target: {kind: ServiceAccount, labelSelector: app.kubernetes.io/instance=bench}
  patch: |-
    apiVersion: v1
    kind: ServiceAccount
    metadata: {name: any}
    automountServiceAccountToken: false
- patch: |-
    apiVersion: v1
    kind: Service
    metadata: {name: bench-cert-manager-webhook, namespace: bench}
    spec: {type: ClusterIP}
`},
			"labels": {"kustomization.yaml": "labels:\n- pairs: {team: web}\n"},
		},
	},
}

// BenchmarkOverlay measures, for each chart: render (plain rendering, the
// baseline), overlay-X (overlay X alone on the rendered output) and
// render+overlay-X. An overlay's overhead is overlay-X / render.
func BenchmarkOverlay(b *testing.B) {
	for _, c := range benchCases {
		b.Run(c.name, func(b *testing.B) {
			if _, err := os.Stat(filepath.Join(c.chart, "Chart.yaml")); err != nil {
				b.Skipf("chart %s: %v", c.chart, err)
			}
			opts := action.RenderOptions{ReleaseName: "bench", Namespace: "bench", Revision: 1, Values: map[string]any{}}
			for _, s := range c.set {
				if err := values.ParseSet(s, opts.Values); err != nil {
					b.Fatal(err)
				}
			}
			caps := engine.DefaultCapabilities()
			caps.APIVersions = append(caps.APIVersions, c.apis...)
			opts.Capabilities = caps
			render := func() *action.Rendered {
				// Loaded again each time: Render processes dependencies in place.
				ch, err := chart.Load(c.chart)
				if err != nil {
					b.Fatal(err)
				}
				r, err := action.Render(context.Background(), ch, opts)
				if err != nil {
					b.Fatal(err)
				}
				return r
			}
			r := render()
			b.Logf("%d manifests, %d hooks", len(r.Manifests), len(r.Hooks))
			b.Run("render", func(b *testing.B) {
				for b.Loop() {
					render()
				}
			})
			for _, name := range slices.Sorted(maps.Keys(c.overlays)) {
				overlay := &postrender.Overlay{Files: c.overlays[name]}
				b.Run("overlay-"+name, func(b *testing.B) {
					for b.Loop() {
						if _, _, err := overlay.Run(context.Background(), r.Manifests, r.Hooks); err != nil {
							b.Fatal(err)
						}
					}
				})
				b.Run("render+overlay-"+name, func(b *testing.B) {
					for b.Loop() {
						r := render()
						if _, _, err := overlay.Run(context.Background(), r.Manifests, r.Hooks); err != nil {
							b.Fatal(err)
						}
					}
				})
			}
		})
	}
}
