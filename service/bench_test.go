package service_test

import (
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/boxoffice/boxoffice"
	"github.com/boxoffice/boxoffice/internal/testdb"
	"github.com/boxoffice/boxoffice/service"
	"github.com/boxoffice/boxoffice/storetest"
)

// BenchmarkBookings books one ticket a request from 64 goroutines through
// the service on PostgreSQL, without HTTP: group commit's throughput, on
// one hot event and spread over 1,000 events. It reports bookings/s (a
// figure, not a test: compare runs on the same machine).
//
//	go test ./service -run '^$' -bench Bookings -benchtime 5s
func BenchmarkBookings(b *testing.B) {
	for _, events := range []int{1, 1000} {
		b.Run(fmt.Sprintf("events=%d", events), func(b *testing.B) {
			store := testdb.Migrated(b, "postgres")
			svc := service.New(store, service.Options{Limits: &service.Limits{}})
			b.Cleanup(svc.Close)
			users := make([]*boxoffice.User, 64)
			for i := range users {
				users[i] = storetest.MustCreateUser(b, store, fmt.Sprintf("buyer%02d", i))
			}
			evs := make([]*boxoffice.Event, events)
			for i := range evs {
				evs[i] = storetest.MustCreateEvent(b, store, 1_000_000, time.Hour)
			}
			var next atomic.Int64
			b.SetParallelism(max(1, 64/runtime.GOMAXPROCS(0))) // 64 goroutines
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					n := next.Add(1)
					u, ev := users[n%int64(len(users))], evs[n%int64(len(evs))]
					ctx := boxoffice.NewContextWithCaller(b.Context(), boxoffice.Caller{UserID: u.ID, Role: u.Role})
					if _, err := svc.Bookings.CreateBooking(ctx, boxoffice.BookingRequest{UserID: u.ID, EventID: ev.ID, Tickets: 1}); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "bookings/s")
		})
	}
}
