package cli

import (
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/Masterminds/semver/v3"
	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/pkg/chart"
)

func newPackageCmd() *cobra.Command {
	var version, appVersion, dest string
	cmd := &cobra.Command{
		Use:   "package CHART_DIR...",
		Short: "Package chart directories into reproducible .tgz archives",
		Long: `Write each chart as NAME-VERSION.tgz. The same chart always gives the same bytes:
entries are in a fixed order with fixed metadata, timestamped with SOURCE_DATE_EPOCH
when it is set, else the Unix epoch. .helmignore is honoured.`,
		Example: `  hoist package ./charts/web
  hoist package ./charts/web --version 1.2.3 --app-version 4.5.6 -d dist/
  SOURCE_DATE_EPOCH=$(git log -1 --format=%ct) hoist package ./charts/web`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts := chart.SaveOptions{}
			if s := os.Getenv("SOURCE_DATE_EPOCH"); s != "" {
				n, err := strconv.ParseInt(s, 10, 64)
				if err != nil {
					return fmt.Errorf("SOURCE_DATE_EPOCH=%q: want seconds since the epoch", s)
				}
				opts.ModTime = time.Unix(n, 0)
			}
			if version != "" {
				if _, err := semver.StrictNewVersion(version); err != nil {
					return fmt.Errorf("--version %q is not a SemVer 2 version: %w", version, err)
				}
			}
			for _, dir := range args {
				fi, err := os.Stat(dir)
				if err != nil {
					return err
				}
				if !fi.IsDir() {
					return fmt.Errorf("%s is not a chart directory", dir)
				}
				c, err := chart.LoadDir(dir)
				if err != nil {
					return err
				}
				if version != "" {
					c.Metadata.Version = version
				}
				if appVersion != "" {
					c.Metadata.AppVersion = appVersion
				}
				p, err := chart.Save(c, dest, opts)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "Successfully packaged chart and saved it to: %s\n", p)
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&version, "version", "", "set the chart's version (SemVer 2)")
	f.StringVar(&appVersion, "app-version", "", "set the chart's appVersion")
	f.StringVarP(&dest, "destination", "d", ".", "directory to write the archive to")
	return cmd
}
