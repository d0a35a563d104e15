// Package crawler watches paste sites, forums, feeds and pages
// continuously and politely, and hands every new item, once, to a Handler
// (leakwatch's matcher). It never stores page text: the state it keeps is
// item keys, URLs, content hashes, timestamps, validators and health.
//
// # Sources
//
// Each source is a SourceConfig, usually read from the daemon's YAML:
//
//	sources:
//	  - name: pastes
//	    kind: paste-api          # Pastebin-style scraping API
//	    url: https://paste.example/api_scraping.php
//	    limit: 100
//	    interval: 2m
//	  - name: forum-a
//	    kind: html-listing       # phpBB, XenForo, vBulletin, paste archives
//	    url: https://forum.example/viewforum.php?f=12
//	    item_selector: a.topictitle, dd.lastpost a[href*="#p"]
//	    next_selector: a[rel=next]
//	    content_selector: div[id^=p] .content
//	    max_pages: 3
//	  - name: forum-xf
//	    kind: html-listing       # XenForo 2
//	    url: https://xf.example/forums/leaks.2/
//	    item_selector: .structItem-title a, .structItem-pageJump a
//	    next_selector: .pageNav-jump--next
//	    content_selector: article.message .bbWrapper
//	    max_pages: 3
//	  - name: forum-vb
//	    kind: html-listing       # vBulletin 3/4
//	    url: https://vb.example/forumdisplay.php?f=2
//	    item_selector: a[id^=thread_title_], td[title^="Replies"] a[href*="#post"]
//	    next_selector: a[rel=next]
//	    content_selector: div[id^=post_message_]
//	    max_pages: 3
//	  - name: discuss
//	    kind: discourse          # /latest.json, /t/{id}.json, posts.json
//	    url: https://discuss.example/
//	  - name: board-feed
//	    kind: feed               # RSS 2.0 or Atom
//	    url: https://board.example/app.php/feed
//	    use_content: true
//	  - name: onion-page
//	    kind: url                # one page, watched for changes
//	    url: http://exampleonionaddress.onion/leaks
//	    proxy: socks5://forum-a:x@127.0.0.1:9050
//	    timeout: 2m
//
// ParseSources reads such a list on its own and refuses unknown fields;
// ValidateSources (or SourceConfig.Validate) checks sources decoded by the
// caller and fills in defaults. Errors name the source and the field:
// `source "forum-a": interval: must be at least 1s`.
//
// What each kind does:
//
//   - paste-api reads the listing (adding limit=N), then each new paste's
//     raw text from its scrape_url. The API's status-200 error texts are
//     recognized: "DOES NOT HAVE ACCESS" fails the visit
//     (ErrPasteAccessDenied); "not ready for scraping yet" leaves the paste
//     for the next visit.
//   - html-listing collects item links with item_selector across up to
//     max_pages listing pages (next_selector), fetches each new item page
//     (following next_selector within it too), and, with
//     content_selector, hands over each match as its own document keyed by
//     its id (a forum post). Listing a topic's "last post" link as an item
//     catches replies to old topics (phpBB's viewtopic.php?p=ID,
//     vBulletin's showthread.php?p=ID#postID). XenForo's "latest" link is
//     the same URL for a thread's whole life, so there the item links are
//     the thread and its page links (.structItem-pageJump): a reply that
//     opens a new page is caught, one landing on a page already seen is
//     not; pair such a forum with its RSS feed (kind feed) for those.
//     Post keys are the element ids (XenForo's js-post-ID, vBulletin's
//     post_message_ID), and vBulletin's s=<session> parameter is dropped
//     from URLs.
//   - discourse reads /latest.json (more_topics_url pages), and for topics
//     with new activity /t/{id}.json and /t/{id}/posts.json for posts
//     beyond the first 20; each post is a document.
//   - feed reads RSS or Atom and fetches each new entry's link, or with
//     use_content takes the entry's content from the feed.
//   - url fetches one page with a conditional request and hands it over
//     when its content is new.
//
// # Delivery
//
// The items of one visit (pastes, topics, entries) are fetched and handed
// over by a small pool of Options.ItemWorkers goroutines (default 4), so
// the handler is called concurrently; requests to one host stay spaced by
// its rate, and the store's writes for concurrent items share a
// transaction (one bbolt fsync). Two items with the same content are
// never handed over at once: the second waits and is then a duplicate.
//
// A Document is handed to Handler.HandleDocument; it is marked seen only
// when the handler returns nil, so a crash or a handler error means the
// item is offered again on the next visit, never lost. Content already
// handed over for the same source (same SHA-256) is not handed over again.
// Seen items and content hashes are kept for Options.Retention (30 days).
//
// # Politeness and safety
//
// Every source has its own http.Transport (proxy, dial, TLS and header
// timeouts, keep-alive) and a Timeout covering each whole request. The
// crawler:
//
//   - refuses to connect to loopback, private, link-local, CGNAT and
//     reserved addresses unless the source sets allow_private, and to
//     cloud-metadata, unspecified and multicast addresses always. The
//     check runs after DNS resolution on every connection, so redirects
//     and DNS rebinding are covered. Through a proxy only IP-literal
//     targets can be checked (the proxy resolves names);
//   - follows at most five redirects, each hop checked like the first;
//   - reads at most max_body bytes after decompression and fails on more
//     (ErrBodyTooLarge), so a gzip bomb is an error, not a short page;
//   - decodes bodies to UTF-8 from the BOM, the Content-Type charset,
//     <meta charset> or the XML declaration, guessing only when none is
//     given (Shift_JIS and EUC-JP forums come out right);
//   - obeys robots.txt (cached up to 24 h; 4xx allows all; 5xx, 429 or no
//     answer disallows the site for 10 minutes) and its Crawl-delay;
//   - spaces requests to one host:port by 1/rate (shared by all sources on
//     the host), honours 429/503 Retry-After (seconds or date) and backs
//     off exponentially with jitter on 5xx and network errors, with a
//     bounded number of retries (Options.MaxRetries); a pause longer than
//     Options.MaxRetryWait ends the visit and postpones the source;
//   - sends conditional requests (ETag, Last-Modified) for listings, feeds
//     and watched pages, and saves new validators only after a visit that
//     handed over everything it found.
//
// # Scheduling
//
// Run visits each source when due (interval ± jitter) with a bounded pool
// of Options.Workers; a failing source is retried after a growing delay
// (or after the server's Retry-After) while others go on. Schedules live
// in the State, so a restarted crawler resumes them. Processes sharing one
// store (Redis) share the sources through its work queue (store.Queue; see
// queue.go): each due source is delivered to one worker, a killed worker's
// visit is taken over after Options.ReclaimAfter, and a lease per source
// also keeps manual visits (VisitOnce) from overlapping a queued one. Run
// returns after ctx is cancelled and the visits in progress have stopped
// and been handed back to the queue. Health reports each source's last success, last
// error, consecutive failures and items seen. VisitOnce visits one source
// now.
//
// # colly
//
// Requests are sent by github.com/gocolly/colly/v2: one synchronous
// Collector per source (cloned per request, to carry the request's
// context, so shutdown and timeouts cancel it), and for html-listing
// sources colly's OnHTML parse is the DOM the selectors run on. The
// guarantees above stay in our code around it, so these colly defaults
// are overridden (and COLLY_* environment variables cannot change them):
// its http.Client (10 s timeout, cookie jar, ten redirects) is replaced
// by the source's; robots.txt is ignored (cached forever, no
// Crawl-delay: we do our own) and URL revisits are allowed (its visited
// set grows forever); every status reaches OnResponse (304, 429 and 503
// are ours); charset detection and gunzip are off and MaxBodySize is
// above max_body (a transport below colly inflates and bounds bodies,
// decodePage decodes them); never Async (a goroutine per request,
// unbounded). Retries and redirects are counted by the fetcher, not by
// colly's uncapped Retry.
package crawler
