package rules

import (
	"krakend-rules/config"
	"net/http"
	"strconv"
)

// statsAction answers with the statistics of every rule of the process.
type statsAction struct {
	prometheus bool
}

func compileStats(cfg *config.Stats) *statsAction {
	return &statsAction{prometheus: cfg.Format == "prometheus"}
}

func (a *statsAction) serve(w http.ResponseWriter, x *exchange) {
	rows := processStats.snapshot()
	body, contentType := statsJSON(rows), "application/json"
	if a.prometheus {
		body, contentType = statsPrometheus(rows), PrometheusContentType
	}
	h := w.Header()
	h["Content-Type"] = []string{contentType}
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	h["Cache-Control"] = []string{"no-store"}
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

func (a *statsAction) templateSets() []*templateSet { return nil }
