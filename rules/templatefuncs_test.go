package rules

import (
	"bytes"
	"context"
	"krakend-rules/config"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"
)

// helperCase is one template and what it renders, or the error it fails
// with (a part of its text).
type helperCase struct {
	name, template, want, err string
}

// testClock is the request time of the helper tests.
var testClock = time.Date(2026, 1, 31, 13, 4, 5, 0, time.UTC)

// runHelperCases renders each case on one request, both through the fast
// path (when it applies) and through text/template, which must agree.
func runHelperCases(t *testing.T, seed string, cases []helperCase) {
	t.Helper()
	e := newEngine(t, `{"rules":[{"name":"r","response":{}}]}`, nil)
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			set := newTemplateSet()
			if err := set.setSeed(config.At("seed"), seed); err != nil {
				t.Fatal(err)
			}
			i, err := set.add(config.At("t"), c.template)
			if err != nil {
				if c.err != "" && strings.Contains(err.Error(), c.err) {
					return
				}
				t.Fatalf("rejected at load: %v", err)
			}
			req := httptest.NewRequest("POST", "http://backend.invalid:8080/users/42?q=+hi+&f[a]=1&f[b][c]=2&f[l][]=x&f[l][]=y&n=7",
				strings.NewReader(`{"a":{"b":"x","e":"","n":2.5}}`))
			req.Header.Set("X-Forwarded-Host", "api.example.com:8443")
			req.Header.Set("Cookie", `a=1; s="sess"`)
			x := &exchange{}
			x.reset(req.WithContext(context.Background()), e.bodyLimits)
			x.clock = testClock
			b := set.bind(x)
			defer set.release(b)
			var got, slow bytes.Buffer
			gotErr := b.execute(&got, i)
			b.seedReady = false
			if err := b.reseed(i); set.seeded && err != nil {
				t.Fatal(err)
			}
			b.out = limitedWriter{buf: &slow, left: maxRenderedBytes}
			slowErr := b.templates[i].Execute(&b.out, x.templateData())
			if (gotErr == nil) != (slowErr == nil) || gotErr == nil && got.String() != slow.String() {
				t.Fatalf("fast path %.200q (%v), text/template %.200q (%v)", got.String(), gotErr, slow.String(), slowErr)
			}
			switch {
			case c.err != "" && gotErr == nil:
				t.Fatalf("got %.200q, want an error with %q", got.String(), c.err)
			case c.err != "" && !strings.Contains(gotErr.Error(), c.err):
				t.Fatalf("error %v, want one with %q", gotErr, c.err)
			case c.err == "" && gotErr != nil:
				t.Fatalf("error %v", gotErr)
			case c.err == "" && got.String() != c.want:
				t.Fatalf("got %.200q, want %.200q", got.String(), c.want)
			}
		})
	}
}

func TestMathHelpers(t *testing.T) {
	runHelperCases(t, "", []helperCase{
		{"add ints, floats and numeric strings", `{{ add 1 2.9 "3" " 4 " }}`, "10", ""},
		{"add in a pipe", `{{ index .Segments 1 | add 1 }}`, "43", ""},
		{"sub", `{{ sub 10 "4" }}`, "6", ""},
		{"mul", `{{ mul 2 3 4 }}`, "24", ""},
		{"div truncates", `{{ div 7 2 }}`, "3", ""},
		{"mod", `{{ mod -7 3 }}`, "-1", ""},
		{"min and max", `{{ min 3 1 2 }} {{ max 3 "9" 2 }}`, "1 9", ""},
		{"float helpers", `{{ addf 1.5 2 }} {{ subf 1 0.25 }} {{ mulf 1.5 2 }} {{ divf 1 4 }} {{ maxf 1 2.5 }} {{ minf 1 2.5 }}`, "3.5 0.75 3 0.25 2.5 1", ""},
		{"round", `{{ round 2.345 2 }} {{ round -2.5 0 }} {{ round 1.2345 3 0.4 }}`, "2.35 -3 1.235", ""},
		{"atoi, int, int64, float64", `{{ atoi "42" }} {{ int "4.7" }} {{ int64 7 }} {{ float64 "2.5" }}`, "42 4 7 2.5", ""},
		{"bool", `{{ bool "yes" }} {{ bool "FALSE" }} {{ bool 0 }} {{ bool 2 }} {{ bool "" }}`, "true false false true false", ""},
		{"division by zero", `{{ div 1 0 }}`, "", "division by zero"},
		{"modulo by zero", `{{ mod 1 0 }}`, "", "division by zero"},
		{"float division by zero", `{{ divf 1 0 }}`, "", "division by zero"},
		{"min int divided by -1", `{{ div -9223372036854775808 -1 }}`, "", "overflow"},
		{"not a number", `{{ add 1 "one" }}`, "", `"one" is not a number`},
		{"a list is not a number", `{{ add 1 (list 1) }}`, "", "is not a number"},
		{"too few arguments", `{{ sub 1 }}`, "", "takes 2 arguments, got 1"},
		{"round of a huge precision", `{{ round 1.5 400 }}`, "", "out of range"},
		{"not a boolean", `{{ bool "maybe" }}`, "", "is not a boolean"},
	})
}

