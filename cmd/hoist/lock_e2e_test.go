package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/hoist-dev/hoist/pkg/release"
	"github.com/hoist-dev/hoist/pkg/release/storage"
)

const rolloutChart = "../../testdata/charts/rollout"

// TestE2EKilledCLI: a CLI upgrade killed with SIGKILL leaves its lease and a pending
// revision; the next upgrade is refused naming the holder while the lease lives, then
// takes over and marks the revision failed. With SIGINT the CLI marks the revision
// failed itself, releases the lock and exits non-zero at once.
func TestE2EKilledCLI(t *testing.T) {
	e := newCLIEnv(t)
	t.Parallel()
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	step := steps(t)
	const name = "killed"
	chartDir, err := filepath.Abs(rolloutChart)
	if err != nil {
		t.Fatal(err)
	}
	// startUpgrade starts a never-ready upgrade and returns once its revision is pending.
	startUpgrade := func(t *testing.T, rev int) (*exec.Cmd, *syncBuffer) {
		t.Helper()
		cmd, out := e.start("upgrade", name, chartDir, "--set", "neverReady=true", "--set", "message=stuck", "--wait", "--timeout", "5m")
		e.waitPending(ctx, name, rev, out)
		return cmd, out
	}

	step("install", func(t *testing.T) {
		if out, err := e.run("install", name, chartDir, "--wait", "--timeout", "60s"); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		e.wantHistory(ctx, name, release.StatusDeployed)
	})

	step("SIGKILL: refused while the lease lives, taken over once it expires", func(t *testing.T) {
		cmd, out := startUpgrade(t, 2)
		pid := cmd.Process.Pid
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		killed := time.Now()
		t.Logf("killed the upgrade (pid %d); its output:\n%s", pid, out)

		text, err := e.run("upgrade", name, chartDir, "--set", "message=after", "--wait", "--timeout", "60s")
		if err == nil {
			t.Fatalf("the upgrade should be refused while the killed one's lease lives:\n%s", text)
		}
		wantContains(t, "the refusal", text, "another operation is in progress", fmt.Sprintf("@%d", pid))
		if r := e.record(ctx, name, 2); r.Status != release.StatusPendingUpgrade {
			t.Fatalf("revision 2 is %s while its lease lives", r.Status)
		}
		for {
			text, err = e.run("upgrade", name, chartDir, "--set", "message=after", "--wait", "--timeout", "60s")
			if err == nil {
				break
			}
			// The lease looks expired 30 s after its last renewal; the take-over then
			// watches it for 30 s more on the taker's own clock.
			if !strings.Contains(text, "another operation is in progress") || time.Since(killed) > 90*time.Second {
				t.Fatalf("upgrade after the kill (%s later): %v\n%s", time.Since(killed).Round(time.Second), err, text)
			}
			time.Sleep(2 * time.Second)
		}
		t.Logf("took over %s after the kill", time.Since(killed).Round(time.Second))
		r := e.record(ctx, name, 2)
		if r.Status != release.StatusFailed {
			t.Fatalf("revision 2 is %s", r.Status)
		}
		wantContains(t, "the description", r.Description, "Interrupted", fmt.Sprintf("@%d", pid), "pending-upgrade")
		e.wantHistory(ctx, name, release.StatusSuperseded, release.StatusFailed, release.StatusDeployed)
		if got := e.configMap(ctx, name+"-config").Data["message"]; got != "after" {
			t.Fatalf("message %q", got)
		}
		text, err = e.run("history", name)
		if err != nil {
			t.Fatal(err)
		}
		wantContains(t, "hoist history", text, "failed", "Interrupted")
	})

	step("SIGINT: the CLI marks the revision failed, releases the lock and exits", func(t *testing.T) {
		cmd, out := startUpgrade(t, 4)
		time.Sleep(500 * time.Millisecond) // into the wait
		sent := time.Now()
		if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
			t.Fatal(err)
		}
		wantFailedExit(t, cmd, out, 15*time.Second, "the CLI did not exit")
		t.Logf("exited %s after SIGINT:\n%s", time.Since(sent).Round(time.Millisecond), out)
		r := e.record(ctx, name, 4)
		if r.Status != release.StatusFailed {
			t.Fatalf("revision 4 is %s: %q", r.Status, r.Description)
		}
		wantContains(t, "the description", r.Description, "Upgrade failed", "context canceled")
		if _, err := e.cs.CoordinationV1().Leases(e.ns).Get(ctx, storage.LeaseName(name), metav1.GetOptions{}); err == nil {
			t.Fatal("the lock should be released")
		}
		// The next operation needs no takeover.
		if text, err := e.run("upgrade", name, chartDir, "--set", "message=final", "--wait", "--timeout", "60s"); err != nil {
			t.Fatalf("%v\n%s", err, text)
		}
		e.wantHistory(ctx, name, release.StatusSuperseded, release.StatusFailed, release.StatusSuperseded, release.StatusFailed, release.StatusDeployed)
	})
}

