package release

import (
	"errors"
	"testing"
)

func TestEncodeDecode(t *testing.T) {
	r := &Release{Name: "web", Namespace: "ns", Revision: 2, Status: StatusDeployed, Config: map[string]any{"a": "<b>"}, Manifest: "x"}
	b, err := Encode(r)
	if err != nil {
		t.Fatal(err)
	}
	got, err := Decode(b)
	if err != nil || got.Format != FormatV1 || got.Config["a"] != "<b>" || got.Revision != 2 {
		t.Fatalf("round trip: %+v, %v", got, err)
	}
	for _, bad := range [][]byte{nil, []byte("not gzip"), mustEncode(t, &Release{Name: "x", Revision: 1, Status: "bogus"})} {
		if _, err := Decode(bad); !errors.Is(err, ErrFormat) {
			t.Errorf("Decode(%q…) = %v, want ErrFormat", bad[:min(len(bad), 10)], err)
		}
	}
}

func mustEncode(t *testing.T, r *Release) []byte {
	b, err := Encode(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPrunableKeepsLastDeployedAndLatest(t *testing.T) {
	var rs []*Release
	for i, s := range []Status{StatusSuperseded, StatusDeployed, StatusFailed, StatusFailed, StatusFailed} {
		rs = append(rs, &Release{Name: "r", Revision: i + 1, Status: s})
	}
	var got []int
	for _, r := range Prunable(rs, 2) {
		got = append(got, r.Revision)
	}
	// keep 2: v2 (last deployed) and v5 (latest); prune v1, v3, v4.
	if len(got) != 3 || got[0] != 1 || got[1] != 3 || got[2] != 4 {
		t.Fatalf("prunable = %v", got)
	}
	if Prunable(rs, 0) != nil || Prunable(rs, 10) != nil {
		t.Fatal("max 0 or above the count must prune nothing")
	}
}

func TestValidateName(t *testing.T) {
	for _, ok := range []string{"web", "a.b-c", "x1"} {
		if err := ValidateName(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{"", "Web", "-a", "a_b", "a-", string(make([]byte, 54))} {
		if err := ValidateName(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
