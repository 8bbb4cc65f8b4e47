// Command helloworld is the hello-world HTTP client plugin of KrakenD's
// documentation ("HTTP client plugins", example "krakend-client-example"),
// kept as a load-test fixture: the reference point for what the simplest
// client plugin costs. It answers the backend path named in its
// configuration itself and sends every other request on with
// http.DefaultClient, copying status, headers and body back, exactly as the
// documentation's code does; the only changes are a default path and a
// guard for a host that registers no logger.
//
// It must not import Lura: a plugin shares no package with the host that it
// does not need to. Build it with the same toolchain and flags as the
// gateway:
//
//	CGO_ENABLED=1 go build -buildmode=plugin -o build/loadtest/helloworld.so ./loadtest/helloworld
//
// Configuration, under a backend's extra_config:
//
//	"plugin/http-client": {
//	  "name": "krakend-client-example",
//	  "krakend-client-example": {"path": "/__debug/hijack-me"}
//	}
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
)

// pluginName is the name backends use in "plugin/http-client".
const pluginName = "krakend-client-example"

// defaultPath is the backend path hijacked when the configuration names none.
const defaultPath = "/__debug/hijack-me"

// ClientRegisterer is the symbol the plugin loader looks up.
var ClientRegisterer = registerer(pluginName)

type registerer string

// Logger is the subset of Lura's logging.Logger the plugin uses, declared
// here so that the plugin does not link Lura.
type Logger interface {
	Debug(v ...interface{})
	Info(v ...interface{})
	Warning(v ...interface{})
	Error(v ...interface{})
	Critical(v ...interface{})
	Fatal(v ...interface{})
}

var logger Logger

// RegisterLogger receives the host's logger.
func (registerer) RegisterLogger(v interface{}) {
	l, ok := v.(Logger)
	if !ok {
		return
	}
	logger = l
	logger.Debug(fmt.Sprintf("[PLUGIN: %s] Logger loaded", ClientRegisterer))
}

func debug(v ...interface{}) {
	if logger != nil {
		logger.Debug(v...)
	}
}

// RegisterClients registers the handler factory under the plugin's name.
func (r registerer) RegisterClients(f func(
	name string,
	handler func(context.Context, map[string]interface{}) (http.Handler, error),
)) {
	f(string(r), r.registerClients)
}

func (r registerer) registerClients(_ context.Context, extra map[string]interface{}) (http.Handler, error) {
	name, ok := extra["name"].(string)
	if !ok {
		return nil, errors.New("wrong config")
	}
	if name != string(r) {
		return nil, fmt.Errorf("unknown register %s", name)
	}

	// The plugin's own settings live under its name.
	config, _ := extra[pluginName].(map[string]interface{})
	path, _ := config["path"].(string)
	if path == "" {
		path = defaultPath
	}
	debug(fmt.Sprintf("The plugin is now hijacking the path %s", path))

	return http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		// The path is the backend request's (the url_pattern), not the
		// one the gateway's client asked for.
		if req.URL.Path == path {
			w.Header().Add("Content-Type", "application/json")
			res := map[string]string{"message": html.EscapeString(req.URL.Path)}
			b, _ := json.Marshal(res)
			w.Write(b)
			debug("request:", html.EscapeString(req.URL.Path))
			return
		}

		// Any other path goes to the backend.
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}

		for k, hs := range resp.Header {
			for _, h := range hs {
				w.Header().Add(k, h)
			}
		}
		w.WriteHeader(resp.StatusCode)
		if resp.Body == nil {
			return
		}
		io.Copy(w, resp.Body)
		resp.Body.Close()
	}), nil
}

func main() {}
