package rules

import (
	"bytes"
	"encoding/json"
	"errors"
	"krakend-rules/config"
	"krakend-rules/state"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// crudAction answers a REST collection from a data set of the store:
//
//	GET    /path        the items, filtered, sorted and paged by the query
//	POST   /path        creates one (201): the id is the body's, or generated
//	GET    /path/{id}   one item
//	PUT    /path/{id}   replaces it (the id stays)
//	PATCH  /path/{id}   merges the body into it (RFC 7396 merge patch)
//	DELETE /path/{id}   removes it (204)
//
// Unknown ids answer 404, a taken id 409, a body that is not a JSON object
// 400, a method the path does not take 405, a store that is full 507 and
// one that cannot be reached 503.
type crudAction struct {
	store   state.Store
	set     string
	path    string // "/users"
	prefix  string // "/users/"
	idField string
}

// crudPathCondition makes a crud rule apply only to its collection's path
// and the paths of its items, beside the rule's own match.
type crudPathCondition struct{ a *crudAction }

func (c crudPathCondition) holds(x *exchange) bool {
	p := x.req.URL.Path
	if p == c.a.path {
		return true
	}
	id, ok := strings.CutPrefix(p, c.a.prefix)
	return ok && id != "" && strings.IndexByte(id, '/') < 0
}

func (e *Engine) compileCRUD(errs *config.Errors, loc config.Path, c *config.CRUD) *crudAction {
	a := &crudAction{store: e.store, set: c.DataSet, path: c.Path, prefix: c.Path + "/", idField: c.IDField}
	var seed []state.Item
	switch {
	case c.HasSeed:
		seed = compileSeed(errs, loc.Field("seed"), c.Seed, c.IDField)
	case c.SeedFile != "":
		content, _, _, problem := readConfigFile(c.SeedFile, "seed_file", config.MaxBodyFileBytes)
		if problem != "" {
			errs.Add(loc.Field("seed_file"), "%s", problem)
			break
		}
		var list any
		if err := json.Unmarshal(content, &list); err != nil {
			errs.Add(loc.Field("seed_file"), "%s is not JSON: %v", c.SeedFile, err)
			break
		}
		if _, ok := list.([]any); !ok {
			errs.Add(loc.Field("seed_file"), "%s must hold a list of objects", c.SeedFile)
			break
		}
		seed = compileSeed(errs, loc.Field("seed_file"), list, c.IDField)
	}
	if c.DataSet != "" {
		if err := e.store.DefineDataSet(e.owner, c.DataSet, c.IDField, seed); err != nil {
			errs.Add(loc.Field("data_set"), "%v", err)
		}
	}
	return a
}

// compileSeed turns a list of objects into items, each with its id.
func compileSeed(errs *config.Errors, loc config.Path, raw any, idField string) []state.Item {
	list, _ := raw.([]any)
	seed := []state.Item{}
	seen := map[string]bool{}
	for i, el := range list {
		if _, ok := el.(map[string]any); !ok {
			errs.Add(loc.Index(i), "must be an object")
			continue
		}
		b, err := json.Marshal(el)
		if err != nil {
			errs.Add(loc.Index(i), "%v", err)
			continue
		}
		it, err := state.NewItem(b, idField, func() string { return "" })
		if err != nil || it.ID == "" {
			errs.Add(loc.Index(i), "has no %q: every seed item needs its id", idField)
			continue
		}
		if seen[it.ID] {
			errs.Add(loc.Index(i), "has the id %q of an earlier item", it.ID)
			continue
		}
		seen[it.ID] = true
		seed = append(seed, *it)
	}
	return seed
}

func (a *crudAction) templateSets() []*templateSet { return nil }

var jsonContentType = []string{"application/json"}

func (a *crudAction) serve(w http.ResponseWriter, x *exchange) {
	path := x.req.URL.Path
	if path == a.path {
		switch x.req.Method {
		case http.MethodGet:
			a.list(w, x)
		case http.MethodPost:
			a.create(w, x)
		default:
			a.notAllowed(w, x, "GET, POST")
		}
		return
	}
	id, ok := strings.CutPrefix(path, a.prefix)
	if !ok || id == "" || strings.IndexByte(id, '/') >= 0 {
		a.fail(w, x, http.StatusNotFound, "no such resource", "")
		return
	}
	switch x.req.Method {
	case http.MethodGet:
		it, err := a.store.Get(x.req.Context(), a.set, id)
		if err != nil {
			a.storeFailed(w, x, err, id)
			return
		}
		a.write(w, http.StatusOK, it)
	case http.MethodPut, http.MethodPatch:
		body, ok := a.object(w, x)
		if !ok {
			return
		}
		merge := x.req.Method == http.MethodPatch
		it, err := a.store.Update(x.req.Context(), a.set, id, func(old []byte) ([]byte, error) {
			if merge {
				return state.Merge(old, body, a.idField)
			}
			return state.Replace(old, body, a.idField)
		})
		if err != nil {
			a.storeFailed(w, x, err, id)
			return
		}
		a.write(w, http.StatusOK, it)
	case http.MethodDelete:
		if err := a.store.Delete(x.req.Context(), a.set, id); err != nil {
			a.storeFailed(w, x, err, id)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		a.notAllowed(w, x, "GET, PUT, PATCH, DELETE")
	}
}

// write answers one item: its JSON and length were prepared when it was
// stored, so this allocates nothing.
func (a *crudAction) write(w http.ResponseWriter, status int, it *state.Item) {
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = it.Length
	w.WriteHeader(status)
	w.Write(it.JSON)
}

func (a *crudAction) create(w http.ResponseWriter, x *exchange) {
	body, ok := a.object(w, x)
	if !ok {
		return
	}
	it, err := a.store.Create(x.req.Context(), a.set, body)
	if err != nil {
		var id string
		if errors.Is(err, state.ErrExists) {
			id = gjson.GetBytes(body, gjsonEscape(a.idField)).String()
		}
		a.storeFailed(w, x, err, id)
		return
	}
	// The id is the client's: escaped, a space or a control character in
	// it (a CR LF, a NUL) stays out of the header line.
	w.Header()["Location"] = []string{a.prefix + url.PathEscape(it.ID)}
	a.write(w, http.StatusCreated, it)
}

// object returns the request body when it is a JSON object (within
// max_body_bytes and max_body_depth), or answers 400.
func (a *crudAction) object(w http.ResponseWriter, x *exchange) ([]byte, bool) {
	body, ok := x.body.JSON()
	if ok {
		trimmed := bytes.TrimLeft(body, " \t\r\n")
		ok = len(trimmed) > 0 && trimmed[0] == '{'
	}
	if !ok {
		a.fail(w, x, http.StatusBadRequest, "the body must be a JSON object", "")
		return nil, false
	}
	return body, true
}

func (a *crudAction) notAllowed(w http.ResponseWriter, x *exchange, allow string) {
	a.fail(w, x, http.StatusMethodNotAllowed, "method not allowed", "", allow)
}

// storeFailed answers a store's error: 404 for an unknown id, 409 for a
// taken one, 400 for an object the store refused, 503 and 507 as for
// every store failure.
func (a *crudAction) storeFailed(w http.ResponseWriter, x *exchange, err error, id string) {
	var full *state.FullError
	var unavailable *state.UnavailableError
	switch {
	case errors.Is(err, state.ErrNotFound):
		a.fail(w, x, http.StatusNotFound, "no item with this id", id)
	case errors.Is(err, state.ErrExists):
		a.fail(w, x, http.StatusConflict, "an item with this id exists already", id)
	case errors.As(err, &full), errors.As(err, &unavailable):
		x.failState(w, err)
	default:
		a.fail(w, x, http.StatusBadRequest, err.Error(), id)
	}
}

// fail answers {"error": ..., "rule": ..., "data_set": ..., "id": ...}.
func (a *crudAction) fail(w http.ResponseWriter, x *exchange, status int, message, id string, allow ...string) {
	h := w.Header()
	clear(h)
	if len(allow) > 0 {
		h["Allow"] = allow
	}
	if x.debugValue != nil {
		h[DebugHeader] = x.debugValue
	}
	writeError(w, status, message, x.ruleName(), "data_set", a.set, "id", id)
}

// TotalCountHeader carries the number of items a list matched, before
// paging, as json-server does.
const TotalCountHeader = "X-Total-Count"

// list answers the items: filtered by every query parameter that does not
// start with "_" (the item's field at that gjson path equals one of the
// parameter's values, as text), sorted by _sort (fields separated by
// commas, "-" before one for descending; _order=desc reverses the
// default), and paged by _page (from 1) and _limit (default 10 with
// _page), with X-Total-Count the number before paging.
func (a *crudAction) list(w http.ResponseWriter, x *exchange) {
	q := x.query()
	var filters []fieldFilter
	var sortBy []string
	desc := false
	page, limit := 0, 0
	for _, k := range config.SortedKeys(q) {
		v := q[k]
		switch k {
		case "_sort":
			for _, f := range strings.Split(v[0], ",") {
				if f = strings.TrimSpace(f); f != "" && f != "-" {
					sortBy = append(sortBy, f)
				}
			}
			if len(sortBy) > maxSortFields {
				a.fail(w, x, http.StatusBadRequest, "_sort takes at most "+strconv.Itoa(maxSortFields)+" fields", "")
				return
			}
		case "_order":
			switch strings.ToLower(v[0]) {
			case "asc":
			case "desc":
				desc = true
			default:
				a.fail(w, x, http.StatusBadRequest, "_order must be asc or desc", "")
				return
			}
		case "_page", "_limit":
			n, err := strconv.Atoi(v[0])
			if err != nil || n < 1 {
				a.fail(w, x, http.StatusBadRequest, k+" must be a positive integer", "")
				return
			}
			if k == "_page" {
				page = n
			} else {
				limit = n
			}
		default:
			if strings.HasPrefix(k, "_") {
				continue // other conventions' parameters (_embed, _start…) are ignored
			}
			f := fieldFilter{path: gjsonEscape(k), want: make(map[string]bool, len(v))}
			for _, value := range v {
				f.want[value] = true
			}
			filters = append(filters, f)
		}
	}
	items, err := a.store.List(x.req.Context(), a.set)
	if err != nil {
		a.storeFailed(w, x, err, "")
		return
	}
	if len(filters) > 0 {
		kept := items[:0:0]
		for _, it := range items {
			if matchesFilters(it.JSON, filters) {
				kept = append(kept, it)
			}
		}
		items = kept
	}
	if len(sortBy) > 0 {
		sortItems(items, sortBy, desc)
	} else if desc {
		slices.Reverse(items)
	}
	total := len(items)
	if page > 0 || limit > 0 {
		if limit == 0 {
			limit = 10
		}
		if page == 0 {
			page = 1
		}
		start := len(items)
		if page-1 <= len(items)/limit { // no overflow for huge pages
			start = min((page-1)*limit, len(items))
		}
		items = items[start : start+min(limit, len(items)-start)] // no overflow for huge limits
	}
	n := 2
	for _, it := range items {
		n += len(it.JSON) + 1
	}
	body := make([]byte, 0, n)
	body = append(body, '[')
	for i, it := range items {
		if i > 0 {
			body = append(body, ',')
		}
		body = append(body, it.JSON...)
	}
	body = append(body, ']')
	h := w.Header()
	h["Content-Type"] = jsonContentType
	h["Content-Length"] = []string{strconv.Itoa(len(body))}
	h[TotalCountHeader] = []string{strconv.Itoa(total)}
	w.WriteHeader(http.StatusOK)
	w.Write(body)
}

// fieldFilter is one field's filter: its values are alternatives,
// ?role=admin&role=owner, looked up in a set, so that many values cost
// one lookup per item, not one comparison each.
type fieldFilter struct {
	path string // a gjson path of field names
	want map[string]bool
}

// maxSortFields bounds _sort: each comparison of the sort reads every
// field, so that _sort=a,a,a,… (100 000 of them in a long URL) would cost
// minutes for one request.
const maxSortFields = 16

// matchesFilters tells whether every filter's field equals one of its
// values.
func matchesFilters(item []byte, filters []fieldFilter) bool {
	for _, f := range filters {
		got := gjson.GetBytes(item, f.path)
		if !got.Exists() || !f.matches(got) {
			return false
		}
	}
	return true
}

func (f fieldFilter) matches(got gjson.Result) bool {
	if got.IsArray() {
		for _, el := range got.Array() {
			if f.want[el.String()] {
				return true
			}
		}
		return false
	}
	return f.want[got.String()]
}

// sortItems sorts stably by the fields, numbers as numbers and anything
// else as text; an item without the field comes last.
func sortItems(items []*state.Item, fields []string, desc bool) {
	type key struct {
		desc bool
		path string
	}
	keys := make([]key, len(fields))
	for i, f := range fields {
		k := key{desc: desc, path: f}
		if p, ok := strings.CutPrefix(f, "-"); ok {
			k = key{desc: true, path: p}
		}
		k.path = gjsonEscape(k.path)
		keys[i] = k
	}
	slices.SortStableFunc(items, func(a, b *state.Item) int {
		for _, k := range keys {
			va, vb := gjson.GetBytes(a.JSON, k.path), gjson.GetBytes(b.JSON, k.path)
			switch {
			case !va.Exists() && !vb.Exists():
				continue
			case !va.Exists():
				return 1
			case !vb.Exists():
				return -1
			}
			c := compareValues(va, vb)
			if k.desc {
				c = -c
			}
			if c != 0 {
				return c
			}
		}
		return 0
	})
}

func compareValues(a, b gjson.Result) int {
	if a.Type == gjson.Number && b.Type == gjson.Number {
		switch {
		case a.Num < b.Num:
			return -1
		case a.Num > b.Num:
			return 1
		}
		return 0
	}
	return strings.Compare(a.String(), b.String())
}

// gjsonEscape makes a query parameter's name a gjson path of plain field
// names separated by dots: the wildcards and modifiers of gjson's syntax
// are escaped, so that a client can only name fields.
func gjsonEscape(name string) string {
	if !strings.ContainsAny(name, "*?|#@\\!=<>%") {
		return name
	}
	var b strings.Builder
	for _, r := range name {
		if strings.ContainsRune("*?|#@\\!=<>%", r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}
