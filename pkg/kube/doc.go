// Package kube wires Kubernetes clients from kubectl-style connection flags
// (k8s.io/cli-runtime): kubeconfig, context, namespace, impersonation, token, server
// and TLS options; it builds the REST config, typed and dynamic clients and a
// discovery-backed REST mapper once, lazily.
package kube
