// Writes a large heap dump for bench/heapdump.sh: a heap of about MB
// megabytes (os.Args[2]) in millions of small objects, shaped as real
// heaps are: a long linked list, a map of records each with a byte slice,
// a tree of nodes, a cache of sub-slices pinning big arrays. The dump goes
// to os.Args[1].
package main

import (
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
)

type item struct {
	next *item
	id   int
}

type record struct {
	name string
	data []byte
	peer *record
}

type tree struct {
	left, right *tree
	val         [3]int
}

var (
	list    *item
	records map[int]*record
	root    *tree
	pinned  [][]byte
)

func build(depth int) *tree {
	if depth == 0 {
		return nil
	}
	return &tree{left: build(depth - 1), right: build(depth - 1)}
}

func main() {
	mb, _ := strconv.Atoi(os.Args[2])
	unit := mb << 20 / 8 // bytes per part: list, tree, records, pinned arrays
	for i := 0; i < unit/16; i++ {
		list = &item{next: list, id: i}
	}
	depth := 1
	for (1<<depth)*48 < unit {
		depth++
	}
	root = build(depth)
	n := unit * 4 / (48 + 128 + 48)
	records = make(map[int]*record, n)
	var prev *record
	for i := 0; i < n; i++ {
		r := &record{name: strconv.Itoa(i), data: make([]byte, 128), peer: prev}
		records[i] = r
		prev = r
	}
	for i := 0; i < unit/(1<<20); i++ {
		pinned = append(pinned, make([]byte, 1<<20)[:8])
	}
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	fd := f.Fd()
	runtime.GC()
	debug.WriteHeapDump(fd)
	f.Close()
}
