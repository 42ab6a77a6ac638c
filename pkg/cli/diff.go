package cli

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/pkg/action"
	"github.com/hoist-dev/hoist/pkg/apply"
)

// diffFlags are the flags every diff command has.
type diffFlags struct {
	opts          action.DiffOptions
	output        outputFlag
	exitCode      bool
	showUnchanged bool
}

func (d *diffFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.IntVarP(&d.opts.Context, "context", "C", 3, "lines of context around each change")
	f.BoolVar(&d.opts.ShowSecrets, "show-secrets", false, "show the values of Secrets (masked by default: only whether each value changes)")
	f.BoolVar(&d.exitCode, "exit-code", false, "exit with 2 when there are changes, 0 when there are none (1 on errors)")
	f.BoolVar(&d.showUnchanged, "show-unchanged", false, "list the unchanged objects too")
	d.output.register(cmd)
}

// print writes the result and turns --exit-code into the exit status.
func (d *diffFlags) print(cmd *cobra.Command, res *action.DiffResult) error {
	if f := d.output.format; f == "table" || f == "" {
		w := cmd.OutOrStdout()
		writeDiff(w, res, isTerminal(w), d.showUnchanged)
	} else if err := d.output.print(cmd.OutOrStdout(), res, nil); err != nil {
		return err
	}
	if d.exitCode && res.Changed() {
		return exitCode(2)
	}
	return nil
}

func newDiffCmd(deps Deps, s *settings) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "diff",
		Short: "Show what an upgrade or rollback would change, or how two revisions differ",
		Long: `Show, before anything changes, what an operation would do to each object of a
release. Three states are compared: what the last deployed revision applied (the
release record), what is live in the cluster, and what the operation would make of it
(a server-side dry-run apply, so defaults, admission and field ownership count).

Objects are grouped as created, changed, deleted and unchanged. For a changed object
the changes that come from the chart and values are shown apart from drift: fields
changed in the cluster since the last revision that the operation will overwrite.
Secret values are masked (only whether each value changes is shown) unless
--show-secrets. Nothing is ever written.`,
	}
	cmd.AddCommand(newDiffUpgradeCmd(deps, s), newDiffRollbackCmd(s), newDiffRevisionCmd(s))
	return cmd
}

func newDiffUpgradeCmd(deps Deps, s *settings) *cobra.Command {
	var (
		in            renderInputs
		df            diffFlags
		rf            reuseFlags
		skipCRDs      bool
		takeOwnership bool
		forceReplace  bool
	)
	cmd := &cobra.Command{
		Use:   "upgrade NAME CHART",
		Short: "Show what `hoist upgrade` with the same arguments would change",
		Example: `  hoist diff upgrade web ./charts/web -n prod --set image.tag=1.2.4
  hoist diff upgrade web oci://registry.example/charts/web --version 1.3.0 --exit-code
  hoist diff upgrade web ./web -f prod.yaml -o json`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			userVals, postRenderer, fetched, err := in.resolve(cmd, deps, s, args[1])
			if err != nil {
				return err
			}
			cfg, err := s.config(cmd)
			if err != nil {
				return err
			}
			uo := action.UpgradeOptions{
				Name: args[0], Namespace: s.Namespace(), Chart: fetched, Values: userVals,
				DeployOptions: action.DeployOptions{SkipCRDs: skipCRDs, TakeOwnership: takeOwnership, ForceReplace: forceReplace, PostRenderer: postRenderer},
			}
			rf.apply(&uo)
			res, err := action.DiffUpgrade{Config: cfg}.Run(cmd.Context(), action.DiffUpgradeOptions{Upgrade: uo, DiffOptions: df.opts})
			if err != nil {
				return err
			}
			return df.print(cmd, res)
		},
	}
	in.register(cmd)
	df.register(cmd)
	f := cmd.Flags()
	rf.register(cmd)
	f.BoolVar(&skipCRDs, "skip-crds", false, "leave out the CRDs of crds/ directories")
	f.BoolVar(&takeOwnership, "take-ownership", false, "as upgrade --take-ownership: objects of other releases are adopted, not refused")
	f.BoolVar(&forceReplace, "force-replace", false, "as upgrade --force-replace: objects whose immutable fields change are replaced")
	return cmd
}

func newDiffRollbackCmd(s *settings) *cobra.Command {
	var df diffFlags
	cmd := &cobra.Command{
		Use:   "rollback NAME [REVISION]",
		Short: "Show what `hoist rollback` would change",
		Example: `  hoist diff rollback web -n prod
  hoist diff rollback web 3 --exit-code`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			rev, err := optionalRevision(args, 1)
			if err != nil {
				return err
			}
			cfg, err := s.config(cmd)
			if err != nil {
				return err
			}
			res, err := action.DiffRollback{Config: cfg}.Run(cmd.Context(), action.DiffRollbackOptions{Name: args[0], Namespace: s.Namespace(), Revision: rev, DiffOptions: df.opts})
			if err != nil {
				return err
			}
			return df.print(cmd, res)
		},
	}
	df.register(cmd)
	return cmd
}

