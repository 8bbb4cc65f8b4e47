// Command gateway is a small KrakenD-compatible API gateway built on Lura,
// the framework inside KrakenD CE. It exists to run and test the
// krakend-rules plugin end to end: it reads a krakend.json, loads HTTP
// client plugins the way KrakenD CE does and serves the endpoints through
// Lura's gin router. It is a test and demo host, not a production gateway:
// none of KrakenD's other components (security, telemetry, rate limits, ...)
// are there.
//
// It is a module of its own, so that the same source builds against the
// Lura of each supported KrakenD CE release: go.mod requires Lura v2.14.1
// (KrakenD CE 2.13), and ../../compat/ce-<release>.mod, given with -modfile,
// the Lura of an older release (see the Makefile's compat target). The
// plugin's module (the repository root) does not require Lura at all.
//
// Usage:
//
//	gateway -c krakend.json [-d] [-p 8080] [-l DEBUG]
//
// The plugin and this binary must be built with the same Go release and the
// same flags, or the plugin refuses to load: build both with "make build".
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"strings"
	"syscall"

	"github.com/luraproject/lura/v2/config"
	"github.com/luraproject/lura/v2/logging"
	"github.com/luraproject/lura/v2/proxy"
	krakendgin "github.com/luraproject/lura/v2/router/gin"
	"github.com/luraproject/lura/v2/transport/http/client"
	"github.com/luraproject/lura/v2/transport/http/client/plugin"
	"github.com/luraproject/lura/v2/transport/http/server"
)

// clientPluginNamespace is the key KrakenD users write for HTTP client
// plugins; Lura knows the same object under plugin.Namespace.
const clientPluginNamespace = "plugin/http-client"

// loggingNamespaces are the extra_config keys whose "level" sets the log
// level when -l is not given: KrakenD's current one and its legacy one.
var loggingNamespaces = []string{"telemetry/logging", "github_com/devopsfaith/krakend-gologging"}

const defaultLogLevel = "INFO"

// options are the command line flags.
type options struct {
	configFile string
	debug      bool
	port       int
	logLevel   string
	cpuProfile string
}

func main() {
	opts, err := parseFlags(os.Args[1:], os.Stderr)
	if err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return
		}
		os.Exit(2)
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	if opts.cpuProfile != "" {
		f, err := os.Create(opts.cpuProfile)
		if err == nil {
			err = pprof.StartCPUProfile(f)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "gateway: -cpuprofile:", err)
			os.Exit(2)
		}
		defer f.Close()
		defer pprof.StopCPUProfile()
	}
	if err := run(ctx, opts, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(1)
	}
}

func parseFlags(args []string, stderr io.Writer) (options, error) {
	var opts options
	fs := flag.NewFlagSet("gateway", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&opts.configFile, "c", "./krakend.json", "path to the krakend.json configuration file")
	fs.BoolVar(&opts.debug, "d", false, "enable the /__debug/ and /__echo/ endpoints")
	fs.IntVar(&opts.port, "p", 0, "port of the service (overrides the configuration's \"port\")")
	fs.StringVar(&opts.cpuProfile, "cpuprofile", "", "write a CPU profile of the whole run to this file (for go tool pprof), completed at shutdown")
	fs.StringVar(&opts.logLevel, "l", "", "log level: DEBUG, INFO, WARNING, ERROR or CRITICAL (default: the configuration's telemetry/logging level, else "+defaultLogLevel+")")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "gateway: a KrakenD-compatible test and demo gateway on Lura", luraVersion())
		fmt.Fprintln(fs.Output(), "\nUsage: gateway -c krakend.json [-d] [-p port] [-l level]")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return opts, err
	}
	if fs.NArg() > 0 {
		err := fmt.Errorf("unexpected arguments: %s", strings.Join(fs.Args(), " "))
		fmt.Fprintln(stderr, err)
		fs.Usage()
		return opts, err
	}
	return opts, nil
}

