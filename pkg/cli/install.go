package cli

import (
	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/pkg/action"
)

func newInstallCmd(deps Deps, s *settings) *cobra.Command {
	var (
		in              renderInputs
		df              deployFlags
		createNamespace bool
		generateName    bool
	)
	cmd := &cobra.Command{
		Use:   "install NAME CHART",
		Short: "Install a chart as a new release",
		Long: `Install a chart: render it with your values, apply it with server-side apply
(CRDs and Namespaces first, then each kind in Helm's install order), run its hooks,
and record revision 1 of the release. CHART is a local directory or .tgz, oci://…,
git+https://…//path?ref=…, or repo/chart.`,
		Example: `  hoist install web ./charts/web -n prod --create-namespace -f prod.yaml
  hoist install web oci://registry.example/charts/web --version '^1.2' --wait
  hoist install web git+https://git.example/org/charts.git//web?ref=v1.4.0 --atomic
  hoist install web ./web --dry-run=server -o yaml
  hoist install web oci://registry.example/charts/web --kustomize overlays/prod
  hoist install app 'git+https://git.example/org/deploy.git//overlays/prod?ref=main'  # kustomize package`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, ref := "", args[0]
			if len(args) == 2 {
				name, ref = args[0], args[1]
			} else if !generateName {
				return usageErr(cmd, "install needs NAME and CHART (or --generate-name)")
			}
			opts, err := df.resolve()
			if err != nil {
				return err
			}
			userVals, postRenderer, fetched, err := in.resolve(cmd, deps, s, ref)
			if err != nil {
				return err
			}
			opts.PostRenderer = postRenderer
			if generateName {
				name = generatedName(fetched.Chart.Name())
			}
			cfg, err := s.config(cmd)
			if err != nil && opts.DryRun != "client" {
				return err
			}
			if cfg == nil {
				cfg = &action.Configuration{}
			}
			res, err := action.Install{Config: cfg}.Run(cmd.Context(), action.InstallOptions{
				Name: name, Namespace: s.Namespace(), Chart: fetched, Values: userVals,
				CreateNamespace: createNamespace, DeployOptions: opts,
			})
			if res != nil {
				if perr := printResult(cmd, &df.output, res, opts.DryRun != ""); perr != nil && err == nil {
					err = perr
				}
			}
			return err
		},
	}
	in.register(cmd)
	df.register(cmd, true)
	cmd.Flags().BoolVar(&createNamespace, "create-namespace", false, "create the release namespace if it does not exist")
	cmd.Flags().BoolVarP(&generateName, "generate-name", "g", false, "generate the release name (chart name and a suffix)")
	return cmd
}

func newUpgradeCmd(deps Deps, s *settings) *cobra.Command {
	var (
		in              renderInputs
		df              deployFlags
		install         bool
		createNamespace bool
		rf              reuseFlags
	)
	cmd := &cobra.Command{
		Use:   "upgrade NAME CHART",
		Short: "Upgrade a release to a new chart or new values",
		Long: `Upgrade a release: render the chart, apply what changed (unchanged objects are not
written), remove objects the chart no longer has, run the upgrade hooks, and record a
new revision. With no -f or --set the previous values are reused, as in Helm.`,
		Example: `  hoist upgrade web ./charts/web -n prod --set image.tag=1.2.4 --wait
  hoist upgrade web oci://registry.example/charts/web --version 1.3.0 --install --atomic
  hoist upgrade web ./web --reuse-values --set replicaCount=5`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts, err := df.resolve()
			if err != nil {
				return err
			}
			userVals, postRenderer, fetched, err := in.resolve(cmd, deps, s, args[1])
			if err != nil {
				return err
			}
			opts.PostRenderer = postRenderer
			cfg, err := s.config(cmd)
			if err != nil {
				return err
			}
			uo := action.UpgradeOptions{
				Name: args[0], Namespace: s.Namespace(), Chart: fetched, Values: userVals,
				Install: install, CreateNamespace: createNamespace, DeployOptions: opts,
			}
			rf.apply(&uo)
			res, err := action.Upgrade{Config: cfg}.Run(cmd.Context(), uo)
			if res != nil {
				if perr := printResult(cmd, &df.output, res, opts.DryRun != ""); perr != nil && err == nil {
					err = perr
				}
			}
			return err
		},
	}
	in.register(cmd)
	df.register(cmd, true)
	f := cmd.Flags()
	f.BoolVarP(&install, "install", "i", false, "install the release if it does not exist")
	f.BoolVar(&createNamespace, "create-namespace", false, "with --install, create the namespace if it does not exist")
	rf.register(cmd)
	return cmd
}
