package helmimport

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"

	"github.com/hoist-dev/hoist/pkg/release"
)

// Helm's storage conventions (Secret and ConfigMap drivers, Helm 3 and 4).
const (
	// SecretType is the type of Helm's record Secrets.
	SecretType corev1.SecretType = "helm.sh/release.v1"
	// NamePrefix starts the name of every record object: NamePrefix + "<release>.v<revision>".
	NamePrefix = "sh.helm.release.v1."
	// DataKey is the data key holding the record.
	DataKey = "release"
	// Labels Helm sets on record objects.
	LabelOwner   = "owner"
	LabelName    = "name"
	LabelVersion = "version"
	LabelStatus  = "status"
	// OwnerHelm is the value of LabelOwner.
	OwnerHelm = "helm"
)

// SecretName is the name of the object holding a revision of a Helm release.
func SecretName(name string, revision int) string {
	return NamePrefix + name + ".v" + strconv.Itoa(revision)
}

// ListSelector selects the record objects of one Helm release ("name=NAME,owner=helm").
func ListSelector(name string) string {
	return labels.Set{LabelOwner: OwnerHelm, LabelName: name}.AsSelector().String()
}

// AllSelector selects the record objects of every Helm release in a namespace.
func AllSelector() string {
	return labels.Set{LabelOwner: OwnerHelm}.AsSelector().String()
}

// DecodeSecret decodes and converts a revision stored by Helm's Secret driver. The
// Secret must be of type SecretType and named for the record it holds; its name and
// version labels, if present, must agree with the record, and so must its namespace, if
// set. Errors name the Secret ("secret ns/sh.helm.release.v1.web.v3: …") and wrap
// ErrCorrupt, ErrNotRecord, ErrMismatch or ErrUnsupported.
func DecodeSecret(s *corev1.Secret, opts Options) (*release.Release, error) {
	if s == nil {
		return nil, fmt.Errorf("%w: no Secret", ErrNotRecord)
	}
	subject := "secret " + objectKey(s.Namespace, s.Name)
	if s.Type != SecretType {
		return nil, fmt.Errorf("%s: %w: type is %q, not %q%s", subject, ErrNotRecord, s.Type, SecretType, helm2Hint(s.Labels))
	}
	data, ok := s.Data[DataKey]
	if !ok || len(data) == 0 {
		return nil, fmt.Errorf("%s: %w: no data under %q", subject, ErrNotRecord, DataKey)
	}
	r, err := decodeObject(s.Namespace, s.Name, s.Labels, data, opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", subject, err)
	}
	return r, nil
}

// DecodeConfigMap is DecodeSecret for a revision stored by Helm's ConfigMap driver
// (HELM_DRIVER=configmap). ConfigMaps have no type: the owner=helm label is required.
func DecodeConfigMap(cm *corev1.ConfigMap, opts Options) (*release.Release, error) {
	if cm == nil {
		return nil, fmt.Errorf("%w: no ConfigMap", ErrNotRecord)
	}
	subject := "configmap " + objectKey(cm.Namespace, cm.Name)
	if cm.Labels[LabelOwner] != OwnerHelm {
		return nil, fmt.Errorf("%s: %w: no label %s=%s%s", subject, ErrNotRecord, LabelOwner, OwnerHelm, helm2Hint(cm.Labels))
	}
	data, ok := cm.Data[DataKey]
	if !ok || data == "" {
		return nil, fmt.Errorf("%s: %w: no data under %q", subject, ErrNotRecord, DataKey)
	}
	r, err := decodeObject(cm.Namespace, cm.Name, cm.Labels, []byte(data), opts)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", subject, err)
	}
	return r, nil
}

