package main

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// handler registers the plugin as a host would and builds one backend's
// handler from extra.
func handler(t *testing.T, extra map[string]interface{}) (http.Handler, error) {
	t.Helper()
	var factory func(context.Context, map[string]interface{}) (http.Handler, error)
	ClientRegisterer.RegisterClients(func(name string, f func(context.Context, map[string]interface{}) (http.Handler, error)) {
		if name != pluginName {
			t.Fatalf("registered as %q", name)
		}
		factory = f
	})
	return factory(context.Background(), extra)
}

func TestHijacksTheConfiguredPathAndDelegatesTheRest(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Backend", "yes")
		w.WriteHeader(http.StatusAccepted)
		io.WriteString(w, `{"ok":true}`)
	}))
	defer backend.Close()

	tests := []struct {
		name, config, path     string
		wantStatus             int
		wantBody, wantXBackend string
	}{
		{"the default path is hijacked", "", defaultPath, 200, `{"message":"/__debug/hijack-me"}`, ""},
		{"a configured path is hijacked", "/mine", "/mine", 200, `{"message":"/mine"}`, ""},
		{"another path is delegated with status, headers and body", "", "/bench/1", 202, `{"ok":true}`, "yes"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := map[string]interface{}{}
			if tt.config != "" {
				cfg["path"] = tt.config
			}
			h, err := handler(t, map[string]interface{}{"name": pluginName, pluginName: cfg})
			if err != nil {
				t.Fatal(err)
			}
			req, _ := http.NewRequest(http.MethodGet, backend.URL+tt.path, nil)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != tt.wantStatus || rec.Body.String() != tt.wantBody || rec.Header().Get("X-Backend") != tt.wantXBackend {
				t.Errorf("got %d %q X-Backend=%q", rec.Code, rec.Body, rec.Header().Get("X-Backend"))
			}
		})
	}
}

func TestAnotherPluginNameIsRefused(t *testing.T) {
	if _, err := handler(t, map[string]interface{}{"name": "krakend-rules"}); err == nil {
		t.Error("no error for another plugin's name")
	}
	if _, err := handler(t, map[string]interface{}{}); err == nil {
		t.Error("no error without a name")
	}
}
