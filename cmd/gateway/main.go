// Command gateway is a small KrakenD-compatible API gateway built on Lura
// v2.10.0, the framework inside KrakenD CE 2.10. It loads HTTP client
// plugins exactly as KrakenD CE does — the plugin/http-client namespace
// alias, Normalize, LoadWithLogger and HTTPRequestExecutorWithContext — so
// that the krakend-rules plugin can be run and tested end to end here.
//
// It is a demo and test host. In production, load the plugin's .so into
// your own KrakenD.
//
//	gateway -c krakend.json [-d] [-p port] [-l DEBUG]
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
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

func main() {
	flags := flag.NewFlagSet("gateway", flag.ExitOnError)
	configFile := flags.String("c", "./krakend.json", "path to the configuration file")
	debug := flags.Bool("d", false, "enable the /__debug/ and /__echo/ endpoints")
	port := flags.Int("p", 0, "port of the service (default: the configuration's, or 8080)")
	level := flags.String("l", "", "log level: DEBUG, INFO, WARNING, ERROR or CRITICAL (default: the configuration's telemetry/logging level, or INFO)")
	flags.Parse(os.Args[1:])

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, *configFile, *debug, *port, *level, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gateway:", err)
		os.Exit(1)
	}
}

// run serves the configuration until ctx ends.
func run(ctx context.Context, configFile string, debug bool, port int, level string, out io.Writer) error {
	// KrakenD's name for the client plugin namespace. Lura's parser does not
	// apply aliases by itself: Normalize does, after parsing.
	config.ExtraConfigAlias["plugin/http-client"] = plugin.Namespace

	cfg, err := config.NewParser().Parse(configFile)
	if err != nil {
		return fmt.Errorf("parsing %s: %w", configFile, err)
	}
	cfg.Normalize()
	if debug {
		cfg.Debug, cfg.Echo = true, true
	}
	if port != 0 {
		cfg.Port = port
	}
	if level == "" {
		level = configuredLevel(cfg)
	}
	logger, err := logging.NewLogger(level, out, "[KRAKEND]")
	if err != nil {
		return fmt.Errorf("log level %q: %w", level, err)
	}

	if cfg.Plugin != nil {
		n, err := plugin.LoadWithLogger(cfg.Plugin.Folder, cfg.Plugin.Pattern, plugin.RegisterClient, logger)
		if err != nil {
			logger.Warning("[SERVICE: Executor Plugin]", err.Error())
		}
		logger.Info("[SERVICE: Executor Plugin] Total plugins loaded:", n)
	}

	// As KrakenD CE's backend factory does: every backend's HTTP executor
	// goes through the client plugin loader, which injects a plugin where
	// the backend's plugin/http-client config names one.
	executorFactory := plugin.HTTPRequestExecutorWithContext(ctx, logger, func(*config.Backend) client.HTTPRequestExecutor {
		return client.DefaultHTTPRequestExecutor(client.NewHTTPClient)
	})
	backendFactory := func(b *config.Backend) proxy.Proxy {
		return proxy.NewHTTPProxyWithHTTPExecutor(b, executorFactory(b), b.Decoder)
	}

	routerFactory := krakendgin.NewFactory(krakendgin.Config{
		Engine:         krakendgin.NewEngine(cfg, krakendgin.EngineOptions{Logger: logger, Writer: out}),
		Middlewares:    nil,
		HandlerFactory: krakendgin.EndpointHandler,
		ProxyFactory:   proxy.NewDefaultFactory(backendFactory, logger),
		Logger:         logger,
		RunServer:      server.RunServerWithLoggerFactory(logger),
	})
	routerFactory.NewWithContext(ctx).Run(cfg) // returns when ctx ends
	return nil
}

// configuredLevel reads KrakenD's telemetry/logging level, default INFO.
func configuredLevel(cfg config.ServiceConfig) string {
	if opts, ok := cfg.ExtraConfig["telemetry/logging"].(map[string]interface{}); ok {
		if l, ok := opts["level"].(string); ok && l != "" {
			return strings.ToUpper(l)
		}
	}
	return "INFO"
}
