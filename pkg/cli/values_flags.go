package cli

import (
	"os"

	"github.com/spf13/cobra"

	"github.com/hoist-dev/hoist/pkg/values"
)

// valuesFlags are -f and the --set family, shared by every command that renders.
type valuesFlags struct{ opts values.Options }

func (v *valuesFlags) register(cmd *cobra.Command) {
	f := cmd.Flags()
	f.StringSliceVarP(&v.opts.ValueFiles, "values", "f", nil, "values from a YAML file or - for stdin (can be repeated; later files win)")
	f.StringArrayVar(&v.opts.Values, "set", nil, "set values on the command line (key1=val1,key2=val2; a.b[0]=x; {a,b} lists)")
	f.StringArrayVar(&v.opts.StringValues, "set-string", nil, "set STRING values on the command line")
	f.StringArrayVar(&v.opts.FileValues, "set-file", nil, "set values from files (key=path: the file's content becomes the value)")
	f.StringArrayVar(&v.opts.JSONValues, "set-json", nil, "set JSON values on the command line (key=jsonval)")
	f.StringArrayVar(&v.opts.LiteralValues, "set-literal", nil, "set a literal STRING value (no escaping, no lists)")
	_ = cmd.MarkFlagFilename("values", "yaml", "yml")
}

// merge reads and merges the user's values in Helm's order.
func (v *valuesFlags) merge(deps Deps) (map[string]any, error) {
	return v.opts.Merge(os.ReadFile, deps.In)
}
