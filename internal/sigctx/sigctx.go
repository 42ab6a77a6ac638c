package sigctx

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// New returns a context cancelled by the first SIGINT or SIGTERM, and stop, which
// cancels it and stops listening. Messages go to errOut.
func New(errOut io.Writer) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	sigs := make(chan os.Signal, 2)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	go func() {
		<-sigs
		fmt.Fprintln(errOut, "hoist: interrupted; cleaning up (interrupt again to quit at once)")
		cancel()
		<-sigs
		os.Exit(130)
	}()
	return ctx, func() { signal.Stop(sigs); cancel() }
}
