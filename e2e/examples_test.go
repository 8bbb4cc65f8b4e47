package e2e

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// startExamples serves examples/krakend.json, its self-references
// (127.0.0.1:8080, the gateway's own /__debug/ backend) pointed at the
// test's port.
func startExamples(t *testing.T) *gateway {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(repoRoot, "examples", "krakend.json"))
	if err != nil {
		t.Fatal(err)
	}
	return startGateway(t, strings.ReplaceAll(string(raw), "127.0.0.1:8080", "GATEWAY"))
}

func TestExamples(t *testing.T) {
	g := startExamples(t)

	t.Run("the docs' client-plugin demo", func(t *testing.T) {
		expect(t, "hijacked", g.get("/test/hijack-me"), 200, `{"message":"/__debug/hijack-me"}`)
		expect(t, "delegated", g.get("/test/normal"), 200, `{"message":"pong"}`)
	})

	t.Run("a mocked unfinished backend", func(t *testing.T) {
		a := g.get("/users/42?fields=name,email", "X-Tenant", "acme")
		var got map[string]string
		if err := json.Unmarshal([]byte(a.body), &got); err != nil || a.status != 200 {
			t.Fatalf("got %d %s", a.status, a.body)
		}
		if got["id"] != "42" || got["tenant"] != "acme" || got["fields"] != "name,email" || got["resource"] != "users" ||
			!regexp.MustCompile(`^[0-9a-f-]{36}$`).MatchString(got["requestId"]) || a.header.Get("X-Mock") != "users" {
			t.Errorf("got %v %v", got, a.header)
		}
		expect(t, "no tenant", g.get("/users/7"), 200, "*")
		if !strings.Contains(g.get("/users/7").body, `"tenant":"public"`) {
			t.Error("the default tenant is missing")
		}
		expect(t, "not a number", g.get("/users/ann"), 404, `{"error":"no such user","path":"/users/ann"}`)
	})

	t.Run("a maintenance short-circuit", func(t *testing.T) {
		a := g.do("POST", "/orders/7", nil, strings.NewReader(`{}`))
		expect(t, "a write", a, 503, `{"error":"maintenance","path":"/__debug/orders/7"}`, "Retry-After", "600", "Content-Type", "application/json")
		expect(t, "a read", g.get("/orders/7"), 200, `{"message":"pong"}`)
	})

	t.Run("conditional delegation on a header", func(t *testing.T) {
		expect(t, "beta", g.get("/catalog/3", "X-Beta", "true"), 200, `{"id":"3","version":"next"}`, "X-Krakend-Rule", "beta-mock")
		expect(t, "stable", g.get("/catalog/3"), 200, `{"message":"pong"}`, "X-Krakend-Rule", "stable", "X-Served-By", "stable")
	})

	t.Run("a body-field rule on a POST", func(t *testing.T) {
		h := http.Header{"Content-Type": {"application/json"}}
		expect(t, "EUR", g.do("POST", "/payments", h, strings.NewReader(`{"payment":{"currency":"EUR","amount":12.5}}`)),
			202, `{"accepted": true, "amount": 12.5, "n": 1}`)
		expect(t, "USD is delegated", g.do("POST", "/payments", h, strings.NewReader(`{"payment":{"currency":"USD","amount":3}}`)),
			200, `{"message":"pong"}`)
		expect(t, "not JSON is delegated", g.do("POST", "/payments", h, strings.NewReader(`currency=EUR`)), 200, `{"message":"pong"}`)
	})

	t.Run("a graduation fallback", func(t *testing.T) {
		expect(t, "backend down", g.get("/invoices/9"), 200, `{"id":"9","status":"mocked"}`,
			"X-Krakend-Rule", "invoices (fallback: backend unreachable)")
	})

	t.Run("a sequence that sticks", func(t *testing.T) {
		for _, want := range []string{`{"poll":"1","state":"queued"}`, `{"poll":"2","state":"running"}`, `{"poll":"3","state":"done"}`, `{"poll":"4","state":"done"}`} {
			a := g.get("/jobs/1")
			if a.body != want {
				t.Errorf("got %s, want %s", a.body, want)
			}
		}
	})

	t.Run("a body file, a fault share and a maintenance window", func(t *testing.T) {
		ok, faults := 0, 0
		for range 60 {
			a := g.get("/shipments/5")
			switch {
			case a.status == 200 && strings.Contains(a.body, `"id": "5"`) && strings.Contains(a.body, `"status": "pending"`):
				ok++
			case a.status == 503 && a.body == `{"error":"injected fault"}`:
				faults++
			case a.status == 503 && a.body == `{"error":"maintenance"}` && a.header.Get("Retry-After") != "":
				t.Skip("the example's weekend maintenance window is open now")
			default:
				t.Fatalf("unexpected answer %d %s", a.status, a.body)
			}
		}
		if ok == 0 || faults > 30 {
			t.Errorf("%d answers from the file, %d injected faults (10%% expected)", ok, faults)
		}
	})

	t.Run("seeded fake data", func(t *testing.T) {
		a, again, other := g.get("/customers/42"), g.get("/customers/42"), g.get("/customers/43")
		var got map[string]any
		if err := json.Unmarshal([]byte(a.body), &got); err != nil || a.status != 200 || got["id"] != 42.0 || !strings.Contains(got["email"].(string), "@") {
			t.Fatalf("got %d %s (%v)", a.status, a.body, err)
		}
		if again.body != a.body || other.body == a.body {
			t.Errorf("customer 42 twice: %s and %s; customer 43: %s", a.body, again.body, other.body)
		}
	})

	t.Run("cookies, the client's address and host, any and not", func(t *testing.T) {
		expect(t, "a session cookie", g.get("/partners/7", "Cookie", "session=0123abcd"), 200, `{"partner":"7","session":"valid"}`, "X-Krakend-Rule", "signed-in")
		expect(t, "a bad session cookie, a known partner", g.get("/partners/7", "Cookie", "session=nope", "X-Partner", "acme"), 200, `{"partner":"7","preview":true}`, "X-Krakend-Rule", "local-previews")
		expect(t, "a preview flag", g.get("/partners/7?preview=1"), 200, `{"partner":"7","preview":true}`)
		expect(t, "none of them", g.get("/partners/7", "X-Partner", "initech"), 200, `{"message":"pong"}`, "X-Krakend-Rule", "delegated")
	})

	t.Run("body_json in any array order", func(t *testing.T) {
		h := http.Header{"Content-Type": {"application/json"}}
		a := g.do("POST", "/cart", h, strings.NewReader(`{"items":[{"sku":"B","qty":2},{"sku":"A","qty":1}],"user":"ann"}`))
		if a.status != 201 || !regexp.MustCompile(`^\{"bundle":true,"code":"cG9zdA==","discount":"([5-9]|1[0-4])%"\}$`).MatchString(a.body) {
			t.Errorf("the bundle: %d %s", a.status, a.body)
		}
		expect(t, "not the bundle", g.do("POST", "/cart", h, strings.NewReader(`{"items":[{"sku":"A"}]}`)), 200, `{"message":"pong"}`)
	})

	t.Run("rule statistics", func(t *testing.T) {
		a := g.get("/__rules/stats")
		if a.status != 200 || !strings.Contains(a.body, `{"backend":"hijack-me","rule":"hijack-me","answered":1,"delegated":0,"fallback":0,"failed":0,"last_matched":"`) {
			t.Errorf("JSON: %d %s", a.status, a.body)
		}
		m := g.get("/__rules/metrics")
		if m.status != 200 || !strings.Contains(m.body, "\nkrakend_rules_requests_total{backend=\"stats\",rule=\"stats\",outcome=\"answered\"} 1\n") {
			t.Errorf("Prometheus: %d %s", m.status, m.body)
		}
	})

	t.Run("the plugin was injected", func(t *testing.T) {
		log := g.log.String()
		for _, want := range []string{
			"plugins loaded: 1",
			"[PLUGIN: krakend-rules][hijack-me] 1 rule loaded: hijack-me",
			"Injecting plugin krakend-rules",
			`[PLUGIN: krakend-rules][hijack-me] rule "hijack-me" answered GET /__debug/hijack-me`,
			"[PLUGIN: krakend-rules][hijack-me] no rule matched, delegated GET /__debug/normal",
		} {
			if !strings.Contains(log, want) {
				t.Errorf("the log lacks %q", want)
			}
		}
	})

	if err := g.stop(); err != nil {
		t.Errorf("the gateway did not shut down cleanly on SIGTERM: %v", err)
	}
	if !strings.Contains(g.log.String(), "Router execution ended") {
		t.Error("no clean shutdown in the log")
	}
}
