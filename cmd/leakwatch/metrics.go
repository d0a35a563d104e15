package main

import (
	"context"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/leakwatch/leakwatch/crawler"
	"github.com/leakwatch/leakwatch/fingerprints"
	"github.com/leakwatch/leakwatch/notify"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// The daemon's metrics, served at /metrics. Labels are source names, set
// names and status codes, all from the configuration or the protocol:
// never a URL, a title or anything else a page chose. Each collector
// gathers the numbers of one package where they live: the crawler's
// requests (through crawler.Options.Observer) and health, the matcher's
// scans (Scanner.Stats summed by the pipeline) and index, and the notify
// outbox. Values read from the store are read at scrape time.

// scrapeTimeout bounds the store reads of one scrape.
const scrapeTimeout = 5 * time.Second

// fetchMetrics counts the crawler's HTTP requests; it is the crawler's
// FetchObserver.
type fetchMetrics struct {
	requests *prometheus.CounterVec
	bytes    *prometheus.CounterVec
	errors   *prometheus.CounterVec
	seconds  *prometheus.HistogramVec
}

func newFetchMetrics() *fetchMetrics {
	return &fetchMetrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leakwatch_crawler_requests_total",
			Help: "HTTP requests sent by a source (listings, items, robots.txt, redirect hops, retries), by status code (0: no response).",
		}, []string{"source", "code"}),
		bytes: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leakwatch_crawler_response_bytes_total",
			Help: "Response body bytes read by a source, after decompression.",
		}, []string{"source"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "leakwatch_crawler_request_errors_total",
			Help: "Requests of a source that got no response or a status of 400 or more.",
		}, []string{"source"}),
		seconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "leakwatch_crawler_request_duration_seconds",
			Help:    "Time from sending a request to reading the whole response body.",
			Buckets: []float64{0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		}, []string{"source"}),
	}
}

// ObserveFetch records one request.
func (m *fetchMetrics) ObserveFetch(e crawler.FetchEvent) {
	m.requests.WithLabelValues(e.Source, strconv.Itoa(e.Status)).Inc()
	m.bytes.WithLabelValues(e.Source).Add(float64(e.Bytes))
	if e.Err {
		m.errors.WithLabelValues(e.Source).Inc()
	}
	m.seconds.WithLabelValues(e.Source).Observe(e.Duration.Seconds())
}

// touch makes every source's series exist from the start, at zero.
func (m *fetchMetrics) touch(sources []daemonSource) {
	for _, s := range sources {
		m.bytes.WithLabelValues(s.Name)
		m.errors.WithLabelValues(s.Name)
	}
}

// stallCounters count the stall emails this process sent or failed to.
type stallCounters struct{ sent, failed atomic.Int64 }

// newRegistry builds the daemon's registry: its collectors, the Go runtime
// and the process.
func (d *daemon) newRegistry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		d.fetch.requests, d.fetch.bytes, d.fetch.errors, d.fetch.seconds,
		sourceCollector{d}, matcherCollector{d}, notifyCollector{d}, queueCollector{d},
	)
	return reg
}

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(name, help, labels, nil)
}

var (
	descStoreUp        = desc("leakwatch_store_up", "1 if the store answered this scrape's reads.")
	descSrcFailures    = desc("leakwatch_source_consecutive_failures", "Visits of the source that failed in a row.", "source", "kind")
	descSrcItems       = desc("leakwatch_source_items_seen_total", "Documents the source handed to the matcher, ever (kept in the store).", "source", "kind")
	descSrcLastSuccess = desc("leakwatch_source_last_success_timestamp_seconds", "When the source's last successful visit ended (absent: never).", "source", "kind")
	descSrcLastNew     = desc("leakwatch_source_last_new_item_timestamp_seconds", "When the source last handed over a new document (absent: never).", "source", "kind")
	descSrcStalled     = desc("leakwatch_source_stalled", "1 while the source is stalled: failing stall_failures visits in a row, or nothing new for longer than stale_after.", "source", "kind")
	descSrcStaleAfter  = desc("leakwatch_source_stale_after_seconds", "The source's stale_after.", "source", "kind")
	descStallEmails    = desc("leakwatch_stall_emails_total", "Stall emails this process sent (result=sent) or failed to send (result=failed).", "result")
)

