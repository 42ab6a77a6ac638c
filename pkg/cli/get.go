package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"

	"github.com/hoist-dev/hoist/pkg/action"
	"github.com/hoist-dev/hoist/pkg/release"
)

func newGetCmd(s *settings) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "get manifest|values|notes|hooks|metadata|all NAME",
		Short: "Show what a release revision recorded",
	}
	type getter struct {
		name, short string
		run         func(cmd *cobra.Command, r *release.Release, all bool, out *outputFlag) error
	}
	for _, g := range []getter{
		{"manifest", "Show the rendered manifest a revision applied", func(cmd *cobra.Command, r *release.Release, _ bool, _ *outputFlag) error {
			_, err := fmt.Fprint(cmd.OutOrStdout(), r.Manifest)
			return err
		}},
		{"values", "Show a revision's user values (--all: every value the templates saw)", func(cmd *cobra.Command, r *release.Release, all bool, out *outputFlag) error {
			v := r.Config
			if all {
				v = r.Values
			}
			if v == nil {
				v = map[string]any{}
			}
			if out.format == "table" {
				b, err := yaml.Marshal(v)
				if err != nil {
					return err
				}
				if all {
					fmt.Fprintln(cmd.OutOrStdout(), "COMPUTED VALUES:")
				} else {
					fmt.Fprintln(cmd.OutOrStdout(), "USER-SUPPLIED VALUES:")
				}
				_, err = cmd.OutOrStdout().Write(b)
				return err
			}
			return out.print(cmd.OutOrStdout(), v, nil)
		}},
		{"notes", "Show a revision's NOTES.txt", func(cmd *cobra.Command, r *release.Release, _ bool, _ *outputFlag) error {
			_, err := fmt.Fprintln(cmd.OutOrStdout(), strings.TrimRight(r.Notes, "\n"))
			return err
		}},
		{"hooks", "Show a revision's hooks", func(cmd *cobra.Command, r *release.Release, _ bool, _ *outputFlag) error {
			for _, h := range r.Hooks {
				fmt.Fprintf(cmd.OutOrStdout(), "---\n# Source: %s\n%s\n", h.Path, h.Manifest)
			}
			return nil
		}},
		{"metadata", "Show a revision's metadata", func(cmd *cobra.Command, r *release.Release, _ bool, out *outputFlag) error {
			s := summarize(r)
			s.Notes = ""
			return out.print(cmd.OutOrStdout(), s, func(t *table) {
				t.row("NAME:", s.Name)
				t.row("CHART:", s.Chart)
				t.row("VERSION:", strings.TrimPrefix(s.Chart, chartName(r)+"-"))
				t.row("APP_VERSION:", s.AppVersion)
				t.row("NAMESPACE:", s.Namespace)
				t.row("REVISION:", fmt.Sprint(s.Revision))
				t.row("STATUS:", string(s.Status))
				t.row("DEPLOYED_AT:", s.LastDeployed.Format("2006-01-02T15:04:05Z07:00"))
				t.row("DIGEST:", s.Digest)
				t.row("SOURCE:", s.Source)
			})
		}},
		{"all", "Show everything a revision recorded", func(cmd *cobra.Command, r *release.Release, _ bool, out *outputFlag) error {
			if out.format != "table" {
				return out.print(cmd.OutOrStdout(), r, nil)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "NAME: %s\nNAMESPACE: %s\nREVISION: %d\nSTATUS: %s\nCHART: %s\n", r.Name, r.Namespace, r.Revision, r.Status, summarize(r).Chart)
			b, _ := yaml.Marshal(r.Config)
			fmt.Fprintf(w, "USER-SUPPLIED VALUES:\n%s\nMANIFEST:\n%s\n", b, r.Manifest)
			if len(r.Hooks) > 0 {
				fmt.Fprintln(w, "HOOKS:")
				for _, h := range r.Hooks {
					fmt.Fprintf(w, "---\n# Source: %s\n%s\n", h.Path, h.Manifest)
				}
			}
			if r.Notes != "" {
				fmt.Fprintf(w, "NOTES:\n%s\n", strings.TrimRight(r.Notes, "\n"))
			}
			return nil
		}},
	} {
		var (
			revision int
			all      bool
			output   outputFlag
		)
		sub := &cobra.Command{
			Use:     g.name + " NAME",
			Short:   g.short,
			Example: fmt.Sprintf("  hoist get %s web -n prod\n  hoist get %s web --revision 2", g.name, g.name),
			Args:    cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				cfg, err := s.config(cmd)
				if err != nil {
					return err
				}
				r, err := action.Get{Config: cfg}.Run(cmd.Context(), action.GetOptions{Name: args[0], Namespace: s.Namespace(), Revision: revision})
				if err != nil {
					return err
				}
				return g.run(cmd, r, all, &output)
			},
		}
		sub.Flags().IntVar(&revision, "revision", 0, "the revision (default: the latest)")
		switch g.name {
		case "values":
			sub.Flags().BoolVarP(&all, "all", "a", false, "every value the templates saw, defaults included")
			output.register(sub)
		case "metadata", "all":
			output.register(sub)
		}
		cmd.AddCommand(sub)
	}
	return cmd
}

func chartName(r *release.Release) string {
	if r.Chart.Metadata == nil {
		return ""
	}
	return r.Chart.Metadata.Name
}
