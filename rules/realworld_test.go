package rules

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"krakend-rules/state"
)

// The real-world parity check: stubs written for WireMock and Mockoon by
// others (see testdata/realworld/README.md for each one's source, license
// and classification), translated into rules files, and the requests each
// original stub answers — and one it must not — sent through the engine.
// A request no rule matches is delegated to a backend that answers 404
// "no stub", as WireMock and Mockoon answer a request no stub matches.
// Where the translation answers otherwise than the original tool, the step
// says what the original answers (original), and the step checks what the
// engine answers, so that a change either way is seen.

// rwStep is one request and what must come back.
type rwStep struct {
	name         string
	method, path string
	body         string
	header       map[string]string
	status       int
	headers      map[string]string // "" means absent; several values joined by "|"
	want         string            // the exact body, unless wantRe or wantJSON is set
	wantRe       string
	wantJSON     string // compared as JSON values
	minDelay     time.Duration
	maxDelay     time.Duration
	callback     string // "METHOD /path body" a callback must send (within 5s)
	original     string // what the original tool answers where it differs
}

type rwStub struct {
	id    string // the rules file, testdata/realworld/ID.json
	steps []rwStep
}

const noStub = "no stub"

func miss(name, method, path string) rwStep {
	return rwStep{name: name, method: method, path: path, status: 404, want: noStub}
}

