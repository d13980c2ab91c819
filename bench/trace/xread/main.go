// xread reads every event of a trace with golang.org/x/exp/trace (the
// public copy of Go's own reader), touching what goescape's full decode
// gives each event (kind, time, goroutine, P, M, stack), for bench/trace.sh.
//
//	xread TRACE
package main

import (
	"bufio"
	"fmt"
	"io"
	"os"

	"golang.org/x/exp/trace"
)

func main() {
	f, err := os.Open(os.Args[1])
	if err != nil {
		panic(err)
	}
	r, err := trace.NewReader(bufio.NewReaderSize(f, 1<<20))
	if err != nil {
		panic(err)
	}
	var n, frames uint64
	var sum int64
	for {
		ev, err := r.ReadEvent()
		if err == io.EOF {
			break
		}
		if err != nil {
			panic(err)
		}
		n++
		sum += int64(ev.Time()) + int64(ev.Goroutine()) + int64(ev.Proc()) + int64(ev.Thread()) + int64(ev.Kind())
		for range ev.Stack().Frames() {
			frames++
		}
	}
	fmt.Println(n, frames, sum)
}
