package oci

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"
	"oras.land/oras-go/v2/registry/remote/retry"

	"github.com/hoist-dev/hoist/pkg/source"
	"github.com/hoist-dev/hoist/pkg/source/kpkg"
)

// Options configure a Client. The zero value talks HTTPS with the system's CAs, takes
// credentials from the Docker configuration and caches under DefaultCacheDir.
type Options struct {
	// PlainHTTP talks plain HTTP instead of HTTPS.
	PlainHTTP bool
	// InsecureSkipTLSVerify accepts any server certificate.
	InsecureSkipTLSVerify bool
	// CAFile is a PEM bundle of CAs trusted in addition to the system's.
	CAFile string
	// CertFile and KeyFile are a client certificate and its key (mutual TLS).
	CertFile, KeyFile string

	// Username and Password, when set, are the credentials of the registry
	// CredentialsHost (host[:port], as references name it) instead of its stored
	// ones. Other registries get only their own stored credentials: a chart's
	// dependencies may name any registry, and must not learn these.
	Username, Password string
	// CredentialsHost is the one registry Username and Password are for; New
	// refuses them without it.
	CredentialsHost string
	// Credentials is where stored credentials are read (and Login writes them).
	// Nil means the Docker configuration: see DefaultCredentialStore.
	Credentials credentials.Store

	// UserAgent is sent with every request; default "hoist".
	UserAgent string
	// HTTPClient replaces the HTTP client built from the TLS options above (which
	// are then ignored). For tests.
	HTTPClient *http.Client
	// WrapTransport, when set, wraps the transport of the HTTP client (built or
	// given), e.g. to count or record requests.
	WrapTransport func(http.RoundTripper) http.RoundTripper

	// CacheDir is the content-addressed cache of pulled manifests and blobs;
	// default DefaultCacheDir().
	CacheDir string

	// Packages loads the kustomize package archives the Client pulls and pushes
	// (pkg/postrender's Packages, which also checks them with kustomize); nil
	// checks only the artifact (kpkg.LoadArchive).
	Packages PackageLoader
}

// PackageLoader reads a kustomize package from its archive. Injected so that this
// package does not link the kustomize engine.
type PackageLoader interface {
	LoadArchive(data []byte) (*kpkg.Package, error)
}

// Client pulls and pushes Helm charts. It is safe for concurrent use. It implements
// source.Getter for oci:// references.
type Client struct {
	opts  Options
	auth  *auth.Client
	cache *Cache

	storeOnce sync.Once
	store     credentials.Store
	storeErr  error
}

var _ source.Getter = (*Client)(nil)

// New builds a Client. Certificate files are read here, so a bad --ca-file fails
// before any request; the credential store is opened on first use.
func New(opts Options) (*Client, error) {
	if (opts.Username != "" || opts.Password != "") && opts.CredentialsHost == "" {
		return nil, errors.New("oci: Username and Password need the registry they are for (Options.CredentialsHost)")
	}
	if opts.UserAgent == "" {
		opts.UserAgent = "hoist"
	}
	if opts.CacheDir == "" {
		dir, err := DefaultCacheDir()
		if err != nil {
			return nil, err
		}
		opts.CacheDir = dir
	}
	hc := opts.HTTPClient
	if hc == nil {
		tr, err := newTransport(opts)
		if err != nil {
			return nil, err
		}
		hc = &http.Client{Transport: tr}
	}
	if opts.WrapTransport != nil {
		wrapped := *hc
		base := wrapped.Transport
		if base == nil {
			base = http.DefaultTransport
		}
		wrapped.Transport = opts.WrapTransport(base)
		hc = &wrapped
	}
	c := &Client{opts: opts, cache: NewCache(opts.CacheDir)}
	if opts.Credentials != nil {
		c.storeOnce.Do(func() { c.store = opts.Credentials })
	}
	c.auth = &auth.Client{
		Client:     hc,
		Cache:      auth.NewCache(),
		Credential: c.credential,
	}
	c.auth.SetUserAgent(opts.UserAgent)
	return c, nil
}

// loadPackage reads a kustomize package archive with Options.Packages.
func (c *Client) loadPackage(data []byte) (*kpkg.Package, error) {
	if c.opts.Packages != nil {
		return c.opts.Packages.LoadArchive(data)
	}
	return kpkg.LoadArchive(data)
}

// Cache returns the client's blob cache.
func (c *Client) Cache() *Cache { return c.cache }

// newTransport is http.DefaultTransport with the TLS options, retrying 5xx, 429 and
// dropped connections with backoff (oras-go's retry policy; refused connections are
// not retried).
func newTransport(opts Options) (http.RoundTripper, error) {
	cfg, err := source.TLSOptions{CAFile: opts.CAFile, CertFile: opts.CertFile, KeyFile: opts.KeyFile, InsecureSkipVerify: opts.InsecureSkipTLSVerify}.Config()
	if err != nil {
		return nil, err
	}
	base := http.DefaultTransport.(*http.Transport).Clone()
	base.TLSClientConfig = cfg
	return retry.NewTransport(base), nil
}

// credential is the auth.CredentialFunc: the static credentials for their registry,
// else the store's. hostport is the host requests go to (registry-1.docker.io for
// docker.io), so both are compared as the store's keys.
func (c *Client) credential(ctx context.Context, hostport string) (auth.Credential, error) {
	if (c.opts.Username != "" || c.opts.Password != "") &&
		credentials.ServerAddressFromRegistry(c.opts.CredentialsHost) == credentials.ServerAddressFromHostname(hostport) {
		return auth.Credential{Username: c.opts.Username, Password: c.opts.Password}, nil
	}
	store, err := c.credentialStore()
	if err != nil {
		return auth.EmptyCredential, err
	}
	return credentials.Credential(store)(ctx, hostport)
}

// hasCredentials reports whether a request to host carries credentials.
func (c *Client) hasCredentials(ctx context.Context, host string) bool {
	cred, err := c.credential(ctx, host)
	return err == nil && cred != auth.EmptyCredential
}

func (c *Client) credentialStore() (credentials.Store, error) {
	c.storeOnce.Do(func() { c.store, c.storeErr = DefaultCredentialStore() })
	return c.store, c.storeErr
}

// DefaultCredentialStore is the Docker configuration ($DOCKER_CONFIG/config.json,
// default ~/.docker/config.json) with the credential helpers it names. Credentials
// are stored in the file itself (base64, as docker login does) when it names no
// helper and the platform has no default one.
func DefaultCredentialStore() (credentials.Store, error) {
	s, err := credentials.NewStoreFromDocker(credentials.StoreOptions{
		AllowPlaintextPut:        true,
		DetectDefaultNativeStore: true,
	})
	if err != nil {
		return nil, fmt.Errorf("opening the Docker credential store: %w", err)
	}
	return s, nil
}

// repository returns a remote repository handle for host/repo.
func (c *Client) repository(host, repo string) (*remote.Repository, error) {
	r, err := remote.NewRepository(host + "/" + repo)
	if err != nil {
		return nil, fmt.Errorf("%w %q: %w", source.ErrInvalidRef, host+"/"+repo, err)
	}
	r.Client = c.auth
	r.PlainHTTP = c.opts.PlainHTTP
	// Bound the tag list a registry can make us walk (100 pages of its page size).
	r.TagListMaxPages = 100
	return r, nil
}
