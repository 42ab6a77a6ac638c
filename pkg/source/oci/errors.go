package oci

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"syscall"

	"oras.land/oras-go/v2/errdef"
	"oras.land/oras-go/v2/registry/remote/auth"
	"oras.land/oras-go/v2/registry/remote/errcode"
)

// Sentinels that callers branch on with errors.Is. Every error of this package that
// comes from talking to a registry wraps one of them and the underlying error.
var (
	// ErrUnauthorized: the registry wants credentials (401), or rejected those given.
	ErrUnauthorized = errors.New("unauthorized")
	// ErrForbidden: the credentials are valid but lack permission (403).
	ErrForbidden = errors.New("forbidden")
	// ErrNotFound: the repository, tag, digest or blob does not exist.
	ErrNotFound = errors.New("not found")
	// ErrNoMatchingVersion: no tag of the repository satisfies the version
	// constraint. It also matches ErrNotFound.
	ErrNoMatchingVersion = errors.New("no matching version")
	// ErrTLS: the TLS handshake failed (unknown authority, wrong host name, a plain
	// HTTP server spoken to over TLS or the reverse).
	ErrTLS = errors.New("TLS failure")
	// ErrUnreachable: the registry could not be reached (connection refused, no
	// such host, timeout).
	ErrUnreachable = errors.New("registry unreachable")
	// ErrNotChart: the manifest is neither a Helm chart nor a kustomize package (a
	// container image, an index, no chart or package layer, an archive that is
	// neither).
	ErrNotChart = errors.New("not a Helm chart")
	// ErrDigestMismatch: content does not match the digest that names it.
	ErrDigestMismatch = errors.New("digest mismatch")
)

// Error is an error of this package: a message that reads well on its own, the
// sentinel it is a kind of, and the error that caused it. errors.Is and errors.As
// see through it to both.
type Error struct {
	msg   string
	kind  error
	cause error
}

func (e *Error) Error() string { return e.msg }

// Unwrap returns the sentinel and the cause.
func (e *Error) Unwrap() []error {
	out := make([]error, 0, 2)
	if e.kind != nil {
		out = append(out, e.kind)
	}
	if e.cause != nil {
		out = append(out, e.cause)
	}
	return out
}

func newError(kind, cause error, format string, args ...any) *Error {
	return &Error{msg: fmt.Sprintf(format, args...), kind: kind, cause: cause}
}

// registryError turns an error from the transport or the registry into one that
// names the registry host and says what to do. what names the object of the
// request ("tag 1.0.0", "repository org/web", "layer sha256:…"); it is mentioned
// when the object is the problem (404, unexpected answers), not for failures of
// the registry as a whole (authentication, TLS, connection). Errors already
// classified, and context cancellation, pass through unchanged.
func (c *Client) registryError(ctx context.Context, err error, host, what string, push bool) error {
	if err == nil {
		return nil
	}
	var own *Error
	if errors.As(err, &own) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	loginHint := fmt.Sprintf("log in with `hoist registry login %s` or pass --username and --password", host)
	if errors.Is(err, auth.ErrBasicCredentialNotFound) {
		return newError(ErrUnauthorized, err, "registry %s requires authentication (401 Unauthorized); %s", host, loginHint)
	}
	var resp *errcode.ErrorResponse
	if errors.As(err, &resp) {
		switch resp.StatusCode {
		case http.StatusUnauthorized:
			if c.hasCredentials(ctx, host) {
				return newError(ErrUnauthorized, err, "registry %s rejected the credentials (401 Unauthorized); check them, or log in again with `hoist registry login %s`", host, host)
			}
			return newError(ErrUnauthorized, err, "registry %s requires authentication (401 Unauthorized); %s", host, loginHint)
		case http.StatusForbidden:
			action := "pull from"
			if push {
				action = "push to"
			}
			return newError(ErrForbidden, err, "registry %s denied access (403 Forbidden): the credentials in use may not %s this repository", host, action)
		case http.StatusNotFound:
			return newError(ErrNotFound, err, "%s not found on registry %s%s", what, host, errorCodes(resp))
		case http.StatusBadRequest:
			if c.opts.PlainHTTP {
				return newError(ErrTLS, err, "registry %s answered 400 Bad Request to plain HTTP: it probably expects HTTPS; leave out --plain-http", host)
			}
		}
		return newError(nil, err, "%s: registry %s: %v", what, host, err)
	}
	if errors.Is(err, errdef.ErrNotFound) {
		return newError(ErrNotFound, err, "%s not found on registry %s", what, host)
	}
	if msg, ok := tlsProblem(err); ok {
		return newError(ErrTLS, err, "TLS connection to registry %s failed: %s", host, msg)
	}
	if msg, ok := networkProblem(err); ok {
		return newError(ErrUnreachable, err, "cannot reach registry %s: %s", host, msg)
	}
	return newError(nil, err, "%s: %v", what, err)
}

// errorCodes lists the registry's error codes (" (NAME_UNKNOWN)"), for 404s.
func errorCodes(resp *errcode.ErrorResponse) string {
	if len(resp.Errors) == 0 {
		return ""
	}
	codes := make([]string, 0, len(resp.Errors))
	for _, e := range resp.Errors {
		codes = append(codes, e.Code)
	}
	return " (" + strings.Join(codes, ", ") + ")"
}

// tlsProblem recognises TLS failures and says how to fix them.
func tlsProblem(err error) (string, bool) {
	const caHint = "; pass the registry's CA certificate with --ca-file (or skip verification with --insecure-skip-tls-verify)"
	var (
		unknownCA *x509.UnknownAuthorityError
		hostname  x509.HostnameError
		invalid   x509.CertificateInvalidError
		verify    *tls.CertificateVerificationError
		record    tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &unknownCA):
		return "certificate signed by unknown authority" + caHint, true
	case errors.As(err, &hostname):
		return hostname.Error() + caHint, true
	case errors.As(err, &invalid):
		return invalid.Error() + caHint, true
	case errors.As(err, &verify):
		return verify.Err.Error() + caHint, true
	case errors.As(err, &record):
		return "the server does not speak TLS; for a plain HTTP registry pass --plain-http", true
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return "the server speaks plain HTTP; pass --plain-http", true
	case strings.Contains(err.Error(), "tls: "):
		return err.Error(), true
	}
	return "", false
}

// networkProblem recognises failures to connect.
func networkProblem(err error) (string, bool) {
	var (
		dns *net.DNSError
		op  *net.OpError
	)
	switch {
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused (is it running, and is the port right?)", true
	case errors.As(err, &dns):
		return "no such host " + dns.Name, true
	case errors.As(err, &op) && op.Timeout():
		return "timed out connecting", true
	case errors.As(err, &op):
		return op.Error(), true
	}
	return "", false
}
