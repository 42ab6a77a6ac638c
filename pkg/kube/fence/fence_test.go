package fence

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"
)

func TestWrapChecksWritesOnly(t *testing.T) {
	var hits int
	srv := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits++ }))
	defer srv.Close()
	lost := errors.New("lost the lock")
	ctx := WithCheck(context.Background(), func() error { return lost })
	client := &http.Client{Transport: Wrap(http.DefaultTransport)}

	for _, m := range []string{http.MethodGet, http.MethodHead} {
		req, _ := http.NewRequestWithContext(ctx, m, srv.URL, nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		resp.Body.Close()
	}
	for _, m := range []string{http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete} {
		req, _ := http.NewRequestWithContext(ctx, m, srv.URL, nil)
		resp, err := client.Do(req)
		if resp != nil {
			resp.Body.Close()
		}
		if !errors.Is(err, lost) {
			t.Fatalf("%s: got %v, want the check's error", m, err)
		}
	}
	if hits != 2 {
		t.Fatalf("server saw %d requests, want the 2 reads only", hits)
	}
	// Without a check, writes go through.
	req, _ := http.NewRequestWithContext(context.Background(), http.MethodPost, srv.URL, nil)
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
}

func TestChecksNest(t *testing.T) {
	outer := errors.New("outer")
	var innerRan bool
	ctx := WithCheck(context.Background(), func() error { return outer })
	ctx = WithCheck(ctx, func() error { innerRan = true; return nil })
	if err := Check(ctx); !errors.Is(err, outer) || innerRan {
		t.Fatalf("got %v (inner ran: %v), want the outer error first", err, innerRan)
	}
	if Check(context.Background()) != nil {
		t.Fatal("no check must pass")
	}
}
