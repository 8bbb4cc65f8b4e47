package config

import (
	"strings"
	"testing"
)

func TestHostPatterns(t *testing.T) {
	type target struct {
		host, port string
		allowed    bool
	}
	tests := []struct {
		entry   string
		spelled string
		targets []target
	}{
		{"127.0.0.1:9000", "127.0.0.1:9000", []target{{"127.0.0.1", "9000", true}, {"127.0.0.1", "9001", false}, {"127.0.0.2", "9000", false}}},
		{"Pay.Example.com", "pay.example.com", []target{{"pay.example.com", "443", true}, {"PAY.example.COM", "80", true}, {"pay.example.com.", "1", true}, {"x.pay.example.com", "443", false}}},
		{"*.example.internal", "*.example.internal", []target{{"a.example.internal", "80", true}, {"a.b.example.internal", "8080", true}, {"example.internal", "80", false}, {"aexample.internal", "80", false}, {"a.example.internal.evil", "80", false}, {".example.internal", "80", false}, {"..example.internal", "80", false}}},
		{"*.example.internal:8443", "*.example.internal:8443", []target{{"a.example.internal", "8443", true}, {"a.example.internal", "443", false}}},
		{"[::1]:9000", "[::1]:9000", []target{{"::1", "9000", true}, {"::1", "9001", false}}},
		{"[::1]", "[::1]", []target{{"::1", "80", true}}},
		{"::1", "[::1]", []target{{"::1", "80", true}}},
		{"h:08080", "h:8080", []target{{"h", "8080", true}}},
	}
	for _, tt := range tests {
		p, err := ParseHostPattern(tt.entry)
		if err != nil {
			t.Errorf("%q: %v", tt.entry, err)
			continue
		}
		if p.String() != tt.spelled {
			t.Errorf("%q is spelled %q, want %q", tt.entry, p, tt.spelled)
		}
		for _, c := range tt.targets {
			if got := p.Allows(c.host, c.port); got != c.allowed {
				t.Errorf("%q allows %s port %s: %v, want %v", tt.entry, c.host, c.port, got, c.allowed)
			}
		}
	}
}

func TestBadHostPatterns(t *testing.T) {
	for entry, why := range map[string]string{
		"":                    "it is empty",
		"http://h":            "a URL or a path",
		"h/x":                 "a URL or a path",
		"user@h":              "a URL or a path",
		"h:0":                 "the port must be a number from 1 to 65535",
		"h:65536":             "the port must be a number from 1 to 65535",
		"h:x":                 "the port must be a number from 1 to 65535",
		"*":                   `"*" may only start it`,
		"a.*.example":         `"*" may only start it`,
		"*.10.0.0.1":          `"*." goes before a domain name`,
		"*.":                  "it has no host name",
		":9000":               "it has no host name",
		"fe80::1:9000:zz":     "too many colons",
		"[not-an-address]:80": "not an IPv6 address in brackets",
		"[::1":                `must end with "]"`,
		"...":                 "a host name is labels",
		"a..b":                "a host name is labels",
		"h%41":                "a host name is labels",
		"*.*.x":               `"*" may only start it`,
	} {
		_, err := ParseHostPattern(entry)
		if err == nil || !strings.Contains(err.Error(), why) {
			t.Errorf("%q: got %v, want %q", entry, err, why)
		}
	}
}

// FuzzHostPattern: an entry of callback_hosts that is accepted is spelled
// back as an entry that means the same.
func FuzzHostPattern(f *testing.F) {
	for _, s := range []string{"127.0.0.1:9000", "*.example.internal", "[::1]:9000", "::1", "h:08080", "A.B.", "*.x:1"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := ParseHostPattern(s)
		if err != nil {
			return
		}
		again, err := ParseHostPattern(p.String())
		if err != nil || again != p {
			t.Errorf("%q is %+v, spelled %q, which is %+v (%v)", s, p, p.String(), again, err)
		}
	})
}
