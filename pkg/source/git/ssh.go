package git

import (
	"crypto/ed25519"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"sync"
	"time"

	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
	"golang.org/x/crypto/ssh"
	"golang.org/x/crypto/ssh/agent"
	"golang.org/x/crypto/ssh/knownhosts"
)

// hostKeys verifies SSH host keys against known_hosts files. It never accepts an
// unknown host: there is no "insecure" switch.
type hostKeys struct {
	files []string // the files that exist, in order
	check ssh.HostKeyCallback

	mu  sync.Mutex
	err error // the last verification failure, for a clear error after the handshake
}

func newHostKeys(files []string) (*hostKeys, error) {
	h := &hostKeys{}
	for _, f := range files {
		if _, err := os.Stat(f); err == nil {
			h.files = append(h.files, f)
		}
	}
	if len(h.files) == 0 {
		return h, nil
	}
	cb, err := knownhosts.New(h.files...)
	if err != nil {
		return nil, fmt.Errorf("reading known_hosts: %w", err)
	}
	h.check = cb
	return h, nil
}

// callback is the ssh.HostKeyCallback: it turns knownhosts' errors into
// ErrUnknownHost and ErrHostKeyMismatch with what to do about them.
func (h *hostKeys) callback(hostname string, remote net.Addr, key ssh.PublicKey) error {
	err := h.verify(hostname, remote, key)
	if err != nil {
		h.mu.Lock()
		h.err = err
		h.mu.Unlock()
	}
	return err
}

func (h *hostKeys) verify(hostname string, remote net.Addr, key ssh.PublicKey) error {
	fp := key.Type() + " " + ssh.FingerprintSHA256(key)
	unknown := func() error {
		where := "no known_hosts file exists"
		if len(h.files) > 0 {
			where = "checked " + strings.Join(h.files, ", ")
		}
		host, port := splitHostPort(hostname)
		scan := "ssh-keyscan " + host
		if port != "22" {
			scan = "ssh-keyscan -p " + port + " " + host
		}
		return fmt.Errorf("%w: %s offered %s (%s); verify that fingerprint, then add the host with `%s >> ~/.ssh/known_hosts` (or list a known_hosts file in SSH_KNOWN_HOSTS)",
			ErrUnknownHost, hostname, fp, where, scan)
	}
	if h.check == nil {
		return unknown()
	}
	err := h.check(hostname, remote, key)
	if err == nil {
		return nil
	}
	var ke *knownhosts.KeyError
	if errors.As(err, &ke) {
		if len(ke.Want) == 0 {
			return unknown()
		}
		w := ke.Want[0]
		return fmt.Errorf("%w: %s presented %s, but %s:%d has a different key for it (%s %s); the connection may be intercepted, or the host key changed: check with the server's owner before editing known_hosts",
			ErrHostKeyMismatch, hostname, fp, w.Filename, w.Line, w.Key.Type(), ssh.FingerprintSHA256(w.Key))
	}
	var re *knownhosts.RevokedError
	if errors.As(err, &re) {
		return fmt.Errorf("%w: %s presented %s, which %s:%d marks as revoked",
			ErrHostKeyMismatch, hostname, fp, re.Revoked.Filename, re.Revoked.Line)
	}
	return fmt.Errorf("verifying the host key of %s: %w", hostname, err)
}

// lastErr is the last verification failure, if any.
func (h *hostKeys) lastErr() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.err
}

// algorithms returns the host key algorithms known_hosts has keys of for hostport,
// so the server is asked for a key we can verify instead of its preferred type (which
// would look like a mismatch). Nil when the host is unknown.
func (h *hostKeys) algorithms(hostport string) []string {
	if h.check == nil {
		return nil
	}
	// Ask with a key no host has: the KeyError lists every key known for the host.
	err := h.check(hostport, &net.TCPAddr{IP: net.IPv4zero}, probeKey())
	var ke *knownhosts.KeyError
	if !errors.As(err, &ke) {
		return nil
	}
	var algos []string
	seen := map[string]bool{}
	add := func(a ...string) {
		for _, x := range a {
			if !seen[x] {
				seen[x] = true
				algos = append(algos, x)
			}
		}
	}
	for _, k := range ke.Want {
		switch t := k.Key.Type(); t {
		case ssh.KeyAlgoRSA:
			add(ssh.KeyAlgoRSASHA512, ssh.KeyAlgoRSASHA256, ssh.KeyAlgoRSA)
		default:
			add(t)
		}
	}
	return algos
}

var probeKey = sync.OnceValue(func() ssh.PublicKey {
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		panic(err)
	}
	k, err := ssh.NewPublicKey(pub)
	if err != nil {
		panic(err)
	}
	return k
})

func splitHostPort(hostport string) (host, port string) {
	host, port, err := net.SplitHostPort(hostport)
	if err != nil {
		return hostport, "22"
	}
	return host, port
}

// sshAuth is the go-git SSH auth method: keys and agent, host keys verified.
type sshAuth struct {
	user     string
	methods  []ssh.AuthMethod
	hostKeys *hostKeys
	algos    []string
	timeout  time.Duration
	close    func()
}

var _ gitssh.AuthMethod = (*sshAuth)(nil)

func (a *sshAuth) Name() string   { return gitssh.PublicKeysName }
func (a *sshAuth) String() string { return "user: " + a.user + ", name: " + a.Name() }

func (a *sshAuth) ClientConfig() (*ssh.ClientConfig, error) {
	return &ssh.ClientConfig{
		User:              a.user,
		Auth:              a.methods,
		HostKeyCallback:   a.hostKeys.callback,
		HostKeyAlgorithms: a.algos,
		Timeout:           a.timeout,
	}, nil
}

// newSSHAuth builds the auth method for user@hostport from the options: private key
// files (encrypted ones need SSHKeyPassphrase) and the SSH agent.
func newSSHAuth(o *Options, user, hostport string) (*sshAuth, error) {
	hk, err := newHostKeys(o.SSHKnownHostsFiles)
	if err != nil {
		return nil, err
	}
	a := &sshAuth{user: user, hostKeys: hk, algos: hk.algorithms(hostport), timeout: 30 * time.Second, close: func() {}}
	var (
		signers []ssh.Signer
		skipped []string
	)
	for _, f := range o.SSHKeyFiles {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("reading ssh key: %w", err)
		}
		s, err := ssh.ParsePrivateKey(b)
		var missing *ssh.PassphraseMissingError
		if errors.As(err, &missing) {
			if o.SSHKeyPassphrase == "" {
				skipped = append(skipped, f)
				continue
			}
			s, err = ssh.ParsePrivateKeyWithPassphrase(b, []byte(o.SSHKeyPassphrase))
		}
		if err != nil {
			return nil, fmt.Errorf("ssh key %s: %w", f, err)
		}
		signers = append(signers, s)
	}
	if len(signers) > 0 {
		a.methods = append(a.methods, ssh.PublicKeys(signers...))
	}
	if o.SSHAgentSocket != "" {
		conn, err := net.Dial("unix", o.SSHAgentSocket)
		if err == nil {
			a.methods = append(a.methods, ssh.PublicKeysCallback(agent.NewClient(conn).Signers))
			a.close = func() { _ = conn.Close() }
		}
	}
	if len(a.methods) == 0 {
		msg := "no SSH key given and no SSH agent running"
		if len(skipped) > 0 {
			msg = fmt.Sprintf("the SSH keys %s are encrypted and no passphrase was given, and no SSH agent is running", strings.Join(skipped, ", "))
		}
		return nil, fmt.Errorf("%w: %s", ErrAuthRequired, msg)
	}
	return a, nil
}
