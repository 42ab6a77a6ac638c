package chartcmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/pkg/chart"
	"github.com/hoist-dev/hoist/pkg/engine"
	"github.com/hoist-dev/hoist/pkg/release"
	"github.com/hoist-dev/hoist/pkg/render"
)

// TemplateEnv is what the template command gets from the command line around it.
type TemplateEnv struct {
	// Namespace is the namespace in effect (-n, $HOIST_NAMESPACE, the kubeconfig's).
	Namespace func() string
	// Fetch loads the chart, or kustomize package, that ref names.
	Fetch func(ctx context.Context, ref string, cf ChartFlags) (*chart.Chart, render.Package, error)
	// PostRenderer builds the post-renderer the flags ask for (nil for none).
	PostRenderer func(PostRenderFlags) (render.PostRenderer, error)
	// Precheck, when set, runs before anything else with the chart reference and the
	// flags; its error is returned as is (the fast path declines commands with it).
	Precheck func(ref string, cf ChartFlags, pr PostRenderFlags) error
}

// NewTemplateCmd builds `hoist template`.
func NewTemplateCmd(deps Deps, env TemplateEnv) *cobra.Command {
	var (
		vals        ValuesFlags
		cf          ChartFlags
		opts        render.TemplateOptions
		kubeVersion string
		apiVersions []string
		pr          PostRenderFlags
	)
	cmd := &cobra.Command{
		Use:   "template [NAME] CHART",
		Short: "Render a chart's templates locally, exactly as helm template does",
		Long: `Render a chart locally and print the manifests. Nothing is sent to a cluster;
.Capabilities are Kubernetes ` + engine.DefaultKubeVersion + ` and its built-in API versions unless
--kube-version and --api-versions say otherwise. The output is byte-for-byte what
Helm v4's helm template prints for the same chart and values.`,
		Example: `  # render a local chart directory with a release name
  hoist template web ./charts/web -n prod -f prod.yaml --set image.tag=1.2.3
  # only one template, for a given Kubernetes version
  hoist template web ./web.tgz --kube-version 1.31 -s templates/deployment.yaml
  # include the CRDs and write one file per template
  hoist template web ./web --include-crds --output-dir out/
  # patch the rendered manifests with a kustomize overlay
  hoist template web oci://registry.example/charts/web --kustomize overlays/prod
  # a kustomize package (a directory with kustomization.yaml and no Chart.yaml)
  hoist template app ./deploy/overlays/prod -n prod`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			name, ref := "release-name", args[0]
			if len(args) == 2 {
				name, ref = args[0], args[1]
			}
			if env.Precheck != nil {
				if err := env.Precheck(ref, cf, pr); err != nil {
					return err
				}
			}
			if err := release.ValidateName(name); err != nil {
				return err
			}
			caps := engine.DefaultCapabilities()
			if kubeVersion != "" {
				kv, err := engine.ParseKubeVersion(kubeVersion)
				if err != nil {
					return fmt.Errorf("invalid kube version %q: %w", kubeVersion, err)
				}
				caps.KubeVersion = *kv
			}
			caps.APIVersions = append(caps.APIVersions, apiVersions...)
			userVals, err := vals.Merge(deps)
			if err != nil {
				return err
			}
			if opts.Render.PostRenderer, err = env.PostRenderer(pr); err != nil {
				return err
			}
			cf.RenderOnly = true
			c, pkg, err := env.Fetch(cmd.Context(), ref, cf)
			if err != nil {
				return err
			}
			if c.Metadata != nil && c.Metadata.Deprecated {
				fmt.Fprintf(cmd.ErrOrStderr(), "WARNING: chart %s is deprecated\n", c.Name())
			}
			opts.Render.ReleaseName = name
			opts.Render.Namespace = env.Namespace()
			opts.Render.Revision = 1
			opts.Render.Values = userVals
			opts.Render.Capabilities = caps
			opts.Render.Warnings = cmd.ErrOrStderr()
			opts.Package = pkg
			res, err := render.Template{}.Run(cmd.Context(), c, opts)
			if err != nil {
				return err
			}
			out := cmd.OutOrStdout()
			for _, f := range res.Written {
				fmt.Fprintf(out, "wrote %s\n", f)
			}
			_, err = fmt.Fprint(out, res.Output)
			return err
		},
	}
	vals.Register(cmd)
	f := cmd.Flags()
	cf.Register(f)
	f.StringVar(&kubeVersion, "kube-version", "", "Kubernetes version used for .Capabilities.KubeVersion")
	f.StringSliceVarP(&apiVersions, "api-versions", "a", nil, "Kubernetes API versions added to .Capabilities.APIVersions (can be repeated)")
	f.BoolVar(&opts.IncludeCRDs, "include-crds", false, "include the CRDs of crds/ directories in the output")
	f.Bool("skip-crds", false, "accepted for compatibility with install: template prints CRDs only with --include-crds")
	f.StringArrayVarP(&opts.ShowOnly, "show-only", "s", nil, "only show manifests rendered from the given templates (globs allowed)")
	f.BoolVar(&opts.SkipTests, "skip-tests", false, "leave test hooks out of the output")
	f.BoolVar(&opts.NoHooks, "no-hooks", false, "leave all hooks out of the output")
	f.BoolVar(&opts.Render.IsUpgrade, "is-upgrade", false, "set .Release.IsUpgrade instead of .Release.IsInstall")
	f.StringVar(&opts.OutputDir, "output-dir", "", "write the rendered templates to files under this directory instead of stdout")
	f.BoolVar(&opts.UseReleaseName, "release-name", false, "with --output-dir, write under a directory named after the release")
	f.BoolVar(&opts.Render.SkipSchemaValidation, "skip-schema-validation", false, "do not validate values against values.schema.json")
	f.BoolVar(&opts.Render.EnableDNS, "enable-dns", false, "let getHostByName resolve names")
	pr.Register(cmd)
	return cmd
}