// TestE2EPausedWriterLosesItsLock: an upgrade stopped with SIGSTOP for longer than its
// lease is taken over by a second upgrade, which finishes; once continued, the first
// notices by its own clock (and by its lease) that it lost the lock and fails without
// writing anything: no record and no object changes, and history shows what happened.
func TestE2EPausedWriterLosesItsLock(t *testing.T) {
	e := newCLIEnv(t)
	t.Parallel()
	// A short lease keeps the test short; the rules are the same at 30 s.
	e.extraEnv = []string{"HOIST_LEASE_DURATION=4s"}
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	step := steps(t)
	const name = "paused"
	chartDir := manyObjectsChart(t, 40)
	base := []string{name, chartDir, "--history-max", "0"}

	step("install", func(t *testing.T) {
		if out, err := e.run(append([]string{"install"}, append(base, "--set", "message=one", "--wait", "--timeout", "60s")...)...); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	})

	var first *exec.Cmd
	var firstOut *syncBuffer
	step("the first upgrade is stopped once it has applied its objects", func(t *testing.T) {
		first, firstOut = e.start(append([]string{"upgrade"}, append(base, "--set", "message=a", "--set", "neverReady=true", "--wait", "--timeout", "5m")...)...)
		e.waitPending(ctx, name, 2, firstOut)
		// Stop it while it waits for the never-ready rollout: every object has its values,
		// and its next writes are the revision's record.
		deadline := time.Now().Add(60 * time.Second)
		for !e.applied(ctx, name, "a", 40) {
			if time.Now().After(deadline) {
				t.Fatalf("the first upgrade never applied its objects:\n%s", firstOut)
			}
			time.Sleep(50 * time.Millisecond)
		}
		if err := first.Process.Signal(syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
	})

	var before map[string]string
	var records []*release.Release
	step("a second upgrade takes over once the lease expired, and finishes", func(t *testing.T) {
		stopped := time.Now()
		for {
			text, err := e.run(append([]string{"upgrade"}, append(base, "--set", "message=b", "--wait", "--timeout", "60s")...)...)
			if err == nil {
				t.Logf("took over %s after the stop:\n%s", time.Since(stopped).Round(100*time.Millisecond), text)
				break
			}
			if !strings.Contains(text, "another operation is in progress") || time.Since(stopped) > 30*time.Second {
				t.Fatalf("second upgrade: %v\n%s", err, text)
			}
			time.Sleep(time.Second)
		}
		records = e.wantHistory(ctx, name, release.StatusSuperseded, release.StatusFailed, release.StatusDeployed)
		wantContains(t, "revision 2's description", records[1].Description, "Interrupted", "pending-upgrade")
		if !e.applied(ctx, name, "b", 40) {
			t.Fatal("the second upgrade's values are not applied")
		}
		before = e.objectVersions(ctx)
	})

	step("continued, the first fails without writing anything", func(t *testing.T) {
		if err := first.Process.Signal(syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		wantFailedExit(t, first, firstOut, 30*time.Second, "the continued upgrade did not exit")
		t.Logf("the continued upgrade's output:\n%s", firstOut)
		wantContains(t, "the continued upgrade's output", firstOut.String(), storage.ErrLockLost.Error(), "nothing more was written")
		after := e.recordsNow(ctx, name)
		if len(after) != len(records) {
			t.Fatalf("%d records after, %d before", len(after), len(records))
		}
		for i := range records {
			if after[i].StoredVersion != records[i].StoredVersion || after[i].Status != records[i].Status {
				t.Errorf("revision %d was rewritten: %s %q (was %s %q)", after[i].Revision, after[i].Status, after[i].Description, records[i].Status, records[i].Description)
			}
		}
		now := e.objectVersions(ctx)
		for k, v := range before {
			if now[k] != v {
				t.Errorf("%s changed after the continued upgrade lost its lock (resourceVersion %s -> %s)", k, v, now[k])
			}
		}
		if !e.applied(ctx, name, "b", 40) {
			t.Error("the cluster no longer runs the second upgrade's values")
		}
		text, err := e.run("history", name)
		if err != nil {
			t.Fatal(err)
		}
		wantContains(t, "hoist history", text, "superseded", "failed", "Interrupted", "deployed")
	})
}

// applied reports whether every object of a manyObjectsChart release carries message.
func (e *cliEnv) applied(ctx context.Context, name, message string, n int) bool {
	cms, err := e.cs.CoreV1().ConfigMaps(e.ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return false
	}
	got := 0
	for _, cm := range cms.Items {
		if strings.HasPrefix(cm.Name, name+"-many-") || cm.Name == name+"-config" {
			if cm.Data["message"] != message {
				return false
			}
			got++
		}
	}
	d, err := e.cs.AppsV1().Deployments(e.ns).Get(ctx, name+"-app", metav1.GetOptions{})
	return err == nil && got == n+1 && d.Spec.Template.Annotations["message"] == message
}

func (e *cliEnv) recordsNow(ctx context.Context, name string) []*release.Release {
	e.t.Helper()
	h, err := e.store.History(ctx, e.ns, name)
	if err != nil {
		e.t.Fatal(err)
	}
	return h
}

// manyObjectsChart is the rollout chart with n more ConfigMaps carrying the message.
func manyObjectsChart(t *testing.T, n int) string {
	t.Helper()
	dir := t.TempDir()
	if err := os.CopyFS(dir, os.DirFS(rolloutChart)); err != nil {
		t.Fatal(err)
	}
	tpl := fmt.Sprintf(`{{- range $i := until %d }}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ $.Release.Name }}-many-{{ $i }}
data:
  message: {{ $.Values.message | quote }}
{{- end }}
`, n)
	if err := os.WriteFile(filepath.Join(dir, "templates", "many.yaml"), []byte(tpl), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestE2EUnlock: hoist unlock removes the lock a killed upgrade left once it has seen
// the lease go unrenewed, refuses while a live upgrade renews it, and with --force
// removes it anyway, after which that upgrade loses its lock and writes nothing more.
func TestE2EUnlock(t *testing.T) {
	e := newCLIEnv(t)
	t.Parallel()
	e.extraEnv = []string{"HOIST_LEASE_DURATION=4s"}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	step := steps(t)
	const name = "unlock"
	chartDir, err := filepath.Abs(rolloutChart)
	if err != nil {
		t.Fatal(err)
	}
	stuck := func(rev int) (*exec.Cmd, *syncBuffer) {
		cmd, out := e.start("upgrade", name, chartDir, "--set", "neverReady=true", "--set", fmt.Sprintf("message=stuck-%d", rev), "--wait", "--timeout", "5m")
		e.waitPending(ctx, name, rev, out)
		return cmd, out
	}

	step("install", func(t *testing.T) {
		if out, err := e.run("install", name, chartDir, "--wait", "--timeout", "60s"); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
	})

	step("the lock of a killed upgrade", func(t *testing.T) {
		cmd, _ := stuck(2)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		text, err := e.run("unlock", name)
		if err != nil {
			t.Fatalf("unlock: %v\n%s", err, text)
		}
		wantContains(t, "unlock", text, "unlocked", fmt.Sprintf("@%d", cmd.Process.Pid))
		// No take-over wait now: the next upgrade starts at once and fails revision 2.
		if text, err := e.run("upgrade", name, chartDir, "--set", "message=after", "--wait", "--timeout", "60s"); err != nil {
			t.Fatalf("upgrade after unlock: %v\n%s", err, text)
		}
		h := e.wantHistory(ctx, name, release.StatusSuperseded, release.StatusFailed, release.StatusDeployed)
		wantContains(t, "revision 2", h[1].Description, "Interrupted")
	})

	step("a live holder: refused, then forced", func(t *testing.T) {
		cmd, out := stuck(4)
		text, err := e.run("unlock", name)
		if err == nil {
			t.Fatalf("unlock of a live holder's lock succeeded:\n%s", text)
		}
		wantContains(t, "the refusal", text, "renewed its lease", "--force")
		before := e.recordsNow(ctx, name)
		if text, err := e.run("unlock", name, "--force"); err != nil {
			t.Fatalf("unlock --force: %v\n%s", err, text)
		}
		wantFailedExit(t, cmd, out, 30*time.Second, "the upgrade whose lock was removed did not stop")
		wantContains(t, "its output", out.String(), storage.ErrLockLost.Error(), "nothing more was written")
		after := e.recordsNow(ctx, name)
		if len(after) != len(before) || after[len(after)-1].StoredVersion != before[len(before)-1].StoredVersion {
			t.Fatalf("records changed after the lock was removed: %d -> %d", len(before), len(after))
		}
	})
}

// wantFailedExit waits for a started hoist to exit, and fails the test unless it exits
// non-zero within the time given.
func wantFailedExit(t *testing.T, cmd *exec.Cmd, out *syncBuffer, within time.Duration, what string) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		var ee *exec.ExitError
		if !errors.As(err, &ee) || ee.ExitCode() == 0 {
			t.Fatalf("want a non-zero exit, got %v\n%s", err, out)
		}
	case <-time.After(within):
		t.Fatalf("%s within %s:\n%s", what, within, out)
	}
}
