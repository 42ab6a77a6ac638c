package apply

import (
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/managedfields"
	"k8s.io/client-go/openapi"
	"k8s.io/kube-openapi/pkg/spec3"
)

// Schemas are the server's OpenAPI v3 schemas as structured-merge-diff types: what
// server-side apply itself uses to tell atomic values from granular ones and to match
// list elements by their keys (a container's port by containerPort and protocol, a
// volume mount by mountPath). Each group-version is read and parsed at most once, when
// an object of it is first compared, until Reset; a Schemas is safe for concurrent use.
//
// A schema that is out of date (a CRD changed since) makes comparisons answer "changed"
// rather than "unchanged": the field sets it computes differ from the server's.
type Schemas struct {
	client openapi.Client

	mu  sync.Mutex
	cur *schemaCache
}

// schemaCache is what Schemas read since the last Reset.
type schemaCache struct {
	pathsOnce sync.Once
	paths     map[string]openapi.GroupVersion
	pathsErr  error

	mu   sync.Mutex
	byGV map[schema.GroupVersion]*gvSchema
}

type gvSchema struct {
	once sync.Once
	tc   managedfields.TypeConverter
	err  error
}

// NewSchemas reads schemas from an OpenAPI v3 client (a discovery client's OpenAPIV3());
// a nil client has none, and comparisons fall back to treating every list as atomic.
func NewSchemas(client openapi.Client) *Schemas {
	return &Schemas{client: client}
}

// Reset forgets what was read: group-versions served since (a CRD just applied) and
// changed schemas are read again when next needed.
func (s *Schemas) Reset() {
	s.mu.Lock()
	s.cur = nil
	s.mu.Unlock()
}

// errNoSchema: the server publishes no OpenAPI v3 document for a group-version.
var errNoSchema = errors.New("no OpenAPI v3 schema")

// converter returns the type converter of a group-version, or an error when the
// server's schema is unavailable (callers then fall back to the deduced schema).
func (s *Schemas) converter(gv schema.GroupVersion) (managedfields.TypeConverter, error) {
	if s == nil || s.client == nil {
		return nil, errNoSchema
	}
	s.mu.Lock()
	if s.cur == nil {
		s.cur = &schemaCache{byGV: map[schema.GroupVersion]*gvSchema{}}
	}
	c := s.cur
	s.mu.Unlock()
	c.mu.Lock()
	e := c.byGV[gv]
	if e == nil {
		e = &gvSchema{}
		c.byGV[gv] = e
	}
	c.mu.Unlock()
	e.once.Do(func() { e.tc, e.err = s.load(c, gv) })
	return e.tc, e.err
}

// load reads and parses the OpenAPI v3 document of one group-version. The document is
// self-contained (it carries ObjectMeta and every other type it refers to), so one is
// enough for the kinds of its group-version.
func (s *Schemas) load(c *schemaCache, gv schema.GroupVersion) (managedfields.TypeConverter, error) {
	c.pathsOnce.Do(func() { c.paths, c.pathsErr = s.client.Paths() })
	if c.pathsErr != nil {
		return nil, fmt.Errorf("listing the OpenAPI v3 schemas: %w", c.pathsErr)
	}
	path := "apis/" + gv.Group + "/" + gv.Version
	if gv.Group == "" {
		path = "api/" + gv.Version
	}
	g, ok := c.paths[path]
	if !ok {
		return nil, fmt.Errorf("%s: %w", gv, errNoSchema)
	}
	raw, err := g.Schema("application/json")
	if err != nil {
		return nil, fmt.Errorf("reading the OpenAPI v3 schema of %s: %w", gv, err)
	}
	var doc spec3.OpenAPI
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("parsing the OpenAPI v3 schema of %s: %w", gv, err)
	}
	if doc.Components == nil {
		return nil, fmt.Errorf("%s: %w", gv, errNoSchema)
	}
	tc, err := managedfields.NewTypeConverter(doc.Components.Schemas, false)
	if err != nil {
		return nil, fmt.Errorf("converting the OpenAPI v3 schema of %s: %w", gv, err)
	}
	return tc, nil
}
