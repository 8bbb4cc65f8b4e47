package rules

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"krakend-rules/config"
	"math/rand/v2"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// callbackDropLogInterval is how often, at most, a backend logs that it
// dropped callbacks: under a flood it would drop thousands a second.
const callbackDropLogInterval = 10 * time.Second

// maxCallbackRedirects is how many redirects a callback follows, each to
// an allowed host.
const maxCallbackRedirects = 5

// maxCallbackAnswer is how much of a callback's answer is read before its
// connection is given back (or closed): the answer itself is not used.
const maxCallbackAnswer = 64 << 10

// callbackQueue sends the callbacks of one backend's rules, off the
// requests' path. It holds at most maxPending of them (each waiting for
// its delay, for a turn, or being sent) and sends at most senders at
// once; a callback that finds it full is dropped, never waited for. Each
// pending callback is a goroutine that lives until it is sent or dropped,
// so that a long delay holds only its own slot, and a backend whose rules
// send nothing has none. When the engine's context ends (the gateway shuts
// down), waiting callbacks are dropped and those being sent are
// cancelled.
type callbackQueue struct {
	hosts  []config.HostPattern
	client *http.Client
	log    *logger

	ctx     context.Context // ends at shutdown; set by New
	slots   chan struct{}   // one per pending callback
	senders chan struct{}   // one per callback being sent
	pending sync.WaitGroup

	dropped  atomic.Int64 // since the last line saying so
	nextDrop atomic.Int64 // unix nanoseconds before which no drop is logged
}

func newCallbackQueue(hosts []config.HostPattern, transport http.RoundTripper, log *logger) *callbackQueue {
	q := &callbackQueue{
		hosts:   hosts,
		log:     log,
		ctx:     context.Background(),
		slots:   make(chan struct{}, config.MaxPendingCallbacks),
		senders: make(chan struct{}, config.CallbackSenders),
	}
	q.client = &http.Client{Transport: transport, CheckRedirect: q.checkRedirect}
	return q
}

// refuses says why a callback may not go to u; "" when it may.
func (q *callbackQueue) refuses(u *url.URL) string {
	scheme := strings.ToLower(u.Scheme)
	switch {
	case scheme != "http" && scheme != "https":
		return fmt.Sprintf("%q is not an absolute http or https URL", u.Redacted())
	case u.Hostname() == "":
		return fmt.Sprintf("%q has no host", u.Redacted())
	case strings.HasSuffix(u.Host, ":"):
		// "http://h:/" would be sent to "h": what is checked is what is sent
		return fmt.Sprintf("%q has an empty port", u.Redacted())
	}
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	for _, p := range q.hosts {
		if p.Allows(u.Hostname(), port) {
			return ""
		}
	}
	allowed := "none"
	if len(q.hosts) > 0 {
		names := make([]string, len(q.hosts))
		for i, p := range q.hosts {
			names[i] = p.String()
		}
		allowed = strings.Join(names, ", ")
	}
	return fmt.Sprintf("the host %s is not in callback_hosts (%s)", net.JoinHostPort(u.Hostname(), port), allowed)
}

func (q *callbackQueue) checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) > maxCallbackRedirects {
		return fmt.Errorf("stopped after %d redirects", maxCallbackRedirects)
	}
	if why := q.refuses(req.URL); why != "" {
		return errors.New("redirected, but " + why)
	}
	return nil
}

// enqueue hands a rendered callback over to be sent; it never blocks.
func (q *callbackQueue) enqueue(o *outgoing) {
	if q.ctx.Err() != nil {
		q.log.Warning(o.callback.where, "not sent to", o.url.Redacted(), "- the gateway is shutting down")
		return
	}
	select {
	case q.slots <- struct{}{}:
	default:
		q.drop(o)
		return
	}
	q.pending.Add(1)
	go q.run(o)
}

