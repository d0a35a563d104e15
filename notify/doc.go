// Package notify tells the operator, by email, that records the
// organization lost were found on a crawled page: once, reliably, and
// without leaking them a second time.
//
// # The one rule
//
// An alert that quotes a leaked record is a second leak. Nothing in this
// package ever handles a matched value: a Finding carries record
// references, field kinds, counts, a hash and where the page was, and has
// no field that could carry a value. The page's title and URL are
// attacker-controlled, so before a finding is stored or shown it is
// sanitized:
//
//   - every string becomes one line of valid UTF-8: CR, LF and other
//     control characters, bidirectional overrides and zero-width
//     characters become spaces (so nothing can inject a header such as
//     "Bcc:" or reorder what the reader sees);
//   - email addresses (also with "%40" or a full-width "＠") become
//     "[email]", and runs of ten or more digits (phone, individual and
//     card numbers, possibly with '-', ' ' or '.' between digits) become
//     "[number]", in the title, the URL, the source and the refs; a page
//     whose title or address repeats a record is thus not quoted. Long
//     numeric page IDs in URLs are masked too: the finding ID is the key
//     to look a page up;
//   - the title is cut to 120 characters, the URL to 200;
//   - the URL is defanged, "hxxps://example[.]com/x": mail clients do
//     not make it a link, and an operator must copy it deliberately,
//     ideally into an isolated browser. "://" inside titles becomes
//     "[:]//" for the same reason. The HTML part shows the defanged URL as
//     text, never as a link, and html/template escapes everything.
//
// Subjects are made only of fixed words, the set name, a count and the
// finding ID; the title never goes into a header. Logs name findings by ID
// and set only. Errors stored on failed items are SMTP replies, which
// carry no message content.
//
// # Configuration
//
// See Config for the YAML layout: the relay (STARTTLS by default and
// mandatory when configured, implicit TLS, or plain text to a loopback
// relay only), the password (a file of mode 0600 or an environment
// variable), recipients, language (ja, en), digest mode (off, hourly,
// daily) and hourly rate limit per set, with a default policy for the
// rest. Config.Validate names the field of every problem.
//
// # Once and only once
//
// Enqueue writes the finding to the store's outbox before anything is
// sent, then claims one marker per (set, record ref, URL) with PutIfAbsent
// in the "notified" bucket; the marker's value is the key of the item that
// owns it. A ref already claimed is left out of the new item, and an item
// that owns no ref is dropped: a re-crawl, a restart, or a second worker
// never notifies the same ref on the same URL again, while the same ref on
// a new URL is a new notification. If a process dies between writing the
// item and claiming its markers, the item stays in state "claiming" and the
// next Flush finishes the claim (ownership by value makes that idempotent).
//
// Flush (Run calls it in a loop) leases each due item with an atomic
// Update that records the worker and a lease expiry, sends, and deletes the
// item only after the server accepted the message. Two workers never send
// the same item concurrently; a dead worker's lease expires (10 minutes by
// default, which must exceed the SMTP timeout) and another worker takes the
// item. The one window for a duplicate is a crash between the server's
// acceptance and the delete; the resent email then has the same
// Message-ID, so mail clients can fold it.
//
// Temporary failures (connection refused, timeouts, 4xx) are retried with
// exponential backoff and jitter (30 s doubling to 1 h by default); the
// next attempt's time is stored in the item, so it survives restarts.
// Permanent failures (5xx, no STARTTLS where required, a certificate that
// does not verify) and items that failed 25 times become state "failed",
// with the reason and attempt count, visible in Status and kept until
// Retry re-queues them; nothing is dropped.
//
// # Digests and the rate limit
//
// A set in digest mode gets one email per clock hour or UTC day listing the
// findings queued in that period. A set not in digest mode gets one email
// per finding until its rate limit (emails per clock hour); further
// findings are folded into one summary sent at the start of the next hour,
// so a flood of findings becomes a handful of emails, not one per finding.
// Summaries always go out (they count against the hour but are never
// blocked by it); one lists up to 100 findings in full and counts the rest.
//
// # Sealed evidence
//
// The matched span of a page and its context may be kept only sealed:
// Seal encrypts it with HPKE to the operator's public key (X-Wing, a hybrid
// of X25519 and ML-KEM-768, by default; X25519 for keys made with
// GenerateOperatorKeyKEM(KEMX25519)), with HKDF-SHA256 and AES-256-GCM,
// and binds it to the finding ID given as AAD. Only the holder of the
// private key (LoadOperatorIdentity, which refuses a file others can read)
// can Open it, and only under the same finding ID.
//
// # Store layout
//
// Buckets "outbox" (items, JSON), "notified" (markers: key set/hash, value
// item key), "notifysent" (receipts for Status, kept 30 days) and
// "notifyrate" (per-set hourly counters, kept 2 hours). Nothing stored
// holds a raw record; titles and URLs are stored sanitized.
package notify
