package git

import (
	"os"
	"path/filepath"
	"testing"
)

func TestParseNetrc(t *testing.T) {
	n, err := parseNetrc(`# comment
machine git.example.com login alice password s3cret
machine Other.Example.com
  login "bob smith"
  password "p\"w d"
  account ignored

macdef init
cd /pub
quit

default login anon password anon@
`)
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ host, login, pass string }{
		{"git.example.com", "alice", "s3cret"},
		{"other.example.com", "bob smith", `p"w d`},
		{"unknown.example.com", "anon", "anon@"},
	} {
		l, p, ok := n.lookup(tc.host)
		if !ok || l != tc.login || p != tc.pass {
			t.Errorf("%s: got %q %q %v", tc.host, l, p, ok)
		}
	}

	for _, bad := range []string{"machine", "login x", `machine a login "x`, "machine a frobnicate b"} {
		if _, err := parseNetrc(bad); err == nil {
			t.Errorf("%q: want an error", bad)
		}
	}
	n, err = parseNetrc("machine a login x password y")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, ok := n.lookup("b"); ok {
		t.Error("lookup of an unlisted host without a default entry succeeded")
	}
}

func TestLoadNetrcMissing(t *testing.T) {
	n, err := loadNetrc(filepath.Join(t.TempDir(), "none"))
	if err != nil || n != nil {
		t.Fatalf("got %v, %v", n, err)
	}
	p := filepath.Join(t.TempDir(), "netrc")
	if err := os.WriteFile(p, []byte("machine"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := loadNetrc(p); err == nil {
		t.Fatal("want a parse error")
	}
}
