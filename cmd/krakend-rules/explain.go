package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"

	"krakend-rules/internal/explain"
)

const explainUsage = `usage: krakend-rules explain [-C dir] [-endpoint /orders/{id}] [-backend N] [-H 'Name: value']... [-d data|@file] [-json] krakend.json|rules.json '[METHOD] /path?query'

Says which rule answers a request and what it answers, and, for each rule
before it on the same path (or the nearest rules when none applies), the
first condition that failed and the value it saw. The request is the
client's: it is turned into the backend request the plugin gets (the
endpoint's parameters put into url_pattern, only the forwarded headers and
query parameters) and evaluated by the plugin's own engine. For a rules
file, the request is the backend request itself. Flags may follow the
arguments. Exit status: 0 a rule answers, 3 no rule applies (delegated), 1
the configuration does not load, 2 bad usage.
`

type headerFlags []string

func (h *headerFlags) String() string     { return strings.Join(*h, ", ") }
func (h *headerFlags) Set(v string) error { *h = append(*h, v); return nil }

func runExplain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("explain", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, explainUsage); fs.PrintDefaults() }
	dir := fs.String("C", "", "the gateway's working directory, where relative body_file and rules_file names are read")
	endpoint := fs.String("endpoint", "", `the endpoint, as krakend.json writes it ("/orders/{id}"); default: the first whose pattern and method fit the request`)
	backend := fs.Int("backend", -1, "the backend's index in the endpoint; default: the first that names krakend-rules")
	var headers headerFlags
	fs.Var(&headers, "H", `a request header, "Name: value" (repeatable)`)
	data := fs.String("d", "", "the request body; @file reads it from a file (@- from standard input)")
	method := fs.String("X", "", "the method (default GET, or POST with -d); also accepted before the path: 'POST /orders/7'")
	remoteIP := fs.String("remote-ip", "127.0.0.1", "the client address (X-Forwarded-For)")
	asJSON := fs.Bool("json", false, "print the explanation as JSON")

	positional, err := parseInterleaved(fs, args)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if len(positional) != 2 {
		fs.Usage()
		return 2
	}
	req := explain.Request{Method: *method, Header: http.Header{}, RemoteIP: *remoteIP}
	if m, target, ok := strings.Cut(strings.TrimSpace(positional[1]), " "); ok {
		req.Method, req.Target = m, strings.TrimSpace(target)
	} else {
		req.Target = m
	}
	if *method != "" {
		req.Method = *method
	}
	for _, h := range headers {
		name, value, ok := strings.Cut(h, ":")
		if !ok || strings.TrimSpace(name) == "" {
			fmt.Fprintf(stderr, "krakend-rules: -H %q: want \"Name: value\"\n", h)
			return 2
		}
		req.Header.Add(strings.TrimSpace(name), strings.TrimSpace(value))
	}
	if *data != "" {
		body := []byte(*data)
		if name, ok := strings.CutPrefix(*data, "@"); ok {
			var err error
			if name == "-" {
				body, err = io.ReadAll(os.Stdin)
			} else {
				body, err = os.ReadFile(name)
			}
			if err != nil {
				fmt.Fprintln(stderr, "krakend-rules:", err)
				return 2
			}
		}
		req.Body = body
	}
	content, err := os.ReadFile(positional[0])
	if err != nil {
		fmt.Fprintln(stderr, "krakend-rules:", err)
		return 2
	}
	if *dir != "" {
		if err := os.Chdir(*dir); err != nil {
			fmt.Fprintln(stderr, "krakend-rules:", err)
			return 2
		}
	}
	result, err := explain.Explain(content, explain.Select{Endpoint: *endpoint, Backend: *backend}, req)
	if err != nil {
		fmt.Fprintf(stderr, "krakend-rules: %s: %v\n", positional[0], err)
		return 1
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.SetEscapeHTML(false)
		enc.Encode(result)
	} else {
		printExplanation(stdout, result)
	}
	if result.Rule == "" {
		return 3
	}
	return 0
}

// parseInterleaved parses flags before, between and after the arguments,
// as curl takes them, and returns the arguments.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var positional []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return positional, nil
		}
		positional = append(positional, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func printExplanation(w io.Writer, r *explain.Result) {
	if r.Endpoint != "" {
		fmt.Fprintf(w, "endpoint %s, %s\n", r.Endpoint, r.Backend)
	}
	fmt.Fprintf(w, "backend request: %s %s\n", r.BackendRequest.Method, r.BackendRequest.URL)
	printHeaders(w, "  ", r.BackendRequest.Header)
	if len(r.Dropped) > 0 {
		fmt.Fprintf(w, "  not forwarded by the endpoint, so no rule sees them: %s\n", strings.Join(r.Dropped, ", "))
	}
	switch {
	case r.Rule == "":
		fmt.Fprintln(w, "no rule applies: the request is delegated to the backend")
	case r.Answer == nil:
		fmt.Fprintf(w, "rule %q (rules[%d]) delegates the request to the backend\n", r.Rule, r.Position)
	default:
		fmt.Fprintf(w, "rule %q (rules[%d]) answers %d\n", r.Rule, r.Position, r.Answer.Status)
		printHeaders(w, "  ", r.Answer.Header)
		if r.Answer.Body != "" {
			fmt.Fprintf(w, "  %s\n", strings.ReplaceAll(strings.TrimRight(r.Answer.Body, "\n"), "\n", "\n  "))
		}
		if !r.NoOp {
			fmt.Fprintln(w, "  (the endpoint is not no-op: the client gets the body as KrakenD decodes it, with its own status and headers)")
		}
	}
	near := r.NearMisses()
	if len(near) == 0 {
		return
	}
	switch {
	case r.Rule == "" && !near[0].SamePath:
		fmt.Fprintln(w, "no rule is about this path and method; the nearest:")
	case r.Rule == "":
		fmt.Fprintln(w, "the rules on this path and method, and why each did not apply:")
	default:
		fmt.Fprintln(w, "the rules before it on this path and method, and why each did not apply:")
	}
	for _, m := range near {
		fmt.Fprintf(w, "  rules[%d] %s\n", m.Position, m)
	}
}

func printHeaders(w io.Writer, indent string, h http.Header) {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		for _, v := range h[k] {
			fmt.Fprintf(w, "%s%s: %s\n", indent, k, strconv.Quote(v)[1:len(strconv.Quote(v))-1])
		}
	}
}
