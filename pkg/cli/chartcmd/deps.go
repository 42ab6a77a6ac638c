package chartcmd

import "io"

// Deps is everything a command may touch outside itself, injected by main (or a test).
type Deps struct {
	In   io.Reader
	Out  io.Writer
	Err  io.Writer
	Args []string
	// Build describes the running binary for `hoist version`.
	Build BuildInfo
}

// BuildInfo describes the running binary.
type BuildInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}
