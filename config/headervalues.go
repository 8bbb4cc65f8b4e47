package config

// HeaderValues are the values of one header a response (or a delegate's
// response_headers) sets: a string gives one value, a list of strings one
// header line each (two Set-Cookie), and null (nil here) sends no such
// header. An empty list is an error: null says "none".
type HeaderValues []string

// decodeHeaderValues decodes header -> string, list of strings, or null.
func decodeHeaderValues(errs *Errors, loc Path, raw any) map[string]HeaderValues {
	obj, ok := raw.(map[string]any)
	if !ok {
		errs.Add(loc, "must be an object of strings, lists of strings or null, got %s", typeName(raw))
		return nil
	}
	out := make(map[string]HeaderValues, len(obj))
	for _, k := range SortedKeys(obj) {
		switch v := obj[k].(type) {
		case nil:
			out[k] = nil
		case string:
			out[k] = HeaderValues{v}
		case []any:
			if len(v) == 0 {
				errs.Add(loc.Key(k), "must list at least one value (null sends no such header)")
			}
			values := make(HeaderValues, 0, len(v))
			for i, el := range v {
				values = append(values, str(errs, loc.Key(k).Index(i), el))
			}
			out[k] = values
		default:
			errs.Add(loc.Key(k), "must be a string, a list of strings or null, got %s", typeName(v))
			out[k] = HeaderValues{""}
		}
	}
	return out
}
