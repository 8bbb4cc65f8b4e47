package rules

import (
	"fmt"
	"krakend-rules/config"
	"strconv"
	"strings"
	"time"
	_ "time/tzdata" // zones work on gateways without system zone files
)

// activeWindow is a compiled Active: an absolute [from, until) range and/or
// a weekly window of days and a daily [start, end) time, in a zone.
type activeWindow struct {
	from, until time.Time // zero: open on that side

	weekly bool
	days   [7]bool // by time.Weekday
	start  int     // seconds since midnight
	end    int     // seconds since midnight, up to 24h; end <= start runs past midnight
	loc    *time.Location
}

var weekdays = map[string]time.Weekday{
	"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday,
	"sunday": time.Sunday, "monday": time.Monday, "tuesday": time.Tuesday, "wednesday": time.Wednesday,
	"thursday": time.Thursday, "friday": time.Friday, "saturday": time.Saturday,
}

func compileActive(errs *config.Errors, loc config.Path, a *config.Active) *activeWindow {
	w := &activeWindow{loc: time.UTC}
	parseTime := func(name, v string) time.Time {
		if v == "" {
			return time.Time{}
		}
		t, err := time.Parse(time.RFC3339, v)
		if err != nil {
			errs.Add(loc.Field(name), "must be an RFC 3339 time such as 2026-12-24T18:00:00Z, got %q", v)
		}
		return t
	}
	w.from, w.until = parseTime("from", a.From), parseTime("until", a.Until)
	if !w.from.IsZero() && !w.until.IsZero() && !w.until.After(w.from) {
		errs.Add(loc.Field("until"), "must be after from")
	}

	if a.TZ != "" {
		zone, err := time.LoadLocation(a.TZ)
		if err != nil {
			errs.Add(loc.Field("tz"), "unknown time zone %q", a.TZ)
		} else {
			w.loc = zone
		}
	}
	if len(a.Days) > 0 || a.Between != "" {
		w.weekly = true
		w.start, w.end = 0, 24*3600
		if len(a.Days) == 0 {
			w.days = [7]bool{true, true, true, true, true, true, true}
		}
		for i, d := range a.Days {
			wd, ok := weekdays[strings.ToLower(strings.TrimSpace(d))]
			if !ok {
				errs.Add(loc.Field("days").Index(i), "unknown day %q (use mon, tue, wed, thu, fri, sat, sun)", d)
				continue
			}
			w.days[wd] = true
		}
		if a.Between != "" {
			var err error
			if w.start, w.end, err = parseBetween(a.Between); err != nil {
				errs.Add(loc.Field("between"), "%v", err)
			}
		}
	}
	return w
}

// parseBetween parses "HH:MM-HH:MM" into seconds since midnight.
func parseBetween(s string) (start, end int, err error) {
	a, b, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, fmt.Errorf("must be \"HH:MM-HH:MM\", got %q", s)
	}
	if start, err = clock(a, false); err == nil {
		end, err = clock(b, true)
	}
	if err != nil {
		return 0, 0, fmt.Errorf("must be \"HH:MM-HH:MM\", got %q: %v", s, err)
	}
	if start == end {
		return 0, 0, fmt.Errorf("%q is empty: start and end are the same time", s)
	}
	return start, end, nil
}

func clock(s string, isEnd bool) (int, error) {
	hh, mm, ok := strings.Cut(strings.TrimSpace(s), ":")
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if !ok || err1 != nil || err2 != nil || len(hh) != 2 || len(mm) != 2 || m < 0 || m > 59 || h < 0 || h > 24 {
		return 0, fmt.Errorf("%q is not a time of day", s)
	}
	if h == 24 && (m != 0 || !isEnd) {
		return 0, fmt.Errorf("%q: only an end may be 24:00", s)
	}
	return h*3600 + m*60, nil
}

// contains reports whether t is inside the window.
func (w *activeWindow) contains(t time.Time) bool {
	if !w.from.IsZero() && t.Before(w.from) {
		return false
	}
	if !w.until.IsZero() && !t.Before(w.until) {
		return false
	}
	if !w.weekly {
		return true
	}
	_, ok := w.weeklyEnd(t)
	return ok
}

// weeklyEnd returns when the weekly window that contains t ends, following
// on into the next day's window when the two touch (sat+sun all day ends on
// Monday at 00:00); ok is false when t is outside the window.
func (w *activeWindow) weeklyEnd(t time.Time) (time.Time, bool) {
	local := t.In(w.loc)
	midnight := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, w.loc)
	sec := int(local.Sub(midnight) / time.Second)
	day := local.Weekday()
	var end time.Time
	switch {
	case w.start < w.end && w.days[day] && sec >= w.start && sec < w.end:
		end = addSeconds(midnight, w.end)
	case w.start >= w.end && w.days[day] && sec >= w.start: // started today, runs past midnight
		end = addSeconds(nextMidnight(midnight, w.loc), w.end)
	case w.start >= w.end && w.days[(day+6)%7] && sec < w.end: // started yesterday
		end = addSeconds(midnight, w.end)
	default:
		return time.Time{}, false
	}
	// A window that ends at midnight goes on when the next day's starts then.
	for range 7 {
		local := end.In(w.loc)
		if local.Hour() != 0 || local.Minute() != 0 || w.start != 0 || !w.days[local.Weekday()] {
			break
		}
		end = addSeconds(end, w.end)
	}
	return end, true
}

func nextMidnight(midnight time.Time, loc *time.Location) time.Time {
	return time.Date(midnight.Year(), midnight.Month(), midnight.Day()+1, 0, 0, 0, 0, loc)
}

// addSeconds adds a time of day to a midnight, by the calendar, so that
// days with a DST change still end at their local midnight.
func addSeconds(midnight time.Time, sec int) time.Time {
	if sec == 24*3600 {
		return nextMidnight(midnight, midnight.Location())
	}
	return time.Date(midnight.Year(), midnight.Month(), midnight.Day(), sec/3600, sec%3600/60, 0, 0, midnight.Location())
}

// secondsLeft returns the whole seconds until the window ends, for
// Retry-After; 0 when it has no end.
func (w *activeWindow) secondsLeft(t time.Time) int64 {
	var end time.Time
	if !w.until.IsZero() {
		end = w.until
	}
	if w.weekly {
		if e, ok := w.weeklyEnd(t); ok && (end.IsZero() || e.Before(end)) {
			end = e
		}
	}
	if end.IsZero() || !end.After(t) {
		return 0
	}
	return int64((end.Sub(t) + time.Second - 1) / time.Second) // round up: retrying earlier is too early
}
