package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"
	"sigs.k8s.io/yaml"
)

// outputFlag is the `-o/--output table|json|yaml` flag every read command carries.
type outputFlag struct{ format string }

var outputFormats = []string{"table", "json", "yaml"}

func (o *outputFlag) register(cmd *cobra.Command) {
	cmd.Flags().StringVarP(&o.format, "output", "o", "table", "output format: "+strings.Join(outputFormats, "|"))
	_ = cmd.RegisterFlagCompletionFunc("output", func(*cobra.Command, []string, string) ([]string, cobra.ShellCompDirective) {
		return outputFormats, cobra.ShellCompDirectiveNoFileComp
	})
}

// print writes v as JSON or YAML, or calls fill to lay out a table.
func (o *outputFlag) print(w io.Writer, v any, fill func(*table)) error {
	switch o.format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(v)
	case "yaml":
		b, err := yaml.Marshal(v)
		if err != nil {
			return fmt.Errorf("encoding output as YAML: %w", err)
		}
		_, err = w.Write(b)
		return err
	case "table", "":
		if fill == nil {
			b, err := yaml.Marshal(v)
			if err != nil {
				return err
			}
			_, err = w.Write(b)
			return err
		}
		t := &table{}
		fill(t)
		return t.write(w)
	default:
		return fmt.Errorf("unknown output format %q (want %s)", o.format, strings.Join(outputFormats, ", "))
	}
}

// table collects rows and writes them with aligned columns.
type table struct{ rows [][]string }

func (t *table) row(cells ...string) { t.rows = append(t.rows, cells) }

func (t *table) write(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	for _, r := range t.rows {
		if _, err := fmt.Fprintln(tw, strings.Join(r, "\t")); err != nil {
			return err
		}
	}
	return tw.Flush()
}
