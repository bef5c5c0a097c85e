package server

import (
	"net"
	"net/http"
	"net/netip"
	"strings"

	"github.com/boxoffice/boxoffice"
)

// clientAddr puts the client's IP address into the request's context
// (boxoffice.NewContextWithClientAddr), which rate limits key on.
//
// It is the connection's peer (r.RemoteAddr). Only when trustProxy, because
// the server runs behind a reverse proxy that appends the address it sees
// to X-Forwarded-For, is it the right-most entry of that header instead:
// entries to its left come from the client and can be forged. Never set
// trustProxy for a server clients reach directly: anyone could then pick
// their address, and so their rate limit key.
func clientAddr(next http.Handler, trustProxy bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr := peerAddr(r.RemoteAddr)
		if trustProxy {
			if fwd, ok := lastForwardedFor(r.Header); ok {
				addr = fwd
			}
		}
		next.ServeHTTP(w, r.WithContext(boxoffice.NewContextWithClientAddr(r.Context(), addr)))
	})
}

// peerAddr returns the IP of a RemoteAddr ("ip:port"), or RemoteAddr as it
// is if it holds no IP.
func peerAddr(remote string) string {
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	if ip, ok := parseIP(host); ok {
		return ip
	}
	return remote
}

// lastForwardedFor returns the right-most address in X-Forwarded-For (over
// all its header lines), if that is an IP.
func lastForwardedFor(h http.Header) (string, bool) {
	values := h.Values("X-Forwarded-For")
	if len(values) == 0 {
		return "", false
	}
	last := values[len(values)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	last = strings.TrimSpace(last)
	if ip, ok := parseIP(last); ok {
		return ip, true
	}
	if ap, err := netip.ParseAddrPort(last); err == nil { // "ip:port", "[ipv6]:port"
		return canonicalIP(ap.Addr()), true
	}
	return "", false
}

// parseIP returns s as a canonical IP string (IPv4-mapped IPv6 as IPv4, no
// zone), so one client has one key.
func parseIP(s string) (string, bool) {
	ip, err := netip.ParseAddr(strings.TrimSuffix(strings.TrimPrefix(s, "["), "]"))
	if err != nil {
		return "", false
	}
	return canonicalIP(ip), true
}

func canonicalIP(ip netip.Addr) string { return ip.Unmap().WithZone("").String() }
