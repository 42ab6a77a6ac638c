package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/pkg/postrender"
	"github.com/hoist-dev/hoist/pkg/source"
	"github.com/hoist-dev/hoist/pkg/source/git"
	"github.com/hoist-dev/hoist/pkg/source/repo"
)

// repoManager is the chart repositories of this user: repositories file and cache
// from the environment (see repo.DefaultOptions).
func repoManager(userAgent string, timeout time.Duration) *repo.Manager {
	o := repo.DefaultOptions()
	o.UserAgent, o.Timeout = userAgent, timeout
	return repo.NewManager(o)
}

// gitSource is the Git getter with the environment's defaults (git.DefaultOptions:
// cache, netrc, SSH keys, agent and known_hosts).
func gitSource() source.Getter {
	o := git.DefaultOptions()
	o.Packages = postrender.RepositoryPackages{}
	g, err := git.New(o)
	if err != nil {
		return failingGetter{err}
	}
	return g
}

// repoSource is the Fetcher's backend for repo/chart references.
func repoSource() source.Getter { return repoManager("hoist", 0) }

func repoUserAgent(deps Deps) string {
	if deps.Build.Version == "" {
		return "hoist"
	}
	return "hoist/" + deps.Build.Version
}

func newRepoCmd(deps Deps) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "repo",
		Short: "Add, list, update and remove chart repositories",
		Long: `Manage classic HTTP chart repositories (a server with an index.yaml, as Helm's).
Charts in them are then named REPO/CHART, for example "hoist template web bitnami/nginx".

The repositories file is $HOIST_REPOSITORY_CONFIG, else
${XDG_CONFIG_HOME:-~/.config}/hoist/repositories.yaml (same format as Helm's); indexes
and archives are cached in $HOIST_REPOSITORY_CACHE, else
${XDG_CACHE_HOME:-~/.cache}/hoist/repository. OCI registries need no repo add: use
oci:// references directly.`,
	}
	cmd.AddCommand(newRepoAddCmd(deps), newRepoListCmd(), newRepoUpdateCmd(deps), newRepoRemoveCmd())
	return cmd
}

func newRepoAddCmd(deps Deps) *cobra.Command {
	var (
		e             repo.Entry
		passwordStdin bool
		force         bool
		timeout       time.Duration
	)
	cmd := &cobra.Command{
		Use:   "add NAME URL",
		Short: "Add a chart repository",
		Long: `Add a chart repository after checking that its index.yaml can be downloaded.

Adding a name again with the same settings does nothing; with other settings it fails
unless --force-update. Credentials are stored in the repositories file (mode 0600) and
sent only to the repository's own scheme, host and port, unless --pass-credentials
allows every host its index points to.`,
		Example: `  hoist repo add bitnami https://charts.bitnami.com/bitnami
  hoist repo add private https://charts.example.com --username ci --password-stdin < token.txt
  hoist repo add internal https://charts.corp.example --ca-file corp-ca.pem
  hoist repo add internal https://charts.corp.example --cert-file me.crt --key-file me.key
  hoist repo add bitnami https://charts.bitnami.com/bitnami --force-update`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			e.Name, e.URL = args[0], args[1]
			if passwordStdin {
				if e.Password != "" {
					return errors.New("give --password or --password-stdin, not both")
				}
				b, err := io.ReadAll(cmd.InOrStdin())
				if err != nil {
					return fmt.Errorf("reading the password from stdin: %w", err)
				}
				e.Password = strings.TrimRight(string(b), "\r\n")
			}
			if e.Username != "" && e.Password == "" {
				return errors.New("--username needs --password or --password-stdin")
			}
			if e.Password != "" && e.Username == "" {
				return errors.New("--password needs --username")
			}
			res, err := repoManager(repoUserAgent(deps), timeout).Add(cmd.Context(), e, force)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			switch res {
			case repo.Unchanged:
				_, err = fmt.Fprintf(out, "%q already exists with the same configuration, skipping\n", e.Name)
			case repo.Replaced:
				_, err = fmt.Fprintf(out, "%q has been updated in your repositories\n", e.Name)
			default:
				_, err = fmt.Fprintf(out, "%q has been added to your repositories\n", e.Name)
			}
			return err
		},
	}
	f := cmd.Flags()
	f.StringVar(&e.Username, "username", "", "chart repository username")
	f.StringVar(&e.Password, "password", "", "chart repository password (prefer --password-stdin: arguments show in process lists)")
	f.BoolVar(&passwordStdin, "password-stdin", false, "read the chart repository password from stdin")
	f.BoolVar(&e.PassCredentialsAll, "pass-credentials", false, "send the credentials to every host the index's chart URLs name, not only the repository's")
	f.StringVar(&e.CAFile, "ca-file", "", "verify the server's certificate with this CA bundle (added to the system's)")
	f.StringVar(&e.CertFile, "cert-file", "", "identify to the server with this client certificate (with --key-file)")
	f.StringVar(&e.KeyFile, "key-file", "", "the client certificate's private key")
	f.BoolVar(&e.InsecureSkipTLSVerify, "insecure-skip-tls-verify", false, "do not verify the server's TLS certificate")
	f.BoolVar(&force, "force-update", false, "replace the repository if it exists with other settings")
	f.DurationVar(&timeout, "timeout", 2*time.Minute, "time to wait for the index to download")
	return cmd
}

