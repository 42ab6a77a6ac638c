// Package fastpath runs `hoist template` of a local chart directory from its init
// function, before the packages only the rest of hoist needs have been initialised,
// and exits.
//
// Why: a Go program initialises every package it links before main. hoist links
// client-go, its API schemes, cli-runtime, oras, go-git and kustomize; their
// initialisation is most of what `hoist version` costs (about 40 ms of 55 on a
// typical machine), and far more than rendering a small chart. Go initialises
// packages in dependency order and otherwise in the order of their import paths, so
// this package, which imports only the chart engine and the template command
// (pkg/cli/chartcmd), runs its init before k8s.io/api and client-go's clients have
// been initialised (a few small leaves of those modules come first: see
// cmd/hoist/startup_test.go). The command it runs is the very one pkg/cli builds:
// same flags (chartcmd.GlobalFlags), same code, same output and messages.
//
// It takes the command only when it can run it exactly as the full command line
// would; otherwise it returns without having read or written anything and hoist
// starts normally:
//   - the command line is `hoist template …` (no global flag before "template", no
//     --help), it parses, and HOIST_CPUPROFILE and HOIST_NO_FAST_PATH are unset;
//   - CHART is a directory with a Chart.yaml and --version is not given (references
//     to OCI, Git, repositories, archives and kustomize packages need the fetchers);
//   - no --kustomize, --post-renderer or --post-renderer-args;
//   - the namespace is -n or $HOIST_NAMESPACE, or there is no kubeconfig to read one
//     from (no --kubeconfig, every file of $KUBECONFIG missing or empty, else no
//     ~/.kube/config), and hoist does not run in a pod, so it is "default".
package fastpath
