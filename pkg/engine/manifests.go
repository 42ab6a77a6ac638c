package engine

import (
	"fmt"
	"path"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"unicode"

	"sigs.k8s.io/yaml"
)

// Hook annotations.
const (
	HookAnnotation       = "helm.sh/hook"
	HookWeightAnnotation = "helm.sh/hook-weight"
	HookDeleteAnnotation = "helm.sh/hook-delete-policy"
	HookOutputLogAnnot   = "helm.sh/hook-output-log-policy"
)

// HookEvent is when a hook runs.
type HookEvent string

// Hook events.
const (
	PreInstall   HookEvent = "pre-install"
	PostInstall  HookEvent = "post-install"
	PreDelete    HookEvent = "pre-delete"
	PostDelete   HookEvent = "post-delete"
	PreUpgrade   HookEvent = "pre-upgrade"
	PostUpgrade  HookEvent = "post-upgrade"
	PreRollback  HookEvent = "pre-rollback"
	PostRollback HookEvent = "post-rollback"
	Test         HookEvent = "test"
)

var hookEvents = map[string]HookEvent{
	"pre-install": PreInstall, "post-install": PostInstall,
	"pre-delete": PreDelete, "post-delete": PostDelete,
	"pre-upgrade": PreUpgrade, "post-upgrade": PostUpgrade,
	"pre-rollback": PreRollback, "post-rollback": PostRollback,
	"test": Test, "test-success": Test,
}

// Hook is a rendered document annotated with helm.sh/hook.
type Hook struct {
	Name              string      `json:"name"`
	Kind              string      `json:"kind"`
	Path              string      `json:"path"`
	Manifest          string      `json:"manifest"`
	Events            []HookEvent `json:"events"`
	Weight            int         `json:"weight"`
	DeletePolicies    []string    `json:"deletePolicies"`
	OutputLogPolicies []string    `json:"outputLogPolicies,omitempty"`
}

// HasEvent reports whether the hook runs on e.
func (h *Hook) HasEvent(e HookEvent) bool {
	for _, x := range h.Events {
		if x == e {
			return true
		}
	}
	return false
}

// Head is the part of a document the sorter reads.
type Head struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind,omitempty"`
	Metadata   *struct {
		Name        string            `json:"name"`
		Annotations map[string]string `json:"annotations"`
	} `json:"metadata,omitempty"`
}

// Manifest is one rendered document that is not a hook.
type Manifest struct {
	// Name is the template the document came from.
	Name    string
	Content string
	Head    *Head
}

// SplitDocuments splits a template's output into YAML documents as Helm v4 does: at
// every line that starts with "---" (the dashes and any spaces or tabs after them are
// removed, the rest of the line begins the next document), dropping documents that are
// only whitespace and the leading whitespace of each, keeping trailing whitespace.
func SplitDocuments(s string) []string {
	s = strings.TrimLeftFunc(s, unicode.IsSpace)
	var docs []string
	keep := func(d string) {
		if strings.TrimSpace(d) != "" {
			docs = append(docs, strings.TrimLeftFunc(d, unicode.IsSpace))
		}
	}
	start := 0
	for i := 0; i < len(s); {
		if strings.HasPrefix(s[i:], "---") {
			keep(s[start:i])
			j := i + 3
			for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
				j++
			}
			start = j
			i = j
		}
		nl := strings.IndexByte(s[i:], '\n')
		if nl < 0 {
			break
		}
		i += nl + 1
	}
	keep(s[start:])
	return docs
}

// KindOrder is an order of kinds; kinds not in it come after, by name.
type KindOrder []string

// InstallOrder is Helm v4's install order.
var InstallOrder = KindOrder{
	"PriorityClass", "Namespace", "NetworkPolicy", "ResourceQuota", "LimitRange",
	"PodSecurityPolicy", "PodDisruptionBudget", "ServiceAccount", "Secret", "SecretList",
	"ConfigMap", "StorageClass", "PersistentVolume", "PersistentVolumeClaim",
	"CustomResourceDefinition", "ClusterRole", "ClusterRoleList", "ClusterRoleBinding",
	"ClusterRoleBindingList", "Role", "RoleList", "RoleBinding", "RoleBindingList", "Service",
	"DaemonSet", "Pod", "ReplicationController", "ReplicaSet", "Deployment",
	"HorizontalPodAutoscaler", "StatefulSet", "Job", "CronJob", "IngressClass", "Ingress",
	"APIService", "MutatingWebhookConfiguration", "ValidatingWebhookConfiguration",
}

