package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime/pprof"
	"syscall"

	"github.com/hoist-dev/hoist/pkg/cli"
)

// Set by the linker (see the Makefile): -X main.version=… -X main.commit=….
var (
	version = ""
	commit  = ""
)

func main() {
	// The first SIGINT/SIGTERM cancels the operation, which records its revision failed
	// and releases its lock; a second one quits at once.
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		fmt.Fprintln(os.Stderr, "hoist: interrupted; cleaning up (interrupt again to quit at once)")
		cancel()
		<-sigs
		os.Exit(130)
	}()
	// HOIST_CPUPROFILE=FILE writes a CPU profile of the command (for go tool pprof).
	if path := os.Getenv("HOIST_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			_ = pprof.StartCPUProfile(f) // stopped before exiting, below
		}
	}
	stop := func() { signal.Stop(sigs); cancel() }
	code := cli.Main(ctx, cli.Deps{
		In:    os.Stdin,
		Out:   os.Stdout,
		Err:   os.Stderr,
		Build: cli.ReadBuildInfo(version, commit),
		Args:  os.Args[1:],
	})
	stop()
	pprof.StopCPUProfile()
	os.Exit(code)
}
