package main

import (
	"os"
	"runtime/pprof"

	// Its init runs before client-go's and the rest: it renders `hoist template` of a
	// local chart there and exits (see its documentation).
	_ "github.com/hoist-dev/hoist/internal/fastpath"

	"github.com/hoist-dev/hoist/internal/sigctx"
	"github.com/hoist-dev/hoist/internal/startup"
	// Its init asks for huge pages on the heap before the other packages allocate;
	// linking it is the opt-in, so only this binary does (see its documentation).
	_ "github.com/hoist-dev/hoist/internal/startup/thp"
	"github.com/hoist-dev/hoist/pkg/cli"
)

// Set by the linker (see the Makefile): -X main.version=… -X main.commit=….
var (
	version = ""
	commit  = ""
)

func main() {
	startup.Done()
	ctx, stop := sigctx.New(os.Stderr)
	// HOIST_CPUPROFILE=FILE writes a CPU profile of the command (for go tool pprof).
	if path := os.Getenv("HOIST_CPUPROFILE"); path != "" {
		if f, err := os.Create(path); err == nil {
			_ = pprof.StartCPUProfile(f) // stopped before exiting, below
		}
	}
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
