package rules

import (
	"bytes"
	"krakend-rules/config"
)

// compileHeaderValues compiles a delegate's response_headers: each header
// set to one value or several (one header line each), any of them a
// template, or removed (null).
func compileHeaderValues(errs *config.Errors, loc config.Path, s *templateSet, m map[string]config.HeaderValues) []headerChange {
	var out []headerChange
	for _, name := range config.SortedKeys(m) {
		hloc := loc.Key(name)
		c := headerChange{name: headerName(errs, hloc, name), remove: m[name] == nil}
		for i, src := range m[name] {
			vloc := hloc
			if len(m[name]) > 1 {
				vloc = hloc.Index(i)
			}
			v, err := compileText(s, vloc, src)
			if err == nil && v.template < 0 && controlByte(v.plain) >= 0 {
				err = errControlByte(v.plain)
			}
			if err != nil {
				errs.Add(vloc, "%v", err)
			}
			if i == 0 {
				c.value = v
			} else {
				c.more = append(c.more, v)
			}
		}
		out = append(out, c)
	}
	return out
}

// render returns the header's values for this request, sanitized.
func (c *headerChange) render(bt *boundTemplates, scratch *bytes.Buffer) ([]string, error) {
	v, err := c.value.render(bt, scratch)
	if err != nil {
		return nil, err
	}
	if len(c.more) == 0 {
		return []string{sanitizeHeaderValue(v)}, nil
	}
	out := make([]string, 1, 1+len(c.more))
	out[0] = sanitizeHeaderValue(v)
	for _, t := range c.more {
		if v, err = t.render(bt, scratch); err != nil {
			return nil, err
		}
		out = append(out, sanitizeHeaderValue(v))
	}
	return out, nil
}
