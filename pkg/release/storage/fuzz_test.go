package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/hoist-dev/hoist/pkg/release"
)

// FuzzSecretsGet reassembles a record Secret from fuzzed parts. data is split into
// 1 + n%8 pieces: the first is the record Secret's data, the others parts p1…pn
// labelled for the record; a Secret "tls" that is no part is there too. list is the
// record's chunk annotation; when real is set it is replaced by the true list.
// Get must not panic, must refuse only with ErrCorrupt, and when it accepts it must
// give what release.Decode gives for the pieces the list names, joined in its order;
// with the true list a valid record always comes back.
func FuzzSecretsGet(f *testing.F) {
	rec := &release.Release{Name: "web", Namespace: "ns", Revision: 1, Status: release.StatusDeployed,
		Config: map[string]any{"a": "b"}, Manifest: strings.Repeat("kind: ConfigMap\n", 20)}
	enc, err := release.Encode(rec)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(enc, uint8(3), "", true)
	f.Add(enc, uint8(0), "", true)
	f.Add(enc, uint8(2), "p2,p1", false)
	f.Add(enc, uint8(2), "p1,p1", false)
	f.Add(enc, uint8(2), "p1,tls", false)
	f.Add(enc, uint8(2), " p1 , p2 ,", false)
	f.Add(enc, uint8(1), "nowhere", false)
	f.Add(enc[:10], uint8(1), ",,,", false)

	f.Fuzz(func(t *testing.T, data []byte, n uint8, list string, real bool) {
		ctx := context.Background()
		client := fake.NewClientset()
		k := 1 + int(n%8)
		pieces := make([][]byte, k)
		for i := range k {
			pieces[i] = data[len(data)*i/k : len(data)*(i+1)/k]
		}
		record := SecretName("web", 1)
		names := make([]string, 0, k-1)
		byName := map[string][]byte{}
		for i := 1; i < k; i++ {
			name := fmt.Sprintf("p%d", i)
			names = append(names, name)
			byName[name] = pieces[i]
			mustCreate(t, client, &corev1.Secret{
				ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{labelChunkOf: record}},
				Type:       SecretType, Data: map[string][]byte{dataKey: pieces[i]},
			})
		}
		mustCreate(t, client, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "tls", Namespace: "ns"}, Data: map[string][]byte{dataKey: []byte("key")}})
		if real {
			list = strings.Join(names, ",")
		}
		sec := recordSecret("web", 1, pieces[0], nil)
		if list != "" {
			sec.Annotations = map[string]string{annotationChunks: list}
		}
		mustCreate(t, client, sec)

		d := &Secrets{Client: client}
		got, err := d.Get(ctx, "ns", "web", 1)
		joined := append([]byte{}, pieces[0]...)
		for _, cn := range splitNames(list) {
			joined = append(joined, byName[cn]...)
		}
		want, wantErr := release.Decode(joined)
		if err != nil {
			if !errors.Is(err, ErrCorrupt) {
				t.Fatalf("error does not wrap ErrCorrupt: %v", err)
			}
			if real && wantErr == nil {
				t.Fatalf("the true part list of a valid record was refused: %v", err)
			}
			return
		}
		if wantErr != nil {
			t.Fatalf("Get accepted %q, which release.Decode refuses: %v", list, wantErr)
		}
		a, _ := release.Encode(got)
		b, _ := release.Encode(want)
		if !bytes.Equal(a, b) {
			t.Fatalf("Get and release.Decode of the named parts differ")
		}
	})
}