// repositoryElement is a repository in `repo list -o json|yaml` (Helm's keys).
type repositoryElement struct {
	Name string `json:"name"`
	URL  string `json:"url"`
}

func newRepoListCmd() *cobra.Command {
	var (
		output    outputFlag
		noHeaders bool
	)
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List chart repositories",
		Example: `  hoist repo list
  hoist repo list -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			entries, err := repoManager("", 0).List()
			if err != nil {
				return err
			}
			if len(entries) == 0 && (output.format == "table" || output.format == "") {
				_, err := fmt.Fprintln(cmd.ErrOrStderr(), "no repositories to show")
				return err
			}
			list := make([]repositoryElement, 0, len(entries))
			for _, e := range entries {
				list = append(list, repositoryElement{Name: e.Name, URL: e.URL})
			}
			return output.print(cmd.OutOrStdout(), list, func(t *table) {
				if !noHeaders {
					t.row("NAME", "URL")
				}
				for _, e := range list {
					t.row(e.Name, e.URL)
				}
			})
		},
	}
	output.register(cmd)
	cmd.Flags().BoolVar(&noHeaders, "no-headers", false, "leave out the table's header row")
	return cmd
}

func newRepoUpdateCmd(deps Deps) *cobra.Command {
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:     "update [NAME...]",
		Aliases: []string{"up"},
		Short:   "Download the latest index of chart repositories",
		Long: `Download the index of the named repositories, or of all of them, four at a time.
A repository that fails does not stop the others; the command then fails at the end.`,
		Example: `  hoist repo update
  hoist repo update bitnami internal`,
		ValidArgsFunction: completeRepoNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			out, errOut := cmd.OutOrStdout(), cmd.ErrOrStderr()
			fmt.Fprintln(out, "Hang tight while we grab the latest from your chart repositories...")
			results, err := repoManager(repoUserAgent(deps), timeout).Update(cmd.Context(), args...)
			if err != nil {
				return err
			}
			var failed []string
			for _, r := range results {
				if r.Err != nil {
					failed = append(failed, r.Name)
					fmt.Fprintf(out, "...Unable to get an update from the %q chart repository (%s):\n\t%v\n", r.Name, r.URL, r.Err)
					continue
				}
				fmt.Fprintf(out, "...Successfully got an update from the %q chart repository (%d charts)\n", r.Name, r.Charts)
				if n := len(r.Skipped); n > 0 {
					fmt.Fprintf(errOut, "WARNING: %q: skipped %d invalid index entries: %s\n", r.Name, n, strings.Join(r.Skipped[:min(n, 3)], "; "))
				}
			}
			if len(failed) > 0 {
				return fmt.Errorf("failed to update the repositories %s", strings.Join(failed, ", "))
			}
			_, err = fmt.Fprintln(out, "Update complete.")
			return err
		},
	}
	cmd.Flags().DurationVar(&timeout, "timeout", 2*time.Minute, "time to wait for each index to download")
	return cmd
}

func newRepoRemoveCmd() *cobra.Command {
	return &cobra.Command{
		Use:     "remove NAME...",
		Aliases: []string{"rm"},
		Short:   "Remove chart repositories",
		Long:    "Remove the named repositories and their cached indexes. If one of the names is not a repository, none is removed.",
		Example: `  hoist repo remove bitnami
  hoist repo rm old-a old-b`,
		Args:              cobra.MinimumNArgs(1),
		ValidArgsFunction: completeRepoNames,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := repoManager("", 0).Remove(cmd.Context(), args...); err != nil {
				return err
			}
			for _, n := range args {
				if _, err := fmt.Fprintf(cmd.OutOrStdout(), "%q has been removed from your repositories\n", n); err != nil {
					return err
				}
			}
			return nil
		},
	}
}

func completeRepoNames(_ *cobra.Command, args []string, _ string) ([]string, cobra.ShellCompDirective) {
	entries, _ := repoManager("", 0).List()
	given := map[string]bool{}
	for _, a := range args {
		given[a] = true
	}
	var names []string
	for _, e := range entries {
		if !given[e.Name] {
			names = append(names, e.Name+"\t"+e.URL)
		}
	}
	return names, cobra.ShellCompDirectiveNoFileComp
}