// drop says that a callback found the queue full, at most once every
// callbackDropLogInterval, with how many were dropped meanwhile.
func (q *callbackQueue) drop(o *outgoing) {
	n := q.dropped.Add(1)
	now := time.Now().UnixNano()
	next := q.nextDrop.Load()
	if now < next || !q.nextDrop.CompareAndSwap(next, now+int64(callbackDropLogInterval)) {
		return
	}
	q.dropped.Add(-n)
	q.log.Warning(fmt.Sprintf("%s dropped, not sent to %s: %d callbacks are pending already, the most one backend holds (%s dropped since the last such line)",
		o.callback.where, o.url.Redacted(), cap(q.slots), plural(int(n), "callback")))
}

// run waits for the callback's delay and a turn, then sends it.
func (q *callbackQueue) run(o *outgoing) {
	defer q.pending.Done()
	defer func() { <-q.slots }()
	if d := pickDelay(o.callback.delay); d > 0 {
		t := time.NewTimer(d)
		select {
		case <-t.C:
		case <-q.ctx.Done():
			t.Stop()
			q.log.Warning(o.callback.where, "not sent to", o.url.Redacted(), "- the gateway shut down during its delay")
			return
		}
	}
	select {
	case q.senders <- struct{}{}:
	case <-q.ctx.Done():
		q.log.Warning(o.callback.where, "not sent to", o.url.Redacted(), "- the gateway shut down before its turn")
		return
	}
	defer func() { <-q.senders }()
	q.send(o)
}

// send makes the request and logs how it went: failures at WARNING.
func (q *callbackQueue) send(o *outgoing) {
	ctx, cancel := context.WithTimeout(q.ctx, o.callback.timeout)
	defer cancel()
	target := o.url.Redacted()
	req, err := http.NewRequestWithContext(ctx, o.method, o.url.String(), bytes.NewReader(o.body))
	if err == nil && req.URL.Host != o.url.Host {
		// What was checked is what is dialled, even if a URL did not
		// survive its own spelling (FuzzCallbackURL looks for one).
		err = errors.New("the URL changes its host when it is written out")
	}
	if err != nil {
		q.log.Warning(o.callback.where, "failed:", o.method, target, "-", err)
		return
	}
	if len(o.body) == 0 {
		req.Body, req.ContentLength = http.NoBody, 0
	}
	req.Header = o.header
	res, err := q.client.Do(req)
	if err != nil {
		why := err.Error()
		var uerr *url.Error
		switch {
		case q.ctx.Err() != nil:
			why = "cancelled: the gateway shut down"
		case errors.Is(err, context.DeadlineExceeded):
			why = "no answer within its timeout (" + o.callback.timeout.String() + ")"
		case errors.As(err, &uerr):
			why = uerr.Err.Error()
		}
		q.log.Warning(o.callback.where, "failed:", o.method, target, "-", why)
		return
	}
	io.Copy(io.Discard, io.LimitReader(res.Body, maxCallbackAnswer))
	res.Body.Close()
	if res.StatusCode < 200 || res.StatusCode > 299 {
		q.log.Warning(o.callback.where, "failed:", o.method, target, "- answered", strconv.Itoa(res.StatusCode))
		return
	}
	q.log.Debug(o.callback.where, "sent:", o.method, target, "- answered", strconv.Itoa(res.StatusCode))
}

// wait returns once no callback is pending, or false when ctx ends first.
func (q *callbackQueue) wait(ctx context.Context) bool {
	done := make(chan struct{})
	go func() {
		q.pending.Wait()
		close(done)
	}()
	select {
	case <-done:
		return true
	case <-ctx.Done():
		return false
	}
}

// pickDelay draws a callback's delay: fixed, or uniform in its range.
func pickDelay(d config.DelayRange) time.Duration {
	if d.Max > d.Min {
		return d.Min + time.Duration(rand.Int64N(int64(d.Max-d.Min)+1))
	}
	return d.Min
}
