// Command krakend-rules is a KrakenD HTTP client plugin: an ordered list of
// rules, configured per backend, that answers backend requests with static or
// templated JSON, or delegates them to the backend. Build it with
// "go build -buildmode=plugin" (see the Makefile); the rules engine itself is
// the package krakend-rules/rules.
//
// The plugin links only the standard library, gjson, gobwas/glob and
// go-redis (whose xxhash is the version every KrakenD CE release links),
// never Lura: a Go plugin loads only when every package it shares with the
// host is the identical build, so the fewer it shares the better.
package main

import (
	"context"
	"fmt"
	"net/http"

	"krakend-rules/rules"
)

// pluginName is the name backends use in "plugin/http-client" and the key
// of the plugin's own configuration object there.
const pluginName = "krakend-rules"

// ClientRegisterer is the symbol KrakenD looks up in the plugin.
var ClientRegisterer = registerer(pluginName)

type registerer string

// logger is the host's logger, set by RegisterLogger before RegisterClients;
// nil when the host has none.
var logger rules.Logger

// RegisterLogger receives the host's logger (Lura's logging.Logger).
func (registerer) RegisterLogger(v any) {
	if l, ok := v.(rules.Logger); ok {
		logger = l
		logger.Debug(rules.LogPrefix + " logger registered")
	}
}

// RegisterClients registers the plugin's handler factory under its name.
func (r registerer) RegisterClients(f func(
	name string,
	handler func(context.Context, map[string]any) (http.Handler, error),
)) {
	f(string(r), newClient)
}

// newClient builds the handler of one backend from its "plugin/http-client"
// object. It never returns an error: KrakenD would then bypass the plugin and
// send traffic straight to the backend. An invalid configuration is logged
// and fails closed instead.
func newClient(ctx context.Context, extra map[string]any) (http.Handler, error) {
	raw, ok := extra[pluginName]
	if !ok {
		return rules.FailClosed(logger, nil, fmt.Errorf("the plugin/http-client object has no %q object with the rules", pluginName)), nil
	}
	engine, err := rules.New(ctx, raw, rules.Options{Logger: logger})
	if err != nil {
		return rules.FailClosed(logger, raw, err), nil
	}
	return engine, nil
}

func main() {}
