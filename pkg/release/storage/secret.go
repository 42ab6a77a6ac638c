package storage

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/kubernetes"

	"github.com/hoist-dev/hoist/pkg/release"
)

// Storage object conventions.
const (
	// SecretType is the type of every record Secret.
	SecretType corev1.SecretType = release.FormatV1
	// Labels on record Secrets.
	LabelOwner    = "owner"
	LabelName     = "name"
	LabelRevision = "revision"
	LabelStatus   = "status"
	// ownerValue marks hoist's Secrets.
	ownerValue = "hoist"
	// labelChunkOf marks a continuation Secret with its record Secret's name.
	labelChunkOf = "hoist.dev/chunk-of"
	// annotationChunks lists a record's continuation Secrets, in order.
	annotationChunks = "hoist.dev/chunks"
	// dataKey holds (a chunk of) the encoded record.
	dataKey = "release"
	// DefaultChunkSize keeps each Secret well under the API server's 1 MiB limit.
	DefaultChunkSize = 900 << 10
	// MaxRecordSize bounds an encoded (gzip) record, all its parts together (73 Secrets
	// at DefaultChunkSize): what one tampered record can make a reader fetch. A record
	// within release.MaxDecodedSize compresses to well under it.
	MaxRecordSize = 64 << 20
)

// systemLabels may not be set by users (--labels).
var systemLabels = map[string]bool{LabelOwner: true, LabelName: true, LabelRevision: true, LabelStatus: true, labelChunkOf: true}

// IsSystemLabel reports whether a label key is reserved for the storage itself.
func IsSystemLabel(key string) bool { return systemLabels[key] }

// Secrets stores records as Secrets in the release's namespace.
type Secrets struct {
	Client kubernetes.Interface
	// ChunkSize overrides DefaultChunkSize (tests).
	ChunkSize int
}

// SecretName is the name of a revision's record Secret.
func SecretName(name string, revision int) string {
	return fmt.Sprintf("hoist.release.v1.%s.v%d", name, revision)
}

func (s *Secrets) chunkSize() int {
	if s.ChunkSize > 0 {
		return s.ChunkSize
	}
	return DefaultChunkSize
}

