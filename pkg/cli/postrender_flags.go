package cli

import (
	"fmt"
	"os/exec"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/pkg/postrender"
)

// postRenderFlags are --kustomize, --post-renderer and --post-renderer-args, on the
// commands that render (template, install, upgrade, diff upgrade).
type postRenderFlags struct {
	kustomize    string
	postRenderer string
	args         []string
}

func (p *postRenderFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringVar(&p.kustomize, "kustomize", "", "a directory with a kustomization.yaml applied over the rendered manifests (patches, images, labels, generators…); recorded in the release")
	f.StringVar(&p.postRenderer, "post-renderer", "", "an executable that gets the rendered manifests on stdin and prints the manifests to use (Helm v3's post-renderer)")
	f.StringArrayVar(&p.args, "post-renderer-args", nil, "an argument for the post-renderer (can be repeated)")
	_ = cmd.MarkFlagDirname("kustomize")
}

// build returns the post-renderer the flags ask for (nil when none): the kustomize
// overlay first, then the executable.
func (p *postRenderFlags) build() (postrender.PostRenderer, error) {
	var chain postrender.Chain
	if p.kustomize != "" {
		o, err := postrender.LoadOverlay(p.kustomize)
		if err != nil {
			return nil, fmt.Errorf("--kustomize: %w", err)
		}
		chain = append(chain, o)
	}
	if p.postRenderer != "" {
		path, err := exec.LookPath(p.postRenderer)
		if err != nil {
			return nil, fmt.Errorf("--post-renderer %s: %w", p.postRenderer, err)
		}
		chain = append(chain, postrender.Exec{Path: path, Args: p.args})
	} else if len(p.args) > 0 {
		return nil, fmt.Errorf("--post-renderer-args needs --post-renderer")
	}
	switch len(chain) {
	case 0:
		return nil, nil
	case 1:
		return chain[0], nil
	}
	return chain, nil
}
