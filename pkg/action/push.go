package action

import (
	"context"
	"strings"

	"github.com/hoist-dev/hoist/pkg/source/oci"
)

// Pusher is what Push needs of an OCI client (*oci.Client).
type Pusher interface {
	PushFile(ctx context.Context, path string, target oci.Target) (*oci.PushResult, error)
}

func ociPusher(c *oci.Client) Pusher { return c }

// Push uploads a chart or kustomize package archive to an OCI registry.
type Push struct {
	// Client builds the registry client; nil means NewRegistryClient.
	Client func(RegistryOptions) (Pusher, error)
}

// PushOptions configure Push.Run.
type PushOptions struct {
	// Archive is the .tgz to push; a chart's Archive+".prov" goes with it.
	Archive string `json:"archive"`
	// Target is where: the chart lands in Target/<name>:<version>.
	Target   oci.Target      `json:"target"`
	Registry RegistryOptions `json:"registry"`
}

// PushResult describes what was pushed.
type PushResult struct {
	oci.PushResult
	// TagDiffers is set when the version has build metadata: OCI tags cannot hold
	// '+', so Tag has '_' in its place (and pulls turn it back).
	TagDiffers bool `json:"tagDiffers,omitempty"`
}

// Run pushes opts.Archive.
func (a Push) Run(ctx context.Context, opts PushOptions) (PushResult, error) {
	reg, err := credentialsFor(opts.Registry, []string{opts.Target.Registry}, "the push")
	if err != nil {
		return PushResult{}, err
	}
	c, err := registryClient(a.Client, reg, ociPusher)
	if err != nil {
		return PushResult{}, err
	}
	res, err := c.PushFile(ctx, opts.Archive, opts.Target)
	if err != nil {
		return PushResult{}, err
	}
	return PushResult{PushResult: *res, TagDiffers: strings.Contains(res.Version, "+")}, nil
}
