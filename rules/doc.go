// Package rules is the engine of the krakend-rules plugin: an ordered list
// of rules that match backend requests and answer them from the gateway or
// delegate them to the backend.
//
// Configuration arrives as the map a KrakenD host decodes from krakend.json;
// Decode turns it into a config.Config strictly (unknown fields and wrong types are
// errors, each with its location), and Compile prepares everything a
// request needs — globs, regexps, templates, static bodies, the path index
// — so that the request path only evaluates. An Engine is an http.Handler:
// for each request it finds the first rule that applies and runs its action.
package rules
