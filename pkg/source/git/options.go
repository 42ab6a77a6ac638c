package git

import (
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/hoist-dev/hoist/pkg/source"
	"github.com/hoist-dev/hoist/pkg/source/kpkg"
)

// Options configure a Getter. Only CacheDir is required: the zero value of every
// other field means "none" (anonymous HTTP, no SSH key, no known hosts). The CLI starts
// from DefaultOptions, which reads the environment.
type Options struct {
	// CacheDir holds one directory per repository and commit (the commit's files).
	CacheDir string

	// HTTP(S) credentials, sent to every http(s) repository this Getter fetches
	// (a Getter per set of credentials). Credentials in the URL
	// (https://user:token@host/…) take precedence; without either, the netrc file is
	// consulted for the host. A token from a Git host (GitHub, GitLab, Gitea…) goes in
	// Password; Username then defaults to "git".
	Username, Password string
	// BearerToken is sent as "Authorization: Bearer …" instead of basic auth.
	BearerToken string
	// NetrcFile is a netrc file with per-host credentials ("machine HOST login U
	// password P"), used only for the host it names; a missing file is ignored.
	NetrcFile string

	// TLS for https: a CA bundle added to the system roots, a client certificate and
	// key, or no verification at all (for tests; never for SSH).
	CAFile, CertFile, KeyFile string
	InsecureSkipTLSVerify     bool
	// HTTPClient, when set, sends every HTTP request (and the TLS options above are
	// ignored): for proxies, tests that count requests, or custom transports.
	HTTPClient *http.Client

	// SSH: private key files (an encrypted key needs SSHKeyPassphrase; without it the
	// key is skipped), an SSH agent socket, and the known_hosts files host keys are
	// verified against. An SSH host that none of them lists is refused.
	SSHKeyFiles        []string
	SSHKeyPassphrase   string
	SSHAgentSocket     string
	SSHKnownHostsFiles []string

	// Limits bound the pack, the files and the checkout of a fetch; zero fields
	// take DefaultLimits' values.
	Limits Limits

	// Packages loads the kustomize packages the Getter finds (postrender's
	// RepositoryPackages); without it, fetching one fails with ErrNoPackageLoader.
	// Injected so that fetching does not link the kustomize engine.
	Packages PackageLoader
}

// PackageLoader reads the kustomize package in the directory subdir (a slash path,
// "" for the root) of root, a checkout of the repository repoURL, whose
// kustomizations may refer to other directories of the repository, by relative
// path or by repoURL.
type PackageLoader interface {
	LoadPackageIn(root, subdir, repoURL string) (*kpkg.Package, error)
}

// DefaultCacheDir is ${XDG_CACHE_HOME:-~/.cache}/hoist/git.
func DefaultCacheDir() string {
	return filepath.Join(cacheHome(), "hoist", "git")
}

func cacheHome() string {
	if d := os.Getenv("XDG_CACHE_HOME"); d != "" {
		return d
	}
	if h, err := os.UserHomeDir(); err == nil {
		return filepath.Join(h, ".cache")
	}
	return filepath.Join(os.TempDir(), "hoist-cache")
}

// DefaultOptions reads the environment:
//   - CacheDir: DefaultCacheDir();
//   - NetrcFile: $NETRC, else ~/.netrc (as git and curl);
//   - SSHKnownHostsFiles: $SSH_KNOWN_HOSTS (a list separated by the OS's path list
//     separator), else ~/.ssh/known_hosts and /etc/ssh/ssh_known_hosts;
//   - SSHKeyFiles: $HOIST_GIT_SSH_KEY, else those of ~/.ssh/id_ed25519, id_ecdsa and
//     id_rsa that exist; SSHKeyPassphrase: $HOIST_GIT_SSH_KEY_PASSPHRASE;
//   - SSHAgentSocket: $SSH_AUTH_SOCK.
//
// HTTP credentials are deliberately not read from plain environment variables: they
// would be sent to whichever host a reference names. Use the netrc file (scoped by
// host) or the URL.
func DefaultOptions() Options {
	home, _ := os.UserHomeDir()
	o := Options{CacheDir: DefaultCacheDir(), SSHAgentSocket: os.Getenv("SSH_AUTH_SOCK")}
	if n := os.Getenv("NETRC"); n != "" {
		o.NetrcFile = n
	} else if home != "" {
		o.NetrcFile = filepath.Join(home, ".netrc")
	}
	if kh := os.Getenv("SSH_KNOWN_HOSTS"); kh != "" {
		o.SSHKnownHostsFiles = filepath.SplitList(kh)
	} else {
		if home != "" {
			o.SSHKnownHostsFiles = append(o.SSHKnownHostsFiles, filepath.Join(home, ".ssh", "known_hosts"))
		}
		o.SSHKnownHostsFiles = append(o.SSHKnownHostsFiles, "/etc/ssh/ssh_known_hosts")
	}
	if k := os.Getenv("HOIST_GIT_SSH_KEY"); k != "" {
		o.SSHKeyFiles = []string{k}
	} else if home != "" {
		for _, n := range []string{"id_ed25519", "id_ecdsa", "id_rsa"} {
			p := filepath.Join(home, ".ssh", n)
			if _, err := os.Stat(p); err == nil {
				o.SSHKeyFiles = append(o.SSHKeyFiles, p)
			}
		}
	}
	o.SSHKeyPassphrase = os.Getenv("HOIST_GIT_SSH_KEY_PASSPHRASE")
	return o
}

// httpClient builds the client for http(s) remotes from the TLS options.
func (o *Options) httpClient() (*http.Client, error) {
	if o.HTTPClient != nil {
		return o.HTTPClient, nil
	}
	tr := http.DefaultTransport.(*http.Transport).Clone()
	if o.CAFile == "" && o.CertFile == "" && o.KeyFile == "" && !o.InsecureSkipTLSVerify {
		return &http.Client{Transport: tr}, nil
	}
	cfg, err := source.TLSOptions{CAFile: o.CAFile, CertFile: o.CertFile, KeyFile: o.KeyFile, InsecureSkipVerify: o.InsecureSkipTLSVerify}.Config()
	if err != nil {
		return nil, err
	}
	tr.TLSClientConfig = cfg
	return &http.Client{Transport: tr}, nil
}

func isHex(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool {
		return (r < '0' || r > '9') && (r < 'a' || r > 'f')
	}) < 0
}
