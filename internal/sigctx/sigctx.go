// Package sigctx is hoist's handling of SIGINT and SIGTERM: the first one cancels the
// command's context, so an operation records its revision failed and releases its
// lock; a second one exits at once with status 130.
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
