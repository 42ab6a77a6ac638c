package action

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/hoist-dev/hoist/pkg/chart/provenance"
	"github.com/hoist-dev/hoist/pkg/source"
	"github.com/hoist-dev/hoist/pkg/source/oci"
)

// Puller is what Pull needs of an OCI client (*oci.Client).
type Puller interface {
	Pull(ctx context.Context, ref source.Ref, opts oci.PullOptions) (*oci.PullResult, error)
}

func ociPuller(c *oci.Client) Puller { return c }

// Pull downloads charts and kustomize packages from OCI registries, and optionally
// verifies them against their provenance files.
type Pull struct {
	// Client builds the registry client; nil means NewRegistryClient.
	Client func(RegistryOptions) (Puller, error)
}

// PullOptions configure Pull.Run.
type PullOptions struct {
	// Refs are oci://HOST/REPOSITORY[:TAG|@DIGEST] references.
	Refs []string `json:"refs"`
	// Version is an exact version or a SemVer constraint; empty for the newest
	// stable version (with Devel, the newest including pre-releases).
	Version string `json:"version,omitempty"`
	Devel   bool   `json:"devel,omitempty"`
	// Pull says where the archive goes, or where it is unpacked.
	Pull oci.PullOptions `json:"pull"`
	// Verify checks each chart against its provenance file with the keys of
	// Keyring, and removes what fails; it implies Pull.Prov.
	Verify   bool            `json:"verify,omitempty"`
	Keyring  string          `json:"keyring,omitempty"`
	Registry RegistryOptions `json:"registry"`
}

// Pulled is one pulled chart or kustomize package.
type Pulled struct {
	oci.PullResult
	// Verification is set when it was verified.
	Verification *VerifyResult `json:"verification,omitempty"`
}

// PullResult is what Run pulled, in the order of PullOptions.Refs. When Run fails,
// it holds what was pulled before, and the one that failed verification last.
type PullResult struct {
	Pulled []Pulled `json:"pulled"`
}

// Run pulls every reference of opts.Refs, one after the other.
func (a Pull) Run(ctx context.Context, opts PullOptions) (PullResult, error) {
	var res PullResult
	po := opts.Pull
	if opts.Verify {
		if po.Untar {
			return res, errors.New("--verify cannot be combined with --untar yet: pull and verify the archive, then unpack it")
		}
		po.Prov = true
		if _, err := provenance.LoadKeyring(opts.Keyring); err != nil {
			return res, fmt.Errorf("--verify: %w", err)
		}
	}
	v := opts.Version
	if v == "" && opts.Devel {
		v = ">0.0.0-0"
	}
	refs := make([]source.Ref, 0, len(opts.Refs))
	var hosts []string
	for _, raw := range opts.Refs {
		ref, err := source.Parse(raw, v, nil)
		if err != nil {
			return res, err
		}
		if ref.Kind != source.OCI {
			return res, fmt.Errorf("%q is a %s reference: hoist pull fetches charts from OCI registries (oci://HOST/REPOSITORY)", raw, ref.Kind)
		}
		refs = append(refs, ref)
		hosts = append(hosts, ref.Registry)
	}
	reg, err := credentialsFor(opts.Registry, hosts, "the pull")
	if err != nil {
		return res, err
	}
	c, err := registryClient(a.Client, reg, ociPuller)
	if err != nil {
		return res, err
	}
	for _, ref := range refs {
		pr, err := c.Pull(ctx, ref, po)
		if err != nil {
			return res, err
		}
		res.Pulled = append(res.Pulled, Pulled{PullResult: *pr})
		if !opts.Verify {
			continue
		}
		if pr.Kind == oci.KindPackage {
			os.Remove(pr.Path)
			return res, fmt.Errorf("--verify: %s is a kustomize package, which has no provenance file (only charts are signed); removed %s", pr.Ref, pr.Path)
		}
		vr, err := verifyPulled(pr, opts.Keyring)
		if err != nil {
			return res, err
		}
		res.Pulled[len(res.Pulled)-1].Verification = &vr
	}
	return res, nil
}

// verifyPulled checks a pulled archive against its provenance file, and removes
// both when that fails.
func verifyPulled(res *oci.PullResult, keyring string) (VerifyResult, error) {
	var v *provenance.Verification
	var err error
	if res.ProvPath == "" {
		err = fmt.Errorf("verifying %s: %w: %s has no provenance file", res.Path, provenance.ErrNoProvenance, res.Ref)
	} else {
		v, err = verifyArchive(res.Path, keyring)
	}
	if err != nil {
		os.Remove(res.Path)
		if res.ProvPath != "" {
			os.Remove(res.ProvPath)
		}
		return VerifyResult{}, fmt.Errorf("%w (removed the downloaded files)", err)
	}
	return verifyResult(v), nil
}