// sourceCollector reports the crawler's health of every source and the
// daemon's stall verdict.
type sourceCollector struct{ d *daemon }

// Describe sends nothing: the collector is unchecked (its series depend
// on the configuration).
func (sourceCollector) Describe(chan<- *prometheus.Desc) {}

// Collect reads the sources' health from the store.
func (c sourceCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	ch <- prometheus.MustNewConstMetric(descStallEmails, prometheus.CounterValue, float64(c.d.stallEmails.sent.Load()), "sent")
	ch <- prometheus.MustNewConstMetric(descStallEmails, prometheus.CounterValue, float64(c.d.stallEmails.failed.Load()), "failed")
	states, err := c.d.sourceStates(ctx)
	if err != nil {
		ch <- prometheus.MustNewConstMetric(descStoreUp, prometheus.GaugeValue, 0)
		return
	}
	ch <- prometheus.MustNewConstMetric(descStoreUp, prometheus.GaugeValue, 1)
	for _, s := range states {
		ch <- prometheus.MustNewConstMetric(descSrcFailures, prometheus.GaugeValue, float64(s.ConsecutiveFailures), s.Source, s.Kind)
		ch <- prometheus.MustNewConstMetric(descSrcItems, prometheus.CounterValue, float64(s.ItemsSeen), s.Source, s.Kind)
		if !s.LastSuccess.IsZero() {
			ch <- prometheus.MustNewConstMetric(descSrcLastSuccess, prometheus.GaugeValue, unixSeconds(s.LastSuccess), s.Source, s.Kind)
		}
		if !s.LastNewItem.IsZero() {
			ch <- prometheus.MustNewConstMetric(descSrcLastNew, prometheus.GaugeValue, unixSeconds(s.LastNewItem), s.Source, s.Kind)
		}
		ch <- prometheus.MustNewConstMetric(descSrcStalled, prometheus.GaugeValue, bool01(s.Stalled), s.Source, s.Kind)
		ch <- prometheus.MustNewConstMetric(descSrcStaleAfter, prometheus.GaugeValue, s.StaleAfter.Seconds(), s.Source, s.Kind)
	}
}

var (
	descDocuments      = desc("leakwatch_matcher_documents_total", "Documents scanned by the matcher.")
	descUnreadable     = desc("leakwatch_matcher_documents_unreadable_total", "Documents the matcher could not read (not retried).")
	descRefused        = desc("leakwatch_matcher_documents_refused_total", "Documents refused because no set was loaded (offered again later).")
	descScanBytes      = desc("leakwatch_matcher_bytes_total", "Text bytes scanned (Scanner.Stats).")
	descCandidates     = desc("leakwatch_matcher_candidates_total", "Candidate values normalized (Scanner.Stats).")
	descLookups        = desc("leakwatch_matcher_lookups_total", "Fingerprints computed and looked up (Scanner.Stats).")
	descFiltered       = desc("leakwatch_matcher_prefiltered_total", "Lookups the sets' prefilters spared: candidate values a set does not hold (Scanner.Stats).")
	descDeferred       = desc("leakwatch_matcher_deferred_total", "Lookups of weak values common in the sets that no record near them needed, never made (Scanner.Stats).")
	descHits           = desc("leakwatch_matcher_hits_total", "Field hits (Scanner.Stats).")
	descFindings       = desc("leakwatch_findings_total", "Findings (one per set and page) the pipeline recorded, repeats of stored ones included.")
	descFindingsNew    = desc("leakwatch_findings_new_total", "Findings stored for the first time.")
	descFindingsStored = desc("leakwatch_findings_stored", "Findings in the store (within findings_retention).")
	descReady          = desc("leakwatch_matcher_ready", "1 when a matcher is built from at least one set.")
	descGeneration     = desc("leakwatch_matcher_sets_generation", "The sets generation the matcher was built from.")
	descReloads        = desc("leakwatch_matcher_reloads_total", "Matcher rebuilds after a set change (result=ok or failed).", "result")
	descIndexFP        = desc("leakwatch_index_fingerprints", "Field fingerprints in the set's index.", "set")
	descIndexRecords   = desc("leakwatch_index_records", "Records in the set.", "set")
	descIndexBytes     = desc("leakwatch_index_bytes", "Memory held by the set's index, for fingerprints (with the directory) and for record references.", "set", "part")
	descIndexStale     = desc("leakwatch_index_forms_stale", "1 when the set was loaded with canonical forms of another version than this leakwatch writes: a value written differently in the two is not found until the set is loaded again.", "set")
)

