package testenv

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// EnvVar names the environment variable that points test processes at the state file
// of a running environment.
const EnvVar = "HOIST_TESTENV"

// RequireVar, when set to 1, turns a missing environment into a test failure instead of
// a skip: `make test` and CI set it so end-to-end tests can never be skipped silently.
const RequireVar = "HOIST_E2E_REQUIRED"

// Env is a running environment. It is written to <Dir>/env.json, which is how other
// processes (test packages, `make cluster-down`) find it.
type Env struct {
	Dir         string    `json:"dir"`
	StartedAt   time.Time `json:"startedAt"`
	KubeVersion string    `json:"kubeVersion"`

	// APIServer is the https URL of kube-apiserver; CAFile verifies it (and the TLS registry).
	APIServer string `json:"apiServer"`
	CAFile    string `json:"caFile"`
	// AdminKubeconfig is a kubeconfig for a user in system:masters.
	AdminKubeconfig string `json:"adminKubeconfig"`
	// UserKubeconfig is a kubeconfig for an authenticated user with no RBAC rights at all.
	UserKubeconfig string `json:"userKubeconfig"`
	// UserName is that user's name, for RoleBindings in RBAC tests.
	UserName string   `json:"userName"`
	Nodes    []string `json:"nodes"`

	// Registry is the plain-HTTP OCI registry, as host:port.
	Registry string `json:"registry"`
	// SecureRegistry is the TLS registry with htpasswd auth, as host:port; its
	// certificate is signed by CAFile.
	SecureRegistry string `json:"secureRegistry"`
	RegistryUser   string `json:"registryUser"`
	RegistryPass   string `json:"registryPassword"`

	// GitURL is the smart-HTTP Git server's base URL: repositories are GitURL/<name>.git.
	// Under GitURL/auth/ the same repositories need basic auth GitUser:GitPass.
	GitURL  string `json:"gitURL"`
	GitRoot string `json:"gitRoot"`
	GitUser string `json:"gitUser"`
	GitPass string `json:"gitPassword"`

	Processes []*Process `json:"processes"`

	// stopGit ends an in-process Git server (environments started without a Git command).
	stopGit func()
	gitMu   sync.Mutex
}

// StateFile is where the environment's description is written.
func (e *Env) StateFile() string { return filepath.Join(e.Dir, "env.json") }

func (e *Env) save() error {
	b, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return err
	}
	tmp := e.StateFile() + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, e.StateFile())
}

// Load reads the environment described by a state file (or a directory holding env.json).
func Load(path string) (*Env, error) {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		path = filepath.Join(path, "env.json")
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading test environment state: %w", err)
	}
	var e Env
	if err := json.Unmarshal(b, &e); err != nil {
		return nil, fmt.Errorf("parsing test environment state %s: %w", path, err)
	}
	return &e, nil
}

// ErrNoEnv is returned by FromEnvironment when HOIST_TESTENV is not set.
var ErrNoEnv = errors.New(EnvVar + " is not set: no test environment is running (start one with `make cluster-up`, or run `make test-e2e`)")

// FromEnvironment finds the running environment named by HOIST_TESTENV.
func FromEnvironment() (*Env, error) {
	path := os.Getenv(EnvVar)
	if path == "" {
		return nil, ErrNoEnv
	}
	return Load(path)
}

// Require returns the running environment for an end-to-end test. Without one the test
// is skipped, unless HOIST_E2E_REQUIRED=1, when it fails.
func Require(t testing.TB) *Env {
	t.Helper()
	e, err := FromEnvironment()
	if err == nil {
		return e
	}
	if errors.Is(err, ErrNoEnv) && os.Getenv(RequireVar) != "1" {
		t.Skip("end-to-end test skipped: ", err)
	}
	t.Fatal(err)
	return nil
}

// Exports returns the shell lines that point kubectl, hoist and tests at the environment.
func (e *Env) Exports() []string {
	return []string{
		"export KUBECONFIG=" + e.AdminKubeconfig,
		"export " + EnvVar + "=" + e.StateFile(),
		"export HOIST_REGISTRY=" + e.Registry,
		"export HOIST_SECURE_REGISTRY=" + e.SecureRegistry,
		"export HOIST_GIT_URL=" + e.GitURL,
	}
}

func keep() bool { return os.Getenv("HOIST_E2E_KEEP") == "1" }