func TestStringHelpers(t *testing.T) {
	runHelperCases(t, "", []helperCase{
		{"trim upper lower", `{{ .Query.Get "q" | trim | upper }}{{ lower "ÀB" }}`, "HIàb", ""},
		{"title", `{{ title "hello wide-world o'neil" }}`, "Hello Wide-World O'neil", ""},
		{"trimAll trimPrefix trimSuffix", `{{ trimAll "-" "--a--" }} {{ trimPrefix "/" .Path }} {{ trimSuffix "42" .Path }}`, "a users/42 /users/", ""},
		{"contains hasPrefix hasSuffix", `{{ contains "ers" .Path }} {{ hasPrefix "/users" .Path }} {{ hasSuffix "x" .Path }}`, "true true false", ""},
		{"replace", `{{ replace "/" "_" .Path }}`, "_users_42", ""},
		{"repeat", `{{ repeat 3 "ab" }}`, "ababab", ""},
		{"repeat beyond the bound", `{{ repeat 600000 "ab" }}`, "", "longer than"},
		{"repeat a negative count", `{{ repeat -1 "ab" }}`, "", "out of range"},
		{"substr counts characters", `{{ substr 1 3 "héllo" }} {{ substr -5 2 "abc" }} {{ substr 2 99 "abc" }} {{ substr 5 9 "abc" }}`, "él ab c ", ""},
		{"trunc", `{{ trunc 2 "héllo" }} {{ trunc -2 "héllo" }} {{ trunc 9 "ab" }}`, "hé lo ab", ""},
		{"split and splitList", `{{ (split "," "a,b")._1 }} {{ splitList "/" .Path }}`, "b [ users 42]", ""},
		{"join", `{{ join "-" (list 1 "a" true) }} {{ join "," (splitList "/" "x/y") }} {{ join "," "one" }}`, "1-a-true x,y one", ""},
		{"quote and toString", `{{ quote "a\"b" }} {{ toString 42 }}`, `"a\"b" 42`, ""},
		{"regexFind", `{{ regexFind "[0-9]+" .Path }}`, "42", ""},
		{"regexFindAll", `{{ regexFindAll "[a-z]" "a1b2c" 2 }}`, "[a b]", ""},
		// Lists built from a string hold at most 100 000 items, as README
		// says: before, one item per byte of a 1 MiB value.
		{"splitList at the bound", `{{ len (splitList "" (repeat 100000 "x")) }}`, "100000", ""},
		{"splitList past the bound", `{{ len (splitList "" (repeat 100001 "x")) }}`, "", "more than 100000 items"},
		{"split past the bound", `{{ len (split "," (repeat 100001 ",")) }}`, "", "more than 100000 items"},
		{"regexFindAll past the bound", `{{ len (regexFindAll "" (repeat 100001 "x") -1) }}`, "", "more than 100000 items"},
		{"regexFindAll with a count within the bound", `{{ len (regexFindAll "" (repeat 200000 "x") 3) }}`, "3", ""},
		{"regexMatch", `{{ regexMatch "^/users/[0-9]+$" .Path }}`, "true", ""},
		{"regexReplaceAll with groups", `{{ regexReplaceAll "([a-z]+)/([0-9]+)" .Path "$2/$1" }}`, "/42/users", ""},
		{"a computed pattern", `{{ regexFind (printf "%s+" "[0-9]") .Path }}`, "42", ""},
		{"a bad literal pattern is a configuration error", `{{ regexFind "(" .Path }}`, "", "missing closing )"},
		{"a bad computed pattern", `{{ regexFind (printf "%s" "(") .Path }}`, "", "missing closing )"},
		// before, 4 KiB of [a-z]{1000} compiled in 165 ms to 16 MB, kept
		{"a computed pattern that expands too much", `{{ regexMatch (repeat 372 "[a-z]{1000}") .Path }}`, "", "pattern too large"},
		{"every repetition counts", `{{ regexMatch (printf "a{1000}b{1000}c{1000}d{1000}e{1000}f{1000}g{1000}h{1000}i{1000}j{1000}") .Path }}`, "", "pattern too large"},
		{"a computed pattern with a modest repetition", `{{ regexMatch (printf "^/[a-z]{1,100}/[0-9]{2}$") .Path }}`, "true", ""},
		{"a regexReplaceAll that would be too long", `{{ regexReplaceAll "" (repeat 1000 "a") (repeat 2000 "b") }}`, "", "longer than"},
	})
}

