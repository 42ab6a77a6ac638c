package kube

import (
	"testing"

	"k8s.io/client-go/rest"
)

// Clients come from a REST config alone (as the controller builds them), without
// contacting the server.
func TestNewClients(t *testing.T) {
	cfg := &rest.Config{Host: "https://127.0.0.1:1"}
	c, err := NewClients(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if c.Config.Host != cfg.Host || c.Typed == nil || c.Dynamic == nil || c.Mapper == nil {
		t.Fatalf("clients: %+v", c)
	}
	// The clients' transport is fenced (package fence); the caller's config is left as it was.
	if c.Config.WrapTransport == nil || cfg.WrapTransport != nil {
		t.Fatalf("fenced transport: clients %v, caller's config %v", c.Config.WrapTransport != nil, cfg.WrapTransport != nil)
	}
}
