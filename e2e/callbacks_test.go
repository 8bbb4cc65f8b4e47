package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// TestPaymentCallbackThroughTheGateway is the README's payment example:
// the endpoint answers 202 at once, and the rule's callback reaches the
// client's webhook afterwards with a body made from the request. The
// webhook holds the callback until the test has its answer: a plugin that
// waited for its callback would make the endpoint time out instead of
// answering 202. At the stop signal a callback still waiting for its
// delay is dropped, and the gateway says so.
func TestPaymentCallbackThroughTheGateway(t *testing.T) {
	type hook struct {
		method, path string
		header       http.Header
		body         []byte
	}
	hooks := make(chan hook, 10)
	releaseHook, releaseHeld := make(chan struct{}), make(chan struct{})
	var hookOnce, heldOnce sync.Once
	unblockHook := func() { hookOnce.Do(func() { close(releaseHook) }) }
	unblockHeld := func() { heldOnce.Do(func() { close(releaseHeld) }) }
	defer unblockHook()
	defer unblockHeld()
	webhook := newBackend(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		hooks <- hook{r.Method, r.URL.Path, r.Header.Clone(), body}
		select {
		case <-releaseHook:
		case <-time.After(30 * time.Second):
		}
		w.WriteHeader(http.StatusNoContent)
	})
	held := make(chan struct{}, 1)
	heldBackend := newBackend(t, func(w http.ResponseWriter, r *http.Request, body []byte) {
		held <- struct{}{}
		select {
		case <-releaseHeld:
		case <-time.After(30 * time.Second):
		}
		fmt.Fprint(w, `{"held":true}`)
	})
	target := strings.TrimPrefix(webhook.url, "http://")

	payment := `{"callback_hosts":["` + target + `"],"rules":[
		{"name":"payment","match":{"path":"/payments","methods":["POST"]},
		 "response":{"status":202,"body":{"id":"{{ body \"id\" }}","status":"pending"}},
		 "callbacks":[{"url":"http://` + target + `/hooks/payments",
		   "headers":{"X-Request-Id":"{{ .Header.Get \"X-Request-Id\" }}"},
		   "body":{"id":"{{ body \"id\" }}","amount":"{{ body \"amount\" }}","status":"paid"},
		   "delay":"10ms-50ms"}]}]}`
	later := `{"callback_hosts":["` + target + `"],"rules":[
		{"name":"refund","response":{"status":202},"callbacks":[{"url":"http://` + target + `/hooks/refunds","delay":"1h"}]}]}`
	g := startGateway(t, config(
		endpoint("POST", "/payments", heldBackend.url, "/payments", []string{"Content-Type", "X-Request-Id"}, nil, payment),
		endpoint("POST", "/refunds", heldBackend.url, "/refunds", nil, nil, later),
		`{"endpoint":"/held","method":"GET","timeout":"40s","output_encoding":"no-op",
		  "backend":[{"host":["`+heldBackend.url+`"],"url_pattern":"/held","encoding":"no-op"}]}`,
	))

	h := http.Header{"Content-Type": {"application/json"}, "X-Request-Id": {"req-7"}}
	expect(t, "the payment", g.do("POST", "/payments", h, strings.NewReader(`{"id":"pay-1","amount":12.5}`)), 202, `{"id":"pay-1","status":"pending"}`)
	select {
	case got := <-hooks:
		var body map[string]any
		if err := json.Unmarshal(got.body, &body); err != nil {
			t.Fatalf("the callback's body is not JSON: %v: %s", err, got.body)
		}
		if got.method != "POST" || got.path != "/hooks/payments" || string(got.body) != `{"amount":"12.5","id":"pay-1","status":"paid"}` ||
			got.header.Get("X-Request-Id") != "req-7" || got.header.Get("Content-Type") != "application/json" {
			t.Errorf("the callback: %s %s %v %s", got.method, got.path, got.header, got.body)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("no callback arrived within 10s")
	}
	unblockHook()
	g.waitLog(`rule "payment" callbacks[0] sent: POST http://` + target + `/hooks/payments - answered 204`)

	// At the stop signal, a callback waiting for its delay is dropped while
	// the gateway still drains a request in flight.
	expect(t, "the refund", g.do("POST", "/refunds", nil, nil), 202, "")
	go func() {
		if res, err := client.Get(g.url + "/held"); err == nil {
			res.Body.Close()
		}
	}()
	select {
	case <-held:
	case <-time.After(10 * time.Second):
		t.Fatal("the held request never reached its backend")
	}
	g.cmd.Process.Signal(syscall.SIGTERM)
	g.waitLog(`rule "refund" callbacks[0] not sent to http://` + target + `/hooks/refunds - the gateway shut down during its delay`)
	unblockHeld()
	if err := g.stop(); err != nil {
		t.Errorf("the gateway did not stop cleanly: %v", err)
	}
	for _, r := range webhook.received() {
		if r.path != "/hooks/payments" {
			t.Errorf("the webhook got %s %s", r.method, r.path)
		}
	}
}
