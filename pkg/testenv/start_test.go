package testenv

import (
	"bufio"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fakeTools writes an executable shell script as the etcd binary of a fake tools cache.
func fakeTools(t *testing.T, etcdScript string) string {
	t.Helper()
	dir := t.TempDir()
	bin := filepath.Join(dir, "etcd-"+EtcdVersion)
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(bin, "etcd"), []byte("#!/bin/sh\n"+etcdScript+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestStartMissingBinaryNamesComponent(t *testing.T) {
	_, err := Start(context.Background(), Options{Dir: t.TempDir(), ToolsDir: t.TempDir()})
	var ce *ComponentError
	if !errors.As(err, &ce) || ce.Component != "etcd" {
		t.Fatalf("want a ComponentError for etcd, got %v", err)
	}
	if !strings.Contains(err.Error(), "make tools") {
		t.Errorf("error should say how to build the binary: %v", err)
	}
}

func TestStartPortInUseNamesComponent(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	taken := l.Addr().(*net.TCPAddr).Port
	_, err = Start(context.Background(), Options{
		Dir: t.TempDir(), ToolsDir: fakeTools(t, "sleep 60"),
		Ports: Ports{Etcd: taken},
	})
	var ce *ComponentError
	if !errors.As(err, &ce) || ce.Component != "etcd" || !strings.Contains(err.Error(), "not free") {
		t.Fatalf("want etcd's port reported as not free, got %v", err)
	}
}

func TestStartComponentDiesNamesLogAndStopsEverything(t *testing.T) {
	dir := t.TempDir()
	_, err := Start(context.Background(), Options{
		Dir: dir, ToolsDir: fakeTools(t, "echo 'etcd: cannot open data dir' >&2; exit 3"),
	})
	var ce *ComponentError
	if !errors.As(err, &ce) || ce.Component != "etcd" || !errors.Is(err, ErrExited) {
		t.Fatalf("want etcd reported as exited, got %v", err)
	}
	log := filepath.Join(dir, "logs", "etcd.log")
	if ce.Log != log || !strings.Contains(err.Error(), log) || !strings.Contains(err.Error(), "cannot open data dir") {
		t.Fatalf("error should name %s and quote it: %v", log, err)
	}
}

func TestStartTimeoutStopsWhatItStarted(t *testing.T) {
	dir := t.TempDir()
	_, err := Start(context.Background(), Options{
		Dir: dir, ToolsDir: fakeTools(t, "exec sleep 600"), Timeout: 500 * time.Millisecond,
	})
	var ce *ComponentError
	if !errors.As(err, &ce) || ce.Component != "etcd" || !strings.Contains(err.Error(), "not ready after") {
		t.Fatalf("want etcd reported as not ready, got %v", err)
	}
	env, lerr := Load(dir)
	if lerr != nil {
		t.Fatal(lerr)
	}
	if len(env.Processes) != 1 {
		t.Fatalf("want the one started process recorded, got %+v", env.Processes)
	}
	if pid := env.Processes[0].PID; alive(pid) {
		t.Fatalf("etcd stand-in (pid %d) still running after a failed start", pid)
	}
}

func TestStopFromAnotherProcessSkipsReusedPID(t *testing.T) {
	// A recorded PID that now runs something else must not be signalled.
	p := &Process{Name: "etcd", PID: os.Getpid(), Bin: "/nonexistent/etcd"}
	p.stop(time.Second) // would kill the test binary if it ignored Bin
}

func TestVersionsMatchBuildScript(t *testing.T) {
	f, err := os.Open(filepath.Join("..", "..", "scripts", "versions.env"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	want := map[string]string{"KUBE_VERSION": KubeVersion, "ETCD_VERSION": EtcdVersion, "KWOK_VERSION": KwokVersion}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if w, known := want[k]; ok && known {
			if v != w {
				t.Errorf("scripts/versions.env %s=%s, pkg/testenv has %s", k, v, w)
			}
			delete(want, k)
		}
	}
	if len(want) > 0 {
		t.Errorf("scripts/versions.env lacks %v", want)
	}
}
