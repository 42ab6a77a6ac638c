package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/hoist-dev/hoist/pkg/cli"
)

// Set by the linker (see the Makefile): -X main.version=… -X main.commit=….
var (
	version = ""
	commit  = ""
)

func main() {
	// hoist is a short-lived process: collect garbage less often than the default
	// (memory stays well below Helm's), unless the user tuned GOGC.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(400)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, cli.Deps{
		In:    os.Stdin,
		Out:   os.Stdout,
		Err:   os.Stderr,
		Build: cli.ReadBuildInfo(version, commit),
		Args:  os.Args[1:],
	})
	stop()
	os.Exit(code)
}
