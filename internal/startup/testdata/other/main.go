// Command other links internal/startup without being hoist, and prints the collector's
// setting after Done (for TestOtherBinaryKeepsCollector).
package main

import (
	"fmt"
	"runtime/debug"

	"github.com/hoist-dev/hoist/internal/startup"
)

func main() {
	startup.Done()
	fmt.Println(debug.SetGCPercent(-1))
}
