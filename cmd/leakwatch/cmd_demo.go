package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/leakwatch/leakwatch/crawler"
	"github.com/leakwatch/leakwatch/crawler/fixtures"
	"github.com/leakwatch/leakwatch/fingerprints"
	"github.com/leakwatch/leakwatch/matcher/corpus"
	"github.com/leakwatch/leakwatch/notify"
)

// demoOptions are the options of `leakwatch demo`.
type demoOptions struct {
	keep    string
	timeout time.Duration
	listen  string
	linger  time.Duration
	// ready, if set, is called with the status page's URL once the
	// alerts have arrived (tests).
	ready func(url string)
}

func runDemo(ctx context.Context, e *env, args []string) error {
	var o demoOptions
	fs := e.flags("demo", false, false)
	fs.StringVar(&o.keep, "keep", "", "keep the demo's key, store and config in `dir` (default: a temporary directory, removed at the end)")
	fs.DurationVar(&o.timeout, "timeout", 60*time.Second, "give up if the demo's alerts have not arrived by then")
	fs.StringVar(&o.listen, "listen", "", "also serve the status page and /metrics on this loopback `address` (e.g. 127.0.0.1:9464)")
	fs.DurationVar(&o.linger, "linger", 0, "with --listen, keep serving this long after the alerts arrived (Ctrl-C ends it)")
	fs.Usage = func() {
		fmt.Fprintln(e.stderr, `usage: leakwatch demo [--keep DIR]

Runs leakwatch end to end on this machine, on loopback only: a key and a set
of 100 synthetic customer records, a paste site and a Shift_JIS forum, the
real daemon pipeline, and a mailbox that receives the alert.`)
		fs.PrintDefaults()
	}
	pos, err := e.parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usagef("demo takes no arguments")
	}
	return demo(ctx, e, o)
}

// demoSchema maps the generator's columns.
const demoSchema = "ref=ref,name=name,kana=name,birthdate=birthdate,phone=phone,email=email:strong,postal=postal,address=address,mynumber=mynumber:strong,card=card:strong,custno=id"

