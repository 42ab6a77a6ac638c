package fence

import (
	"context"
	"fmt"
	"net/http"
)

type checkKey struct{}

// WithCheck returns a context whose mutating API requests first run check; a non-nil
// error fails the request before it is sent. Checks nest: every one must pass.
func WithCheck(ctx context.Context, check func() error) context.Context {
	if prev := checkFrom(ctx); prev != nil {
		inner := check
		check = func() error {
			if err := prev(); err != nil {
				return err
			}
			return inner()
		}
	}
	return context.WithValue(ctx, checkKey{}, check)
}

// Check runs the context's checks (nil when there are none).
func Check(ctx context.Context) error {
	if c := checkFrom(ctx); c != nil {
		return c()
	}
	return nil
}

func checkFrom(ctx context.Context) func() error {
	c, _ := ctx.Value(checkKey{}).(func() error)
	return c
}

// Wrap is a rest.Config WrapTransport: requests that may change something (any method
// but GET, HEAD and OPTIONS) run their context's checks first.
func Wrap(rt http.RoundTripper) http.RoundTripper { return transport{next: rt} }

type transport struct{ next http.RoundTripper }

func (t transport) RoundTrip(req *http.Request) (*http.Response, error) {
	switch req.Method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
	default:
		if err := Check(req.Context()); err != nil {
			return nil, fmt.Errorf("%s %s not sent: %w", req.Method, req.URL.Path, err)
		}
	}
	return t.next.RoundTrip(req)
}
