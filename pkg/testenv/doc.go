// Package testenv starts and stops hoist's real local test environment — etcd,
// kube-apiserver, kube-controller-manager, kube-scheduler and kwok with simulated nodes,
// two OCI registries (plain HTTP, and TLS with htpasswd auth) and a smart-HTTP Git
// server — as child processes on free loopback ports, and lets tests find a running one
// again through the HOIST_TESTENV environment variable.
package testenv