func TestTimeHelpers(t *testing.T) {
	runHelperCases(t, "", []helperCase{
		{"now and date", `{{ now | date "2006-01-02" }} {{ date "RFC3339" now }} {{ date "HTTP" now }}`, "2026-01-31 2026-01-31T13:04:05Z Sat, 31 Jan 2026 13:04:05 GMT", ""},
		{"ISO8601 with milliseconds", `{{ now | date "ISO8601" }}`, "2026-01-31T13:04:05.000Z", ""},
		{"formatTime as before", `{{ formatTime "DateOnly" now }}`, "2026-01-31", ""},
		{"dateModify and dateAdd", `{{ now | dateModify "-1h30m" | date "15:04" }} {{ now | dateAdd "2d" | date "01-02" }}`, "11:34 02-02", ""},
		{"addDate moves along the calendar", `{{ now | addDate 0 1 0 | date "2006-01-02" }} {{ now | addDate -1 0 1 | date "2006-01-02" }}`, "2026-03-03 2025-02-01", ""},
		{"unixEpoch and unixMilli", `{{ now | unixEpoch }} {{ now | unixMilli }}`, "1769864645 1769864645000", ""},
		{"toDate", `{{ toDate "2006-01-02" "2024-02-29" | date "Jan 2, 2006" }} {{ toDate "DateOnly" "2024-03-01" | unixEpoch }}`, "Feb 29, 2024 1709251200", ""},
		{"epoch seconds and RFC 3339 as times", `{{ date "2006" 0 | printf "%s" }} {{ date "2006" "1700000000" }} {{ date "01" "2020-05-01T00:00:00Z" }}`, "1970 2023 05", ""},
		{"utc", `{{ toDate "2006-01-02T15:04:05Z07:00" "2026-01-01T02:00:00+02:00" | utc | date "15" }}`, "00", ""},
		{"toDate of a bad date", `{{ toDate "2006-01-02" "tomorrow" }}`, "", "does not match the layout"},
		{"dateModify of a bad duration", `{{ now | dateModify "soon" }}`, "", "is not a duration"},
		// before, 200000 days wrapped around to a date 292 years off
		{"dateModify of the most days", `{{ now | dateModify "-106751d" | date "2006" }}`, "1733", ""},
		{"dateModify of too many days", `{{ now | dateModify "200000d" }}`, "", "longer than a duration holds"},
		{"date of something that is not a time", `{{ date "2006" (list 1) }}`, "", "is not a time"},
		{"addDate beyond the bound", `{{ now | addDate 1000000 0 0 }}`, "", "out of range"},
		{"a layout too long", `{{ date (repeat 300 "2006") now }}`, "", "layout longer than"},
	})
}

