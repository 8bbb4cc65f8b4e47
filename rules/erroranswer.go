package rules

import (
	"net/http"
	"strconv"
)

// writeError answers with a small JSON error naming the rule, if any, and
// then fields, given as name, value, name, value…: each is left out when
// its value is empty.
func writeError(w http.ResponseWriter, status int, message, rule string, fields ...string) {
	b := make([]byte, 0, 96)
	b = append(b, `{"error":`...)
	b = appendJSONString(b, []byte(message))
	if rule != "" {
		b = append(b, `,"rule":`...)
		b = appendJSONString(b, []byte(rule))
	}
	for i := 0; i+1 < len(fields); i += 2 {
		if fields[i+1] == "" {
			continue
		}
		b = append(b, ',')
		b = appendJSONString(b, []byte(fields[i]))
		b = append(b, ':')
		b = appendJSONString(b, []byte(fields[i+1]))
	}
	b = append(b, '}')
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}
