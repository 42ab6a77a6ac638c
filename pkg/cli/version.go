package cli

import (
	"runtime"
	"runtime/debug"

	"github.com/spf13/cobra"
)

// ReadBuildInfo completes the linker-provided version and commit with what the Go
// toolchain recorded in the binary (module version, VCS revision).
func ReadBuildInfo(version, commit string) BuildInfo {
	b := BuildInfo{
		Version:   version,
		Commit:    commit,
		GoVersion: runtime.Version(),
		Platform:  runtime.GOOS + "/" + runtime.GOARCH,
	}
	if info, ok := debug.ReadBuildInfo(); ok {
		if b.Version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			b.Version = info.Main.Version
		}
		for _, s := range info.Settings {
			if s.Key == "vcs.revision" && b.Commit == "" {
				b.Commit = s.Value
			}
		}
	}
	if b.Version == "" {
		b.Version = "dev"
	}
	if b.Commit == "" {
		b.Commit = "unknown"
	}
	return b
}

func newVersionCmd(deps Deps) *cobra.Command {
	var output outputFlag
	cmd := &cobra.Command{
		Use:   "version",
		Short: "Print hoist's version, commit and Go version",
		Example: `  hoist version
  hoist version -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return output.print(cmd.OutOrStdout(), deps.Build, func(t *table) {
				t.row("Version:", deps.Build.Version)
				t.row("Commit:", deps.Build.Commit)
				t.row("Go:", deps.Build.GoVersion)
				t.row("Platform:", deps.Build.Platform)
			})
		},
	}
	output.register(cmd)
	return cmd
}
