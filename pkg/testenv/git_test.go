package testenv

import (
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestGitServerPushCloneAndAuth runs the Git server in-process with the repository
// helpers, and checks anonymous clone, push through the helpers, and the /auth/ area.
func TestGitServerPushCloneAndAuth(t *testing.T) {
	if _, err := exec.LookPath("git"); err != nil {
		t.Skip("git not installed")
	}
	dir := t.TempDir()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	root := filepath.Join(dir, "git")
	if err := os.MkdirAll(root, 0o755); err != nil {
		t.Fatal(err)
	}
	go func() { _ = ServeGit(ctx, addr, root, "u", "p") }()
	env := &Env{Dir: dir, GitRoot: root, GitURL: "http://" + addr}
	waitTCP(t, addr)

	repo, err := env.CreateGitRepo("team/app")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := env.CreateGitRepo("team/app"); err == nil {
		t.Fatal("creating the same repository twice succeeded")
	}
	if _, err := env.CreateGitRepo("../escape"); err == nil {
		t.Fatal("a repository name with .. was accepted")
	}
	sha, err := repo.Commit(map[string][]byte{"a.txt": []byte("one\n"), "d/b.txt": []byte("two\n")}, "first")
	if err != nil {
		t.Fatal(err)
	}
	if err := repo.Tag("v1.0.0"); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Commit(map[string][]byte{"a.txt": nil}, "remove a"); err != nil {
		t.Fatal(err)
	}
	if _, err := repo.Commit(map[string][]byte{"../x": []byte("x")}, "escape"); err == nil {
		t.Fatal("a path leaving the repository was committed")
	}

	clone := filepath.Join(dir, "clone")
	if err := runGit("", "clone", "--quiet", "--branch", "v1.0.0", repo.URL, clone); err != nil {
		t.Fatal(err)
	}
	head, _ := gitOutput(clone, "rev-parse", "HEAD")
	if strings.TrimSpace(head) != sha {
		t.Fatalf("v1.0.0 at %s, want %s", head, sha)
	}
	if b, err := os.ReadFile(filepath.Join(clone, "d", "b.txt")); err != nil || string(b) != "two\n" {
		t.Fatalf("d/b.txt = %q, %v", b, err)
	}
	if err := runGit("", "clone", "--quiet", repo.AuthURL, filepath.Join(dir, "noauth")); err == nil {
		t.Fatal("clone of /auth/ without credentials succeeded")
	}
	authed := strings.Replace(repo.AuthURL, "http://", "http://u:p@", 1)
	if err := runGit("", "clone", "--quiet", authed, filepath.Join(dir, "authed")); err != nil {
		t.Fatalf("clone with credentials: %v", err)
	}
}

func waitTCP(t *testing.T, addr string) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
	}
	t.Fatalf("nothing listening on %s", addr)
}