// run serves the configuration until ctx is cancelled. It returns an error
// when the configuration cannot be used or the server stops on its own (for
// example because the port is taken).
func run(ctx context.Context, opts options, out io.Writer) error {
	cfg, err := loadConfig(opts)
	if err != nil {
		return err
	}

	level := opts.logLevel
	if level == "" {
		level = configLogLevel(cfg)
	}
	logger, err := logging.NewLogger(level, out, "[KRAKEND]")
	if err != nil {
		return fmt.Errorf("log level %q: %w", level, err)
	}

	logger.Info("Starting the gateway (Lura "+luraVersion()+", "+runtime.Version()+") with", opts.configFile)
	loadPlugins(cfg.Plugin, logger)

	backendFactory := newBackendFactory(ctx, logger)
	routerFactory := krakendgin.NewFactory(krakendgin.Config{
		Engine:         krakendgin.NewEngine(cfg, krakendgin.EngineOptions{Logger: logger, Writer: out}),
		Middlewares:    nil,
		HandlerFactory: krakendgin.EndpointHandler,
		ProxyFactory:   proxy.NewDefaultFactory(backendFactory, logger),
		Logger:         logger,
		RunServer:      server.RunServerWithLoggerFactory(logger),
	})

	// Run returns when ctx is cancelled (clean shutdown) or when the server
	// could not start or failed; only the first is a success.
	routerFactory.NewWithContext(ctx).Run(cfg)
	if ctx.Err() == nil {
		return errors.New("the server stopped unexpectedly (see the log above)")
	}
	logger.Info("Gateway stopped")
	return nil
}

// luraVersion is the version of Lura linked into this binary, as recorded
// by the go command ("v2.14.1").
func luraVersion() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, dep := range bi.Deps {
			if dep.Path == "github.com/luraproject/lura/v2" {
				if dep.Replace != nil {
					dep = dep.Replace
				}
				return dep.Version
			}
		}
	}
	return "(unknown version)"
}

// loadConfig parses the configuration with Lura's parser, maps KrakenD's
// plugin namespace to Lura's and applies the command line overrides.
func loadConfig(opts options) (config.ServiceConfig, error) {
	// Lura's parser does not apply the aliases itself: Normalize must be
	// called on the parsed configuration, or the plugin loads but is never
	// injected into any backend.
	config.ExtraConfigAlias[clientPluginNamespace] = plugin.Namespace
	cfg, err := config.NewParser().Parse(opts.configFile)
	if err != nil {
		return cfg, err
	}
	cfg.Normalize()

	if opts.debug {
		cfg.Debug = true
		cfg.Echo = true
	}
	if opts.port != 0 {
		cfg.Port = opts.port
	}
	return cfg, nil
}

// configLogLevel returns the level named in the configuration's logging
// extra_config, or the default.
func configLogLevel(cfg config.ServiceConfig) string {
	for _, ns := range loggingNamespaces {
		if m, ok := cfg.ExtraConfig[ns].(map[string]interface{}); ok {
			if level, ok := m["level"].(string); ok && level != "" {
				return level
			}
		}
	}
	return defaultLogLevel
}

// loadPlugins loads the HTTP client plugins found in the configured folder,
// as KrakenD CE does: a plugin that fails to load is logged, not fatal.
func loadPlugins(p *config.Plugin, logger logging.Logger) {
	if p == nil {
		logger.Info("[PLUGINS] No plugin folder configured: no plugins loaded")
		return
	}
	n, err := plugin.LoadWithLogger(p.Folder, p.Pattern, plugin.RegisterClient, logger)
	if err != nil {
		logger.Warning("[PLUGINS] Loading http client plugins:", err.Error())
	}
	logger.Info("[PLUGINS] Total http client plugins loaded:", n)
}

// newBackendFactory builds the backend pipe like KrakenD CE 2.13's backend
// factory: Lura's default HTTP executor, wrapped so that a backend naming a
// client plugin in its extra_config gets the plugin's handler instead. The
// plugin's factory is called with ctx, the gateway's own context, which
// ends at shutdown (SIGINT, SIGTERM): the plugin can then stop what it
// runs in the background. (KrakenD CE 2.10 to 2.12 pass
// context.Background(), which never ends.)
func newBackendFactory(ctx context.Context, logger logging.Logger) proxy.BackendFactory {
	requestExecutorFactory := plugin.HTTPRequestExecutorWithContext(ctx, logger,
		func(*config.Backend) client.HTTPRequestExecutor {
			return client.DefaultHTTPRequestExecutor(client.NewHTTPClient)
		})
	return func(backend *config.Backend) proxy.Proxy {
		logger.Debug(fmt.Sprintf("[BACKEND: %s %s -> %s %s] Building the backend pipe",
			backend.ParentEndpointMethod, backend.ParentEndpoint, backend.Method, backend.URLPattern))
		return proxy.NewHTTPProxyWithHTTPExecutor(backend, requestExecutorFactory(backend), backend.Decoder)
	}
}
