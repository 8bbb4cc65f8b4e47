package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
)

type recordingLogger struct {
	mu    sync.Mutex
	lines []string
}

func (l *recordingLogger) log(level string, v ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, level+" "+strings.TrimSpace(fmt.Sprintln(v...)))
}
func (l *recordingLogger) Debug(v ...any)    { l.log("DEBUG", v...) }
func (l *recordingLogger) Info(v ...any)     { l.log("INFO", v...) }
func (l *recordingLogger) Warning(v ...any)  { l.log("WARNING", v...) }
func (l *recordingLogger) Error(v ...any)    { l.log("ERROR", v...) }
func (l *recordingLogger) Critical(v ...any) { l.log("CRITICAL", v...) }
func (l *recordingLogger) Fatal(v ...any)    { l.log("FATAL", v...) }

func (l *recordingLogger) text() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// factory registers the plugin as a host does and returns its handler
// factory.
func factory(t *testing.T, hostLogger any) func(context.Context, map[string]any) (http.Handler, error) {
	t.Helper()
	t.Cleanup(func() { logger = nil }) // the package-level logger the plugin keeps
	type loggerRegisterer interface{ RegisterLogger(any) }
	type clientRegisterer interface {
		RegisterClients(func(string, func(context.Context, map[string]any) (http.Handler, error)))
	}
	var sym any = ClientRegisterer
	if lr, ok := sym.(loggerRegisterer); ok {
		lr.RegisterLogger(hostLogger)
	} else {
		t.Fatal("ClientRegisterer does not take a logger")
	}
	cr, ok := sym.(clientRegisterer)
	if !ok {
		t.Fatal("ClientRegisterer has not the host's RegisterClients signature")
	}
	var got func(context.Context, map[string]any) (http.Handler, error)
	cr.RegisterClients(func(name string, f func(context.Context, map[string]any) (http.Handler, error)) {
		if name != "krakend-rules" {
			t.Errorf("registered as %q", name)
		}
		got = f
	})
	if got == nil {
		t.Fatal("nothing registered")
	}
	return got
}

func extraConfig(t *testing.T, text string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func TestThePluginAnswersAndDelegates(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, `{"message":"pong"}`)
	}))
	defer backend.Close()
	log := &recordingLogger{}
	newHandler := factory(t, log)
	h, err := newHandler(context.Background(), extraConfig(t, `{"name":"krakend-rules","krakend-rules":{"rules":[
		{"name":"hijack","match":{"path":"/__debug/hijack-me"},"response":{"body":{"message":"{{ .Path }}"}}}]}}`))
	if err != nil {
		t.Fatal(err)
	}
	for path, want := range map[string]string{
		"/__debug/hijack-me": `{"message":"/__debug/hijack-me"}`,
		"/__debug/normal":    `{"message":"pong"}`,
	} {
		req, _ := http.NewRequest("GET", backend.URL+path, nil)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 || w.Body.String() != want {
			t.Errorf("%s: got %d %s, want %s", path, w.Code, w.Body, want)
		}
	}
	if !strings.Contains(log.text(), "INFO [PLUGIN: krakend-rules][hijack] 1 rule loaded: hijack") {
		t.Errorf("load not logged:\n%s", log.text())
	}
}

func TestAnInvalidConfigFailsClosed(t *testing.T) {
	var reached atomic.Int32
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		reached.Add(1)
	}))
	defer backend.Close()
	tests := []struct {
		name   string
		extra  string
		label  string
		errors []string
	}{
		{"a bad rule", `{"name":"krakend-rules","krakend-rules":{"rules":[{"name":"m","match":{"path":"/x/[a-"},"response":{"status":503}},{"name":"m","delegate":{}}]}}`,
			"m +1", []string{`rules[0].match.path: bad glob "/x/[a-"`, `rules[1].name: duplicate rule name "m"`}},
		{"a typo in a field", `{"name":"krakend-rules","krakend-rules":{"label":"POST /x","rules":[{"match":{"methdos":["POST"]},"response":{"status":503}}]}}`,
			"POST /x", []string{`rules[0].match.methdos: unknown field`}},
		{"no krakend-rules object", `{"name":"krakend-rules","krakend_rules":{"rules":[]}}`,
			"no rules", []string{`the plugin/http-client object has no "krakend-rules" object`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			log := &recordingLogger{}
			h, err := factory(t, log)(context.Background(), extraConfig(t, tt.extra))
			if err != nil || h == nil {
				// An error would make the host bypass the plugin.
				t.Fatalf("the factory returned %v, %v", h, err)
			}
			for _, method := range []string{"GET", "POST", "DELETE"} {
				req, _ := http.NewRequest(method, backend.URL+"/x/1", strings.NewReader(`{}`))
				w := httptest.NewRecorder()
				h.ServeHTTP(w, req)
				if w.Code != 500 || w.Body.String() != `{"error":"krakend-rules: invalid configuration"}` {
					t.Errorf("%s: got %d %s", method, w.Code, w.Body)
				}
			}
			if n := reached.Load(); n != 0 {
				t.Errorf("%d requests reached the backend", n)
			}
			for _, e := range tt.errors {
				if !strings.Contains(log.text(), "ERROR [PLUGIN: krakend-rules]["+tt.label+"] invalid configuration: "+e) {
					t.Errorf("error %q not logged:\n%s", e, log.text())
				}
			}
			if strings.Contains(log.text(), "loaded") || strings.Contains(log.text(), "WARNING") {
				t.Errorf("an invalid configuration was also said to load:\n%s", log.text())
			}
		})
	}
}

func TestANilLoggerIsSafe(t *testing.T) {
	newHandler := factory(t, nil)
	for _, extra := range []string{
		`{"name":"krakend-rules","krakend-rules":{"rules":[{"response":{"body_template":"{{ index .Segments 9 }}"}}]}}`,
		`{"name":"krakend-rules","krakend-rules":{"rules":[{"nope":1}]}}`,
	} {
		h, err := newHandler(context.Background(), extraConfig(t, extra))
		if err != nil {
			t.Fatal(err)
		}
		w := httptest.NewRecorder()
		req, _ := http.NewRequest("GET", "http://backend.invalid/x", nil)
		h.ServeHTTP(w, req)
		if w.Code != 500 {
			t.Errorf("got %d", w.Code)
		}
	}
}