func newDiffRevisionCmd(s *settings) *cobra.Command {
	var df diffFlags
	cmd := &cobra.Command{
		Use:   "revision NAME R1 R2",
		Short: "Show how the manifests of two revisions differ",
		Example: `  hoist diff revision web 2 3 -n prod
  hoist diff revision web 1 4 -o json`,
		Args: cobra.ExactArgs(3),
		RunE: func(cmd *cobra.Command, args []string) error {
			var revs [2]int
			for i, a := range args[1:] {
				n, err := parseRevision(a)
				if err != nil {
					return err
				}
				revs[i] = n
			}
			cfg, err := s.config(cmd)
			if err != nil {
				return err
			}
			res, err := action.DiffRevisions{Config: cfg}.Run(cmd.Context(), action.DiffRevisionsOptions{Name: args[0], Namespace: s.Namespace(), From: revs[0], To: revs[1], DiffOptions: df.opts})
			if err != nil {
				return err
			}
			return df.print(cmd, res)
		},
	}
	df.register(cmd)
	return cmd
}

// ANSI colours, on a terminal only.
const (
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiBold   = "\x1b[1m"
	ansiReset  = "\x1b[0m"
)

type painter bool

func (p painter) paint(color, s string) string {
	if !p {
		return s
	}
	return color + s + ansiReset
}

// writeDiff prints a diff for people: the objects grouped by what happens to them,
// each with its unified diffs, and a summary line.
func writeDiff(w io.Writer, res *action.DiffResult, color, showUnchanged bool) {
	p := painter(color)
	fmt.Fprintf(w, "%s\n", p.paint(ansiBold, fmt.Sprintf("Release %s in %s: %s → %s", res.Release, res.Namespace, res.From, res.To)))
	groups := []struct {
		title   string
		mark    string
		color   string
		actions []apply.Action
	}{
		{"Created", "+", ansiGreen, []apply.Action{apply.ActionCreated}},
		{"Changed", "~", ansiYellow, []apply.Action{apply.ActionConfigured, apply.ActionReplaced}},
		{"Deleted", "-", ansiRed, []apply.Action{apply.ActionDeleted}},
		{"Not deleted", "=", "", []apply.Action{apply.ActionKept, apply.ActionSkipped, apply.ActionFailed}},
	}
	for _, g := range groups {
		var objs []apply.ObjectDiff
		for _, o := range res.Objects {
			for _, a := range g.actions {
				if o.Action == a {
					objs = append(objs, o)
				}
			}
		}
		if len(objs) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s\n", p.paint(ansiBold, fmt.Sprintf("%s (%d):", g.title, len(objs))))
		for _, o := range objs {
			line := g.mark + " " + o.Object.String()
			if o.Action == apply.ActionReplaced {
				line += " (replaced: deleted and recreated)"
			}
			if o.Message != "" {
				line += " (" + o.Message + ")"
			}
			fmt.Fprintf(w, "%s\n", p.paint(g.color, line))
			changed := o.Action == apply.ActionConfigured || o.Action == apply.ActionReplaced
			section(w, p, map[bool]string{true: "from the chart and values:"}[changed], o.Chart)
			section(w, p, "drift in the cluster, overwritten by the "+res.To+":", o.Drift)
			section(w, p, "in the cluster:", o.Cluster)
		}
	}
	var unchanged []apply.ObjectDiff
	for _, o := range res.Objects {
		if o.Action == apply.ActionUnchanged {
			unchanged = append(unchanged, o)
		}
	}
	if len(unchanged) > 0 {
		fmt.Fprintf(w, "\n%s\n", p.paint(ansiBold, fmt.Sprintf("Unchanged (%d)%s", len(unchanged), map[bool]string{true: ":", false: ""}[showUnchanged])))
		if showUnchanged {
			for _, o := range unchanged {
				fmt.Fprintf(w, "  %s\n", o.Object)
			}
		}
	}
	n := res.Count()
	summary := fmt.Sprintf("%d to create, %d to change, %d to delete, %d unchanged", n[apply.ActionCreated], n[apply.ActionConfigured]+n[apply.ActionReplaced], n[apply.ActionDeleted], n[apply.ActionUnchanged])
	overwritten := 0
	for _, o := range res.Objects {
		if o.Drift != "" {
			overwritten++
		}
	}
	if overwritten > 0 {
		summary += fmt.Sprintf("; %d with drift the %s overwrites", overwritten, res.To)
	}
	if !res.Changed() {
		summary = "No changes: " + summary
	}
	fmt.Fprintf(w, "\n%s\n", p.paint(ansiBold, "Summary: "+summary+"."))
}

// section prints a unified diff under a title, indented and coloured line by line.
func section(w io.Writer, p painter, title, diff string) {
	if diff == "" {
		return
	}
	if title != "" {
		fmt.Fprintf(w, "  %s\n", title)
	}
	for _, line := range strings.SplitAfter(strings.TrimSuffix(diff, "\n"), "\n") {
		line = strings.TrimSuffix(line, "\n")
		switch {
		case strings.HasPrefix(line, "+++"), strings.HasPrefix(line, "---"):
			line = p.paint(ansiBold, line)
		case strings.HasPrefix(line, "@@"):
			line = p.paint(ansiCyan, line)
		case strings.HasPrefix(line, "+"):
			line = p.paint(ansiGreen, line)
		case strings.HasPrefix(line, "-"):
			line = p.paint(ansiRed, line)
		}
		fmt.Fprintf(w, "    %s\n", line)
	}
}
