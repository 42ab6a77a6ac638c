package cli

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/pkg/action"
)

func newSearchCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "search",
		Short: "Search for charts",
	}
	cmd.AddCommand(newSearchRepoCmd())
	return cmd
}

// searchElement is a result in `search repo -o json|yaml` (Helm's keys).
type searchElement struct {
	Name        string `json:"name"`
	Version     string `json:"version"`
	AppVersion  string `json:"app_version"`
	Description string `json:"description"`
}

func newSearchRepoCmd() *cobra.Command {
	var (
		opts        action.SearchRepoOptions
		output      outputFlag
		maxColWidth int
	)
	cmd := &cobra.Command{
		Use:   "repo [KEYWORD]",
		Short: "Search the added repositories for charts",
		Long: `Search the cached indexes of the repositories added with "hoist repo add" (run
"hoist repo update" first for the latest). KEYWORD is matched, ignoring case, against
chart names, REPO/NAME, descriptions and keywords; without one every chart is listed.

The latest stable version of each chart is shown; --devel includes pre-releases,
--version takes a SemVer constraint, --versions lists every matching version.`,
		Example: `  hoist search repo nginx
  hoist search repo nginx --devel
  hoist search repo bitnami/nginx --version "^15" --versions
  hoist search repo -r 'postgres(ql)?$' -o json`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Keyword = strings.Join(args, " ")
			res, err := action.SearchRepo{Repos: repoManager("", 0)}.Run(cmd.Context(), opts)
			for _, w := range res.Warnings {
				fmt.Fprintln(cmd.ErrOrStderr(), "WARNING:", w)
			}
			if err != nil {
				return err
			}
			list := make([]searchElement, 0, len(res.Charts))
			for _, r := range res.Charts {
				list = append(list, searchElement{Name: r.Name, Version: r.Chart.Version, AppVersion: r.Chart.AppVersion, Description: r.Chart.Description})
			}
			return output.print(cmd.OutOrStdout(), list, func(t *table) {
				if len(list) == 0 {
					t.row("No results found")
					return
				}
				t.row("NAME", "CHART VERSION", "APP VERSION", "DESCRIPTION")
				for _, e := range list {
					t.row(truncate(e.Name, maxColWidth), truncate(e.Version, maxColWidth), truncate(e.AppVersion, maxColWidth), truncate(e.Description, maxColWidth))
				}
			})
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&opts.Regexp, "regexp", "r", false, "take KEYWORD as a regular expression")
	f.BoolVarP(&opts.Versions, "versions", "l", false, "list every matching version of each chart, not only the latest")
	f.BoolVar(&opts.Devel, "devel", false, "include pre-release versions (alpha, beta, rc); ignored with --version")
	f.StringVar(&opts.Version, "version", "", "SemVer constraint on the versions (\"^1.2\", \">=2.0.0-0\")")
	f.IntVar(&maxColWidth, "max-col-width", 50, "maximum width of a table column (0: no limit)")
	f.BoolVar(&opts.FailOnNoResult, "fail-on-no-result", false, "fail when nothing matches")
	output.register(cmd)
	return cmd
}

// truncate shortens s to max characters, the last three "..." (0: no limit).
func truncate(s string, max int) string {
	if max <= 0 || utf8.RuneCountInString(s) <= max {
		return s
	}
	if max <= 3 {
		return string([]rune(s)[:max])
	}
	return string([]rune(s)[:max-3]) + "..."
}
