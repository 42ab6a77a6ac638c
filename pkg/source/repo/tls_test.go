package repo

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func writePEM(t *testing.T, path, typ string, der []byte) string {
	t.Helper()
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: typ, Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// clientCert makes a CA and a client certificate it signed; returns the CA pool and
// the client's cert and key files.
func clientCert(t *testing.T) (*x509.CertPool, string, string) {
	t.Helper()
	dir := t.TempDir()
	caKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	caTmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test CA"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, _ := x509.ParseCertificate(caDER)
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "client"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}, KeyUsage: x509.KeyUsageDigitalSignature,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(key)
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return pool, writePEM(t, filepath.Join(dir, "client.crt"), "CERTIFICATE", der), writePEM(t, filepath.Join(dir, "client.key"), "EC PRIVATE KEY", keyDER)
}

func TestTLS(t *testing.T) {
	ctx := context.Background()
	srv := newChartRepo(t, true)
	srv.put("/index.yaml", indexYAML(indexEntry{name: "web", version: "1.0.0", url: "web-1.0.0.tgz"}))
	caFile := writePEM(t, filepath.Join(t.TempDir(), "ca.crt"), "CERTIFICATE", srv.Certificate().Raw)
	m := testManager(t)

	if _, err := m.Add(ctx, Entry{Name: "tls", URL: srv.URL}, false); err == nil || !strings.Contains(err.Error(), "certificate") {
		t.Fatalf("unknown CA: %v", err)
	}
	if _, err := m.Add(ctx, Entry{Name: "tls", URL: srv.URL, CAFile: caFile}, false); err != nil {
		t.Fatalf("with --ca-file: %v", err)
	}
	if _, err := m.Add(ctx, Entry{Name: "insecure", URL: srv.URL, InsecureSkipTLSVerify: true}, false); err != nil {
		t.Fatalf("with --insecure-skip-tls-verify: %v", err)
	}
	if _, err := m.Add(ctx, Entry{Name: "badca", URL: srv.URL, CAFile: filepath.Join(t.TempDir(), "none")}, false); err == nil {
		t.Fatal("a missing CA file was accepted")
	}

	t.Run("client certificate", func(t *testing.T) {
		pool, certFile, keyFile := clientCert(t)
		// A TLS server that requires a client certificate from pool.
		srv2 := newChartRepoTLS(t, &tls.Config{ClientAuth: tls.RequireAndVerifyClientCert, ClientCAs: pool, MinVersion: tls.VersionTLS12})
		srv2.put("/index.yaml", indexYAML(indexEntry{name: "web", version: "1.0.0", url: "web-1.0.0.tgz"}))
		ca := writePEM(t, filepath.Join(t.TempDir(), "ca.crt"), "CERTIFICATE", srv2.Certificate().Raw)
		m := testManager(t)
		if _, err := m.Add(ctx, Entry{Name: "mtls", URL: srv2.URL, CAFile: ca}, false); err == nil {
			t.Fatal("no client certificate: accepted")
		}
		if _, err := m.Add(ctx, Entry{Name: "mtls", URL: srv2.URL, CAFile: ca, CertFile: certFile}, false); err == nil || !strings.Contains(err.Error(), "--key-file") {
			t.Fatalf("certificate without key: %v", err)
		}
		if _, err := m.Add(ctx, Entry{Name: "mtls", URL: srv2.URL, CAFile: ca, CertFile: certFile, KeyFile: keyFile}, false); err != nil {
			t.Fatalf("with a client certificate: %v", err)
		}
	})
}
