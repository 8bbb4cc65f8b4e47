package rules

import (
	"net/http"
	"strconv"
)

// writeError answers with a small JSON error naming the rule, if any.
func writeError(w http.ResponseWriter, status int, message, rule string) {
	b := make([]byte, 0, 64)
	b = append(b, `{"error":`...)
	b = appendJSONString(b, []byte(message))
	if rule != "" {
		b = append(b, `,"rule":`...)
		b = appendJSONString(b, []byte(rule))
	}
	b = append(b, '}')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}
