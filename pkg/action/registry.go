package action

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/hoist-dev/hoist/pkg/postrender"
	"github.com/hoist-dev/hoist/pkg/source/oci"
)

// RegistryOptions say how to reach OCI registries for one call. The zero value talks
// HTTPS with the system's CAs and the stored credentials.
type RegistryOptions struct {
	PlainHTTP             bool   `json:"plainHTTP,omitempty"`
	InsecureSkipTLSVerify bool   `json:"insecureSkipTLSVerify,omitempty"`
	CAFile                string `json:"caFile,omitempty"`
	CertFile              string `json:"certFile,omitempty"`
	KeyFile               string `json:"keyFile,omitempty"`
	// Username and Password, when set, replace the stored credentials of the one
	// registry the call's references name (CredentialsHost); every other registry
	// gets only its own stored credentials.
	Username string `json:"-"`
	Password string `json:"-"`
	// CredentialsHost is the registry (host[:port]) Username and Password are for.
	// The use cases set it from the references they are given, replacing what the
	// caller set; NewRegistryClient refuses Username without it.
	CredentialsHost string `json:"-"`
	// UserAgent is sent with every request; default "hoist".
	UserAgent string `json:"userAgent,omitempty"`
}

// NewRegistryClient builds the OCI client opts describe. It refuses contradictory
// options before any file is read.
func NewRegistryClient(opts RegistryOptions) (*oci.Client, error) {
	if opts.PlainHTTP && (opts.InsecureSkipTLSVerify || opts.CAFile != "" || opts.CertFile != "" || opts.KeyFile != "") {
		return nil, errors.New("--plain-http cannot be combined with TLS options (--ca-file, --cert-file, --key-file, --insecure…)")
	}
	if (opts.Username == "") != (opts.Password == "") {
		return nil, errors.New("--username and --password go together")
	}
	return oci.New(oci.Options{
		PlainHTTP:             opts.PlainHTTP,
		InsecureSkipTLSVerify: opts.InsecureSkipTLSVerify,
		CAFile:                opts.CAFile,
		CertFile:              opts.CertFile,
		KeyFile:               opts.KeyFile,
		Username:              opts.Username,
		Password:              opts.Password,
		CredentialsHost:       opts.CredentialsHost,
		UserAgent:             opts.UserAgent,
		// Kustomize checks a package when it is pushed or pulled, not first at render.
		Packages: postrender.Packages{},
	})
}

// credentialsFor binds opts' Username and Password to the one registry of hosts
// (those the references in what name; repeats allowed). With no registry they go
// nowhere; with several they are refused before any request, since a registry must
// never see another's credentials and nothing says whose these are.
func credentialsFor(opts RegistryOptions, hosts []string, what string) (RegistryOptions, error) {
	opts.CredentialsHost = ""
	if opts.Username == "" || opts.Password == "" {
		// NewRegistryClient reports a lone --username or --password.
		return opts, nil
	}
	var distinct []string
	for _, h := range hosts {
		if !slices.Contains(distinct, h) {
			distinct = append(distinct, h)
		}
	}
	switch len(distinct) {
	case 0:
		opts.Username, opts.Password = "", ""
	case 1:
		opts.CredentialsHost = distinct[0]
	default:
		return opts, fmt.Errorf("%w: --username and --password are for one registry, not %d (%s, in %s); store each registry's credentials with hoist registry login instead",
			ErrCredentialsAmbiguous, len(distinct), strings.Join(distinct, ", "), what)
	}
	return opts, nil
}

// ErrCredentialsAmbiguous is returned when --username and --password are given to a
// call that talks to several OCI registries.
var ErrCredentialsAmbiguous = errors.New("credentials for several registries")

// registryClient builds a client with newClient, else with NewRegistryClient. The
// client is built when a use case first needs it, so a bad option fails only then.
func registryClient[T any](newClient func(RegistryOptions) (T, error), opts RegistryOptions, adapt func(*oci.Client) T) (T, error) {
	if newClient != nil {
		return newClient(opts)
	}
	c, err := NewRegistryClient(opts)
	if err != nil {
		var zero T
		return zero, err
	}
	return adapt(c), nil
}

// RegistryAuth is what RegistryLogin and RegistryLogout need of an OCI client
// (*oci.Client).
type RegistryAuth interface {
	Login(ctx context.Context, host, username, password string) error
	Logout(ctx context.Context, host string) (bool, error)
}

func ociAuth(c *oci.Client) RegistryAuth { return c }

// RegistryLogin checks credentials against a registry and stores them.
type RegistryLogin struct {
	// Client builds the registry client; nil means NewRegistryClient.
	Client func(RegistryOptions) (RegistryAuth, error)
}

// RegistryLoginOptions configure RegistryLogin.Run.
type RegistryLoginOptions struct {
	// Host is the registry, host[:port] (see oci.ParseHost).
	Host string `json:"host"`
	// Username is empty for an identity token in Password.
	Username string `json:"username,omitempty"`
	Password string `json:"-"`
	// Registry is how to reach it; its own Username and Password are not used.
	Registry RegistryOptions `json:"registry"`
}

// RegistryLoginResult is the registry logged in to.
type RegistryLoginResult struct {
	Host string `json:"host"`
}

// Run logs in to opts.Host and stores the credentials where docker keeps them.
func (a RegistryLogin) Run(ctx context.Context, opts RegistryLoginOptions) (RegistryLoginResult, error) {
	opts.Registry.CredentialsHost = opts.Host // the one registry this talks to
	c, err := registryClient(a.Client, opts.Registry, ociAuth)
	if err != nil {
		return RegistryLoginResult{}, err
	}
	if err := c.Login(ctx, opts.Host, opts.Username, opts.Password); err != nil {
		return RegistryLoginResult{}, err
	}
	return RegistryLoginResult{Host: opts.Host}, nil
}

// RegistryLogout removes the stored credentials of a registry.
type RegistryLogout struct {
	// Client builds the registry client; nil means NewRegistryClient.
	Client func(RegistryOptions) (RegistryAuth, error)
}

// RegistryLogoutOptions configure RegistryLogout.Run.
type RegistryLogoutOptions struct {
	// Host is the registry, host[:port] (see oci.ParseHost).
	Host     string          `json:"host"`
	Registry RegistryOptions `json:"registry"`
}

// RegistryLogoutResult says what RegistryLogout did.
type RegistryLogoutResult struct {
	Host string `json:"host"`
	// WasLoggedIn is false when there were no credentials to remove.
	WasLoggedIn bool `json:"wasLoggedIn"`
}

// Run removes the credentials stored for opts.Host.
func (a RegistryLogout) Run(ctx context.Context, opts RegistryLogoutOptions) (RegistryLogoutResult, error) {
	opts.Registry.CredentialsHost = opts.Host // the one registry this talks to
	c, err := registryClient(a.Client, opts.Registry, ociAuth)
	if err != nil {
		return RegistryLogoutResult{}, err
	}
	had, err := c.Logout(ctx, opts.Host)
	if err != nil {
		return RegistryLogoutResult{}, err // already names the host
	}
	return RegistryLogoutResult{Host: opts.Host, WasLoggedIn: had}, nil
}
