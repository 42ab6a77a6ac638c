package source

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTLSOptionsErrors: each bad TLS option fails Config with a message naming
// the file (or the missing half of a key pair).
func TestTLSOptionsErrors(t *testing.T) {
	dir := t.TempDir()
	notPEM := filepath.Join(dir, "not.pem")
	if err := os.WriteFile(notPEM, []byte("not PEM"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		opts TLSOptions
		want string
	}{
		{TLSOptions{CAFile: notPEM}, "CA file " + notPEM},
		{TLSOptions{CAFile: filepath.Join(dir, "missing.pem")}, "missing.pem"},
		{TLSOptions{CertFile: notPEM}, "needs both a certificate file and a key file"},
		{TLSOptions{KeyFile: notPEM}, "needs both a certificate file and a key file"},
		{TLSOptions{CertFile: notPEM, KeyFile: notPEM}, "client certificate " + notPEM},
	} {
		if _, err := c.opts.Config(); err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%+v: %v, want an error mentioning %q", c.opts, err, c.want)
		}
	}
	cfg, err := TLSOptions{InsecureSkipVerify: true}.Config()
	if err != nil || !cfg.InsecureSkipVerify || cfg.MinVersion == 0 {
		t.Errorf("insecure: %+v, %v", cfg, err)
	}
}
