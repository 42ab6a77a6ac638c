package deps

import "github.com/hoist-dev/hoist/pkg/chart"

// Declared returns the dependencies the chart in dir declares (in requirements.yaml
// for an apiVersion v1 chart), as Update and Build read them: a caller can tell
// before any fetch which repositories and registries they will reach.
func Declared(dir string) ([]*chart.Dependency, error) {
	c, err := readChartDir(dir)
	if err != nil {
		return nil, err
	}
	return c.meta.Dependencies, nil
}
