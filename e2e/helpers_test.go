package e2e

import (
	"encoding/json"
	"net/url"
	"strings"
	"testing"
)

// TestTemplateHelpersThroughTheGateway renders one answer with arithmetic,
// dates, strings, the client's host and port, a cookie, a nested query
// object and seeded fake data: the same id gives the same fake customer.
func TestTemplateHelpersThroughTheGateway(t *testing.T) {
	backend := newBackend(t, nil)
	rules := `{"rules":[{"name":"helpers","match":{"path":"~^/h/(?P<id>[0-9]+)$"},"response":{
		"seed":"customer-{{ .Params.id }}",
		"body_template":"{\"next\":{{ add .Params.id 1 }},\"avg\":{{ round (divf (mul .Params.id 3) 2) 0 }},\"due\":\"{{ toDate \"2006-01-02\" \"2026-01-31\" | addDate 0 1 0 | date \"2006-01-02\" }}\",\"name\":{{ .Query.Get \"q\" | trim | title | json }},\"slug\":{{ regexReplaceAll \"[^a-z]+\" (.Query.Get \"q\" | trim | lower) \"-\" | json }},\"host\":\"{{ hostname }}\",\"port\":\"{{ port }}\",\"session\":{{ cookie \"session\" | json }},\"filter\":{{ queryObject \"f\" | json }},\"customer\":{\"name\":{{ fakeName | json }},\"email\":{{ fakeEmail | json }},\"city\":{{ fakeCity | json }},\"id\":\"{{ uuid }}\"}}"}}]}`
	g := startGateway(t, config(
		endpoint("GET", "/h/{id}", backend.url, "/h/{id}", []string{"Cookie"}, []string{"q", "f[status]", "f[price][max]"}, rules),
	))
	path := "/h/41?q=" + url.QueryEscape("  ada lovelace ") + "&f[status]=open&f[price][max]=9&f[ignored]=x"
	a := g.get(path, "Cookie", "theme=dark; session=s3cr3t")
	if a.status != 200 {
		t.Fatalf("got %d %s", a.status, a.body)
	}
	var got struct {
		Next     int               `json:"next"`
		Avg      float64           `json:"avg"`
		Due      string            `json:"due"`
		Name     string            `json:"name"`
		Slug     string            `json:"slug"`
		Host     string            `json:"host"`
		Port     string            `json:"port"`
		Session  string            `json:"session"`
		Filter   map[string]any    `json:"filter"`
		Customer map[string]string `json:"customer"`
	}
	if err := json.Unmarshal([]byte(a.body), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, a.body)
	}
	gatewayHost, gatewayPort, _ := strings.Cut(strings.TrimPrefix(g.url, "http://"), ":")
	filter, _ := json.Marshal(got.Filter)
	checks := []struct{ what, got, want string }{
		{"add", jsonText(got.Next), "42"},
		{"divf and round", jsonText(got.Avg), "62"},
		{"toDate, addDate and date", got.Due, "2026-03-03"},
		{"trim and title", got.Name, "Ada Lovelace"},
		{"lower and regexReplaceAll", got.Slug, "ada-lovelace"},
		{"hostname", got.Host, gatewayHost},
		{"port", got.Port, gatewayPort},
		{"cookie", got.Session, "s3cr3t"},
		{"queryObject (f[ignored] is not forwarded)", string(filter), `{"price":{"max":"9"},"status":"open"}`},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s: got %q, want %q", c.what, c.got, c.want)
		}
	}
	if got.Customer["name"] == "" || !strings.Contains(got.Customer["email"], "@") || got.Customer["city"] == "" || len(got.Customer["id"]) != 36 {
		t.Errorf("fake customer: %v", got.Customer)
	}
	expect(t, "the same id, the same answer", g.get(path, "Cookie", "theme=dark; session=s3cr3t"), 200, a.body)
	other := g.get(strings.Replace(path, "/h/41", "/h/7", 1), "Cookie", "theme=dark; session=s3cr3t")
	if other.status != 200 || strings.Contains(other.body, got.Customer["id"]) {
		t.Errorf("another id gives the same customer: %d %s", other.status, other.body)
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
