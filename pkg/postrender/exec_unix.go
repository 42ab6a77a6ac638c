//go:build unix

package postrender

import (
	"os/exec"
	"syscall"
)

// ownProcessGroup runs cmd in a process group of its own, killed as a whole when
// its context ends: a post-renderer script's children go too, instead of holding
// its output open.
func ownProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error {
		return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
}
