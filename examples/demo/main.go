// Command demo makes the classic heap-allocation mistakes on purpose, so that
// `make demo` can show goescape explaining each one with its cost.
//
//	go build -gcflags=-m=2 -o demo . 2> demo.m2.log
//	./demo allocs.pb.gz
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"sync"
)

type Point struct{ X, Y int }

// newPoint returns the address of a local variable: "moved to heap: p".
func newPoint(x, y int) *Point {
	p := Point{X: x, Y: y}
	return &p
}

// logLine boxes its arguments into interfaces for fmt: "... escapes to heap".
func logLine(w *strings.Builder, key string, value int) {
	fmt.Fprintf(w, "%s=%d\n", key, value)
}

// collect grows a slice by append without a capacity hint.
func collect(n int) []int {
	var out []int
	for i := 0; i < n; i++ {
		out = append(out, i*i)
	}
	return out
}

// buffer makes a slice whose size is not a constant: "non-constant size".
func buffer(n int) []byte {
	return make([]byte, n)
}

// bigArray keeps an array too large for the stack: "too large for stack".
func bigArray(i int) int64 {
	var a [1 << 16]int64
	a[i%len(a)] = int64(i)
	return a[(i+1)%len(a)] + a[i%len(a)]
}

// counter's closure captures c by reference: "moved to heap: c".
func counter() func() int {
	c := 0
	return func() int {
		c++
		return c
	}
}

var registry = map[string]*Point{}

// remember stores a pointer in a global map: "leaking param: p".
func remember(name string, p *Point) {
	registry[name] = p
}

// fanOut hands a slice to goroutines: the closure and the slice escape.
func fanOut(n int) int {
	parts := make([]int, n)
	var wg sync.WaitGroup
	for i := range parts {
		wg.Add(1)
		go func() {
			defer wg.Done()
			parts[i] = i * 2
		}()
	}
	wg.Wait()
	sum := 0
	for _, v := range parts {
		sum += v
	}
	return sum
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: demo PROFILE")
		os.Exit(2)
	}
	runtime.MemProfileRate = 1
	var sb strings.Builder
	total := 0
	next := counter()
	for i := 0; i < 2000; i++ {
		p := newPoint(i, i+1)
		if i%100 == 0 {
			remember(fmt.Sprint(i), p)
		}
		logLine(&sb, "point", p.X+p.Y)
		total += len(collect(64))
		total += len(buffer(256 + i%7))
		if i%100 == 0 {
			total += int(bigArray(i))
		}
		total += next()
		if i%50 == 0 {
			total += fanOut(8)
		}
	}
	runtime.GC()
	f, err := os.Create(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := pprof.Lookup("allocs").WriteTo(f, 0); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	f.Close()
	fmt.Println(total, sb.Len())
}
