package cli

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"sync"
)

// messageHandler prints the message of each log record on a line of its own, the way
// a person reads progress at a terminal; the records' attributes are for machines (the
// controller's JSON logs) and are left out.
type messageHandler struct {
	mu *sync.Mutex
	w  io.Writer
}

func newMessageHandler(w io.Writer) slog.Handler { return messageHandler{mu: &sync.Mutex{}, w: w} }

func (h messageHandler) Enabled(_ context.Context, l slog.Level) bool { return l >= slog.LevelInfo }

func (h messageHandler) Handle(_ context.Context, r slog.Record) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	_, err := fmt.Fprintln(h.w, r.Message)
	return err
}

func (h messageHandler) WithAttrs([]slog.Attr) slog.Handler { return h }
func (h messageHandler) WithGroup(string) slog.Handler      { return h }
