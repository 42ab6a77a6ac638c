package git

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/rsa"
	"encoding/binary"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"
)

// sshServer is an in-process SSH server that runs git-upload-pack for exec requests,
// for repositories under root, for clients with one authorized key.
type sshServer struct {
	addr    string
	hostKey ssh.Signer
	mu      sync.Mutex
	execs   []string
}

func newSigner(t *testing.T) (ssh.Signer, []byte) {
	t.Helper()
	_, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	s, err := ssh.NewSignerFromKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	block, err := ssh.MarshalPrivateKey(priv, "")
	if err != nil {
		t.Fatal(err)
	}
	return s, pem.EncodeToMemory(block)
}

func startSSHServer(t *testing.T, root string, authorized ssh.PublicKey, extraHostKeys ...ssh.Signer) *sshServer {
	t.Helper()
	uploadPack, err := exec.LookPath("git-upload-pack")
	if err != nil {
		t.Skip("git-upload-pack not installed")
	}
	hostKey, _ := newSigner(t)
	cfg := &ssh.ServerConfig{
		PublicKeyCallback: func(_ ssh.ConnMetadata, key ssh.PublicKey) (*ssh.Permissions, error) {
			if string(key.Marshal()) == string(authorized.Marshal()) {
				return &ssh.Permissions{}, nil
			}
			return nil, errors.New("unauthorized key")
		},
	}
	cfg.AddHostKey(hostKey)
	for _, k := range extraHostKeys {
		cfg.AddHostKey(k)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &sshServer{addr: l.Addr().String(), hostKey: hostKey}
	var wg sync.WaitGroup
	t.Cleanup(func() { l.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				s.serve(c, cfg, uploadPack, root)
			}()
		}
	}()
	return s
}

func (s *sshServer) serve(c net.Conn, cfg *ssh.ServerConfig, uploadPack, root string) {
	defer c.Close()
	conn, chans, reqs, err := ssh.NewServerConn(c, cfg)
	if err != nil {
		return
	}
	defer conn.Close()
	go ssh.DiscardRequests(reqs)
	for nc := range chans {
		if nc.ChannelType() != "session" {
			_ = nc.Reject(ssh.UnknownChannelType, "session only")
			continue
		}
		ch, reqs, err := nc.Accept()
		if err != nil {
			return
		}
		go func() {
			defer ch.Close()
			for req := range reqs {
				if req.Type != "exec" || len(req.Payload) < 4 {
					_ = req.Reply(false, nil)
					continue
				}
				n := binary.BigEndian.Uint32(req.Payload)
				cmdline := string(req.Payload[4 : 4+n])
				s.mu.Lock()
				s.execs = append(s.execs, cmdline)
				s.mu.Unlock()
				name, arg, _ := strings.Cut(cmdline, " ")
				repo := strings.Trim(arg, "'")
				if name != "git-upload-pack" || !strings.HasPrefix(filepath.Clean(repo), root) {
					_ = req.Reply(false, nil)
					continue
				}
				_ = req.Reply(true, nil)
				cmd := exec.Command(uploadPack, repo)
				cmd.Stdin, cmd.Stdout, cmd.Stderr = ch, ch, ch.Stderr()
				status := 0
				if err := cmd.Run(); err != nil {
					status = 1
				}
				_, _ = ch.SendRequest("exit-status", false, binary.BigEndian.AppendUint32(nil, uint32(status)))
				return
			}
		}()
	}
}

