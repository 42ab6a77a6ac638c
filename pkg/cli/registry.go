package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/hoist-dev/hoist/pkg/action"
	"github.com/hoist-dev/hoist/pkg/source/oci"
)

// registryOptions are the use cases' registry options for the registry flags.
func registryOptions(r *registryFlags, deps Deps) action.RegistryOptions {
	return action.RegistryOptions{
		PlainHTTP:             r.PlainHTTP,
		InsecureSkipTLSVerify: r.Insecure,
		CAFile:                r.CAFile,
		CertFile:              r.CertFile,
		KeyFile:               r.KeyFile,
		Username:              r.Username,
		Password:              r.Password,
		UserAgent:             userAgent(deps.Build),
	}
}

func userAgent(b BuildInfo) string {
	if b.Version == "" {
		return "hoist"
	}
	return "hoist/" + b.Version
}

func newRegistryCmd(deps Deps) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "registry",
		Short: "Log in to and out of OCI registries",
		Long: `Manage the credentials hoist uses for OCI registries.

Credentials are kept where docker keeps them: in $DOCKER_CONFIG/config.json
(default ~/.docker/config.json), or in the credential helper it names (credsStore,
credHelpers). So a docker login works for hoist, and a hoist login for docker,
oras and helm (which reads the Docker configuration after its own).`,
		Args: cobra.NoArgs,
	}
	cmd.AddCommand(newRegistryLoginCmd(deps), newRegistryLogoutCmd(deps))
	return cmd
}

func newRegistryLoginCmd(deps Deps) *cobra.Command {
	var (
		rf            registryFlags
		username      string
		password      string
		passwordStdin bool
	)
	cmd := &cobra.Command{
		Use:   "login HOST",
		Short: "Log in to an OCI registry",
		Long: `Check a username and password (or identity token) against an OCI registry and,
if it accepts them, store them for later pushes and pulls.

Without -p or --password-stdin, hoist asks for what is missing on the terminal.
Prefer --password-stdin to -p: a password on the command line ends up in the shell
history and in the process list.`,
		Example: `  # log in with a token from the environment
  echo "$GITHUB_TOKEN" | hoist registry login ghcr.io -u "$GITHUB_USER" --password-stdin
  # a registry with a private CA
  hoist registry login registry.internal:5000 -u ci --password-stdin --ca-file ca.crt
  # a plain-HTTP registry on this machine
  hoist registry login localhost:5000 -u admin -p admin --plain-http`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			host, cut, err := oci.ParseHost(args[0])
			if err != nil {
				return err
			}
			if cut != "" {
				fmt.Fprintf(cmd.ErrOrStderr(), "WARNING: credentials are per registry: logging in to %s (not %s)\n", host, args[0])
			}
			username, password, err = readCredentials(deps, cmd.ErrOrStderr(), username, password, passwordStdin)
			if err != nil {
				return err
			}
			if password != "" && !passwordStdin && cmd.Flags().Changed("password") {
				fmt.Fprintln(cmd.ErrOrStderr(), "WARNING: a password on the command line is insecure; use --password-stdin")
			}
			login := action.RegistryLoginOptions{Host: host, Username: username, Password: password, Registry: registryOptions(&rf, deps)}
			if _, err := (action.RegistryLogin{}).Run(cmd.Context(), login); err != nil {
				return err
			}
			_, err = fmt.Fprintln(cmd.OutOrStdout(), "Login Succeeded")
			return err
		},
	}
	f := cmd.Flags()
	f.StringVarP(&username, "username", "u", "", "registry username (empty for an identity token)")
	f.StringVarP(&password, "password", "p", "", "registry password or identity token")
	f.BoolVar(&passwordStdin, "password-stdin", false, "read the password or identity token from standard input")
	rf.Register(f, "insecure", false)
	return cmd
}

// readCredentials completes username and password: from standard input with
// --password-stdin, else by asking on the terminal.
func readCredentials(deps Deps, prompt io.Writer, username, password string, fromStdin bool) (string, string, error) {
	if fromStdin {
		if password != "" {
			return "", "", errors.New("--password and --password-stdin are mutually exclusive")
		}
		b, err := io.ReadAll(deps.In)
		if err != nil {
			return "", "", fmt.Errorf("reading the password from standard input: %w", err)
		}
		password = strings.TrimSuffix(strings.TrimSuffix(string(b), "\n"), "\r")
		if password == "" {
			return "", "", errors.New("--password-stdin: standard input is empty")
		}
		return username, password, nil
	}
	if password != "" {
		return username, password, nil
	}
	in, ok := deps.In.(*os.File)
	if !ok || !term.IsTerminal(int(in.Fd())) {
		return "", "", errors.New("no password: pass it on standard input with --password-stdin (or with -p)")
	}
	if username == "" {
		fmt.Fprint(prompt, "Username: ")
		line, err := bufio.NewReader(in).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return "", "", err
		}
		username = strings.TrimSpace(line)
	}
	what := "Password: "
	if username == "" {
		what = "Token: "
	}
	fmt.Fprint(prompt, what)
	b, err := term.ReadPassword(int(in.Fd()))
	fmt.Fprintln(prompt)
	if err != nil {
		return "", "", fmt.Errorf("reading the password: %w", err)
	}
	if len(b) == 0 {
		return "", "", errors.New("no password given")
	}
	return username, string(b), nil
}

func newRegistryLogoutCmd(deps Deps) *cobra.Command {
	return &cobra.Command{
		Use:     "logout HOST",
		Short:   "Remove the stored credentials of an OCI registry",
		Example: `  hoist registry logout ghcr.io`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			host, _, err := oci.ParseHost(args[0])
			if err != nil {
				return err
			}
			res, err := action.RegistryLogout{}.Run(cmd.Context(), action.RegistryLogoutOptions{Host: host, Registry: registryOptions(&registryFlags{}, deps)})
			if err != nil {
				return err
			}
			if !res.WasLoggedIn {
				_, err = fmt.Fprintf(cmd.OutOrStdout(), "Not logged in to %s\n", host)
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "Removing login credentials for %s\n", host)
			return err
		},
	}
}