// Get implements Driver.
func (s *Secrets) Get(ctx context.Context, ns, name string, rev int) (*release.Release, error) {
	sec, err := s.Client.CoreV1().Secrets(ns).Get(ctx, SecretName(name, rev), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, fmt.Errorf("%s.v%d in %s: %w", name, rev, ns, ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("reading release %s.v%d in %s: %w", name, rev, ns, err)
	}
	return s.decode(ctx, sec)
}

// maxParts is the most continuation Secrets a record of at most MaxRecordSize has.
func (s *Secrets) maxParts() int {
	return (MaxRecordSize+s.chunkSize()-1)/s.chunkSize() - 1
}

// decode reassembles a record from its Secret and continuation Secrets. The list of
// parts is checked before any is read: a tampered record naming one large Secret
// thousands of times would otherwise cost gigabytes.
func (s *Secrets) decode(ctx context.Context, sec *corev1.Secret) (*release.Release, error) {
	where := sec.Namespace + "/" + sec.Name
	names := splitNames(sec.Annotations[annotationChunks])
	if len(names) > s.maxParts() {
		return nil, fmt.Errorf("%w %s: it names %d parts, more than the %d of a record of at most %s",
			ErrCorrupt, where, len(names), s.maxParts(), release.Size(MaxRecordSize))
	}
	seen := make(map[string]bool, len(names))
	for _, cn := range names {
		if seen[cn] {
			return nil, fmt.Errorf("%w %s: it names part %s twice", ErrCorrupt, where, cn)
		}
		seen[cn] = true
	}
	// The parts are kept as read and joined once, at their exact total size.
	parts := [][]byte{sec.Data[dataKey]}
	total := len(sec.Data[dataKey])
	for _, cn := range names {
		c, err := s.Client.CoreV1().Secrets(sec.Namespace).Get(ctx, cn, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("%w %s: %w: %s", ErrCorrupt, where, errPartMissing, cn)
		}
		if err != nil {
			return nil, fmt.Errorf("reading part %s of release record %s: %w", cn, where, err)
		}
		if c.Labels[labelChunkOf] != sec.Name {
			return nil, fmt.Errorf("%w %s: Secret %s is not one of its parts (label %s=%q)", ErrCorrupt, where, cn, labelChunkOf, c.Labels[labelChunkOf])
		}
		total += len(c.Data[dataKey])
		if total > MaxRecordSize {
			return nil, fmt.Errorf("%w %s: its parts add up to more than the limit of %s", ErrCorrupt, where, release.Size(MaxRecordSize))
		}
		parts = append(parts, c.Data[dataKey])
	}
	data := make([]byte, 0, total)
	for _, p := range parts {
		data = append(data, p...)
	}
	r, err := release.Decode(data)
	if err != nil {
		return nil, fmt.Errorf("%w %s: %w", ErrCorrupt, where, err)
	}
	r.StoredVersion = sec.ResourceVersion
	return r, nil
}

// History implements Driver: one unreadable revision fails it, as that release is broken.
func (s *Secrets) History(ctx context.Context, ns, name string) ([]*release.Release, error) {
	return s.list(ctx, ns, labels.Set{LabelOwner: ownerValue, LabelName: name}.AsSelector().String(), nil, false)
}

// List implements Driver: unreadable records are skipped and reported with a
// *SkippedError, so that one tampered Secret does not hide every other release.
func (s *Secrets) List(ctx context.Context, ns string, match func(*release.Release) bool) ([]*release.Release, error) {
	return s.list(ctx, ns, labels.Set{LabelOwner: ownerValue}.AsSelector().String(), match, true)
}

func (s *Secrets) list(ctx context.Context, ns, selector string, match func(*release.Release) bool, skip bool) ([]*release.Release, error) {
	list, err := s.Client.CoreV1().Secrets(ns).List(ctx, metav1.ListOptions{
		LabelSelector: selector,
		FieldSelector: "type=" + string(SecretType),
	})
	if err != nil {
		return nil, fmt.Errorf("listing releases in %q: %w", ns, err)
	}
	var out []*release.Release
	var skipped []Skipped
	for i := range list.Items {
		sec := &list.Items[i]
		if _, isChunk := sec.Labels[labelChunkOf]; isChunk {
			continue
		}
		r, err := s.decode(ctx, sec)
		if errors.Is(err, errPartMissing) {
			// A writer may have replaced or deleted the record since it was listed
			// (Update and Delete remove parts after the record switches or goes).
			r, err = s.reread(ctx, sec, err)
			if r == nil && err == nil {
				continue
			}
		}
		if skip && errors.Is(err, ErrCorrupt) {
			rev, _ := strconv.Atoi(sec.Labels[LabelRevision])
			skipped = append(skipped, Skipped{Namespace: sec.Namespace, Secret: sec.Name, Name: sec.Labels[LabelName], Revision: rev, Err: err})
			continue
		}
		if err != nil {
			return nil, err
		}
		if match == nil || match(r) {
			out = append(out, r)
		}
	}
	release.SortByRevision(out)
	if len(skipped) > 0 {
		return out, &SkippedError{Skipped: skipped}
	}
	return out, nil
}

// errPartMissing: a part a record names does not exist.
var errPartMissing = errors.New("part is missing")

// reread decodes the record Secret sec again if it changed since it was listed, and
// returns nothing if it is gone; if it did not change, its parts really are missing
// and readErr stands.
func (s *Secrets) reread(ctx context.Context, sec *corev1.Secret, readErr error) (*release.Release, error) {
	fresh, err := s.Client.CoreV1().Secrets(sec.Namespace).Get(ctx, sec.Name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading release record %s/%s: %w", sec.Namespace, sec.Name, err)
	}
	if fresh.ResourceVersion == sec.ResourceVersion {
		return nil, readErr
	}
	return s.decode(ctx, fresh)
}

// Create implements Driver: continuation Secrets first, then the record Secret, so a
// reader never sees a record whose parts are missing.
func (s *Secrets) Create(ctx context.Context, r *release.Release) error {
	sec, chunks, err := s.build(r)
	if err != nil {
		return err
	}
	cs := s.Client.CoreV1().Secrets(r.Namespace)
	if err := s.createChunks(ctx, r, chunks); err != nil {
		return err
	}
	created, err := cs.Create(ctx, sec, metav1.CreateOptions{})
	if err != nil {
		s.deleteChunks(ctx, r.Namespace, chunks)
		if apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("%s: %w", r.Key(), ErrExists)
		}
		return fmt.Errorf("storing release %s: %w", r.Key(), err)
	}
	r.StoredVersion = created.ResourceVersion
	return nil
}

