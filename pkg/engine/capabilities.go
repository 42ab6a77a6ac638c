package engine

import (
	"fmt"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
)

// DefaultKubeVersion is the Kubernetes version templates see when no cluster is asked and
// no --kube-version is given; Helm v4 uses the same.
const DefaultKubeVersion = "v1.37.0"

// HelmCompatVersion is the Helm version hoist reports as .Capabilities.HelmVersion, so
// that charts gating on Helm's version render as they do with the Helm release whose
// behaviour hoist follows.
const HelmCompatVersion = "v4.3.1"

// Capabilities is the .Capabilities object.
type Capabilities struct {
	KubeVersion KubeVersion
	APIVersions VersionSet
	HelmVersion BuildInfo
}

// KubeVersion is .Capabilities.KubeVersion. Printing it gives the normalised version
// ("v1.31.0"); .Version and .GitVersion keep what was given ("v1.31.0-gke.1").
type KubeVersion struct {
	Version    string
	Major      string
	Minor      string
	normalized string
}

// String is the normalised version.
func (kv *KubeVersion) String() string {
	if kv.normalized != "" {
		return kv.normalized
	}
	return kv.Version
}

// GitVersion is the version as given.
func (kv *KubeVersion) GitVersion() string { return kv.Version }

// BuildInfo is .Capabilities.HelmVersion.
type BuildInfo struct {
	Version           string `json:"version,omitempty"`
	GitCommit         string `json:"git_commit,omitempty"`
	GitTreeState      string `json:"git_tree_state,omitempty"`
	GoVersion         string `json:"go_version,omitempty"`
	KubeClientVersion string `json:"kube_client_version"`
}

// VersionSet is .Capabilities.APIVersions: "group/version" and "group/version/Kind" entries.
type VersionSet []string

// Has reports whether the set contains apiVersion.
func (v VersionSet) Has(apiVersion string) bool { return slices.Contains(v, apiVersion) }

var kubeVersionRE = regexp.MustCompile(`^\s*v?([0-9]+(?:\.[0-9]+)*)(.*)*$`)

// ParseKubeVersion parses a Kubernetes version the way Helm's --kube-version does:
// "1.31", "v1.31.2" and "1.31.2-gke.100" are accepted; at least major.minor is required.
func ParseKubeVersion(s string) (*KubeVersion, error) {
	m := kubeVersionRE.FindStringSubmatch(s)
	if m == nil {
		return nil, fmt.Errorf("could not parse %q as version", s)
	}
	parts := strings.Split(m[1], ".")
	if len(parts) < 2 {
		return nil, fmt.Errorf("illegal version string %q", s)
	}
	nums := make([]string, len(parts))
	for i, p := range parts {
		if i == 0 && len(p) > 1 && p[0] == '0' {
			return nil, fmt.Errorf("illegal zero-prefixed version component %q in %q", p, s)
		}
		n, err := strconv.ParseUint(p, 10, 0)
		if err != nil {
			return nil, fmt.Errorf("illegal non-numeric version component %q in %q: %w", p, s, err)
		}
		nums[i] = strconv.FormatUint(n, 10)
	}
	git := s
	if !strings.HasPrefix(s, "v") {
		git = "v" + s
	}
	return &KubeVersion{Version: git, Major: nums[0], Minor: nums[1], normalized: "v" + strings.Join(nums, ".")}, nil
}

// DefaultCapabilities returns the capabilities used without a cluster: Kubernetes
// DefaultKubeVersion and the built-in API versions. Each call returns a new value.
func DefaultCapabilities() *Capabilities {
	kv, err := ParseKubeVersion(DefaultKubeVersion)
	if err != nil {
		panic(err) // a constant
	}
	return &Capabilities{
		KubeVersion: *kv,
		APIVersions: slices.Clone(defaultAPIVersions),
		HelmVersion: BuildInfo{
			Version:           HelmCompatVersion,
			GoVersion:         runtime.Version(),
			KubeClientVersion: "v1.37",
		},
	}
}
