package webhooks

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
)

// ErrForbiddenAddress is in the chain of an error for a target this
// machine must not reach (see Forbidden).
var ErrForbiddenAddress = errors.New("forbidden address")

// special are the IP ranges, beyond what netip classifies, that a webhook
// must not reach: they are not the public internet, or they embed an IPv4
// address that could be one of ours.
var special = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // carrier-grade NAT (RFC 6598): often internal
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("192.0.2.0/24"),    // documentation
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("198.51.100.0/24"), // documentation
	netip.MustParsePrefix("203.0.113.0/24"),  // documentation
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and the broadcast address
	netip.MustParsePrefix("100::/64"),        // discard
	netip.MustParsePrefix("2001::/32"),       // Teredo: tunnels to an IPv4 address
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("fec0::/10"),       // site-local (deprecated, still private)
}

// embedsIPv4 are IPv6 ranges that carry an IPv4 address in their last 32
// bits, which is checked in turn: NAT64 (64:ff9b::/96) and the
// deprecated IPv4-compatible form (::/96). 6to4 (2002::/16) carries it in
// bits 16 to 48.
var (
	nat64      = netip.MustParsePrefix("64:ff9b::/96")
	compatible = netip.MustParsePrefix("::/96")
	sixToFour  = netip.MustParsePrefix("2002::/16")
)

// Forbidden says why ip is no target for a webhook, or "" if it may be
// one: loopback, private (RFC 1918, IPv6 unique local fc00::/7), link-
// local (169.254.0.0/16, where cloud metadata services answer, and
// fe80::/10), unspecified, multicast, carrier-grade NAT, reserved and
// documentation ranges, and IPv6 forms that embed such an IPv4 address
// (::ffff:127.0.0.1 and the like).
func Forbidden(ip netip.Addr) string {
	ip = ip.WithZone("")
	if ip.Is4In6() {
		ip = ip.Unmap()
	}
	if ip.Is6() {
		b := ip.As16()
		switch {
		case nat64.Contains(ip), compatible.Contains(ip) && !ip.IsUnspecified() && !ip.IsLoopback():
			if why := Forbidden(netip.AddrFrom4([4]byte(b[12:16]))); why != "" {
				return "an IPv6 form of " + why
			}
		case sixToFour.Contains(ip):
			if why := Forbidden(netip.AddrFrom4([4]byte(b[2:6]))); why != "" {
				return "a 6to4 form of " + why
			}
		}
	}
	switch {
	case !ip.IsValid():
		return "not an IP address"
	case ip.IsUnspecified():
		return "an unspecified address"
	case ip.IsLoopback():
		return "a loopback address"
	case ip.IsPrivate():
		return "a private address"
	case ip.IsLinkLocalUnicast():
		return "a link-local address"
	case ip.IsMulticast():
		return "a multicast address"
	}
	for _, p := range special {
		if p.Contains(ip) {
			return "a reserved address (" + p.String() + ")"
		}
	}
	if !ip.IsGlobalUnicast() {
		return "not a global unicast address"
	}
	return ""
}

// forbiddenError is the dial guard's refusal.
type forbiddenError struct {
	ip  netip.Addr
	why string
}

func (e *forbiddenError) Error() string {
	return fmt.Sprintf("%s is %s, which webhooks may not reach (WEBHOOK_ALLOW_PRIVATE=true allows it)", e.ip, e.why)
}

func (e *forbiddenError) Is(target error) bool { return target == ErrForbiddenAddress }

// control is a net.Dialer Control function: it runs on the address about
// to be connected, after name resolution, so neither a name that resolves
// to a private address nor DNS rebinding between a check and the dial
// gets past it.
func control(network, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("webhooks: dial %s %s: %w", network, address, ErrForbiddenAddress)
	}
	if why := Forbidden(ap.Addr()); why != "" {
		return &forbiddenError{ip: ap.Addr(), why: why}
	}
	return nil
}

// ValidateURL checks an endpoint's URL when it is registered: absolute
// http or https, a host, no user name or password (a secret in a URL ends
// up in logs; the signature authenticates), no fragment, at most 2000
// bytes. Unless allowPrivate, a host that is an IP address must be a
// public one and "localhost" names are refused. Names are not resolved
// here: the answer could change; every delivery checks the address it
// actually connects to.
func ValidateURL(raw string, allowPrivate bool) error {
	if len(raw) > 2000 {
		return errors.New("the URL is longer than 2000 bytes")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return errors.New("not a valid URL")
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return errors.New("the URL must start with https:// or http://")
	case u.Opaque != "" || u.Host == "" || u.Hostname() == "":
		return errors.New("the URL needs a host, as in https://example.com/hooks")
	case u.User != nil:
		return errors.New("the URL must not hold a user name or password: the signature authenticates deliveries")
	case u.Fragment != "" || strings.HasSuffix(raw, "#"):
		return errors.New("the URL must not have a #fragment")
	}
	if port := u.Port(); port != "" {
		if p, err := netip.ParseAddrPort("0.0.0.0:" + port); err != nil || p.Port() == 0 {
			return fmt.Errorf("the port %q is not 1 to 65535", port)
		}
	}
	if allowPrivate {
		return nil
	}
	host := strings.ToLower(strings.TrimSuffix(u.Hostname(), "."))
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return fmt.Errorf("%s is this machine, which webhooks may not reach (WEBHOOK_ALLOW_PRIVATE=true allows it)", host)
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		if why := Forbidden(ip); why != "" {
			return &forbiddenError{ip: ip, why: why}
		}
	} else if net.ParseIP(host) != nil || looksNumeric(host) {
		return fmt.Errorf("%s is not a plain IP address or host name", host)
	}
	return nil
}

// looksNumeric catches IPv4 spellings that netip refuses but some
// resolvers accept, such as 2130706433, 0x7f.1 or 017700000001: a host
// name never consists of digits, dots and hex prefixes alone.
func looksNumeric(host string) bool {
	last := host[strings.LastIndexByte(host, '.')+1:]
	if last == "" {
		return false
	}
	if strings.HasPrefix(last, "0x") {
		return true
	}
	for _, r := range last {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
