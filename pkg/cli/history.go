package cli

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/pkg/action"
	"github.com/hoist-dev/hoist/pkg/release"
)

func newHistoryCmd(s *settings) *cobra.Command {
	var (
		max    int
		output outputFlag
	)
	cmd := &cobra.Command{
		Use:     "history NAME",
		Aliases: []string{"hist"},
		Short:   "Show a release's revisions",
		Example: `  hoist history web -n prod
  hoist history web --max 3 -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := s.config(cmd)
			if err != nil {
				return err
			}
			h, err := action.History{Config: cfg}.Run(cmd.Context(), action.HistoryOptions{Name: args[0], Namespace: s.Namespace(), Max: max})
			if err != nil {
				return err
			}
			rows := make([]releaseSummary, len(h))
			for i, r := range h {
				rows[i] = summarize(r)
				rows[i].Notes = ""
			}
			return output.print(cmd.OutOrStdout(), rows, func(t *table) {
				t.row("REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION", "DESCRIPTION")
				for _, r := range rows {
					t.row(strconv.Itoa(r.Revision), r.LastDeployed.Local().Format(time.ANSIC), string(r.Status), r.Chart, r.AppVersion, r.Description)
				}
			})
		},
	}
	cmd.Flags().IntVar(&max, "max", 256, "show at most this many revisions (the latest)")
	output.register(cmd)
	return cmd
}

func newStatusCmd(s *settings) *cobra.Command {
	var (
		revision    int
		output      outputFlag
		drift       bool
		showSecrets bool
	)
	cmd := &cobra.Command{
		Use:   "status NAME",
		Short: "Show a release's status",
		Long: `Show a release's status. With --drift, compare the live objects of the last
deployed revision with what that revision applied: each field changed in the cluster
since, with the field manager that owns it now, and each deleted object. A plain
upgrade with the same chart and values restores the fields and recreates the objects.`,
		Example: `  hoist status web -n prod
  hoist status web --revision 2 -o yaml
  hoist status web --drift`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := s.config(cmd)
			if err != nil {
				return err
			}
			if drift {
				if revision != 0 {
					return usageErr(cmd, "--drift compares the last deployed revision; it takes no --revision")
				}
				res, err := action.Drift{Config: cfg}.Run(cmd.Context(), action.DriftOptions{Name: args[0], Namespace: s.Namespace(), ShowSecrets: showSecrets})
				if err != nil {
					return err
				}
				return output.print(cmd.OutOrStdout(), res, func(t *table) { driftTable(t, res) })
			}
			r, err := action.Get{Config: cfg}.Run(cmd.Context(), action.GetOptions{Name: args[0], Namespace: s.Namespace(), Revision: revision})
			if err != nil {
				return err
			}
			return printResult(cmd, &output, &action.Result{Release: r}, false)
		},
	}
	cmd.Flags().IntVar(&revision, "revision", 0, "show this revision (default: the latest)")
	cmd.Flags().BoolVar(&drift, "drift", false, "list what changed in the cluster since the last deployed revision")
	cmd.Flags().BoolVar(&showSecrets, "show-secrets", false, "with --drift, show Secret values")
	output.register(cmd)
	return cmd
}

// driftTable lays out a drift report: one row per drifted field or deleted object.
func driftTable(t *table, res *action.DriftResult) {
	if len(res.Objects) == 0 {
		t.row(fmt.Sprintf("No drift: the %d objects of revision %d are as applied.", res.Checked, res.Revision))
		return
	}
	t.row("OBJECT", "FIELD", "APPLIED", "LIVE", "CHANGED BY")
	for _, o := range res.Objects {
		if o.Deleted {
			t.row(o.Object.String(), "(object deleted)", "", "", "")
			continue
		}
		for _, f := range o.Fields {
			live := "(removed)"
			if f.Live != nil {
				live = shortValue(f.Live)
			}
			t.row(o.Object.String(), f.Path, shortValue(f.Applied), live, strings.Join(f.Managers, ", "))
		}
	}
	t.row("")
	t.row(fmt.Sprintf("%d of %d objects of revision %d drifted; `hoist upgrade` with the same chart and values restores them.", len(res.Objects), res.Checked, res.Revision))
}

// shortValue shows a value on one line, cut at 60 characters.
func shortValue(v any) string {
	var s string
	switch x := v.(type) {
	case string:
		s = x
	default:
		b, err := json.Marshal(x)
		if err != nil {
			s = fmt.Sprint(x)
		} else {
			s = string(b)
		}
	}
	s = strings.ReplaceAll(s, "\n", "\\n")
	if r := []rune(s); len(r) > 60 {
		s = string(r[:57]) + "..."
	}
	return s
}

func newListCmd(s *settings) *cobra.Command {
	var (
		opts       action.ListOptions
		states     []string
		selector   map[string]string
		output     outputFlag
		short      bool
		allNS      bool
		showFailed bool
	)
	cmd := &cobra.Command{
		Use:     "list",
		Aliases: []string{"ls"},
		Short:   "List releases",
		Example: `  hoist list -A
  hoist list --all --filter '^web'
  hoist list --selector team=payments -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := s.config(cmd)
			if err != nil {
				return err
			}
			opts.Namespace = s.Namespace()
			opts.AllNamespaces = allNS
			opts.Selector = selector
			for _, st := range states {
				opts.States = append(opts.States, release.Status(st))
			}
			if showFailed {
				opts.States = append(opts.States, release.StatusFailed)
			}
			res, err := action.List{Config: cfg}.Run(cmd.Context(), opts)
			if err != nil {
				return err
			}
			for _, sk := range res.Skipped {
				fmt.Fprintf(cmd.ErrOrStderr(), "WARNING: skipped %v\n", sk.Err)
			}
			rs := res.Releases
			rows := make([]releaseSummary, len(rs))
			for i, r := range rs {
				rows[i] = summarize(r)
				rows[i].Notes = ""
			}
			if short && output.format == "table" {
				for _, r := range rows {
					cmd.Println(r.Name)
				}
				return nil
			}
			return output.print(cmd.OutOrStdout(), rows, func(t *table) {
				t.row("NAME", "NAMESPACE", "REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION")
				for _, r := range rows {
					t.row(r.Name, r.Namespace, strconv.Itoa(r.Revision), r.LastDeployed.Local().Format(time.ANSIC), string(r.Status), r.Chart, r.AppVersion)
				}
			})
		},
	}
	f := cmd.Flags()
	f.BoolVarP(&allNS, "all-namespaces", "A", false, "list releases in every namespace")
	f.BoolVarP(&opts.All, "all", "a", false, "list releases in every status")
	f.StringVarP(&opts.Filter, "filter", "f", "", "a regular expression over release names")
	f.StringSliceVar(&states, "status", nil, "list releases whose latest revision has these statuses (deployed, failed, uninstalled, …)")
	f.BoolVar(&showFailed, "failed", false, "include failed releases (shorthand for --status failed)")
	f.StringToStringVarP(&selector, "selector", "l", nil, "release labels to match (key1=v1,key2=v2)")
	f.BoolVarP(&short, "short", "q", false, "print names only")
	output.register(cmd)
	return cmd
}
