package oci

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"oras.land/oras-go/v2/registry/remote"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/credentials"

	"github.com/hoist-dev/hoist/pkg/source"
)

// ParseHost reads the registry host of `hoist registry login|logout HOST`: host[:port],
// with an optional oci:// prefix. A repository path after the host is cut off and
// reported in cut (credentials are per registry).
func ParseHost(raw string) (host, cut string, err error) {
	h := strings.TrimPrefix(raw, "oci://")
	h, cut, _ = strings.Cut(h, "/")
	if h == "" || strings.ContainsAny(h, "@ ") {
		return "", "", fmt.Errorf("%w %q: want a registry host[:port]", source.ErrInvalidRef, raw)
	}
	if _, err := remote.NewRegistry(h); err != nil {
		return "", "", fmt.Errorf("%w %q: %w", source.ErrInvalidRef, raw, err)
	}
	return h, cut, nil
}

// Login checks username and password against the registry at host and, when it
// accepts them, stores them in the credential store. Like helm, it first tries
// OAuth2 (the password grant) and falls back to the distribution spec's token or
// basic authentication.
func (c *Client) Login(ctx context.Context, host, username, password string) error {
	if _, err := remote.NewRegistry(host); err != nil {
		return fmt.Errorf("%w %q: %w", source.ErrInvalidRef, host, err)
	}
	cred := auth.Credential{Username: username, Password: password}
	if username == "" {
		// An identity token (what `-u ""` with a token means to docker).
		cred = auth.Credential{RefreshToken: password}
	}
	check := func(oauth2 bool) error {
		ac := *c.auth
		ac.Cache = auth.NewCache()
		ac.Credential = auth.StaticCredential(host, cred)
		ac.ForceAttemptOAuth2 = oauth2
		reg, _ := remote.NewRegistry(host)
		reg.PlainHTTP = c.opts.PlainHTTP
		reg.Client = &ac
		return reg.Ping(ctx)
	}
	if err := check(true); err != nil {
		if err := check(false); err != nil {
			return c.loginError(ctx, err, host)
		}
	}
	store, err := c.credentialStore()
	if err != nil {
		return err
	}
	if err := store.Put(ctx, credentials.ServerAddressFromRegistry(host), cred); err != nil {
		return fmt.Errorf("storing the credentials for %s: %w", host, err)
	}
	return nil
}

func (c *Client) loginError(ctx context.Context, err error, host string) error {
	err = c.registryError(ctx, err, host, "registry endpoint /v2/", false)
	if errors.Is(err, ErrUnauthorized) {
		return newError(ErrUnauthorized, err, "logging in to %s: the registry rejected the username or password (401 Unauthorized)", host)
	}
	return fmt.Errorf("logging in to %s: %w", host, err)
}

// Logout removes the stored credentials of host. It reports whether there were any.
func (c *Client) Logout(ctx context.Context, host string) (bool, error) {
	store, err := c.credentialStore()
	if err != nil {
		return false, err
	}
	key := credentials.ServerAddressFromRegistry(host)
	cred, err := store.Get(ctx, key)
	if err != nil {
		return false, fmt.Errorf("reading the credentials for %s: %w", host, err)
	}
	if cred == auth.EmptyCredential {
		return false, nil
	}
	if err := credentials.Logout(ctx, store, host); err != nil {
		return false, fmt.Errorf("removing the credentials for %s: %w", host, err)
	}
	return true, nil
}
