package webhooks

import (
	"net/netip"
	"strings"
	"testing"
)

func TestForbidden(t *testing.T) {
	for _, s := range []string{
		"127.0.0.1", "127.1.2.3", "::1", // loopback
		"10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1", // RFC 1918
		"fc00::1", "fd12:3456::1", // unique local
		"169.254.169.254", "169.254.0.1", "fe80::1", "fe80::1%eth0", // link-local, metadata
		"0.0.0.0", "::", "0.1.2.3", // unspecified, this network
		"224.0.0.1", "239.255.255.250", "ff02::1", "ff0e::1", // multicast
		"100.64.0.1", "100.127.255.254", // CGNAT
		"255.255.255.255", "240.0.0.1", "192.0.2.1", "198.51.100.7", "203.0.113.9", "198.18.0.1", "2001:db8::1",
		"::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", // IPv4-mapped
		"64:ff9b::127.0.0.1", "64:ff9b::a9fe:a9fe", // NAT64 of loopback and metadata
		"::127.0.0.1", "::10.0.0.1", // IPv4-compatible
		"2002:7f00:1::1", "2002:a9fe:a9fe::1", // 6to4 of loopback and metadata
		"2001::1", // Teredo
		"fec0::1",
	} {
		if Forbidden(netip.MustParseAddr(s)) == "" {
			t.Errorf("%s is allowed", s)
		}
	}
	for _, s := range []string{"8.8.8.8", "1.1.1.1", "93.184.216.34", "100.128.0.1", "172.32.0.1", "2606:4700:4700::1111",
		"2a00:1450:4001::1", "::ffff:8.8.8.8", "64:ff9b::808:808", "2002:808:808::1"} {
		if why := Forbidden(netip.MustParseAddr(s)); why != "" {
			t.Errorf("%s is forbidden: %s", s, why)
		}
	}
}

func TestValidateURL(t *testing.T) {
	for _, u := range []string{"https://hooks.example.com/boxoffice", "http://example.com:8080/x?y=1", "https://8.8.8.8/", "https://[2606:4700::1111]/h"} {
		if err := ValidateURL(u, false); err != nil {
			t.Errorf("%s: %v", u, err)
		}
	}
	for u, why := range map[string]string{
		"ftp://example.com/":                               "https://",
		"javascript:alert(1)":                              "https://",
		"example.com/hook":                                 "https://",
		"https://":                                         "host",
		"https:///path":                                    "host",
		"https://user:pw@example.com/":                     "password",
		"https://example.com/#x":                           "fragment",
		"https://example.com:0/":                           "port",
		"https://example.com:70000/":                       "port",
		"http://127.0.0.1/":                                "loopback",
		"http://[::1]:8080/":                               "loopback",
		"http://localhost:8080/":                           "this machine",
		"http://LOCALHOST./":                               "this machine",
		"http://api.localhost/":                            "this machine",
		"http://10.1.2.3/":                                 "private",
		"http://169.254.169.254/latest/meta":               "link-local",
		"http://[::ffff:127.0.0.1]/":                       "loopback",
		"http://[fd00::1]/":                                "private",
		"http://100.64.0.1/":                               "reserved",
		"http://0.0.0.0/":                                  "unspecified",
		"http://2130706433/":                               "not a plain IP",
		"http://0x7f.1/":                                   "not a plain IP",
		"http://127.1/":                                    "not a plain IP",
		"https://example.com/" + strings.Repeat("a", 2000): "2000",
	} {
		err := ValidateURL(u, false)
		if err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("ValidateURL(%.60q): %v, want an error about %q", u, err, why)
		}
	}
	// AllowPrivate lets private targets through, but not bad URLs.
	for _, u := range []string{"http://127.0.0.1:8080/", "http://localhost/", "http://10.0.0.5/hook"} {
		if err := ValidateURL(u, true); err != nil {
			t.Errorf("%s with AllowPrivate: %v", u, err)
		}
	}
	if err := ValidateURL("https://u:p@127.0.0.1/", true); err == nil {
		t.Errorf("a password in the URL is allowed with AllowPrivate")
	}
}