func demo(ctx context.Context, e *env, o demoOptions) error {
	start := time.Now()
	out := e.stdout
	say := func(format string, a ...any) { fmt.Fprintf(out, format+"\n", a...) }
	dir := o.keep
	if dir == "" {
		d, err := os.MkdirTemp("", "leakwatch-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(d)
		dir = d
	} else if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	say("leakwatch demo — everything runs on this machine, on loopback; nothing is sent anywhere.")
	say("")

	// 1. The operator's side: a key, the lost records as fingerprints.
	e.keyPath, e.dataDir, e.redisURL = filepath.Join(dir, "key"), filepath.Join(dir, "data"), ""
	key, err := fingerprints.GenerateKey(e.keyPath)
	if err != nil {
		return err
	}
	set, others := corpus.Population(2026, 100, 2000)
	var csv bytes.Buffer
	if err := corpus.WriteCSV(&csv, set, corpus.WriteOptions{}); err != nil {
		return err
	}
	schema, err := fingerprints.ParseSchema(demoSchema)
	if err != nil {
		return err
	}
	st, err := e.openStore(ctx)
	if err != nil {
		return err
	}
	res, err := fingerprints.Load(ctx, st, key, &csv, fingerprints.LoadOptions{Name: "demo-customers", Source: "customers.csv", Schema: schema, IDPattern: `C[0-9]{8}`})
	st.Close()
	if err != nil {
		return err
	}
	say("1. loaded %d synthetic customer records as set %q: %d fingerprints, no raw value kept", res.Meta.Rows, res.Meta.Name, res.Meta.Fingerprints)

	// 2. The internet, on loopback: a paste site and a Shift_JIS forum.
	site := fixtures.NewPasteSite()
	defer site.Close()
	forum := fixtures.NewForum(fixtures.ForumOptions{Encoding: "Shift_JIS"})
	defer forum.Close()
	site.Publish("weekend plans", "Going hiking on Saturday if the weather holds. 土曜日は晴れるといいな。")
	forum.Post("自己紹介", "はじめまして", "よろしくお願いします。趣味は写真です。")
	sink, err := newMailSink(0)
	if err != nil {
		return err
	}
	defer sink.close()
	pub, priv, err := notify.GenerateOperatorKey()
	if err != nil {
		return err
	}
	if err := notify.WriteOperatorKey(filepath.Join(dir, "operator.pub"), filepath.Join(dir, "operator.key"), pub, priv); err != nil {
		return err
	}
	say("2. started a paste site (%s) and a Shift_JIS phpBB forum (%s), and a mailbox on port %d", site.URL, forum.URL, sink.port)

	// 3. The daemon, as `leakwatch run` runs it.
	every := crawler.Duration(time.Second)
	cfg := &daemonConfig{
		Data: e.dataDir, Key: e.keyPath, Reload: every, path: "demo",
		Sources: []daemonSource{
			{SourceConfig: crawler.SourceConfig{Name: "paste-site", Kind: crawler.KindPasteAPI, URL: site.URL + "/api_scraping.php", Interval: every, Rate: 50, AllowPrivate: true}},
			{SourceConfig: crawler.SourceConfig{Name: "forum", Kind: crawler.KindHTMLListing, URL: forum.ListingURL(), Interval: every, Rate: 50, AllowPrivate: true,
				ItemSelector: `a.topictitle, dd.lastpost a[href*="#p"]`, NextSelector: "a[rel=next]", ContentSelector: "div[id^=p] .content"}},
		},
		Notify: &notify.Config{
			SMTP:        notify.SMTPConfig{Host: "127.0.0.1", Port: sink.port, TLS: notify.TLSNone, From: "leakwatch@example.jp"},
			Default:     notify.Policy{Recipients: []string{"security@example.jp"}, Language: notify.LangEnglish},
			OperatorKey: filepath.Join(dir, "operator.pub"),
			Poll:        200 * time.Millisecond,
		},
	}
	for i := range cfg.Sources {
		cfg.Sources[i].Jitter.Fraction = 0
	}
	cfg.Listen = o.listen
	if err := cfg.validate(); err != nil {
		return err
	}
	d, err := startDaemon(ctx, e, cfg)
	if err != nil {
		return err
	}
	if err := d.listenHTTP(); err != nil {
		d.close()
		return err
	}
	dctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() { done <- d.run(dctx) }()
	say("3. started the daemon: 2 sources polled every second, matcher, outbox, sealed evidence")

	// 4. Leaks appear.
	leaks := corpus.Leaks(7, set, others)
	pick := func(shape string) corpus.Doc {
		for _, l := range leaks {
			if l.Shape == shape {
				return l
			}
		}
		panic("demo: no document of shape " + shape)
	}
	planted := 0
	for _, shape := range []string{"prose-ja", "romaji-en"} {
		doc := pick(shape)
		text, err := corpus.Decode(doc.Encoding, doc.Body)
		if err != nil {
			stop()
			return err
		}
		site.Publish("dump "+shape, text)
		planted += len(doc.Planted)
	}
	post := pick("forum-post")
	text, _ := corpus.Decode(post.Encoding, post.Body)
	forum.Post("流出データ？", "名無しさん", text)
	planted += len(post.Planted)
	say("4. published 2 pastes and 1 forum post holding %d of the lost records, re-typed in the ways leaks write them", planted)

	deadline := time.Now().Add(o.timeout)
	for len(sink.messages()) < 3 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(500 * time.Millisecond) // let the last sends settle
	if addr := d.httpAddr(); addr != "" {
		url := "http://" + addr + "/"
		say("   the status page is at %s (metrics at %smetrics)", url, url)
		if o.ready != nil {
			o.ready(url)
		}
		if o.linger > 0 {
			say("   serving it for %s; Ctrl-C to end", o.linger)
			select {
			case <-ctx.Done():
			case <-time.After(o.linger):
			}
		}
	}
	stop()
	if err := <-done; err != nil {
		d.close()
		return err
	}
	d.close()
	msgs := sink.messages()
	if len(msgs) == 0 {
		return fmt.Errorf("no alert arrived within %s", o.timeout)
	}
	say("5. the daemon found them and the mailbox received %d alerts (%.1fs since start)", len(msgs), time.Since(start).Seconds())
	say("")

	st, err = e.openStore(ctx)
	if err != nil {
		return err
	}
	say("findings (leakwatch findings list):")
	ferr := findingsList(ctx, &env{stdout: out, log: e.log}, st, findingsOptions{})
	var n int
	st.Scan(ctx, bucketFindings, "", func(string, []byte) error { n++; return nil })
	st.Close()
	if ferr != nil {
		return ferr
	}
	say("")
	say("the first alert, as the operator receives it:")
	say("%s", strings.Repeat("-", 72))
	if err := printMail(out, msgs[0]); err != nil {
		return err
	}
	say("%s", strings.Repeat("-", 72))
	say("")
	if o.keep != "" {
		say("kept in %s: open a finding's sealed evidence with", dir)
		say("  leakwatch findings show ID --identity %s --data %s", filepath.Join(dir, "operator.key"), e.dataDir)
	}
	say("next: leakwatch keygen; leakwatch sets load NAME FILE --schema SPEC; leakwatch run --config FILE (see README)")
	if n == 0 {
		return errors.New("demo recorded no finding")
	}
	return nil
}

// printMail writes an email's subject and text part, decoded.
func printMail(w io.Writer, raw []byte) error {
	m, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	subject, _ := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject"))
	fmt.Fprintf(w, "Subject: %s\nTo: %s\n\n", subject, m.Header.Get("To"))
	_, params, err := mime.ParseMediaType(m.Header.Get("Content-Type"))
	if err != nil {
		return err
	}
	mr := multipart.NewReader(m.Body, params["boundary"])
	for {
		p, err := mr.NextPart()
		if err != nil {
			return err
		}
		if strings.HasPrefix(p.Header.Get("Content-Type"), "text/plain") {
			var r io.Reader = p
			if strings.EqualFold(p.Header.Get("Content-Transfer-Encoding"), "quoted-printable") {
				r = quotedprintable.NewReader(p)
			}
			_, err := io.Copy(w, r)
			return err
		}
	}
}
