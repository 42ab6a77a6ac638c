package testenv

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strconv"

	"golang.org/x/crypto/bcrypt"
)

// registryBinary is Debian's docker-registry (distribution 2.8).
const registryBinary = "docker-registry"

const registryConfig = `version: 0.1
log:
  level: warn
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: %s
  delete:
    enabled: true
  maintenance:
    uploadpurging:
      enabled: false
http:
  addr: 127.0.0.1:%d
  secret: %s
%s`

// startRegistries starts a plain-HTTP registry and a TLS one with htpasswd auth.
func (s *starter) startRegistries(ctx context.Context) error {
	bin, err := exec.LookPath(registryBinary)
	if err != nil {
		return &ComponentError{Component: "registry", Err: fmt.Errorf("%s not found: install Debian's docker-registry package (make setup): %w", registryBinary, err)}
	}
	plainPort, err := port("registry", s.opts.Ports.Registry)
	if err != nil {
		return err
	}
	plain, err := s.launchRegistry(bin, "registry", plainPort, "")
	if err != nil {
		return err
	}

	tlsPort, err := port("registry-tls", s.opts.Ports.SecureRegistry)
	if err != nil {
		return err
	}
	certFile, keyFile := s.path("pki", "registry.crt"), s.path("pki", "registry.key")
	if err := s.ca.issue("registry", []string{"127.0.0.1", "localhost"}, certFile, keyFile); err != nil {
		return fmt.Errorf("registry-tls: issuing certificate: %w", err)
	}
	s.env.RegistryUser = "hoist"
	s.env.RegistryPass = randomToken(12)
	hash, err := bcrypt.GenerateFromPassword([]byte(s.env.RegistryPass), bcrypt.MinCost)
	if err != nil {
		return err
	}
	htpasswd := s.path("pki", "registry.htpasswd")
	if err := os.WriteFile(htpasswd, []byte(s.env.RegistryUser+":"+string(hash)+"\n"), 0o600); err != nil {
		return err
	}
	extra := fmt.Sprintf("  tls:\n    certificate: %s\n    key: %s\nauth:\n  htpasswd:\n    realm: hoist-testenv\n    path: %s\n",
		certFile, keyFile, htpasswd)
	secure, err := s.launchRegistry(bin, "registry-tls", tlsPort, extra)
	if err != nil {
		return err
	}

	s.env.Registry = "127.0.0.1:" + strconv.Itoa(plainPort)
	s.env.SecureRegistry = "127.0.0.1:" + strconv.Itoa(tlsPort)
	if err := plain.waitReady(ctx, s.opts.Timeout, httpReady(http.DefaultClient, "http://"+s.env.Registry+"/v2/", "")); err != nil {
		return err
	}
	hc, err := s.httpsClient()
	if err != nil {
		return err
	}
	// Without credentials the TLS registry answers 401: up, and enforcing auth.
	return secure.waitReady(ctx, s.opts.Timeout, httpReady(hc, "https://"+s.env.SecureRegistry+"/v2/", "", http.StatusUnauthorized))
}

func (s *starter) launchRegistry(bin, name string, port int, extra string) (*Process, error) {
	cfg := s.path(name + ".yml")
	body := fmt.Sprintf(registryConfig, s.path("data", name), port, randomToken(16), extra)
	if err := os.WriteFile(cfg, []byte(body), 0o600); err != nil {
		return nil, err
	}
	return s.launch(name, bin, []string{"serve", cfg}, nil)
}
