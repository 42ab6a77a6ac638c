// Command etcd is etcd's own server entry point, built from go.etcd.io/etcd/server/v3
// for the local test environment.
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
