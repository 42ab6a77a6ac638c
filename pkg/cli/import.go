package cli

import (
	"fmt"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/pkg/action"
	"github.com/hoist-dev/hoist/pkg/apply"
)

func newImportCmd(s *settings) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "import",
		Short: "Adopt releases made by other tools",
	}
	cmd.AddCommand(newImportHelmCmd(s))
	return cmd
}

func newImportHelmCmd(s *settings) *cobra.Command {
	var (
		opts   action.ImportHelmOptions
		output outputFlag
	)
	cmd := &cobra.Command{
		Use:   "helm RELEASE",
		Short: "Adopt a release made by Helm 3 or 4, with its history",
		Long: `Adopt a release made by Helm 3 or Helm 4. hoist reads Helm's release records (the
sh.helm.release.v1.RELEASE.vN Secrets, or Helm's ConfigMap records), writes a hoist
record for every revision (values, manifests, hooks, statuses, descriptions), and
takes over the field ownership of the deployed objects from Helm's field manager and
from kubectl's client-side apply, so that the first hoist upgrade neither conflicts
nor leaves fields behind. Nothing in the objects themselves changes.

Afterwards hoist history shows Helm's revisions, hoist upgrade continues the history,
and hoist rollback can return to a revision Helm made. Helm's records stay where they
are (so Helm still sees the release as it was) unless --delete-helm-history.`,
		Example: `  hoist import helm web -n prod
  hoist import helm web -n prod --delete-helm-history
  hoist import helm web -n prod --field-manager helm --field-manager my-ci`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			cfg, err := s.config(cmd)
			if err != nil {
				return err
			}
			clients, err := s.Clients()
			if err != nil {
				return err
			}
			opts.Name, opts.Namespace = args[0], s.Namespace()
			res, err := action.ImportHelm{Config: cfg, Helm: action.KubeHelmRecords{Clients: clients}}.Run(cmd.Context(), opts)
			if err != nil {
				return err
			}
			view := struct {
				Release   string           `json:"release"`
				Namespace string           `json:"namespace"`
				Revisions []releaseSummary `json:"revisions"`
				Ownership string           `json:"ownership,omitempty"`
				Deleted   []string         `json:"deletedHelmRecords,omitempty"`
			}{Release: opts.Name, Namespace: opts.Namespace, Deleted: res.Deleted}
			for _, r := range res.Revisions {
				sum := summarize(r)
				sum.Notes = ""
				view.Revisions = append(view.Revisions, sum)
			}
			if res.Ownership != nil {
				view.Ownership = res.Ownership.Summary()
			}
			return output.print(cmd.OutOrStdout(), view, func(t *table) {
				t.row("REVISION", "UPDATED", "STATUS", "CHART", "APP VERSION", "DESCRIPTION")
				for _, r := range res.Revisions {
					sum := summarize(r)
					t.row(strconv.Itoa(r.Revision), r.LastDeployed.Local().Format(time.ANSIC), string(r.Status), sum.Chart, sum.AppVersion, r.Description)
				}
				t.row("")
				t.row(fmt.Sprintf("Imported %d revision(s) of %s in %s from Helm.", len(res.Revisions), opts.Name, opts.Namespace))
				if res.Ownership != nil {
					n := len(res.Ownership.Objects(apply.ActionConfigured))
					t.row(fmt.Sprintf("Field ownership: hoist took over Helm's fields on %d of %d objects (%s).", n, len(res.Ownership.Changes), res.Ownership.Summary()))
				}
				if len(res.Deleted) > 0 {
					t.row(fmt.Sprintf("Deleted Helm's %d release record(s).", len(res.Deleted)))
				} else {
					t.row("Helm's release records are left in place (--delete-helm-history removes them).")
				}
			})
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&opts.FieldManagers, "field-manager", nil, "field managers whose fields hoist takes over (default: helm, kubectl-client-side-apply)")
	f.BoolVar(&opts.DeleteHelmHistory, "delete-helm-history", false, "delete Helm's release records once hoist's are written")
	output.register(cmd)
	return cmd
}
