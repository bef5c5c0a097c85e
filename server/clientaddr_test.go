package server

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/boxoffice/boxoffice"
)

func TestClientAddr(t *testing.T) {
	tests := []struct {
		name       string
		remote     string
		xff        []string
		trustProxy bool
		want       string
	}{
		{"peer ipv4", "192.0.2.1:51234", nil, false, "192.0.2.1"},
		{"peer ipv6", "[2001:db8::1]:51234", nil, false, "2001:db8::1"},
		{"peer ipv4-mapped", "[::ffff:192.0.2.1]:51234", nil, false, "192.0.2.1"},
		{"peer ipv6 zone", "[fe80::1%eth0]:51234", nil, false, "fe80::1"},
		{"peer without port", "192.0.2.1", nil, false, "192.0.2.1"},
		{"peer not an IP", "@", nil, false, "@"},
		{"XFF ignored without trust", "192.0.2.1:1", []string{"203.0.113.9"}, false, "192.0.2.1"},
		{"XFF single", "10.0.0.2:1", []string{"203.0.113.9"}, true, "203.0.113.9"},
		{"XFF right-most", "10.0.0.2:1", []string{"6.6.6.6, 203.0.113.9"}, true, "203.0.113.9"},
		{"XFF spaces", "10.0.0.2:1", []string{" 6.6.6.6 ,203.0.113.9 "}, true, "203.0.113.9"},
		{"XFF several lines", "10.0.0.2:1", []string{"6.6.6.6", "7.7.7.7, 203.0.113.9"}, true, "203.0.113.9"},
		{"XFF ipv6", "10.0.0.2:1", []string{"2001:db8::7"}, true, "2001:db8::7"},
		{"XFF with port", "10.0.0.2:1", []string{"203.0.113.9:4711"}, true, "203.0.113.9"},
		{"XFF bracketed ipv6 with port", "10.0.0.2:1", []string{"[2001:db8::7]:4711"}, true, "2001:db8::7"},
		{"XFF garbage falls back to peer", "10.0.0.2:1", []string{"1.1.1.1, unknown"}, true, "10.0.0.2"},
		{"XFF empty last falls back to peer", "10.0.0.2:1", []string{"1.1.1.1,"}, true, "10.0.0.2"},
		{"no XFF with trust", "10.0.0.2:1", nil, true, "10.0.0.2"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got string
			var called bool
			h := clientAddr(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				called = true
				got = boxoffice.ClientAddrFromContext(r.Context())
			}), tt.trustProxy)
			r := httptest.NewRequest(http.MethodPost, "/graphql", nil)
			r.RemoteAddr = tt.remote
			for _, v := range tt.xff {
				r.Header.Add("X-Forwarded-For", v)
			}
			h.ServeHTTP(httptest.NewRecorder(), r)
			if !called {
				t.Fatal("next not called")
			}
			if got != tt.want {
				t.Errorf("client addr %q, want %q", got, tt.want)
			}
		})
	}
}