func TestEncodingHelpers(t *testing.T) {
	runHelperCases(t, "", []helperCase{
		{"b64enc and base64", `{{ b64enc "héllo" }} {{ base64 "a" }}`, "aMOpbGxv YQ==", ""},
		{"b64dec, standard and URL-safe unpadded", `{{ b64dec "aMOpbGxv" }} {{ b64dec "YQ" }}`, "héllo a", ""},
		{"b64dec replaces invalid UTF-8", `{{ b64dec "/w==" }}`, "\uFFFD", ""},
		{"b64dec of something else", `{{ b64dec "!!" }}`, "", "is not base64"},
		{"hex", `{{ hex "é" }}`, "c3a9", ""},
		{"urlEncode, urlDecode and urlquery", `{{ urlEncode "a b&c" }} {{ urlDecode "a+b%26c" }} {{ urlquery "a b" }}`, "a+b%26c a b&c a+b", ""},
		{"urlDecode of a bad escape", `{{ urlDecode "%zz" }}`, "", "invalid URL escape"},
		{"hashes", `{{ md5sum "" }} {{ sha1sum "abc" }} {{ sha256sum "abc" | trunc 16 }}`, "d41d8cd98f00b204e9800998ecf8427e a9993e364706816aba3e25717850c26c9cd0d89d ba7816bf8f01cfea", ""},
	})
}

func TestCollectionHelpers(t *testing.T) {
	runHelperCases(t, "", []helperCase{
		{"list", `{{ list 1 "a" 2.5 true }}`, "[1 a 2.5 true]", ""},
		{"dict and index", `{{ index (dict "a" 1 "b" "x") "b" }} {{ dict }}`, "x map[]", ""},
		{"dict with an odd count", `{{ dict "a" }}`, "", "key and value pairs"},
		{"keys are sorted", `{{ keys (dict "b" 1 "a" 2) (dict "c" 3 "a" 4) }}`, "[a b c]", ""},
		{"keys of a list", `{{ keys (list 1) }}`, "", "is not a map"},
		{"first and last", `{{ first (list 1 2 3) }} {{ last (list 1 2 3) }} {{ first "héllo" }} {{ last "héllo" }} [{{ first (list) }}]`, "1 3 h o []", ""},
		{"first of a number", `{{ first 3 }}`, "", "is not a list"},
		{"slice is Go's", `{{ slice (list 1 2 3) 1 }} {{ slice "hello" 1 3 }}`, "[2 3] el", ""},
		{"has", `{{ has 2 (list 1 2) }} {{ has "z" (list "a") }}`, "true false", ""},
		{"until and range", `{{ range until 3 }}{{ . }}{{ end }}`, "012", ""},
		{"until beyond the bound", `{{ until 100001 }}`, "", "out of range"},
		{"default and coalesce", `{{ .Query.Get "none" | default "d" }} {{ default "d" "given" }} {{ coalesce "" 0 "c" }}`, "d given c", ""},
		{"empty", `{{ empty "" }} {{ empty (list 1) }}`, "true false", ""},
	})
}

func TestRequestHelpers(t *testing.T) {
	runHelperCases(t, "", []helperCase{
		{"hostname and port", `{{ hostname }}:{{ port }}`, "api.example.com:8443", ""},
		{"cookie", `{{ cookie "a" }}/{{ cookie "s" }}/{{ cookie "none" }}`, "1/sess/", ""},
		{"queryObject", `{{ queryObject "f" | json }}`, `{"a":"1","b":{"c":"2"},"l":["x","y"]}`, ""},
		{"queryObject field access", `{{ (queryObject "f").b.c }}`, "2", ""},
		{"queryObject of nothing", `{{ queryObject "g" | json }}`, `{}`, ""},
		{"bodyOr", `{{ bodyOr "a.b" "d" }}|{{ bodyOr "a.e" "d" }}|{{ bodyOr "a.zz" "d" }}|{{ bodyOr "a.n" 0 | mulf 2 }}`, "x||d|5", ""},
		{"body as before", `{{ body "a.b" }}`, "x", ""},
	})
}