var realworldStubs = []rwStub{
	{"w01-sample-headers", []rwStep{
		{name: "headers match", method: "GET", path: "/my/other/resource", header: map[string]string{"Content-Type": "text/xml", "Accept": "text/xml", "Etag": "abc"},
			status: 200, headers: map[string]string{"Content-Type": "text/plain", "Cache-Control": "no-cache"}, want: "YES INDEED!"},
		{name: "an Etag that doesNotMatch forbids", method: "GET", path: "/my/other/resource", header: map[string]string{"Content-Type": "text/xml", "Accept": "text/xml", "Etag": "s0912lksjd42"}, status: 404, want: noStub},
		{name: "an Accept without xml", method: "GET", path: "/my/other/resource", header: map[string]string{"Content-Type": "text/xml", "Accept": "application/json"}, status: 404, want: noStub},
	}},
	{"w02-slow-response", []rwStep{
		{name: "the file after 500ms", method: "GET", path: "/slow-response", status: 200, headers: map[string]string{"Content-Type": ""}, want: "THINGS!", minDelay: 500 * time.Millisecond},
		miss("another method", "POST", "/slow-response"),
	}},
	{"w03-json-body", []rwStep{
		{name: "the JSON body", method: "GET", path: "/testjsonmapping", status: 200, headers: map[string]string{"Content-Type": "application/json"},
			wantJSON: `{"bignumber":1234567890.12,"integer_as_float":2.0,"array":[1,2,3],"integer":2,"key":"value"}`},
		miss("a longer path", "GET", "/testjsonmapping/1"),
	}},
	{"w04-proxy-base-url", []rwStep{
		{name: "proxied under the base URL", method: "GET", path: "/proxy/a?b=1", status: 200, want: "upstream GET /something/proxy/a?b=1 UA=Go-http-client/1.1"},
		{name: "any method", method: "DELETE", path: "/proxy/x", status: 200, want: "upstream DELETE /something/proxy/x UA=Go-http-client/1.1"},
		miss("not under /proxy/", "GET", "/proxyx"),
	}},
	{"w05-body-file", []rwStep{
		{name: "the file", method: "GET", path: "/api/mytest", status: 200, headers: map[string]string{"Content-Type": "application/json", "Cache-Control": "max-age=86400"},
			want: "{\r\n    \"working\": \"YES\" \r\n}"},
		miss("another path", "GET", "/api/other"),
	}},
	{"w06-basic-stub", []rwStep{
		{name: "text", method: "GET", path: "/some/thing", status: 200, headers: map[string]string{"Content-Type": "text/plain"}, want: "Hello, world!"},
		miss("another method", "POST", "/some/thing"),
	}},
	{"w07-status-message", []rwStep{
		{name: "the status, not the phrase", method: "GET", path: "/some/thing", status: 200, want: "", original: "HTTP/1.1 200 Everything was just fine!"},
	}},
	{"w08-set-cookie-list", []rwStep{
		{name: "two Set-Cookie lines", method: "GET", path: "/whatever", status: 200,
			headers: map[string]string{"Set-Cookie": "session_id=91837492837|split_test_group=B", "Cache-Control": "no-cache", "Content-Type": "text/plain"}, want: ""},
	}},
	{"w09-base64-body", []rwStep{
		{name: "the decoded bytes", method: "GET", path: "/binary-body", status: 200, headers: map[string]string{"Content-Type": ""}, want: "YES INDEED!"},
	}},
	{"w10-priority-catch-all", []rwStep{
		{name: "the specific stub first", method: "GET", path: "/api/specific-resource", status: 200, want: ""},
		{name: "the catch-all for the rest", method: "GET", path: "/anything/else", status: 404, headers: map[string]string{"Content-Type": "application/json"},
			wantJSON: `{"status":"Error","message":"Endpoint not found"}`},
		{name: "the catch-all for another method", method: "POST", path: "/api/specific-resource", status: 404, wantJSON: `{"status":"Error","message":"Endpoint not found"}`},
	}},
	{"w11-multipart", []rwStep{
		{name: "an info part with a charset and an empty object", method: "POST", path: "/multipart",
			header: map[string]string{"Content-Type": "multipart/form-data; boundary=XyZ"},
			body:   "--XyZ\r\nContent-Disposition: form-data; name=\"info\"\r\nContent-Type: application/json; charset=utf-8\r\n\r\n{ }\r\n--XyZ--\r\n", status: 200, want: ""},
		{name: "no charset", method: "POST", path: "/multipart",
			header: map[string]string{"Content-Type": "multipart/form-data; boundary=XyZ"},
			body:   "--XyZ\r\nContent-Disposition: form-data; name=\"info\"\r\nContent-Type: application/json\r\n\r\n{}\r\n--XyZ--\r\n", status: 404, want: noStub},
	}},
	{"w12-everything-xml", []rwStep{
		{name: "every condition", method: "PUT", path: "/everything?search_term=WireMock",
			header: map[string]string{"Accept": "application/xml", "Cookie": "session=ab12345cd", "X-Forwarded-For": "127.0.0.1",
				"Authorization": "Basic amVmZkBleGFtcGxlLmNvbTpqZWZmdGVlbmplZmZ0eWplZmY="},
			body: "<?xml version=\"1.0\"?>\n<search-results>\n</search-results>", status: 200, want: ""},
		{name: "another client IP", method: "PUT", path: "/everything?search_term=WireMock",
			header: map[string]string{"Accept": "application/xml", "Cookie": "session=ab12345cd", "X-Forwarded-For": "10.0.0.1",
				"Authorization": "Basic amVmZkBleGFtcGxlLmNvbTpqZWZmdGVlbmplZmZ0eWplZmY="},
			body: "<search-results/>", status: 404, want: noStub},
	}},
	{"w13-form-parameters", []rwStep{
		{name: "the field", method: "POST", path: "/mock", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, body: "tool=WireMock&x=1", status: 200, want: ""},
		{name: "another value", method: "POST", path: "/mock", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, body: "tool=Mockoon", status: 404, want: noStub},
	}},
	{"w14-path-template", []rwStep{
		{name: "the parameters", method: "GET", path: "/v1/contacts/12345/addresses/99876", status: 200, want: ""},
		miss("another address", "GET", "/v1/contacts/12345/addresses/1"),
	}},
	{"w15-json-schema", []rwStep{
		{name: "valid", method: "POST", path: "/schema-match", body: `{"name":"x","tag":"y"}`, status: 200, want: ""},
		{name: "no name", method: "POST", path: "/schema-match", body: `{"tag":"y"}`, status: 404, want: noStub},
		{name: "a name of the wrong type", method: "POST", path: "/schema-match", body: `{"name":5}`, status: 200, want: "", original: "404: the schema wants a string"},
	}},
	{"w16-basic-auth", []rwStep{
		{name: "the credentials", method: "GET", path: "/basic-auth", header: map[string]string{"Authorization": "Basic dXNlcjpwYXNz"}, status: 200, want: ""},
		{name: "other credentials", method: "GET", path: "/basic-auth", header: map[string]string{"Authorization": "Basic dXNlcjp4"}, status: 404, want: noStub},
	}},
	{"w17-header-after-date", []rwStep{
		{name: "after", method: "POST", path: "/dates", header: map[string]string{"X-Munged-Date": "2021-06-01T10:00:00Z"}, status: 200, want: ""},
		{name: "before", method: "POST", path: "/dates", header: map[string]string{"X-Munged-Date": "2021-04-01T00:00:00Z"}, status: 404, want: noStub},
		{name: "an RFC 1123 date", method: "POST", path: "/dates", header: map[string]string{"X-Munged-Date": "Tue, 01 Jun 2021 10:00:00 GMT"}, status: 200, want: ""},
		{name: "an RFC 1123 date before", method: "POST", path: "/dates", header: map[string]string{"X-Munged-Date": "Thu, 01 Apr 2021 00:00:00 GMT"}, status: 404, want: noStub},
		{name: "a date alone", method: "POST", path: "/dates", header: map[string]string{"X-Munged-Date": "2021-06-01"}, status: 200, want: ""},
	}},
	{"w18-query-has-exactly", []rwStep{
		{name: "exactly 1, 2, 3", method: "GET", path: "/things?id=1&id=2&id=3", status: 200, want: ""},
		{name: "in any order", method: "GET", path: "/things?id=3&id=1&id=2", status: 200, want: ""},
		{name: "one missing", method: "GET", path: "/things?id=1&id=2", status: 404, want: noStub},
		{name: "one more", method: "GET", path: "/things?id=1&id=2&id=3&id=4", status: 404, want: noStub},
		{name: "a repeated value", method: "GET", path: "/things?id=1&id=2&id=3&id=3", status: 200, want: "", original: "404: hasExactly counts the values"},
	}},
	{"w19-greater-than-number", []rwStep{
		{name: "greater", method: "GET", path: "/things?id=2", status: 200, want: ""},
		{name: "equal", method: "GET", path: "/things?id=1", status: 404, want: noStub},
		{name: "not a number", method: "GET", path: "/things?id=abc", status: 404, want: noStub},
	}},
	{"w20-equal-to-json-lenient", []rwStep{
		{name: "extra elements ignored", method: "POST", path: "/json-lenient", body: `{"total_results": 4, "other": [1]}`, status: 200, want: ""},
		{name: "another value", method: "POST", path: "/json-lenient", body: `{"total_results": 5}`, status: 404, want: noStub},
	}},
	{"w21-equal-to-json-strict", []rwStep{
		{name: "equal", method: "POST", path: "/json-strict", body: `{ "total_results" : 4 }`, status: 200, want: ""},
		{name: "another value", method: "POST", path: "/json-strict", body: `{"total_results": 5}`, status: 404, want: noStub},
		{name: "an extra element", method: "POST", path: "/json-strict", body: `{"total_results": 4, "extra": true}`, status: 404, want: noStub},
	}},
	{"w22-json-path-filter", []rwStep{
		{name: "one of the things", method: "POST", path: "/jsonpath-filter", body: `{"things":[{"name":"A"},{"name":"RequiredThing"}]}`, status: 200, want: ""},
		{name: "none", method: "POST", path: "/jsonpath-filter", body: `{"things":[{"name":"A"}]}`, status: 404, want: noStub},
	}},
	{"w23-json-path-regex", []rwStep{
		{name: "ignoring case", method: "POST", path: "/jsonpath-regex", body: `{"things":[{"name":"requiredStuff"}]}`, status: 200, want: ""},
		{name: "not at the start", method: "POST", path: "/jsonpath-regex", body: `{"things":[{"name":"NotRequired"}]}`, status: 404, want: noStub},
	}},
	{"w24-json-path-size", []rwStep{
		{name: "two", method: "POST", path: "/jsonpath-size", body: `{"things":[1,2]}`, status: 200, want: ""},
		{name: "one", method: "POST", path: "/jsonpath-size", body: `{"things":[1]}`, status: 404, want: noStub},
	}},
	{"w25-json-path-deep-scan", []rwStep{
		{name: "at any depth", method: "POST", path: "/jsonpath-deep", body: `{"list":{"items":[{"todoItem":"buy milk"},{"todoItem":"wash the car"}]}}`, status: 200, want: ""},
		{name: "at the top", method: "POST", path: "/jsonpath-deep", body: `{"todoItem":"wash"}`, status: 200, want: ""},
		{name: "nowhere", method: "POST", path: "/jsonpath-deep", body: `{"list":{"todoItem":"dry"}}`, status: 404, want: noStub},
	}},
	{"w26-json-path-equal-to-json", []rwStep{
		{name: "equal", method: "POST", path: "/jsonpath-json", body: `{"outer":{"inner":42.0},"other":1}`, status: 200, want: ""},
		{name: "another value", method: "POST", path: "/jsonpath-json", body: `{"outer":{"inner":43}}`, status: 404, want: noStub},
		{name: "an extra element inside", method: "POST", path: "/jsonpath-json", body: `{"outer":{"inner":42,"x":1}}`, status: 404, want: noStub},
		{name: "not an object inside", method: "POST", path: "/jsonpath-json", body: `{"outer":[42]}`, status: 404, want: noStub},
	}},
	{"w27-and-or", []rwStep{
		{name: "and: both", method: "GET", path: "/and", header: map[string]string{"X-Some-Value": "abcmagicvaluexyz"}, status: 200, want: ""},
		{name: "and: only one", method: "GET", path: "/and", header: map[string]string{"X-Some-Value": "abc"}, status: 404, want: noStub},
		{name: "or: matches", method: "GET", path: "/or?search=abc", status: 200, want: ""},
		{name: "or: absent", method: "GET", path: "/or", status: 200, want: ""},
		{name: "or: neither", method: "GET", path: "/or?search=ABC", status: 404, want: noStub},
	}},
	{"w28-date-range", []rwStep{
		{name: "inside", method: "POST", path: "/date-range", body: `{"date":"2021-05-05T00:00:00Z"}`, status: 200, want: ""},
		{name: "after", method: "POST", path: "/date-range", body: `{"date":"2023-05-05T00:00:00Z"}`, status: 404, want: noStub},
		{name: "the lower bound is excluded", method: "POST", path: "/date-range", body: `{"date":"2020-01-01T00:00:00Z"}`, status: 404, want: noStub},
		{name: "a local date-time", method: "POST", path: "/date-range", body: `{"date":"2021-05-05T00:00:00"}`, status: 200, want: ""},
		{name: "a local date-time after", method: "POST", path: "/date-range", body: `{"date":"2022-05-05T00:00:00"}`, status: 404, want: noStub},
	}},
	{"w29-template-path", []rwStep{
		{name: "the first segment", method: "GET", path: "/templated", status: 200, headers: map[string]string{"Content-Type": ""}, want: "templated"},
	}},
	{"w30-templated-body-file", []rwStep{
		{name: "the file named by the path", method: "GET", path: "/static/hello.txt", status: 200, want: "hello from a static file\n"},
		miss("another method", "POST", "/static/hello.txt"),
	}},
	{"w31-templated-proxy-url", []rwStep{
		{name: "proxied where the header says", method: "GET", path: "/templated", header: map[string]string{"X-WM-Proxy-Url": "{{UPSTREAM}}"}, status: 200, want: "upstream GET /templated UA=Go-http-client/1.1"},
	}},
	{"w32-todo-scenario", []rwStep{
		{name: "one item", method: "GET", path: "/todo/items", status: 200, want: "<items><item>Buy milk</item></items>"},
		{name: "a POST without the item", method: "POST", path: "/todo/items", body: "Cancel the gym", status: 404, want: noStub},
		{name: "the item added", method: "POST", path: "/todo/items", body: `{"item":"Cancel newspaper subscription"}`, status: 201, want: ""},
		{name: "two items", method: "GET", path: "/todo/items", status: 200, want: "<items><item>Buy milk</item><item>Cancel newspaper subscription</item></items>"},
		{name: "no second add", method: "POST", path: "/todo/items", body: "Cancel newspaper subscription", status: 404, want: noStub},
	}},
	{"w33-fixed-delay", []rwStep{
		{name: "after 2s", method: "GET", path: "/delayed", status: 200, want: "", minDelay: 2 * time.Second},
	}},
	{"w34-lognormal-delay", []rwStep{
		{name: "within the cut", method: "GET", path: "/random/delayed", status: 200, want: "", maxDelay: 1500 * time.Millisecond},
	}},
	{"w35-chunked-dribble", []rwStep{
		{name: "whole, after the duration", method: "GET", path: "/chunked/delayed", status: 200, want: "Hello world!", minDelay: time.Second, original: "5 chunks over 1s"},
	}},
	{"w36-malformed-chunk", []rwStep{
		{name: "a 502 instead", method: "GET", path: "/fault", status: 502, want: "", original: "200 with a malformed chunk: the client fails to read it"},
	}},
	{"w37-proxy-prefix-remove", []rwStep{
		{name: "the prefix removed", method: "GET", path: "/other/service/doc/123", status: 200, want: "upstream GET /approot/doc/123 UA=Go-http-client/1.1"},
		miss("another document", "GET", "/other/service/doc/124"),
	}},
	{"w38-proxy-request-headers", []rwStep{
		{name: "a header added", method: "GET", path: "/add/x", header: map[string]string{"User-Agent": "curl/8"}, status: 200, want: "upstream GET /add/x UA=Mozilla/5.0 (iPhone; U; CPU iPhone)"},
		{name: "a header removed", method: "GET", path: "/remove/x", header: map[string]string{"User-Agent": "curl/8"}, status: 200, want: "upstream GET /remove/x UA="},
	}},
	{"w39-webhook-templated", []rwStep{
		{name: "answered, then the webhook", method: "POST", path: "/templating", body: `{"transactionId":"tx-1"}`, status: 200, want: "",
			callback: `POST /callback application/json { "message": "success", "transactionId": "tx-1" }`},
		miss("another method", "GET", "/templating"),
	}},
	{"w40-webhook-delay", []rwStep{
		{name: "the webhook after 500ms to 1s", method: "POST", path: "/delayed", status: 200, want: "", callback: "GET /callback  ", minDelay: 500 * time.Millisecond},
	}},
	{"w41-webhook-from-body", []rwStep{
		{name: "method and URL from the body", method: "POST", path: "/something-async", body: `{"callbackMethod":"PUT","callbackUrl":"{{CALLBACKS}}/hook"}`, status: 200, want: "",
			callback: "PUT /hook  ", original: "any host; here only those of callback_hosts"},
	}},
	{"u01-random-uuid", []rwStep{
		{name: "a quoted UUID", method: "POST", path: "/tessa/web/Integration/CreateCardWithReturnStatus", status: 200, headers: map[string]string{"Content-Type": "application/json"},
			wantRe: `^"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"$`},
	}},
	{"u02-hello", []rwStep{
		{name: "the text", method: "GET", path: "/api/data", status: 200, headers: map[string]string{"Content-Type": "application/json"}, want: `{"message":"Hello from WireMock on Render!"}`},
		miss("another method", "POST", "/api/data"),
	}},
	{"u03-user-files", []rwStep{
		{name: "list, Content-Type in any case", method: "GET", path: "/user/v1/", header: map[string]string{"Content-Type": "Application/JSON"}, status: 200, want: "{\"users\": [{\"id\": 1, \"name\": \"Ada\"}]}\n"},
		{name: "create", method: "POST", path: "/user/v1/", header: map[string]string{"Content-Type": "application/json"}, status: 201, want: "{\"id\": 2, \"created\": true}\n"},
		{name: "health", method: "GET", path: "/user/v1/health", status: 200, want: "{\"status\": \"UP\"}\n"},
		miss("list without the Content-Type", "GET", "/user/v1/"),
	}},
	{"u04-acmepay", []rwStep{
		{name: "no token", method: "POST", path: "/v1/charges", body: `{"amount":100}`, status: 401, headers: map[string]string{"Content-Type": ""},
			wantJSON: `{"error":{"type":"authentication_error","message":"No API key provided."}}`},
		{name: "a charge", method: "POST", path: "/v1/charges", header: map[string]string{"Authorization": "Bearer sk"}, body: `{"amount":100,"currency":"EUR","customerId":"cus_1"}`, status: 201,
			wantRe: `^\{\n  "id": "ch_[A-Za-z0-9]{16}",\n  "status": "succeeded",\n  "amount": 100,\n  "currency": "EUR",\n  "customerId": "cus_1",\n  "createdAt": "20[0-9-]{8}T[0-9:]{8}Z"\n\}$`},
		{name: "server-error", method: "POST", path: "/v1/charges", header: map[string]string{"Authorization": "Bearer sk", "X-Mock-Scenario": "server-error"}, status: 500,
			wantJSON: `{"error":{"type":"api_error","message":"Something went wrong on AcmePay's side."}}`},
		{name: "rate-limit 1", method: "POST", path: "/v1/charges", header: map[string]string{"Authorization": "Bearer sk", "X-Mock-Scenario": "rate-limit"}, body: `{"amount":1}`, status: 201, wantRe: `"amount": 1,`},
		{name: "rate-limit 2", method: "POST", path: "/v1/charges", header: map[string]string{"Authorization": "Bearer sk", "X-Mock-Scenario": "rate-limit"}, body: `{"amount":2}`, status: 201, wantRe: `"amount": 2,`},
		{name: "rate-limit 3", method: "POST", path: "/v1/charges", header: map[string]string{"Authorization": "Bearer sk", "X-Mock-Scenario": "rate-limit"}, body: `{"amount":3}`, status: 201, wantRe: `"amount": 3,`},
		{name: "rate-limit 4: throttled", method: "POST", path: "/v1/charges", header: map[string]string{"Authorization": "Bearer sk", "X-Mock-Scenario": "rate-limit"}, status: 429,
			headers: map[string]string{"Retry-After": "30"}, wantJSON: `{"error":{"type":"rate_limit_error","message":"Too many requests. Slow down."}}`},
		{name: "rate-limit 5: still throttled", method: "POST", path: "/v1/charges", header: map[string]string{"Authorization": "Bearer sk", "X-Mock-Scenario": "rate-limit"}, status: 429,
			wantJSON: `{"error":{"type":"rate_limit_error","message":"Too many requests. Slow down."}}`},
		{name: "outside /v1", method: "GET", path: "/v2/charges", status: 404, want: noStub},
	}},
	{"m01-response-rules", []rwStep{
		{name: "query object property", method: "GET", path: "/rules/9?obj[prop1]=x&obj[prop2]=value1", status: 200, headers: map[string]string{"Content-Type": "text/plain"}, want: "1"},
		{name: "route parameter", method: "GET", path: "/rules/12", status: 200, want: "3"},
		{name: "header equals", method: "GET", path: "/rules/2", header: map[string]string{"Accept-Charset": "UTF-8"}, status: 200, want: "4"},
		{name: "header regex", method: "GET", path: "/rules/2", header: map[string]string{"Accept-Charset": "UTF-16"}, status: 200, want: "5"},
		{name: "body property", method: "GET", path: "/rules/2", body: `{"name":"john"}`, status: 200, want: "6"},
		{name: "body array path", method: "GET", path: "/rules/2", body: `{"user":[{"name":"John"}]}`, status: 200, want: "7"},
		{name: "body array contains", method: "GET", path: "/rules/2", body: `{"users":["Bob","Paul"]}`, status: 200, want: "8"},
		{name: "body regex", method: "GET", path: "/rules/2", body: `{"user":"Richard"}`, status: 200, want: "9"},
		{name: "body array regex", method: "GET", path: "/rules/2", body: `{"users":["Bob","Ricardo"]}`, status: 200, want: "10"},
		{name: "body string", method: "GET", path: "/rules/2", body: `{"test":"test"}`, status: 200, want: "11"},
		{name: "body number as text", method: "GET", path: "/rules/2", body: `{"test":1}`, status: 200, want: "12"},
		{name: "body boolean as text", method: "GET", path: "/rules/2", body: `{"test":true}`, status: 200, want: "13"},
		{name: "whole body equals", method: "GET", path: "/rules/2", body: `testfullbody`, status: 200, want: "14"},
		{name: "whole body regex", method: "GET", path: "/rules/2", body: `somebody2`, status: 200, want: "15"},
		{name: "form fields, AND", method: "GET", path: "/rules/2", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, body: `var1=val1&object[property]=objv1`, status: 200, want: "formdata"},
		{name: "form fields, one missing", method: "GET", path: "/rules/2", header: map[string]string{"Content-Type": "application/x-www-form-urlencoded"}, body: `var1=val1`, status: 404, want: "0"},
		{name: "escaped dots", method: "GET", path: "/rules/2", body: `[{"deep":{"property.with.dots":"val1","deeper":{"another.property.with.dots":[{"final.property.with.dots":"val2"}]}}}]`, status: 200, want: "propertywithdots"},
		{name: "no rule: the default response", method: "GET", path: "/rules/2", status: 404, want: "0"},
		miss("another route", "GET", "/users/1"),
	}},
	{"m02-request-number", []rwStep{
		{name: "1", method: "GET", path: "/requestnumber", status: 200, want: "res1"},
		{name: "2", method: "GET", path: "/requestnumber", status: 200, want: "res2"},
		{name: "3", method: "GET", path: "/requestnumber", status: 200, want: "res3"},
		{name: "4: the default response", method: "GET", path: "/requestnumber", status: 200, want: "res1"},
		{name: "5: the default response", method: "GET", path: "/requestnumber", status: 200, want: "res1"},
	}},
	{"m03-templating", []rwStep{
		{name: "body property", method: "POST", path: "/bodyjson-rootlvl", body: `{"property1":"v"}`, status: 200, want: "v"},
		{name: "body property default", method: "POST", path: "/bodyjson-rootlvl", body: `{}`, status: 200, want: "defaultvalue"},
		{name: "body path", method: "POST", path: "/bodyjson-path", body: `{"root":{"array":[{},{},{"property1":"x"}]}}`, status: 200, want: `{ "response": "x" }`},
		{name: "route parameter", method: "GET", path: "/urlparam/abc", status: 200, want: "abc"},
		{name: "query default", method: "GET", path: "/queryparam-rootlvl", status: 200, want: "defaultqueryparam"},
		{name: "query", method: "GET", path: "/queryparam-rootlvl?param1=p", status: 200, want: "p"},
		{name: "query object property", method: "GET", path: "/queryparam-rootlvl-objectproperty?paramobj[prop1]=a&paramobj[prop2]=b", status: 200, want: "b"},
		{name: "header", method: "GET", path: "/header", header: map[string]string{"header1": "h"}, status: 200, want: "h"},
		{name: "header default", method: "GET", path: "/header", status: 200, want: "defaultheader"},
		{name: "cookie", method: "GET", path: "/cookie", header: map[string]string{"Cookie": "cookie1=c"}, status: 200, want: "c"},
		{name: "cookie default", method: "GET", path: "/cookie", status: 200, want: "defaultcookie"},
		{name: "method", method: "GET", path: "/method", status: 200, want: "GET"},
		{name: "now", method: "GET", path: "/now", status: 200, wantRe: `^20[0-9]{2}-[01][0-9]-[0-3][0-9]$`},
		{name: "switch case", method: "GET", path: "/old.switch.urlParam/1", status: 200, want: "casecontent1"},
		{name: "switch default", method: "GET", path: "/old.switch.urlParam/2", status: 200, want: "defaultcontent"},
		{name: "oneOf", method: "GET", path: "/oneof", status: 200, want: "testitem1"},
		// An ObjectId starts with the seconds since 1970: 6… or 7… from 2021 to 2038.
		{name: "objectId: 24 hex digits, time-ordered", method: "GET", path: "/objectid", status: 200, wantRe: `^[67][0-9a-f]{23}$`},
		{name: "setGlobalVar", method: "GET", path: "/setglobalvar", status: 200, want: ""},
		{name: "getGlobalVar", method: "GET", path: "/getglobalvar", status: 200, want: "value1"},
	}},
	{"m04-databucket-faker", []rwStep{
		{name: "generated", method: "GET", path: "/databucket", status: 200, wantRe: `^\{"response":"[A-Z][a-z]+"\}$`},
		{name: "the same again", method: "GET", path: "/databucket", status: 200, want: "{{PREVIOUS}}"},
	}},
	{"m05-proxy-mode", []rwStep{
		{name: "the mocked route", method: "GET", path: "/answer", status: 200, headers: map[string]string{"Set-Cookie": "cookie1=test; expires:Wed, 01-Jan-2020 12:12:12 GMT; path=/;"}, want: "42"},
		{name: "proxied", method: "GET", path: "/other?x=1", status: 200, want: "upstream GET /other?x=1 UA=Go-http-client/1.1"},
	}},
	{"m06-file-mime", []rwStep{
		{name: "the type of the extension", method: "GET", path: "/file-noheader", status: 200, headers: map[string]string{"Content-Type": "application/pdf"}, want: "%PDF-1.4\n%%EOF\n"},
	}},
	{"m07-crud", []rwStep{
		{name: "empty", method: "GET", path: "/resources", status: 200, wantJSON: `[]`},
		{name: "create", method: "POST", path: "/resources", body: `{"name":"a"}`, status: 201, wantJSON: `{"id":1,"name":"a"}`, original: `201 {"name":"a","id":"<a UUID>"}: an empty bucket gets UUIDs`},
		{name: "read", method: "GET", path: "/resources/1", status: 200, wantJSON: `{"id":1,"name":"a"}`},
		{name: "delete", method: "DELETE", path: "/resources/1", status: 204, want: "", original: "200 {}"},
		{name: "gone", method: "GET", path: "/resources/1", status: 404, wantRe: `no item with this id`, original: "404 {}"},
	}},
	{"m08-webhook-orders", []rwStep{
		{name: "no order yet", method: "GET", path: "/orders", status: 200, wantJSON: `[]`},
		{name: "create", method: "POST", path: "/orders", status: 200, want: "{\r\n  \"orderId\": \"123456\",\r\n  \"status\": \"pending\"\r\n}"},
		{name: "pending", method: "GET", path: "/orders", status: 200, wantJSON: `[{"orderId":"123456","status":"pending"}]`},
		{name: "the webhook", method: "POST", path: "/webhook", status: 200, want: ""},
		{name: "paid", method: "GET", path: "/orders", status: 200, wantJSON: `[{"orderId":"123456","status":"paid"}]`},
	}},
	{"m09-login-state", []rwStep{
		{name: "me before login", method: "GET", path: "/auth/me", status: 401, wantJSON: `{"error":"Unauthorized"}`},
		{name: "bad password", method: "POST", path: "/auth/login", body: `{"password":"x"}`, status: 401, want: `{ "message": "Invalid credentials" }`},
		{name: "login", method: "POST", path: "/auth/login", body: `{"password":"pa55word"}`, status: 200, wantRe: `^\{ "message": "Login successful", "token": "[0-9a-f-]{36}" \}$`},
		{name: "me with another token", method: "GET", path: "/auth/me", header: map[string]string{"Authorization": "Bearer not-the-token"}, status: 200, wantRe: `demo@acme.com`, original: "401: the token must equal the stored one"},
	}},
	{"m10-rate-limit", []rwStep{
		{name: "first", method: "GET", path: "/rate-limited-rules", status: 200, wantJSON: `{"success":true,"message":"Request processed successfully"}`},
		{name: "second", method: "GET", path: "/rate-limited-rules", status: 429, wantRe: `Rate limit exceeded`, original: "429 only when the last call was less than 500ms ago"},
	}},
}

