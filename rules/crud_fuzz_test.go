package rules

import (
	"context"
	"encoding/json"
	"fmt"
	"krakend-rules/state"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// FuzzCRUD: any method, item path, list query and body against a crud
// rule give one of the documented statuses and a JSON answer, never a
// panic, and the data set never goes past its limits.
func FuzzCRUD(f *testing.F) {
	f.Add("GET", "", "role=user&_sort=-age,name&_page=2&_limit=1", "")
	f.Add("POST", "", "", `{"name":"x","tags":["a"]}`)
	f.Add("POST", "", "", `{"id":1}`)
	f.Add("PATCH", "1", "", `{"a":{"b":{"c":null}},"id":"z"}`)
	f.Add("PUT", "2", "", `[]`)
	f.Add("DELETE", "1", "", "")
	f.Add("GET", "1", "", "")
	f.Add("GET", "", "a.b=1&_order=up", "")
	f.Add("GET", "", "%zz&*=1&#=2&@this=x", "")
	f.Fuzz(func(t *testing.T, method, id, query, body string) {
		watchdog := time.AfterFunc(5*time.Second, func() { panic(fmt.Sprintf("hung on %q %q %q %q", method, id, query, body)) })
		defer watchdog.Stop()
		reg := &state.Registry{}
		e, err := New(context.Background(), decodeJSON(t, `{"store": {"max_items": 4, "max_bytes": 400}, "rules": [
			{"name": "c", "crud": {"data_set": "d", "path": "/d", "seed": [{"id": 1, "role": "user", "age": 3}, {"id": "2", "age": 1}]}}]}`),
			Options{Registry: reg})
		if err != nil {
			t.Fatal(err)
		}
		switch method {
		case "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS":
		default:
			method = "GET"
		}
		path := "/d"
		if id != "" {
			path += "/" + url.PathEscape(id)
		}
		req, err := http.NewRequest(method, "http://backend"+path, strings.NewReader(body))
		if err != nil {
			return
		}
		req.URL.RawQuery = query
		if rest, _ := strings.CutPrefix(req.URL.Path, "/d/"); req.URL.Path != "/d" && (rest == "" || strings.Contains(rest, "/")) {
			return // not the rule's: delegated
		}
		for range 3 { // the same request three times: a write after a write
			res, answer := serve(e, req.Clone(context.Background()))
			if body != "" {
				req.Body = http.NoBody
			}
			switch res.StatusCode {
			case 200, 201, 400, 404, 405, 409, 507:
			case 204:
				if answer != "" {
					t.Fatalf("204 with %q", answer)
				}
				continue
			default:
				t.Fatalf("%s %s?%s %q: status %d %s", method, path, query, body, res.StatusCode, answer)
			}
			if !json.Valid([]byte(answer)) {
				t.Fatalf("%s %s?%s %q: not JSON: %s", method, path, query, body, answer)
			}
		}
		items, err := e.store.List(context.Background(), "d")
		if err != nil || len(items) > 4 {
			t.Fatalf("%d items, %v", len(items), err)
		}
		n := 0
		for _, it := range items {
			n += len(it.JSON)
			if !json.Valid(it.JSON) {
				t.Fatalf("stored %s", it.JSON)
			}
		}
		if n > 400 {
			t.Fatalf("%d bytes stored", n)
		}
	})
}
