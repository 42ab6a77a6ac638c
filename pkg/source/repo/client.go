package repo

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/hoist-dev/hoist/pkg/source"
)

// DefaultMaxIndexSize is the largest repository index hoist reads, Flux's limit: the
// largest public indexes are tens of MiB at most.
const DefaultMaxIndexSize = 50 << 20

// maxChartSize is the largest chart archive a repository may send.
const maxChartSize = 128 << 20

// client talks to one repository with its entry's TLS options and credentials.
type client struct {
	entry     *Entry
	base      *url.URL
	http      *http.Client
	userAgent string
}

func newClient(e *Entry, userAgent string, timeout time.Duration) (*client, error) {
	base, err := parseRepoURL(e.URL)
	if err != nil {
		return nil, err
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if e.CAFile != "" || e.CertFile != "" || e.KeyFile != "" || e.InsecureSkipTLSVerify {
		cfg, err := tlsConfig(e)
		if err != nil {
			return nil, err
		}
		tr.TLSClientConfig = cfg
	}
	c := &client{entry: e, base: base, userAgent: userAgent}
	c.http = &http.Client{
		Transport: tr,
		Timeout:   timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 10 {
				return errors.New("stopped after 10 redirects")
			}
			// Go already drops Authorization on a redirect to another domain; drop it
			// also for another scheme, port or subdomain unless asked to pass it on.
			if !e.PassCredentialsAll && !sameOrigin(c.base, req.URL) {
				req.Header.Del("Authorization")
			}
			return nil
		},
	}
	return c, nil
}

func tlsConfig(e *Entry) (*tls.Config, error) {
	return source.TLSOptions{CAFile: e.CAFile, CertFile: e.CertFile, KeyFile: e.KeyFile, InsecureSkipVerify: e.InsecureSkipTLSVerify}.Config()
}

// parseRepoURL accepts http and https repository URLs.
func parseRepoURL(raw string) (*url.URL, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, fmt.Errorf("repository URL %q: %w", raw, err)
	}
	switch u.Scheme {
	case "http", "https":
	case "oci":
		return nil, fmt.Errorf("repository URL %q: OCI registries are not added as repositories; use oci://… references directly", raw)
	default:
		return nil, fmt.Errorf("repository URL %q: want http:// or https://", raw)
	}
	if u.Host == "" {
		return nil, fmt.Errorf("repository URL %q: no host", raw)
	}
	return u, nil
}

// sameOrigin compares scheme, host and port (default ports made explicit).
func sameOrigin(a, b *url.URL) bool {
	return strings.EqualFold(a.Scheme, b.Scheme) && strings.EqualFold(hostPort(a), hostPort(b))
}

func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		switch strings.ToLower(u.Scheme) {
		case "https":
			port = "443"
		case "http":
			port = "80"
		}
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// ResolveURL resolves a chart URL from an index against the repository URL, as Helm
// does: an absolute URL stays; a relative one is taken relative to the repository URL
// with a trailing slash added ("https://h/charts" + "web-1.0.0.tgz" =
// "https://h/charts/web-1.0.0.tgz"), and the repository URL's query is kept (signed
// URLs).
func ResolveURL(repoURL, ref string) (string, error) {
	r, err := url.Parse(ref)
	if err != nil {
		return "", fmt.Errorf("chart URL %q: %w", ref, err)
	}
	if r.IsAbs() {
		return ref, nil
	}
	base, err := url.Parse(repoURL)
	if err != nil {
		return "", fmt.Errorf("repository URL %q: %w", repoURL, err)
	}
	base.Path = strings.TrimSuffix(base.Path, "/") + "/"
	if base.RawPath != "" {
		base.RawPath = strings.TrimSuffix(base.RawPath, "/") + "/"
	}
	out := base.ResolveReference(r)
	if r.RawQuery == "" {
		out.RawQuery = base.RawQuery
	}
	return out.String(), nil
}

// get downloads href (at most max bytes). The repository's credentials go only to
// its own origin unless PassCredentialsAll.
func (c *client) get(ctx context.Context, href string, max int64) ([]byte, error) {
	var buf bytes.Buffer
	if err := c.download(ctx, href, max, &buf); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// download copies href to w, failing with ErrTooLarge as soon as more than max bytes
// are announced or read.
func (c *client) download(ctx context.Context, href string, max int64, w io.Writer) error {
	u, err := url.Parse(href)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, href, nil)
	if err != nil {
		return err
	}
	if c.userAgent != "" {
		req.Header.Set("User-Agent", c.userAgent)
	}
	if (c.entry.Username != "" || c.entry.Password != "") && (c.entry.PassCredentialsAll || sameOrigin(c.base, u)) {
		req.SetBasicAuth(c.entry.Username, c.entry.Password)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		what := "no credentials were sent"
		if req.Header.Get("Authorization") != "" {
			what = fmt.Sprintf("the credentials of user %q were refused", c.entry.Username)
		} else if c.entry.Username != "" {
			what = "the repository's credentials are only sent to " + hostPort(c.base) + " (add the repository with --pass-credentials to send them to other hosts)"
		}
		return fmt.Errorf("%w: GET %s: %s: %s", ErrAuth, redact(u), resp.Status, what)
	case resp.StatusCode != http.StatusOK:
		return fmt.Errorf("GET %s: %s", redact(u), resp.Status)
	}
	tooLarge := fmt.Errorf("%w: GET %s: larger than the limit of %s", ErrTooLarge, redact(u), formatSize(max))
	if resp.ContentLength > max {
		return tooLarge
	}
	n, err := io.Copy(w, io.LimitReader(resp.Body, max+1))
	if err != nil {
		return fmt.Errorf("GET %s: %w", redact(u), err)
	}
	if n > max {
		return tooLarge
	}
	return nil
}

// formatSize is n in MiB when it is whole MiB, else in bytes.
func formatSize(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// fetchIndex downloads the repository's index.yaml into a new temporary file in dir
// and parses it from there, so the raw index is never held in memory. The caller
// renames or removes the file.
func (c *client) fetchIndex(ctx context.Context, dir string, max int64) (tmp string, idx *IndexFile, err error) {
	href, err := ResolveURL(c.entry.URL, "index.yaml")
	if err != nil {
		return "", nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", nil, err
	}
	f, err := os.CreateTemp(dir, ".index.yaml.tmp-")
	if err != nil {
		return "", nil, err
	}
	defer func() {
		f.Close()
		if err != nil {
			os.Remove(f.Name())
		}
	}()
	if err := c.download(ctx, href, max, f); err != nil {
		return "", nil, err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return "", nil, err
	}
	if idx, err = LoadIndexFrom(f); err != nil {
		return "", nil, fmt.Errorf("%s: %w", redactString(href), err)
	}
	if err := f.Chmod(0o644); err != nil {
		return "", nil, err
	}
	if err := f.Sync(); err != nil {
		return "", nil, err
	}
	return f.Name(), idx, nil
}

func redact(u *url.URL) string {
	c := *u
	c.User = nil
	return c.String()
}

func redactString(raw string) string {
	if u, err := url.Parse(raw); err == nil {
		return redact(u)
	}
	return raw
}