// TestRealWorldStubs runs every translated stub through the engine.
func TestRealWorldStubs(t *testing.T) {
	notFound := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(404)
		io.WriteString(w, noStub)
	}))
	defer notFound.Close()
	upstream := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain")
		io.WriteString(w, "upstream "+r.Method+" "+r.URL.RequestURI()+" UA="+r.Header.Get("User-Agent"))
	}))
	defer upstream.Close()
	calls := make(chan string, 16)
	callbacks := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		calls <- r.Method + " " + r.URL.Path + " " + r.Header.Get("Content-Type") + " " + string(body)
	}))
	defer callbacks.Close()
	placeholders := strings.NewReplacer("http://upstream.test", upstream.URL, "http://callbacks.test", callbacks.URL,
		"{{UPSTREAM}}", upstream.URL, "{{CALLBACKS}}", callbacks.URL)

	seen := map[string]bool{}
	for _, stub := range realworldStubs {
		seen[stub.id+".json"] = true
		t.Run(stub.id, func(t *testing.T) {
			text, err := os.ReadFile(filepath.Join("testdata", "realworld", stub.id+".json"))
			if err != nil {
				t.Fatal(err)
			}
			file := filepath.Join(t.TempDir(), stub.id+".json")
			if err := os.WriteFile(file, []byte(placeholders.Replace(string(text))), 0o600); err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			cfg, _ := json.Marshal(map[string]any{"rules_file": file, "callback_hosts": []string{strings.TrimPrefix(callbacks.URL, "http://")}})
			e, err := New(ctx, decodeJSON(t, string(cfg)), Options{Registry: &state.Registry{DryRun: true}})
			if err != nil {
				t.Fatalf("the translation is rejected: %v", err)
			}
			previous := ""
			for _, s := range stub.steps {
				req := backendRequest(t, s.method, notFound.URL+s.path, placeholders.Replace(s.body), nil)
				for k, v := range s.header {
					req.Header.Set(k, placeholders.Replace(v))
				}
				start := time.Now()
				res, body := serve(e, req)
				took := time.Since(start)
				where := s.name
				if s.original != "" {
					where += " (the original: " + s.original + ")"
				}
				if res.StatusCode != s.status {
					t.Errorf("%s: status %d, want %d; body %q", where, res.StatusCode, s.status, body)
				}
				for k, want := range s.headers {
					if got := strings.Join(res.Header.Values(k), "|"); got != want {
						t.Errorf("%s: %s is %q, want %q", where, k, got, want)
					}
				}
				switch {
				case s.wantJSON != "":
					var got, want any
					if err := json.Unmarshal([]byte(body), &got); err != nil {
						t.Errorf("%s: the body is not JSON: %q", where, body)
					}
					json.Unmarshal([]byte(s.wantJSON), &want)
					if !reflect.DeepEqual(got, want) {
						t.Errorf("%s: body %s, want the JSON %s", where, body, s.wantJSON)
					}
				case s.wantRe != "":
					if !regexp.MustCompile(s.wantRe).MatchString(body) {
						t.Errorf("%s: body %q does not match %s", where, body, s.wantRe)
					}
				case s.want == "{{PREVIOUS}}":
					if body != previous {
						t.Errorf("%s: body %q, want the previous one %q", where, body, previous)
					}
				case body != s.want:
					t.Errorf("%s: body %q, want %q", where, body, s.want)
				}
				previous = body
				if took < s.minDelay && s.callback == "" {
					t.Errorf("%s: answered after %v, want at least %v", where, took, s.minDelay)
				}
				if s.maxDelay > 0 && took > s.maxDelay {
					t.Errorf("%s: answered after %v, want at most %v", where, took, s.maxDelay)
				}
				if s.callback != "" {
					select {
					case got := <-calls:
						if got != s.callback {
							t.Errorf("%s: the callback was %q, want %q", where, got, s.callback)
						}
						if waited := time.Since(start); waited < s.minDelay {
							t.Errorf("%s: the callback came after %v, want at least %v", where, waited, s.minDelay)
						}
					case <-time.After(5 * time.Second):
						t.Errorf("%s: no callback within 5s, want %q", where, s.callback)
					}
				}
			}
		})
	}
	// Every rules file of the directory is tested.
	files, _ := filepath.Glob(filepath.Join("testdata", "realworld", "*.json"))
	for _, f := range files {
		if !seen[filepath.Base(f)] {
			t.Errorf("%s has no test", f)
		}
	}
	_ = bytes.MinRead
}
