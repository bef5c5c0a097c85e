//go:build unix

package graph

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"runtime"
	"syscall"
	"testing"
	"time"
)

// BenchmarkHostileDocuments sends every hostile shape (hostile_shapes_test.go)
// at every size to the real handler over a SQLite database with 100
// events, introspection on (the default), one request at a time, and
// reports for each shape the worst request of all its sizes: the process
// CPU time it took (getrusage, garbage collection included), the bytes it
// allocated and its size. docs/hardening.md has the command and a run.
func BenchmarkHostileDocuments(b *testing.B) {
	h := benchHandler(b)
	for _, shape := range hostileShapes() {
		b.Run(shape.name, func(b *testing.B) {
			type result struct {
				size        int
				cpu         time.Duration
				alloc       uint64
				status      int
				bytes, code string
			}
			worst := map[int]*result{}
			for b.Loop() {
				for _, n := range shape.sizes {
					body, ok := bodyOf(shape.body(n))
					if !ok {
						continue
					}
					cpu, alloc, status, resp := measureRequest(h, body)
					r := worst[n]
					if r == nil {
						r = &result{size: n, status: status, bytes: fmt.Sprint(len(body)), code: firstCode(resp)}
						worst[n] = r
					}
					r.cpu, r.alloc = max(r.cpu, cpu), max(r.alloc, alloc)
				}
			}
			var top result
			for _, n := range shape.sizes {
				r := worst[n]
				if r == nil {
					continue
				}
				b.Logf("size %7d: body %8s B, HTTP %d %-26s cpu %6.2f ms, alloc %7.2f MB", n, r.bytes, r.status, r.code, ms(r.cpu), mb(r.alloc))
				if r.cpu > top.cpu {
					top.cpu, top.size = r.cpu, r.size
				}
				top.alloc = max(top.alloc, r.alloc)
			}
			b.ReportMetric(ms(top.cpu), "worst-cpu-ms")
			b.ReportMetric(mb(top.alloc), "worst-alloc-MB")
			b.ReportMetric(0, "ns/op") // one op is a pass over all sizes: meaningless
		})
	}
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func mb(n uint64) float64        { return float64(n) / (1 << 20) }

// measureRequest serves one request and returns the CPU time and bytes
// allocated meanwhile, the status and the body.
func measureRequest(h http.Handler, body []byte) (time.Duration, uint64, int, []byte) {
	req := httptest.NewRequest(http.MethodPost, "/graphql", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	rec := httptest.NewRecorder()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	cpu0 := processCPU()
	h.ServeHTTP(rec, req)
	cpu := processCPU() - cpu0
	runtime.ReadMemStats(&after)
	return cpu, after.TotalAlloc - before.TotalAlloc, rec.Code, rec.Body.Bytes()
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		panic(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func firstCode(resp []byte) string {
	var r struct {
		Errors []struct {
			Extensions map[string]any `json:"extensions"`
		} `json:"errors"`
	}
	if json.Unmarshal(resp, &r) != nil {
		return "(not JSON)"
	}
	if len(r.Errors) == 0 {
		return "ok"
	}
	code, _ := r.Errors[0].Extensions["code"].(string)
	return fmt.Sprintf("%s x%d", code, len(r.Errors))
}