// UninstallOrder is the reverse of InstallOrder.
var UninstallOrder = func() KindOrder {
	o := make(KindOrder, len(InstallOrder))
	for i, k := range InstallOrder {
		o[len(o)-1-i] = k
	}
	return o
}()

// SortManifests splits rendered templates into hooks and manifests and sorts both by
// kind in the given order; documents keep their order within a kind (templates by name,
// documents in template order). Empty templates and partials are skipped. Documents
// with unknown hook events are dropped, as Helm does.
func SortManifests(files map[string]string, order KindOrder) ([]*Hook, []Manifest, error) {
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	// Parse every document's head first, concurrently (the YAML parse is most of the
	// cost for large charts); then classify them in order.
	type doc struct {
		name, content string
		head          Head
		err           error
	}
	var docs []*doc
	for _, name := range names {
		content := files[name]
		if strings.HasPrefix(path.Base(name), "_") || strings.TrimSpace(content) == "" {
			continue
		}
		for _, d := range SplitDocuments(content) {
			docs = append(docs, &doc{name: name, content: d})
		}
	}
	parallel(len(docs), func(i int) {
		d := docs[i]
		d.err = yaml.Unmarshal([]byte(d.content), &d.head)
	})
	var hooks []*Hook
	var manifests []Manifest
	for _, d := range docs {
		if d.err != nil {
			return hooks, manifests, fmt.Errorf("YAML parse error on %s: %w", d.name, d.err)
		}
		name, doc, head := d.name, d.content, d.head
		var annotations map[string]string
		if head.Metadata != nil {
			annotations = head.Metadata.Annotations
		}
		events, isHook := annotations[HookAnnotation]
		if !isHook {
			manifests = append(manifests, Manifest{Name: name, Content: doc, Head: &d.head})
			continue
		}
		h := &Hook{
			Name: head.Metadata.Name, Kind: head.Kind, Path: name, Manifest: doc,
			Events: []HookEvent{}, DeletePolicies: []string{}, OutputLogPolicies: []string{},
		}
		h.Weight, _ = strconv.Atoi(annotations[HookWeightAnnotation])
		known := true
		for _, e := range strings.Split(events, ",") {
			ev, ok := hookEvents[strings.ToLower(strings.TrimSpace(e))]
			if !ok {
				known = false
				break
			}
			h.Events = append(h.Events, ev)
		}
		if !known {
			continue
		}
		h.DeletePolicies = annotationList(annotations, HookDeleteAnnotation)
		h.OutputLogPolicies = annotationList(annotations, HookOutputLogAnnot)
		hooks = append(hooks, h)
	}
	rank := order.rank()
	sort.SliceStable(hooks, func(i, j int) bool { return rank.less(hooks[i].Kind, hooks[j].Kind) })
	sort.SliceStable(manifests, func(i, j int) bool { return rank.less(manifests[i].Head.Kind, manifests[j].Head.Kind) })
	return hooks, manifests, nil
}

func annotationList(a map[string]string, key string) []string {
	out := []string{}
	v, ok := a[key]
	if !ok {
		return out
	}
	for _, p := range strings.Split(v, ",") {
		out = append(out, strings.ToLower(strings.TrimSpace(p)))
	}
	return out
}

type kindRank map[string]int

func (o KindOrder) rank() kindRank {
	r := make(kindRank, len(o))
	for i, k := range o {
		r[k] = i
	}
	return r
}

// less orders known kinds by rank, before unknown kinds, which go by name.
func (r kindRank) less(a, b string) bool {
	ra, aok := r[a]
	rb, bok := r[b]
	switch {
	case !aok && !bok:
		return a < b
	case !aok:
		return false
	case !bok:
		return true
	}
	return ra < rb
}

// parallel runs f(0..n-1) on up to GOMAXPROCS goroutines.
func parallel(n int, f func(i int)) {
	workers := min(runtime.GOMAXPROCS(0), n)
	if workers <= 1 {
		for i := range n {
			f(i)
		}
		return
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				f(i)
			}
		}()
	}
	wg.Wait()
}

// DescribeDocument names the n-th document of a manifest in messages: "document 3", and
// "document 3 (chart/templates/x.yaml)" when it has a "# Source:" comment.
func DescribeDocument(n int, doc string) string {
	for _, line := range strings.SplitN(doc, "\n", 5) {
		if src, ok := strings.CutPrefix(strings.TrimSpace(line), "# Source: "); ok {
			return fmt.Sprintf("document %d (%s)", n, strings.TrimSpace(src))
		}
	}
	return fmt.Sprintf("document %d", n)
}
