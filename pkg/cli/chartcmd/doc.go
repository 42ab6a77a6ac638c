// Package chartcmd holds the parts of hoist's command line that work on charts alone
// and import no client-go: the injected Deps, the global flags and namespace rule
// (GlobalFlags), the flags shared by the commands that render (values, chart
// reference, post-renderers) and the template command itself.
//
// pkg/cli builds the whole command tree from them. internal/fastpath builds only the
// template command from them, and runs it before the rest of hoist (client-go's
// schemes above all) has been initialised, so that `hoist template` on a local chart
// starts in a fraction of the time; the two run the same code.
package chartcmd
