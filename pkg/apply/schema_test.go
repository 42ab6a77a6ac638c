package apply

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/openapi"
	"k8s.io/client-go/openapi/openapitest"
)

// countingClient counts the requests a Schemas makes.
type countingClient struct {
	openapi.Client
	paths, schemas atomic.Int32
}

func (c *countingClient) Paths() (map[string]openapi.GroupVersion, error) {
	c.paths.Add(1)
	ps, err := c.Client.Paths()
	out := map[string]openapi.GroupVersion{}
	for k, gv := range ps {
		out[k] = countingGV{gv, &c.schemas}
	}
	return out, err
}

type countingGV struct {
	openapi.GroupVersion
	n *atomic.Int32
}

func (g countingGV) Schema(contentType string) ([]byte, error) {
	g.n.Add(1)
	return g.GroupVersion.Schema(contentType)
}

func TestSchemasReadOnce(t *testing.T) {
	c := &countingClient{Client: openapitest.NewEmbeddedFileClient()}
	s := NewSchemas(c)
	apps := schema.GroupVersion{Group: "apps", Version: "v1"}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			if _, err := s.converter(apps); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if _, err := s.converter(schema.GroupVersion{Group: "example.com", Version: "v1"}); !errors.Is(err, errNoSchema) {
		t.Errorf("a group-version the server does not describe: %v", err)
	}
	if p, n := c.paths.Load(), c.schemas.Load(); p != 1 || n != 1 {
		t.Errorf("%d path listings and %d schema reads for 9 look-ups, want 1 and 1", p, n)
	}
	s.Reset()
	if _, err := s.converter(apps); err != nil || c.paths.Load() != 2 || c.schemas.Load() != 2 {
		t.Errorf("after Reset: %v, %d listings, %d reads", err, c.paths.Load(), c.schemas.Load())
	}
	if _, err := NewSchemas(nil).converter(apps); !errors.Is(err, errNoSchema) {
		t.Errorf("without a client: %v", err)
	}
}