func TestFakeHelpers(t *testing.T) {
	seeded := []helperCase{
		{"names", `{{ fakeName }}|{{ fakeFirstName }}|{{ fakeLastName }}`, "", ""},
		{"contact", `{{ fakeEmail }}|{{ fakePhone }}|{{ fakeStreet }}|{{ fakeCity }}|{{ fakeZip }}|{{ fakeCountry }}`, "", ""},
		{"work", `{{ fakeCompany }}|{{ fakeJobTitle }}`, "", ""},
		{"text", `{{ fakeWord }}|{{ fakeWords 3 }}|{{ fakeSentence }}|{{ fakeParagraph 2 }}`, "", ""},
		{"numbers", `{{ fakeInt 1 6 }}|{{ fakeFloat 0 1 }}|{{ fakeBool }}|{{ randInt 0 10 }}|{{ oneOf "a" "b" "c" }}`, "", ""},
		{"ids and dates", `{{ uuid }}|{{ fakeUUID }}|{{ fakeDate "2020-01-01T00:00:00Z" "2020-12-31T00:00:00Z" | date "DateOnly" }}`, "", ""},
	}
	// Seeded, each renders the same text twice, and both paths agree
	// (runHelperCases); fill in what it renders, then check its shape.
	e := newEngine(t, `{"rules":[{"name":"r","response":{}}]}`, nil)
	render := func(seed, text string) string {
		set := newTemplateSet()
		if err := set.setSeed(config.At("seed"), seed); err != nil {
			t.Fatal(err)
		}
		i, err := set.add(config.At("t"), text)
		if err != nil {
			t.Fatal(err)
		}
		x := &exchange{}
		x.reset(httptest.NewRequest("GET", "http://b.invalid/", nil), e.bodyLimits)
		b := set.bind(x)
		defer set.release(b)
		var buf bytes.Buffer
		if err := b.execute(&buf, i); err != nil {
			t.Fatal(err)
		}
		return buf.String()
	}
	for i, c := range seeded {
		seeded[i].want = render("demo", c.template)
		if again := render("demo", c.template); again != seeded[i].want {
			t.Errorf("%s: seeded twice: %q then %q", c.name, seeded[i].want, again)
		}
		if other := render("other", c.template); other == seeded[i].want {
			t.Errorf("%s: another seed gives the same %q", c.name, other)
		}
		t.Logf("%s: %s", c.name, seeded[i].want)
	}
	runHelperCases(t, "demo", seeded)
	// Each field has the shape its name promises.
	fields := strings.Split(render("demo", `{{ fakeEmail }}|{{ fakePhone }}|{{ fakeZip }}|{{ uuid }}|{{ fakeInt 1 6 }}|{{ fakeSentence 4 }}`), "|")
	checks := []struct{ what, pattern string }{
		{"e-mail", `^[a-z]+[._]?[a-z]+[0-9]*@[a-z.]+$`}, {"phone", `^\+[0-9]{1,2} [0-9]{3} [0-9]{3} [0-9]{3}$`},
		{"zip", `^[0-9]{5}$`}, {"uuid", `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`},
		{"fakeInt", `^[1-6]$`}, {"sentence", `^[A-Z][a-z]+( [a-z]+){3}\.$`},
	}
	for i, c := range checks {
		if re := mustRegexp(t, c.pattern); !re.MatchString(fields[i]) {
			t.Errorf("%s %q does not match %s", c.what, fields[i], c.pattern)
		}
	}
	// Unseeded, two renders differ.
	if a, b := render("", `{{ uuid }}{{ fakeName }}`), render("", `{{ uuid }}{{ fakeName }}`); a == b {
		t.Errorf("unseeded renders are the same: %q", a)
	}
	runHelperCases(t, "", []helperCase{
		{"fakeInt with max below min", `{{ fakeInt 5 1 }}`, "", "less than min"},
		{"fakeFloat with a NaN", `{{ fakeFloat 1 0 }}`, "", "max must be at least min"},
		{"fakeWords beyond the bound", `{{ fakeWords 1001 }}`, "", "out of range"},
		{"fakeDate backwards", `{{ fakeDate "2021-01-01T00:00:00Z" "2020-01-01T00:00:00Z" }}`, "", "is before"},
		{"randInt empty range", `{{ randInt 3 3 }}`, "", "max must be greater than min"},
		{"oneOf of nothing", `{{ oneOf }}`, "", "takes at least 1 arguments"},
		{"fakeDate over the whole range of epoch seconds", `{{ fakeDate -9223372036854775808 9223372036854775807 | printf "%T" }}`, "time.Time", ""},
		{"fakeInt on the whole range", `{{ fakeInt -9223372036854775808 9223372036854775807 | printf "%T" }}`, "int64", ""},
	})
}

func mustRegexp(t *testing.T, pattern string) *regexp.Regexp {
	t.Helper()
	re, err := regexp.Compile(pattern)
	if err != nil {
		t.Fatal(err)
	}
	return re
}

