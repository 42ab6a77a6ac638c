package git

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/go-git/go-billy/v5/osfs"
	gogit "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/format/packfile"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/capability"
	"github.com/go-git/go-git/v5/plumbing/protocol/packp/sideband"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/storage/filesystem"
)

// remote is a repository being read: its refs (ls-remote), and the objects of a commit.
type remote interface {
	refs(ctx context.Context) (*refSet, error)
	// objects returns a store holding commit and its tree. With all, it holds every
	// branch and tag with their history instead, to find a commit that is no tip.
	objects(ctx context.Context, commit plumbing.Hash, all bool) (storer.EncodedObjectStorer, error)
	close()
}

// netRemote talks git's pack protocol over HTTP(S) or SSH through go-git's transports.
type netRemote struct {
	tr      transport.Transport
	ep      *transport.Endpoint
	auth    transport.AuthMethod
	tmpRoot string // where fetched objects are stored (removed by close)
	limits  Limits

	sess transport.UploadPackSession
	adv  *packp.AdvRefs
	used bool // sess has served an upload-pack request (SSH sessions serve one)
	tmp  []string
}

func (r *netRemote) session(ctx context.Context) (transport.UploadPackSession, *packp.AdvRefs, error) {
	if r.sess != nil && !r.used {
		return r.sess, r.adv, nil
	}
	if r.sess != nil {
		_ = r.sess.Close()
		r.sess = nil
	}
	s, err := r.tr.NewUploadPackSession(r.ep, r.auth)
	if err != nil {
		return nil, nil, err
	}
	adv, err := s.AdvertisedReferencesContext(ctx)
	if err != nil {
		_ = s.Close()
		return nil, nil, err
	}
	r.sess, r.adv, r.used = s, adv, false
	return s, adv, nil
}

func (r *netRemote) refs(ctx context.Context) (*refSet, error) {
	_, adv, err := r.session(ctx)
	if err != nil {
		return nil, err
	}
	rs := &refSet{refs: make(map[string]plumbing.Hash, len(adv.References)), tips: map[string]plumbing.Hash{}}
	for name, h := range adv.References {
		rs.refs[name] = h
	}
	for name, h := range adv.Peeled {
		if tip, ok := rs.refs[name]; ok && tip != h {
			rs.tips[name] = tip
		}
		rs.refs[name] = h
	}
	if adv.Head != nil {
		rs.head = *adv.Head
	}
	for _, v := range adv.Capabilities.Get(capability.SymRef) {
		if target, ok := strings.CutPrefix(v, "HEAD:"); ok {
			rs.headName = target
		}
	}
	return rs, nil
}

func (r *netRemote) objects(ctx context.Context, commit plumbing.Hash, all bool) (storer.EncodedObjectStorer, error) {
	sess, adv, err := r.session(ctx)
	if err != nil {
		return nil, err
	}
	r.used = true
	dir, err := os.MkdirTemp(r.tmpRoot, ".fetch-")
	if err != nil {
		return nil, err
	}
	r.tmp = append(r.tmp, dir)
	st := filesystem.NewStorage(osfs.New(dir), cache.NewObjectLRUDefault())

	req := packp.NewUploadPackRequestFromCapabilities(adv.Capabilities)
	if all {
		seen := map[plumbing.Hash]bool{}
		for name, h := range adv.References {
			if (strings.HasPrefix(name, headsPrefix) || strings.HasPrefix(name, tagsPrefix)) && !seen[h] {
				seen[h] = true
				req.Wants = append(req.Wants, h)
			}
		}
		if adv.Head != nil && !seen[*adv.Head] {
			req.Wants = append(req.Wants, *adv.Head)
		}
	} else {
		req.Wants = []plumbing.Hash{commit}
		if adv.Capabilities.Supports(capability.Shallow) {
			req.Depth = packp.DepthCommits(1)
			if err := req.Capabilities.Set(capability.Shallow); err != nil {
				return nil, err
			}
		}
	}
	if adv.Capabilities.Supports(capability.NoProgress) {
		if err := req.Capabilities.Set(capability.NoProgress); err != nil {
			return nil, err
		}
	}
	resp, err := sess.UploadPack(ctx, req)
	if err != nil {
		return nil, err
	}
	defer resp.Close()
	if len(resp.Shallows) > 0 {
		if err := st.SetShallow(resp.Shallows); err != nil {
			return nil, err
		}
	}
	var pack io.Reader = resp
	switch {
	case req.Capabilities.Supports(capability.Sideband64k):
		pack = sideband.NewDemuxer(sideband.Sideband64k, resp)
	case req.Capabilities.Supports(capability.Sideband):
		pack = sideband.NewDemuxer(sideband.Sideband, resp)
	}
	f, err := spoolPack(pack, dir, r.limits)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if err := packfile.UpdateObjectStorage(st, f); err != nil {
		return nil, fmt.Errorf("reading the pack: %w", err)
	}
	return st, nil
}

func (r *netRemote) close() {
	if r.sess != nil {
		_ = r.sess.Close()
	}
	for _, d := range r.tmp {
		_ = os.RemoveAll(d)
	}
}

// localRemote reads a repository on this machine in place (file:// URLs): no git
// binary, no copy of its objects.
type localRemote struct {
	repo *gogit.Repository
}

func openLocal(path string) (*localRemote, error) {
	repo, err := gogit.PlainOpenWithOptions(path, &gogit.PlainOpenOptions{EnableDotGitCommonDir: true})
	if errors.Is(err, gogit.ErrRepositoryNotExists) {
		return nil, fmt.Errorf("%w: %s is not a git repository", ErrRepositoryNotFound, path)
	}
	if err != nil {
		return nil, err
	}
	return &localRemote{repo: repo}, nil
}

func (r *localRemote) refs(context.Context) (*refSet, error) {
	rs := &refSet{refs: map[string]plumbing.Hash{}, tips: map[string]plumbing.Hash{}}
	it, err := r.repo.Storer.IterReferences()
	if err != nil {
		return nil, err
	}
	err = it.ForEach(func(ref *plumbing.Reference) error {
		name := ref.Name().String()
		if ref.Type() != plumbing.HashReference || !strings.HasPrefix(name, "refs/") {
			return nil
		}
		h := ref.Hash()
		if ref.Name().IsTag() {
			if p := peel(r.repo.Storer, h); p != h {
				rs.tips[name] = h
				h = p
			}
		}
		rs.refs[name] = h
		return nil
	})
	if err != nil {
		return nil, err
	}
	if head, err := r.repo.Storer.Reference(plumbing.HEAD); err == nil {
		if head.Type() == plumbing.SymbolicReference {
			rs.headName = head.Target().String()
			rs.head = rs.refs[rs.headName]
		} else {
			rs.head = head.Hash()
		}
	}
	if len(rs.refs) == 0 && rs.head.IsZero() {
		return nil, transport.ErrEmptyRemoteRepository
	}
	return rs, nil
}

// peel follows annotated tags to the object they finally point to.
func peel(s storer.EncodedObjectStorer, h plumbing.Hash) plumbing.Hash {
	for range 10 {
		t, err := object.GetTag(s, h)
		if err != nil {
			return h
		}
		h = t.Target
	}
	return h
}

func (r *localRemote) objects(context.Context, plumbing.Hash, bool) (storer.EncodedObjectStorer, error) {
	return r.repo.Storer, nil
}

func (r *localRemote) close() {}