// matcherCollector reports the pipeline's scan counters and the current
// matcher's index.
type matcherCollector struct{ d *daemon }

// Describe sends nothing: the collector is unchecked (one series per set).
func (matcherCollector) Describe(chan<- *prometheus.Desc) {}

// Collect reads the counters, the current matcher and the findings count.
func (c matcherCollector) Collect(ch chan<- prometheus.Metric) {
	st := &c.d.pipe.stats
	counter := func(d *prometheus.Desc, v int64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	counter(descDocuments, st.documents.Load())
	counter(descUnreadable, st.unreadable.Load())
	counter(descRefused, st.refused.Load())
	counter(descScanBytes, st.bytes.Load())
	counter(descCandidates, st.candidates.Load())
	counter(descLookups, st.lookups.Load())
	counter(descFiltered, st.filtered.Load())
	counter(descDeferred, st.deferred.Load())
	counter(descHits, st.hits.Load())
	counter(descFindings, st.findings.Load())
	counter(descFindingsNew, st.findingsNew.Load())
	counter(descReloads, st.reloads.Load(), "ok")
	counter(descReloads, st.reloadFailures.Load(), "failed")
	m, gen := c.d.pipe.current()
	ch <- prometheus.MustNewConstMetric(descReady, prometheus.GaugeValue, bool01(m != nil))
	if m != nil {
		ch <- prometheus.MustNewConstMetric(descGeneration, prometheus.GaugeValue, float64(gen))
		for _, s := range m.Info() {
			ch <- prometheus.MustNewConstMetric(descIndexFP, prometheus.GaugeValue, float64(s.Fingerprints), s.Name)
			ch <- prometheus.MustNewConstMetric(descIndexRecords, prometheus.GaugeValue, float64(s.Records), s.Name)
			ch <- prometheus.MustNewConstMetric(descIndexBytes, prometheus.GaugeValue, float64(s.FingerprintBytes), s.Name, "fingerprints")
			ch <- prometheus.MustNewConstMetric(descIndexBytes, prometheus.GaugeValue, float64(s.RefBytes), s.Name, "refs")
			ch <- prometheus.MustNewConstMetric(descIndexStale, prometheus.GaugeValue, bool01(s.Forms != fingerprints.FormsVersion), s.Name)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	n := 0
	if err := c.d.st.Scan(ctx, bucketFindings, "", func(string, []byte) error { n++; return nil }); err == nil {
		ch <- prometheus.MustNewConstMetric(descFindingsStored, prometheus.GaugeValue, float64(n))
	}
}

var (
	descNotifyEnabled = desc("leakwatch_notify_enabled", "1 when the notify section is configured.")
	descEnqueued      = desc("leakwatch_notify_enqueued_total", "Findings this process queued for email (refs already notified left out).")
	descOutbox        = desc("leakwatch_notify_outbox", "Outbox items by state: queued (waiting or retrying: the queue depth), failed (for good, until retried), sent (receipts kept 30 days).", "state")
	descOldestQueued  = desc("leakwatch_notify_oldest_queued_timestamp_seconds", "When the oldest item still queued was written (absent: none).")
)

// notifyCollector reports the outbox (notify's Status).
type notifyCollector struct{ d *daemon }

// Describe sends nothing: the collector is unchecked.
func (notifyCollector) Describe(chan<- *prometheus.Desc) {}

// Collect reads the outbox.
func (c notifyCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(descNotifyEnabled, prometheus.GaugeValue, bool01(c.d.notifier != nil))
	ch <- prometheus.MustNewConstMetric(descEnqueued, prometheus.CounterValue, float64(c.d.pipe.stats.queued.Load()))
	if c.d.notifier == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	s, err := c.d.notifier.Status(ctx)
	if err != nil {
		return
	}
	ch <- prometheus.MustNewConstMetric(descOutbox, prometheus.GaugeValue, float64(s.Queued), "queued")
	ch <- prometheus.MustNewConstMetric(descOutbox, prometheus.GaugeValue, float64(s.Failed), "failed")
	ch <- prometheus.MustNewConstMetric(descOutbox, prometheus.GaugeValue, float64(s.Sent), "sent")
	var oldest time.Time
	for _, it := range s.Items {
		if it.State != notify.StateFailed && (oldest.IsZero() || it.Enqueued.Before(oldest)) {
			oldest = it.Enqueued
		}
	}
	if !oldest.IsZero() {
		ch <- prometheus.MustNewConstMetric(descOldestQueued, prometheus.GaugeValue, unixSeconds(oldest))
	}
}

var (
	descQueueAlive   = desc("leakwatch_queue_workers_alive", "Workers heard from by the crawl queue (a claim or a touch) within the reclaim timeout.")
	descQueueJobs    = desc("leakwatch_queue_sources", "Sources in the crawl queue by state: scheduled (waiting for their due time), overdue (due, not yet promoted), ready (waiting for a worker), pending (being visited, or held by a dead worker until reclaimed), dead (dead-lettered). ready+pending is the queue depth.", "state")
	descQueueOldest  = desc("leakwatch_queue_oldest_pending_age_seconds", "How long ago the oldest pending visit entered the queue (0: none pending).")
	descQueueIdle    = desc("leakwatch_queue_oldest_pending_idle_seconds", "How long the oldest pending visit has gone without a sign of life (0: none pending); reclaimed past the reclaim timeout.")
	descQueueReclaim = desc("leakwatch_queue_reclaim_after_seconds", "This process's reclaim timeout.")
)

// queueCollector reports the crawl's work queue, shared by the fleet.
type queueCollector struct{ d *daemon }

// Describe sends nothing: the collector is unchecked.
func (queueCollector) Describe(chan<- *prometheus.Desc) {}

// Collect reads the queue's stats.
func (c queueCollector) Collect(ch chan<- prometheus.Metric) {
	reclaim := c.d.crawler.ReclaimAfter()
	ch <- prometheus.MustNewConstMetric(descQueueReclaim, prometheus.GaugeValue, reclaim.Seconds())
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	qs, err := c.d.crawler.QueueStats(ctx)
	if err != nil {
		return
	}
	q := summarizeQueue(qs, time.Now(), reclaim)
	ch <- prometheus.MustNewConstMetric(descQueueAlive, prometheus.GaugeValue, float64(q.WorkersAlive))
	for state, n := range map[string]int64{"scheduled": q.Scheduled, "overdue": q.Overdue, "ready": q.Ready, "pending": q.Pending, "dead": q.DeadLetters} {
		ch <- prometheus.MustNewConstMetric(descQueueJobs, prometheus.GaugeValue, float64(n), state)
	}
	var age, idle float64
	if p := q.OldestPending; p != nil {
		age, idle = p.AgeSeconds, p.IdleSeconds
	}
	ch <- prometheus.MustNewConstMetric(descQueueOldest, prometheus.GaugeValue, age)
	ch <- prometheus.MustNewConstMetric(descQueueIdle, prometheus.GaugeValue, idle)
}

func unixSeconds(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }

func bool01(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
