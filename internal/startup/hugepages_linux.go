//go:build amd64 || arm64 || ppc64le || s390x || riscv64 || loong64

package startup

import (
	"runtime"
	"unsafe"

	"github.com/hoist-dev/hoist/internal/startup/thp"
)

// premapBytes is what the heap is made to map up front (see the package
// documentation).
const premapBytes = 16 << 20

// hugePages makes the heap map premapBytes more, with a block it leaves untouched,
// then advises transparent huge pages for what it has mapped.
func hugePages() {
	block := make([]byte, premapBytes)
	thp.Advise(unsafe.Pointer(unsafe.SliceData(block)))
	runtime.KeepAlive(block)
}