// TestRenderedOutputIsBounded: however helpers and loops combine, one
// template writes at most maxRenderedBytes, then fails (the rule's 500).
func TestRenderedOutputIsBounded(t *testing.T) {
	saved := maxRenderedBytes
	maxRenderedBytes = 1 << 20
	defer func() { maxRenderedBytes = saved }()
	runHelperCases(t, "", []helperCase{
		{"a loop over a request value", `{{ range until (atoi (.Query.Get "n")) }}{{ repeat 1000 "x" }}{{ end }}`, strings.Repeat("x", 7000), ""},
		{"a loop past the limit", `{{ range until 2000 }}{{ repeat 1000 "x" }}{{ end }}`, "", "longer than the limit"},
		{"the fast path past the limit", `{{ repeat 1048576 "x" }}{{ repeat 1 "y" }}`, "", "longer than the limit"},
	})
}

// TestHelperReads: helpers that read the request are recorded like the
// template data they read, for the linter (TestTemplateReads has the rest).
func TestHelperReads(t *testing.T) {
	tests := []struct {
		text                           string
		headers, cookies, queryObjects string
	}{
		{`{{ cookie "session" }}`, "Cookie", "session", ""},
		{`{{ cookie (.Query.Get "name") }}`, "Cookie", "", ""},
		{`{{ hostname }}:{{ port }}`, "X-Forwarded-Host X-Forwarded-Host", "", ""},
		{`{{ queryObject "filter" | json }} {{ (queryObject "page").size }}`, "", "", "filter page"},
		{`{{ range until 2 }}{{ cookie "in-range" }}{{ end }}`, "Cookie", "in-range", ""},
		{`{{ add 1 2 }} {{ fakeName }} {{ bodyOr "a" "b" }}`, "", "", ""},
	}
	for _, tt := range tests {
		set := newTemplateSet()
		if _, err := set.add(config.At("t"), tt.text); err != nil {
			t.Fatal(err)
		}
		r := set.uses[0].Reads
		got := []string{strings.Join(r.Headers, " "), strings.Join(r.Cookies, " "), strings.Join(r.QueryObjects, " ")}
		if want := []string{tt.headers, tt.cookies, tt.queryObjects}; strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("%s: got %q, want %q", tt.text, got, want)
		}
	}
}

// TestRegexpsCompileOnce: a literal pattern is compiled at load, into its
// template set; a computed one once, into a cache of bounded size.
func TestRegexpsCompileOnce(t *testing.T) {
	set := newTemplateSet()
	if _, err := set.add(config.At("t"), `{{ regexFind "[0-9]+" .Path }}{{ regexMatch (printf "^%s" "/") .Path }}`); err != nil {
		t.Fatal(err)
	}
	if _, ok := set.regexps["[0-9]+"]; !ok || len(set.regexps) != 1 {
		t.Errorf("literal patterns compiled at load: %v", set.regexps)
	}
	b := set.bind(&exchange{})
	defer set.release(b)
	first, err := cachedRegexp(b, "t", "^computed-once$")
	if err != nil {
		t.Fatal(err)
	}
	if again, _ := cachedRegexp(b, "t", "^computed-once$"); again != first && dynamicRegexps.count.Load() < maxCachedPatterns {
		t.Error("a computed pattern was compiled twice while the cache had room")
	}
	if _, err := cachedRegexp(b, "t", strings.Repeat("a", maxPattern+1)); err == nil || !strings.Contains(err.Error(), "longer than") {
		t.Errorf("a pattern over %d bytes: %v", maxPattern, err)
	}
}

// TestAPanickingHelperFailsTheAnswer: a helper's panic is the template's
// error on both paths, never the gateway's crash.
func TestAPanickingHelperFailsTheAnswer(t *testing.T) {
	boom := func(*boundTemplates, []any) (any, error) { panic("boom") }
	helpers["testPanic"] = helperSpec{fn: boom, min: 0, max: -1}
	helpers["testPanicS"] = helperSpec{fn: boom, s0: func(*boundTemplates) string { panic("boom") }, min: 0, max: 0}
	defer delete(helpers, "testPanic")
	defer delete(helpers, "testPanicS")
	runHelperCases(t, "", []helperCase{
		{"on the fast path", `{{ testPanic 1 }}`, "", "boom"},
		{"on the string path", `{{ testPanicS | upper }}`, "", "boom"},
		{"inside a loop, on text/template", `{{ range until 1 }}{{ testPanic }}{{ end }}`, "", "boom"},
	})
}
