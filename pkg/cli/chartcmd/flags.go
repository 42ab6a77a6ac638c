package chartcmd

import (
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/hoist-dev/hoist/pkg/values"
)

// ValuesFlags are -f and the --set family, shared by every command that renders.
type ValuesFlags struct{ Opts values.Options }

// Register adds the flags to cmd.
func (v *ValuesFlags) Register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringSliceVarP(&v.Opts.ValueFiles, "values", "f", nil, "values from a YAML file or - for stdin (can be repeated; later files win)")
	f.StringArrayVar(&v.Opts.Values, "set", nil, "set values on the command line (key1=val1,key2=val2; a.b[0]=x; {a,b} lists)")
	f.StringArrayVar(&v.Opts.StringValues, "set-string", nil, "set STRING values on the command line")
	f.StringArrayVar(&v.Opts.FileValues, "set-file", nil, "set values from files (key=path: the file's content becomes the value)")
	f.StringArrayVar(&v.Opts.JSONValues, "set-json", nil, "set JSON values on the command line (key=jsonval)")
	f.StringArrayVar(&v.Opts.LiteralValues, "set-literal", nil, "set a literal STRING value (no escaping, no lists)")
	_ = cmd.MarkFlagFilename("values", "yaml", "yml")
}

// Merge reads and merges the user's values in Helm's order.
func (v *ValuesFlags) Merge(deps Deps) (map[string]any, error) {
	return v.Opts.Merge(values.ReadFile, deps.In)
}

// RegistryFlags are the connection flags of the commands that talk to an OCI
// registry (Helm's names). pkg/cli turns them into a client.
type RegistryFlags struct {
	PlainHTTP bool
	Insecure  bool
	CAFile    string
	CertFile  string
	KeyFile   string
	Username  string
	Password  string
}

// Register adds --plain-http, the TLS flags (with insecureName for skipping
// verification: helm calls it --insecure for login, --insecure-skip-tls-verify
// elsewhere) and, with creds, --username and --password.
func (r *RegistryFlags) Register(f *pflag.FlagSet, insecureName string, creds bool) {
	f.BoolVar(&r.PlainHTTP, "plain-http", false, "use plain HTTP instead of HTTPS to talk to the registry")
	f.BoolVar(&r.Insecure, insecureName, false, "skip verification of the registry's TLS certificate")
	f.StringVar(&r.CAFile, "ca-file", "", "verify the registry's certificate with this CA bundle (PEM), in addition to the system's")
	f.StringVar(&r.CertFile, "cert-file", "", "identify to the registry with this client certificate (PEM)")
	f.StringVar(&r.KeyFile, "key-file", "", "the key of --cert-file (PEM)")
	if creds {
		f.StringVar(&r.Username, "username", "", "registry username (default: the credentials stored by `hoist registry login` or docker login)")
		f.StringVar(&r.Password, "password", "", "registry password or identity token")
	}
}

// ChartFlags are the flags of commands that take a CHART reference: --version and,
// for oci:// references, the registry connection flags.
type ChartFlags struct {
	Version string
	Reg     RegistryFlags
	// RenderOnly commands (template, show) need no digest of a local chart.
	RenderOnly bool
}

// Register adds the flags to f.
func (c *ChartFlags) Register(f *pflag.FlagSet) {
	f.StringVar(&c.Version, "version", "", "chart version: exact, or a SemVer constraint (\"^1.2\"); default the latest")
	c.Reg.Register(f, "insecure-skip-tls-verify", true)
}

// PostRenderFlags are --kustomize, --post-renderer and --post-renderer-args, on the
// commands that render (template, install, upgrade, diff upgrade). pkg/cli builds the
// post-renderer they describe.
type PostRenderFlags struct {
	Kustomize    string
	PostRenderer string
	Args         []string
}

// Register adds the flags to cmd.
func (p *PostRenderFlags) Register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&p.Kustomize, "kustomize", "", "a directory with a kustomization.yaml applied over the rendered manifests (patches, images, labels, generators…); recorded in the release")
	f.StringVar(&p.PostRenderer, "post-renderer", "", "an executable that gets the rendered manifests on stdin and prints the manifests to use (Helm v3's post-renderer)")
	f.StringArrayVar(&p.Args, "post-renderer-args", nil, "an argument for the post-renderer (can be repeated)")
	_ = cmd.MarkFlagDirname("kustomize")
}

// Set reports whether any of the flags was given.
func (p *PostRenderFlags) Set() bool {
	return p.Kustomize != "" || p.PostRenderer != "" || len(p.Args) > 0
}
