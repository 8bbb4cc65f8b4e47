package rules

import (
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Dates: the time comes last, for pipes ({{ now | addDate 0 1 0 | date
// "2006-01-02" }}). A time argument may be a time.Time, epoch seconds (a
// number or a numeric string) or an RFC 3339 string.

func init() {
	addHelpers(map[string]helperSpec{
		"now":        {fn: func(b *boundTemplates, _ []any) (any, error) { return b.x.now(), nil }, min: 0, max: 0},
		"date":       {fn: formatDate("date"), min: 2, max: 2},
		"formatTime": {fn: formatDate("formatTime"), min: 2, max: 2},
		"dateModify": {fn: dateModify("dateModify"), min: 2, max: 2},
		"dateAdd":    {fn: dateModify("dateAdd"), min: 2, max: 2},
		"addDate":    {fn: addDate, min: 4, max: 4},
		"unixEpoch":  {fn: epoch("unixEpoch", time.Time.Unix), min: 1, max: 1},
		"unixMilli":  {fn: epoch("unixMilli", time.Time.UnixMilli), min: 1, max: 1},
		"toDate":     {fn: toDate, min: 2, max: 2},
		"utc":        {fn: func(_ *boundTemplates, a []any) (any, error) { t, err := toTime("utc", a[0]); return t.UTC(), err }, min: 1, max: 1},
	})
}

// layouts are the names date and formatTime accept besides Go layouts.
var layouts = map[string]string{
	"RFC3339": time.RFC3339, "RFC3339Nano": time.RFC3339Nano, "RFC1123": time.RFC1123,
	"RFC1123Z": time.RFC1123Z, "RFC822": time.RFC822, "RFC850": time.RFC850,
	"Kitchen": time.Kitchen, "DateTime": time.DateTime, "DateOnly": time.DateOnly,
	"TimeOnly": time.TimeOnly, "UnixDate": time.UnixDate, "HTTP": http.TimeFormat,
	"ISO8601": "2006-01-02T15:04:05.000Z07:00",
}

// maxLayout bounds a layout: Format's output grows with it.
const maxLayout = 256

func layoutOf(name string, v any) (string, error) {
	layout := toString(v)
	if named, ok := layouts[layout]; ok {
		return named, nil
	}
	if len(layout) > maxLayout {
		return "", fmt.Errorf("%s: layout longer than %d bytes", name, maxLayout)
	}
	return layout, nil
}

// toTime reads a time argument.
func toTime(name string, v any) (time.Time, error) {
	switch t := v.(type) {
	case time.Time:
		return t, nil
	case *time.Time:
		if t != nil {
			return *t, nil
		}
	case string:
		s := strings.TrimSpace(t)
		if secs, err := strconv.ParseInt(s, 10, 64); err == nil {
			return time.Unix(secs, 0), nil
		}
		if parsed, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return parsed, nil
		}
	case nil:
	default:
		if secs, err := toInt64(name, v); err == nil {
			return time.Unix(secs, 0), nil
		}
	}
	return time.Time{}, fmt.Errorf("%s: %s is not a time (a time, epoch seconds or RFC 3339)", name, describe(v))
}

// formatDate LAYOUT TIME formats with a Go layout or a layout's name;
// "HTTP" is always in UTC.
func formatDate(name string) helper {
	return func(_ *boundTemplates, a []any) (any, error) {
		layout, err := layoutOf(name, a[0])
		if err != nil {
			return nil, err
		}
		t, err := toTime(name, a[1])
		if err != nil {
			return nil, err
		}
		if layout == http.TimeFormat {
			t = t.UTC()
		}
		return t.Format(layout), nil
	}
}

// dateModify DURATION TIME adds a Go duration ("1h30m", "-24h"); "2d"
// style days are accepted too.
func dateModify(name string) helper {
	return func(_ *boundTemplates, a []any) (any, error) {
		s := toString(a[0])
		d, err := time.ParseDuration(s)
		if err != nil {
			days, derr := strconv.ParseInt(strings.TrimSuffix(s, "d"), 10, 32)
			if !strings.HasSuffix(s, "d") || derr != nil {
				return nil, fmt.Errorf("%s: %s is not a duration such as \"1h30m\" or \"2d\"", name, describe(a[0]))
			}
			if days > maxDurationDays || days < -maxDurationDays {
				// past about 292 years the nanoseconds would wrap around
				return nil, fmt.Errorf("%s: %s is longer than a duration holds (%d days)", name, describe(a[0]), maxDurationDays)
			}
			d = time.Duration(days) * 24 * time.Hour
		}
		t, err := toTime(name, a[1])
		if err != nil {
			return nil, err
		}
		return t.Add(d), nil
	}
}

// maxDurationDays is the most whole days a time.Duration holds.
const maxDurationDays = int64(math.MaxInt64 / (24 * time.Hour))

// addDate YEARS MONTHS DAYS TIME moves along the calendar, as
// time.Time.AddDate (January 31 plus one month is March 2 or 3).
func addDate(_ *boundTemplates, a []any) (any, error) {
	var n [3]int
	for i := range n {
		v, err := toInt("addDate", a[i], -100000, 100000)
		if err != nil {
			return nil, err
		}
		n[i] = v
	}
	t, err := toTime("addDate", a[3])
	if err != nil {
		return nil, err
	}
	return t.AddDate(n[0], n[1], n[2]), nil
}

func epoch(name string, f func(time.Time) int64) helper {
	return func(_ *boundTemplates, a []any) (any, error) {
		t, err := toTime(name, a[0])
		if err != nil {
			return nil, err
		}
		return strconv.FormatInt(f(t), 10), nil
	}
}

// toDate LAYOUT S parses S in a Go layout (or a layout's name), in UTC
// unless S says otherwise. Unlike sprig's, a string that does not parse is
// an error, not the zero time.
func toDate(_ *boundTemplates, a []any) (any, error) {
	layout, err := layoutOf("toDate", a[0])
	if err != nil {
		return nil, err
	}
	t, err := time.Parse(layout, toString(a[1]))
	if err != nil {
		return nil, fmt.Errorf("toDate: %s does not match the layout %q", describe(a[1]), layout)
	}
	return t, nil
}
