// Command krakend-rules checks the krakend-rules configurations of
// krakend.json files before they are deployed:
//
//	krakend-rules check [-C dir] [-strict] krakend.json...
//	krakend-rules check-plugin -krakend 2.13.8 [-libc musl|glibc] krakend-rules.so
//	krakend-rules explain [-endpoint /orders/{id}] [-H 'Name: value'] [-d @body.json] [-json] krakend.json 'POST /orders/7'
//	krakend-rules import openapi [-o rules.json] [-status 2xx|CODE] [-params] [-base auto|/PREFIX|/] openapi.yaml
//
// It reports every configuration error the plugin would fail closed on and
// every warning (rules that never apply, conditions on what the endpoint
// does not forward, statuses a non-no-op endpoint hides…), each as
// file:line:column with its endpoint, backend and location. The exit status
// is 0 when there are no errors (and, with -strict, no warnings), 1 when
// there are, 2 when a file cannot be read or the command is misused.
//
// check-plugin says whether a built plugin will load into a KrakenD CE
// release, from the .so itself: Go release, build settings, the modules it
// shares with KrakenD and the C library (see checkplugin.go).
//
// explain says which rule answers a client request, what it answers and
// why the rules before it did not (explain.go); import openapi writes a
// rules file that mocks an OpenAPI document (importopenapi.go).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"krakend-rules/lint"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = `usage: krakend-rules check [-C dir] [-strict] krakend.json...
       krakend-rules check-plugin -krakend version [-libc musl|glibc] plugin.so...
       krakend-rules explain [-endpoint /orders/{id}] [-H 'Name: value'] [-d @body.json] [-json] krakend.json '[METHOD] /path'
       krakend-rules import openapi [-o rules.json] [-status 2xx|CODE] [-params] [-base auto|/PREFIX|/] SPEC

Checks the krakend-rules configurations of each krakend.json: configuration
errors (the backend would fail closed) and warnings (what loads but cannot
work as written). Exit status: 0 no errors, 1 errors (or warnings with
-strict), 2 a file cannot be read or bad usage.

check-plugin says whether a plugin .so will load into a KrakenD CE release
("krakend-rules check-plugin -h" tells more).

explain says which rule answers a request, what it answers, and which
condition of each rule before it failed ("krakend-rules explain -h").

import openapi writes a rules file that mocks an OpenAPI document's
operations ("krakend-rules import openapi -h" tells more).
`

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) > 0 && args[0] == "check-plugin" {
		return runCheckPlugin(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "explain" {
		return runExplain(args[1:], stdout, stderr)
	}
	if len(args) > 0 && args[0] == "import" {
		return runImport(args[1:], os.Stdin, stdout, stderr)
	}
	if len(args) == 0 || args[0] != "check" {
		fmt.Fprint(stderr, usage)
		return 2
	}
	fs := flag.NewFlagSet("check", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() { fmt.Fprint(stderr, usage); fs.PrintDefaults() }
	dir := fs.String("C", "", "the gateway's working directory, where relative body_file, rules_file and plugin folder names are read (default: the current one)")
	strict := fs.Bool("strict", false, "warnings fail the check too")
	if err := fs.Parse(args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return 2
	}

	type input struct{ shown, abs string }
	var inputs []input
	for _, name := range fs.Args() {
		abs, err := filepath.Abs(name)
		if err != nil {
			fmt.Fprintln(stderr, "krakend-rules:", err)
			return 2
		}
		inputs = append(inputs, input{name, abs})
	}
	if *dir != "" {
		if err := os.Chdir(*dir); err != nil {
			fmt.Fprintln(stderr, "krakend-rules:", err)
			return 2
		}
	}

	status := 0
	for _, in := range inputs {
		content, err := os.ReadFile(in.abs)
		if err != nil {
			fmt.Fprintf(stderr, "krakend-rules: %s: %v\n", in.shown, errors.Unwrap(err))
			status = 2
			continue
		}
		report := lint.Options{WorkDir: *dir}.Content(in.shown, content)
		for _, f := range report.Findings {
			if f.File != in.shown && *dir != "" && !filepath.IsAbs(f.File) {
				f.File = filepath.Join(*dir, f.File) // a rules_file, as seen from here
			}
			fmt.Fprintln(stdout, f)
		}
		errs, warnings := report.Count(lint.Error), report.Count(lint.Warning)
		fmt.Fprintf(stdout, "%s: %d backend(s) with %s, %s, %s\n", in.shown, report.Backends, lint.PluginName, plural(errs, "error"), plural(warnings, "warning"))
		if status == 0 && (errs > 0 || *strict && warnings > 0) {
			status = 1
		}
	}
	return status
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
