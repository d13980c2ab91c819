// Command tracedemo serves three kinds of requests, each in its own
// runtime/trace region, and each allocating on the heap for its own reason,
// so that the heap-growth recipe (examples/heap-growth.lua) can show which
// region grows the heap and the compiler's reason for each allocating line.
//
//	go build -gcflags=-m=2 -o tracedemo . 2> tracedemo.m2.log
//	./tracedemo trace.out allocs.pb.gz
package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"runtime/trace"
	"strings"
	"sync"
)

type record struct {
	id    int
	name  string
	attrs [16]int64
}

// decode returns the address of a local: "moved to heap: r".
func decode(id int) *record {
	r := record{id: id, name: "rec"}
	for i := range r.attrs {
		r.attrs[i] = int64(id * i)
	}
	return &r
}

var index = map[int]*record{}
var indexMu sync.Mutex

// store keeps its argument in a global map: "leaking param: r".
func store(r *record) {
	indexMu.Lock()
	index[r.id] = r
	indexMu.Unlock()
}

// render boxes its arguments for fmt: "... escapes to heap".
func render(r *record) string {
	return fmt.Sprintf("%d:%s:%d", r.id, r.name, r.attrs[3])
}

// grow builds a slice by append with no capacity hint.
func grow(n int) []int {
	var out []int
	for i := 0; i < n; i++ {
		out = append(out, i)
	}
	return out
}

func worker(ctx context.Context, w int, out *strings.Builder, mu *sync.Mutex) {
	for i := 0; i < 20000; i++ {
		id := w*100000 + i
		var r *record
		trace.WithRegion(ctx, "decode", func() { r = decode(id) })
		trace.WithRegion(ctx, "index", func() {
			if i%4 == 0 {
				store(r)
			}
			_ = grow(32 + i%16)
		})
		trace.WithRegion(ctx, "render", func() {
			s := render(r)
			mu.Lock()
			if out.Len() < 1<<16 {
				out.WriteString(s)
			}
			mu.Unlock()
		})
	}
}

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: tracedemo TRACE PROFILE")
		os.Exit(2)
	}
	runtime.MemProfileRate = 512
	tf, err := os.Create(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := trace.Start(tf); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := pprof.StartCPUProfile(discard{}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	ctx, task := trace.NewTask(context.Background(), "serve")
	var out strings.Builder
	var mu sync.Mutex
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			worker(ctx, w, &out, &mu)
		}()
	}
	wg.Wait()
	task.End()
	pprof.StopCPUProfile()
	trace.Stop()
	tf.Close()
	pf, err := os.Create(os.Args[2])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := pprof.Lookup("allocs").WriteTo(pf, 0); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	pf.Close()
	fmt.Println(out.Len(), len(index))
}

// discard takes the CPU profile: the samples that matter land in the trace.
type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
