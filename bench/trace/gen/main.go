// gen writes a large execution trace for bench/trace.sh: pairs of goroutines
// that hand a token back and forth over channels (goroutine switches are
// most of a real trace's events), allocating as they go, with regions and
// logs, until the trace reaches the size asked for.
//
//	gen OUT MEGABYTES
package main

import (
	"context"
	"os"
	"runtime/trace"
	"strconv"
	"sync"
	"sync/atomic"
)

type counter struct {
	f *os.File
	n atomic.Int64
}

func (c *counter) Write(p []byte) (int, error) {
	c.n.Add(int64(len(p)))
	return c.f.Write(p)
}

var sink atomic.Pointer[[]byte]

func main() {
	f, err := os.Create(os.Args[1])
	if err != nil {
		panic(err)
	}
	mb, _ := strconv.Atoi(os.Args[2])
	limit := int64(mb) << 20
	w := &counter{f: f}
	if err := trace.Start(w); err != nil {
		panic(err)
	}
	ctx, task := trace.NewTask(context.Background(), "bench")
	var stop atomic.Bool
	var wg sync.WaitGroup
	for p := 0; p < 8; p++ {
		a, b := make(chan int), make(chan int)
		wg.Add(2)
		go func() {
			defer wg.Done()
			for i := 0; !stop.Load(); i++ {
				r := trace.StartRegion(ctx, "ping")
				buf := make([]byte, 64+i%512)
				sink.Store(&buf)
				a <- i
				<-b
				r.End()
				if i%10000 == 0 {
					trace.Log(ctx, "progress", strconv.Itoa(i))
					if w.n.Load() >= limit {
						stop.Store(true)
					}
				}
			}
			close(a)
		}()
		go func() {
			defer wg.Done()
			for i := range a {
				buf := make([]byte, 128+i%256)
				sink.Store(&buf)
				b <- i
			}
		}()
	}
	wg.Wait()
	task.End()
	trace.Stop()
	f.Close()
}
