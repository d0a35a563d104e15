package crawler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"time"
)

// pasteItem is one entry of a Pastebin-style scraping API listing
// (api_scraping.php). Numbers arrive as strings or numbers.
type pasteItem struct {
	Key       flexString `json:"key"`
	Date      flexString `json:"date"`
	Size      flexString `json:"size"`
	Expire    flexString `json:"expire"`
	Title     flexString `json:"title"`
	Syntax    flexString `json:"syntax"`
	User      flexString `json:"user"`
	ScrapeURL flexString `json:"scrape_url"`
	FullURL   flexString `json:"full_url"`
}

// flexString is a JSON string or number, kept as a string.
type flexString string

// UnmarshalJSON accepts a string, a number or null.
func (f *flexString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*f = flexString(s)
		return nil
	}
	if bytes.Equal(b, []byte("null")) {
		*f = ""
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexString(n.String())
	return nil
}

// ErrPasteAccessDenied is wrapped when a paste API refuses this address
// (Pastebin answers "YOUR IP: … DOES NOT HAVE ACCESS" with status 200).
var ErrPasteAccessDenied = errors.New("paste api refused access (is this address whitelisted?)")

// pasteRetryAfter is how long "not ready for scraping yet" postpones.
const pasteRetryAfter = time.Minute

// pasteMessage is a plain-text answer a paste API gives with status 200.
type pasteMessage int

const (
	pasteContent  pasteMessage = iota // not a message: the paste itself
	pasteDenied                       // "YOUR IP: … DOES NOT HAVE ACCESS"
	pasteNotReady                     // "File is not ready for scraping yet"
	pasteGone                         // "Error, we cannot find this paste."
)

// classifyPaste recognizes a paste API's plain-text messages; only short
// bodies can be one.
func classifyPaste(body []byte) pasteMessage {
	b := bytes.TrimSpace(body)
	if len(b) > 512 {
		return pasteContent
	}
	switch {
	case bytes.HasPrefix(b, []byte("YOUR IP")) && bytes.Contains(b, []byte("DOES NOT HAVE ACCESS")):
		return pasteDenied
	case bytes.HasPrefix(b, []byte("File is not ready for scraping yet")):
		return pasteNotReady
	case bytes.HasPrefix(b, []byte("Error, we cannot find this paste")):
		return pasteGone
	}
	return pasteContent
}

// withQuery returns raw with a query parameter set unless already present.
func withQuery(raw, name, value string) (string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", err
	}
	q := u.Query()
	if q.Get(name) == "" {
		q.Set(name, value)
		u.RawQuery = q.Encode()
	}
	return u.String(), nil
}

// visitPasteAPI reads a scraping-API listing and fetches every paste not
// seen yet from its scrape_url, oldest first. Plain-text errors answered
// with status 200 are recognized: access denied fails the visit, "not
// ready" leaves the paste for the next visit.
func visitPasteAPI(ctx context.Context, v *visit) error {
	cfg := &v.s.cfg
	listURL, err := withQuery(cfg.URL, "limit", strconv.Itoa(cfg.Limit))
	if err != nil {
		return fmt.Errorf("source %q: url: %w", cfg.Name, err)
	}
	p, err := v.fetch(ctx, listURL, true)
	if err != nil {
		return err
	}
	if p.NotModified {
		return nil
	}
	switch classifyPaste(p.Body) {
	case pasteDenied:
		return fmt.Errorf("source %q: listing %s: %w", cfg.Name, listURL, ErrPasteAccessDenied)
	case pasteNotReady:
		return fmt.Errorf("source %q: listing %s: %w", cfg.Name, listURL,
			&RetryLaterError{Until: time.Now().Add(pasteRetryAfter), Reason: "listing not ready for scraping yet"})
	}
	var items []pasteItem
	if err := json.Unmarshal(p.Body, &items); err != nil {
		return fmt.Errorf("source %q: listing %s: not a JSON list of pastes: %w", cfg.Name, listURL, err)
	}
	pool := v.items(ctx)
	for i := len(items) - 1; i >= 0; i-- { // the listing is newest first
		it := items[i]
		key := string(it.Key)
		if key == "" || it.ScrapeURL == "" {
			continue
		}
		ok, stop, err := v.admit(ctx, key)
		if err != nil || stop {
			return pool.Close(err)
		}
		if !ok {
			continue
		}
		scrape, err := p.URL.Parse(string(it.ScrapeURL))
		if err != nil {
			if stop := v.itemFailed(ctx, key, fmt.Errorf("source %q: paste %s: scrape_url: %w", cfg.Name, key, err)); stop != nil {
				return pool.Close(stop)
			}
			continue
		}
		if !pool.Go(func(ctx context.Context) error { return fetchPaste(ctx, v, it, key, scrape) }) {
			break
		}
	}
	return pool.Close(nil)
}

// fetchPaste fetches one paste from its scrape URL and delivers it. A
// non-nil error stops the visit.
func fetchPaste(ctx context.Context, v *visit, it pasteItem, key string, scrape *url.URL) error {
	cfg := &v.s.cfg
	rp, err := v.fetch(ctx, scrape.String(), false)
	if err != nil {
		return v.itemFailed(ctx, key, err)
	}
	switch classifyPaste(rp.Body) {
	case pasteDenied:
		return fmt.Errorf("source %q: paste %s: %w", cfg.Name, scrape, ErrPasteAccessDenied)
	case pasteNotReady:
		v.c.log.Debug("paste not ready yet", "source", cfg.Name, "key", key)
		v.setIncomplete()
		return nil
	case pasteGone:
		return v.markSeen(ctx, key)
	}
	u := string(it.FullURL)
	if u == "" {
		u = scrape.String()
	}
	d := Document{URL: u, Key: key, Title: string(it.Title), MediaType: "text/plain", Body: rp.Body}
	return v.deliver(ctx, d, key)
}
