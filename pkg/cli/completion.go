package cli

import (
	"fmt"

	"github.com/spf13/cobra"
)

func newCompletionCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "completion bash|zsh|fish",
		Short: "Print a shell completion script",
		Long: `Print a completion script for your shell. Load it in the current shell, or install
it where your shell looks for completions.`,
		Example: `  # bash, current shell
  source <(hoist completion bash)
  # bash, every shell (Debian)
  hoist completion bash > /etc/bash_completion.d/hoist
  # zsh
  hoist completion zsh > "${fpath[1]}/_hoist"
  # fish
  hoist completion fish > ~/.config/fish/completions/hoist.fish`,
		ValidArgs: []string{"bash", "zsh", "fish"},
		Args:      cobra.MatchAll(cobra.ExactArgs(1), cobra.OnlyValidArgs),
		RunE: func(cmd *cobra.Command, args []string) error {
			root := cmd.Root()
			out := cmd.OutOrStdout()
			switch args[0] {
			case "bash":
				return root.GenBashCompletionV2(out, true)
			case "zsh":
				return root.GenZshCompletion(out)
			case "fish":
				return root.GenFishCompletion(out, true)
			}
			return fmt.Errorf("unsupported shell %q (want bash, zsh or fish)", args[0])
		},
	}
	return cmd
}