func writeKnownHosts(t *testing.T, addr string, key ssh.PublicKey) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "known_hosts")
	line := knownhosts.Line([]string{knownhosts.Normalize(addr)}, key)
	if err := os.WriteFile(p, []byte("# test\n"+line+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestGetSSH(t *testing.T) {
	f := newFixture(t)
	clientKey, clientPEM := newSigner(t)
	keyFile := filepath.Join(t.TempDir(), "id_ed25519")
	if err := os.WriteFile(keyFile, clientPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	root := filepath.Dir(f.Bare)
	srv := startSSHServer(t, root, clientKey.PublicKey())
	host, port, _ := net.SplitHostPort(srv.addr)
	repoURL := fmt.Sprintf("git+ssh://git@%s:%s%s", host, port, f.Bare)
	known := writeKnownHosts(t, srv.addr, srv.hostKey.PublicKey())
	ctx := context.Background()

	t.Run("tag, range, branch and commits", func(t *testing.T) {
		g := getter(t, Options{SSHKeyFiles: []string{keyFile}, SSHKnownHostsFiles: []string{known}})
		for ref, want := range map[string]string{"v1.0.0": f.c1, "^1": f.c2, "stable": f.c1, "": f.c3, f.c2: f.c2, f.c1[:9]: f.c1} {
			got, err := g.Get(ctx, parse(t, repoURL+"//charts/web?ref="+ref))
			if err != nil {
				t.Fatalf("ref %q: %v", ref, err)
			}
			if got.Digest != "git:"+want {
				t.Errorf("ref %q: %s, want %s", ref, got.Digest, want)
			}
			if !strings.HasPrefix(got.Source, "git+ssh://git@") {
				t.Errorf("source %s", got.Source)
			}
		}
	})

	t.Run("commit that is no tip: upload-pack refuses it, the history has it", func(t *testing.T) {
		g := getter(t, Options{SSHKeyFiles: []string{keyFile}, SSHKnownHostsFiles: []string{known}})
		got, err := g.Get(ctx, parse(t, repoURL+"//charts/web?ref="+f.mid))
		if err != nil || got.Version != "1.1.1" {
			t.Fatalf("got %+v, %v", got, err)
		}
		// A commit no branch or tag reaches: not found, with the refs listed.
		r := f.workRepo
		orphan := r.commit(map[string]string{"charts/web/Chart.yaml": "apiVersion: v2\nname: web\nversion: 1.3.0\n"}, "later")
		r.git(r.work, "push", "--quiet", "--force", "origin", f.c3+":refs/heads/main")
		_, err = g.Get(ctx, parse(t, repoURL+"//charts/web?ref="+orphan))
		if !errors.Is(err, ErrRefNotFound) || !strings.Contains(err.Error(), "in no branch or tag") {
			t.Fatalf("unreachable commit: %v", err)
		}
	})

	t.Run("unknown host", func(t *testing.T) {
		other, _ := newSigner(t)
		unrelated := writeKnownHosts(t, "example.com", other.PublicKey())
		for _, files := range [][]string{nil, {filepath.Join(t.TempDir(), "missing")}, {unrelated}} {
			g := getter(t, Options{SSHKeyFiles: []string{keyFile}, SSHKnownHostsFiles: files})
			_, err := g.Get(ctx, parse(t, repoURL+"//charts/web"))
			if !errors.Is(err, ErrUnknownHost) {
				t.Fatalf("known_hosts %v: %v", files, err)
			}
			fp := ssh.FingerprintSHA256(srv.hostKey.PublicKey())
			if !strings.Contains(err.Error(), fp) || !strings.Contains(err.Error(), "ssh-keyscan -p "+port+" "+host) {
				t.Errorf("message lacks the fingerprint or the hint: %v", err)
			}
		}
		if n := len(srv.execs); n == 0 {
			t.Log("no exec reached the server before (expected)")
		}
	})

	t.Run("known_hosts has one of the server's keys", func(t *testing.T) {
		// The server has an ed25519 and an RSA key, and Go's client prefers RSA:
		// asking for the algorithms known_hosts has keys of makes the server show
		// its ed25519 key instead of an RSA key that would look like a mismatch.
		rsaKey, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			t.Fatal(err)
		}
		rsaSigner, err := ssh.NewSignerFromKey(rsaKey)
		if err != nil {
			t.Fatal(err)
		}
		srv2 := startSSHServer(t, root, clientKey.PublicKey(), rsaSigner)
		h2, p2, _ := net.SplitHostPort(srv2.addr)
		kh := writeKnownHosts(t, srv2.addr, srv2.hostKey.PublicKey())
		g := getter(t, Options{SSHKeyFiles: []string{keyFile}, SSHKnownHostsFiles: []string{kh}})
		got, err := g.Get(ctx, parse(t, fmt.Sprintf("git+ssh://git@%s:%s%s//charts/web?ref=v1.0.0", h2, p2, f.Bare)))
		if err != nil || got.Version != "1.0.0" {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("host key mismatch", func(t *testing.T) {
		impostor, _ := newSigner(t)
		wrong := writeKnownHosts(t, srv.addr, impostor.PublicKey())
		g := getter(t, Options{SSHKeyFiles: []string{keyFile}, SSHKnownHostsFiles: []string{wrong}})
		srv.mu.Lock()
		before := len(srv.execs)
		srv.mu.Unlock()
		_, err := g.Get(ctx, parse(t, repoURL+"//charts/web"))
		if !errors.Is(err, ErrHostKeyMismatch) || !strings.Contains(err.Error(), wrong+":2") {
			t.Fatalf("got %v", err)
		}
		srv.mu.Lock()
		after := len(srv.execs)
		srv.mu.Unlock()
		if after != before {
			t.Fatal("a command ran on a server whose host key did not verify")
		}
	})

	t.Run("wrong client key", func(t *testing.T) {
		_, otherPEM := newSigner(t)
		other := filepath.Join(t.TempDir(), "id_other")
		if err := os.WriteFile(other, otherPEM, 0o600); err != nil {
			t.Fatal(err)
		}
		g := getter(t, Options{SSHKeyFiles: []string{other}, SSHKnownHostsFiles: []string{known}})
		_, err := g.Get(ctx, parse(t, repoURL+"//charts/web"))
		if !errors.Is(err, ErrAuthFailed) {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("no key", func(t *testing.T) {
		g := getter(t, Options{SSHKnownHostsFiles: []string{known}})
		_, err := g.Get(ctx, parse(t, repoURL+"//charts/web"))
		if !errors.Is(err, ErrAuthRequired) {
			t.Fatalf("got %v", err)
		}
	})

	t.Run("ssh agent", func(t *testing.T) {
		keyring := agent.NewKeyring()
		priv, err := ssh.ParseRawPrivateKey(clientPEM)
		if err != nil {
			t.Fatal(err)
		}
		if err := keyring.Add(agent.AddedKey{PrivateKey: priv}); err != nil {
			t.Fatal(err)
		}
		sock := filepath.Join(t.TempDir(), "agent.sock")
		l, err := net.Listen("unix", sock)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		go func() {
			for {
				c, err := l.Accept()
				if err != nil {
					return
				}
				go func() { _ = agent.ServeAgent(keyring, c); c.Close() }()
			}
		}()
		got, err := getter(t, Options{SSHAgentSocket: sock, SSHKnownHostsFiles: []string{known}}).Get(ctx, parse(t, repoURL+"//charts/web?ref=v1.0.0"))
		if err != nil || got.Version != "1.0.0" {
			t.Fatalf("with the agent: %v", err)
		}
	})

	t.Run("encrypted key", func(t *testing.T) {
		block, err := ssh.MarshalPrivateKeyWithPassphrase(clientKeyPriv(t, clientPEM), "", []byte("secret"))
		if err != nil {
			t.Fatal(err)
		}
		enc := filepath.Join(t.TempDir(), "id_enc")
		if err := os.WriteFile(enc, pem.EncodeToMemory(block), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err = getter(t, Options{SSHKeyFiles: []string{enc}, SSHKnownHostsFiles: []string{known}}).Get(ctx, parse(t, repoURL+"//charts/web"))
		if !errors.Is(err, ErrAuthRequired) || !strings.Contains(err.Error(), "encrypted") {
			t.Fatalf("without passphrase: %v", err)
		}
		got, err := getter(t, Options{SSHKeyFiles: []string{enc}, SSHKeyPassphrase: "secret", SSHKnownHostsFiles: []string{known}}).Get(ctx, parse(t, repoURL+"//charts/web?ref=v1.1.0"))
		if err != nil || got.Version != "1.1.0" {
			t.Fatalf("with passphrase: %v", err)
		}
	})
}

func clientKeyPriv(t *testing.T, pemBytes []byte) any {
	t.Helper()
	k, err := ssh.ParseRawPrivateKey(pemBytes)
	if err != nil {
		t.Fatal(err)
	}
	return k
}
