package cli

import (
	"context"
	"errors"
	"fmt"

	"github.com/spf13/cobra"
)

// Main runs the command line in deps.Args and returns the process exit code.
func Main(ctx context.Context, deps Deps) int {
	root := NewRoot(deps)
	root.SetArgs(deps.Args)
	err := root.ExecuteContext(ctx)
	if err == nil {
		return 0
	}
	var ec exitCode
	if errors.As(err, &ec) {
		return int(ec)
	}
	fmt.Fprintf(deps.Err, "Error: %v\n", err)
	return 1
}

// exitCode, returned by a command, ends hoist with that status and no message (diff
// --exit-code's 2).
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// NewRoot builds the `hoist` command tree.
func NewRoot(deps Deps) *cobra.Command {
	root := &cobra.Command{
		Use:   "hoist",
		Short: "Helm-compatible package manager and GitOps deployer for Kubernetes",
		Long: `hoist installs Helm charts exactly as Helm renders them, from OCI registries, Git
repositories, HTTP chart repositories or local folders. It applies them with
server-side apply, shows a three-way diff before it changes anything, keeps a release
history you can roll back, and runs the same engine in-cluster as hoist-controller.`,
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetIn(deps.In)
	root.SetOut(deps.Out)
	root.SetErr(deps.Err)
	root.CompletionOptions.DisableDefaultCmd = true
	s := newSettings()
	s.register(root)
	root.AddCommand(
		newVersionCmd(deps),
		newCompletionCmd(),
		newTemplateCmd(deps, s),
		newShowCmd(s),
		newCreateCmd(),
		newLintCmd(deps, s),
		newInstallCmd(deps, s),
		newUpgradeCmd(deps, s),
		newRollbackCmd(s),
		newUninstallCmd(s),
		newUnlockCmd(s),
		newHistoryCmd(s),
		newStatusCmd(s),
		newListCmd(s),
		newGetCmd(s),
		newReleaseTestCmd(s),
		newPackageCmd(),
		newVerifyCmd(),
		newRegistryCmd(deps), newPushCmd(deps), newPullCmd(deps),
		newRepoCmd(deps), newSearchCmd(),
		newDependencyCmd(deps),
		newDiffCmd(deps, s),
		newImportCmd(s),
	)
	return root
}