// Update implements Driver: new parts are written before the record Secret switches
// to them, and the old parts are removed after. The switch is conditional on the
// resourceVersion r was read as, so a writer never overwrites a change it did not see.
func (s *Secrets) Update(ctx context.Context, r *release.Release) error {
	cs := s.Client.CoreV1().Secrets(r.Namespace)
	old, err := cs.Get(ctx, SecretName(r.Name, r.Revision), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("%s: %w", r.Key(), ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("reading release %s: %w", r.Key(), err)
	}
	if old.ResourceVersion != r.StoredVersion {
		return fmt.Errorf("updating release %s: %w (by another writer)", r.Key(), ErrConflict)
	}
	sec, chunks, err := s.build(r)
	if err != nil {
		return err
	}
	if err := s.createChunks(ctx, r, chunks); err != nil {
		return err
	}
	sec.ResourceVersion = r.StoredVersion
	updated, err := cs.Update(ctx, sec, metav1.UpdateOptions{})
	if err != nil {
		s.deleteChunks(ctx, r.Namespace, unshared(chunks, old))
		if apierrors.IsConflict(err) {
			return fmt.Errorf("updating release %s: %w (by another writer)", r.Key(), ErrConflict)
		}
		return fmt.Errorf("updating release %s: %w", r.Key(), err)
	}
	r.StoredVersion = updated.ResourceVersion
	stale := map[string]bool{}
	for _, n := range splitNames(old.Annotations[annotationChunks]) {
		stale[n] = true
	}
	for _, c := range chunks {
		delete(stale, c.Name)
	}
	for n := range stale {
		_ = cs.Delete(ctx, n, metav1.DeleteOptions{})
	}
	return nil
}

// Delete implements Driver: the record Secret first, then its parts.
func (s *Secrets) Delete(ctx context.Context, ns, name string, rev int) error {
	cs := s.Client.CoreV1().Secrets(ns)
	sec, err := cs.Get(ctx, SecretName(name, rev), metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		return fmt.Errorf("%s.v%d in %s: %w", name, rev, ns, ErrNotFound)
	}
	if err != nil {
		return fmt.Errorf("reading release %s.v%d in %s: %w", name, rev, ns, err)
	}
	if err := cs.Delete(ctx, sec.Name, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
		return fmt.Errorf("deleting release %s.v%d in %s: %w", name, rev, ns, err)
	}
	for _, n := range splitNames(sec.Annotations[annotationChunks]) {
		if err := cs.Delete(ctx, n, metav1.DeleteOptions{}); err != nil && !apierrors.IsNotFound(err) {
			return fmt.Errorf("deleting part %s of release %s.v%d: %w", n, name, rev, err)
		}
	}
	return nil
}

// build encodes r into its record Secret and continuation Secrets. Parts are named
// after their content, so an update never overwrites parts a reader may still need.
func (s *Secrets) build(r *release.Release) (*corev1.Secret, []*corev1.Secret, error) {
	for k := range r.Labels {
		if IsSystemLabel(k) {
			return nil, nil, fmt.Errorf("label %q is reserved for hoist's release storage", k)
		}
	}
	data, err := release.Encode(r)
	if err != nil {
		return nil, nil, err
	}
	// Never write a record that readers refuse.
	if len(data) > MaxRecordSize {
		return nil, nil, fmt.Errorf("storing release %s: %d bytes compressed, more than the limit of %s", r.Key(), len(data), release.Size(MaxRecordSize))
	}
	name := SecretName(r.Name, r.Revision)
	lbls := map[string]string{}
	for k, v := range r.Labels {
		lbls[k] = v
	}
	lbls[LabelOwner] = ownerValue
	lbls[LabelName] = r.Name
	lbls[LabelRevision] = strconv.Itoa(r.Revision)
	lbls[LabelStatus] = string(r.Status)
	size := s.chunkSize()
	first := data
	if len(first) > size {
		first = data[:size]
	}
	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: r.Namespace, Labels: lbls},
		Type:       SecretType,
		Data:       map[string][]byte{dataKey: first},
	}
	var chunks []*corev1.Secret
	var names []string
	for off, i := size, 1; off < len(data); off, i = off+size, i+1 {
		part := data[off:min(off+size, len(data))]
		sum := sha256.Sum256(part)
		cn := fmt.Sprintf("%s.part%d-%s", name, i, hex.EncodeToString(sum[:4]))
		names = append(names, cn)
		chunks = append(chunks, &corev1.Secret{
			ObjectMeta: metav1.ObjectMeta{Name: cn, Namespace: r.Namespace, Labels: map[string]string{
				LabelOwner: ownerValue, LabelName: r.Name, LabelRevision: strconv.Itoa(r.Revision), labelChunkOf: name,
			}},
			Type: SecretType,
			Data: map[string][]byte{dataKey: part},
		})
	}
	if len(names) > 0 {
		sec.Annotations = map[string]string{annotationChunks: strings.Join(names, ",")}
	}
	return sec, chunks, nil
}

func (s *Secrets) createChunks(ctx context.Context, r *release.Release, chunks []*corev1.Secret) error {
	cs := s.Client.CoreV1().Secrets(r.Namespace)
	for i, c := range chunks {
		if _, err := cs.Create(ctx, c, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			s.deleteChunks(ctx, r.Namespace, chunks[:i])
			return fmt.Errorf("storing part %d of release %s: %w", i+1, r.Key(), err)
		}
	}
	return nil
}

// deleteChunks removes parts a failed write left, best effort: a part no record names
// is harmless garbage, and the write's own error is what the caller reports.
func (s *Secrets) deleteChunks(ctx context.Context, ns string, chunks []*corev1.Secret) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	for _, c := range chunks {
		_ = s.Client.CoreV1().Secrets(ns).Delete(ctx, c.Name, metav1.DeleteOptions{})
	}
}

// unshared are the parts of chunks the old record Secret does not name (content-named
// parts of an unchanged record are the same Secrets; those must stay).
func unshared(chunks []*corev1.Secret, old *corev1.Secret) []*corev1.Secret {
	keep := map[string]bool{}
	for _, n := range splitNames(old.Annotations[annotationChunks]) {
		keep[n] = true
	}
	var out []*corev1.Secret
	for _, c := range chunks {
		if !keep[c.Name] {
			out = append(out, c)
		}
	}
	return out
}

func splitNames(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}
