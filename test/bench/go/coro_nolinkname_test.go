//go:build go1.23 && !corolinkname

package gortbench

import "testing"

// BenchmarkCoroSwitch (stand-in): the real benchmark in
// coro_linkname_test.go reaches runtime.newcoro/runtime.coroswitch through
// go:linkname, which Go 1.23's linker rejects unless -checklinkname=0 is
// passed, so it is only built with the corolinkname tag. This stand-in keeps
// the name visible and says how to run it.
func BenchmarkCoroSwitch(b *testing.B) {
	b.Skip("needs: go test -tags corolinkname -ldflags=-checklinkname=0 (runtime coroutines via go:linkname)")
}