// decodeObject decodes the record of a storage object and checks it against the
// object's namespace, name and labels.
func decodeObject(ns, name string, lbls map[string]string, data []byte, opts Options) (*release.Release, error) {
	if owner, ok := lbls[LabelOwner]; ok && owner != OwnerHelm {
		return nil, fmt.Errorf("%w: label %s is %q, not %q", ErrNotRecord, LabelOwner, owner, OwnerHelm)
	}
	rec, err := DecodeRecord(data)
	if err != nil {
		return nil, err
	}
	switch {
	case rec.Name == "":
		return nil, fmt.Errorf("%w: no release name", ErrNotRecord)
	case rec.Version <= 0:
		return nil, fmt.Errorf("%w: release %q has no revision (\"version\")", ErrNotRecord, rec.Name)
	}
	if want := SecretName(rec.Name, rec.Version); name != want {
		return nil, fmt.Errorf("%w: it holds release %q revision %d, which Helm stores as %s", ErrMismatch, rec.Name, rec.Version, want)
	}
	if v, ok := lbls[LabelName]; ok && v != rec.Name {
		return nil, fmt.Errorf("%w: label %s is %q but the record is of release %q", ErrMismatch, LabelName, v, rec.Name)
	}
	if v, ok := lbls[LabelVersion]; ok && v != strconv.Itoa(rec.Version) {
		return nil, fmt.Errorf("%w: label %s is %q but the record is revision %d", ErrMismatch, LabelVersion, v, rec.Version)
	}
	switch {
	case rec.Namespace == "":
		rec.Namespace = ns
	case ns != "" && rec.Namespace != ns:
		return nil, fmt.Errorf("%w: the record is of namespace %q", ErrMismatch, rec.Namespace)
	}
	return Convert(rec, UserLabels(lbls), opts)
}

// Revisions decodes the record Secrets of the Helm release name (those ListSelector
// selects, in one namespace) and returns its revisions sorted by revision. Every Secret
// must be a record of that release in the same namespace, and each revision must be
// there once: otherwise, or if any Secret cannot be decoded, the error lists every
// problem (use DecodeSecret to import what can be). No Secrets, no revisions.
func Revisions(secrets []corev1.Secret, name string, opts Options) ([]*release.Release, error) {
	return revisions(len(secrets), name, func(i int) (string, *release.Release, error) {
		s := &secrets[i]
		r, err := DecodeSecret(s, opts)
		return "secret " + objectKey(s.Namespace, s.Name), r, err
	})
}

// ConfigMapRevisions is Revisions for Helm's ConfigMap driver.
func ConfigMapRevisions(cms []corev1.ConfigMap, name string, opts Options) ([]*release.Release, error) {
	return revisions(len(cms), name, func(i int) (string, *release.Release, error) {
		cm := &cms[i]
		r, err := DecodeConfigMap(cm, opts)
		return "configmap " + objectKey(cm.Namespace, cm.Name), r, err
	})
}

func revisions(n int, name string, decode func(i int) (string, *release.Release, error)) ([]*release.Release, error) {
	if err := release.ValidateName(name); err != nil {
		return nil, err
	}
	var (
		out  []*release.Release
		errs []error
		from = map[int]string{}
		ns   string
		nsOf string
	)
	for i := range n {
		subject, r, err := decode(i)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		switch {
		case r.Name != name:
			errs = append(errs, fmt.Errorf("%s: %w: it is a record of release %q, not %q", subject, ErrMismatch, r.Name, name))
			continue
		case ns == "":
			ns, nsOf = r.Namespace, subject
		case r.Namespace != ns:
			errs = append(errs, fmt.Errorf("%s: %w: release %q is in namespace %q, but %s is in %q", subject, ErrMismatch, name, r.Namespace, nsOf, ns))
			continue
		}
		if first, dup := from[r.Revision]; dup {
			errs = append(errs, fmt.Errorf("%s: %w: revision %d of release %q is also in %s", subject, ErrMismatch, r.Revision, name, first))
			continue
		}
		from[r.Revision] = subject
		out = append(out, r)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	slices.SortFunc(out, func(a, b *release.Release) int { return a.Revision - b.Revision })
	return out, nil
}

func objectKey(ns, name string) string {
	if ns == "" {
		return name
	}
	return ns + "/" + name
}

// helm2Hint explains what to do with a Helm 2 (Tiller) record.
func helm2Hint(lbls map[string]string) string {
	if lbls["OWNER"] == "TILLER" {
		return " (a Helm 2 record: migrate the release to Helm 3 with the helm-2to3 plugin first)"
	}
	return ""
}
