// Package kube builds the Kubernetes clients hoist works with (typed, dynamic and a
// discovery-backed REST mapper) from a *rest.Config. It imports no flag code (pflag,
// k8s.io/cli-runtime), so the controller can use it; the CLI's kubectl-style
// connection flags and kubeconfig loading live in pkg/cli.
package kube
