//go:build !linux || !(amd64 || arm64 || ppc64le || s390x || riscv64 || loong64)

package thp
