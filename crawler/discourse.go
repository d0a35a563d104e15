package crawler

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
)

// discourseChunk is how many posts Discourse embeds in /t/{id}.json and
// how many ids one posts.json request asks for.
const discourseChunk = 20

type discourseLatest struct {
	TopicList struct {
		MoreTopicsURL string `json:"more_topics_url"`
		Topics        []struct {
			ID                int    `json:"id"`
			Title             string `json:"title"`
			Slug              string `json:"slug"`
			PostsCount        int    `json:"posts_count"`
			HighestPostNumber int    `json:"highest_post_number"`
			LastPostedAt      string `json:"last_posted_at"`
			BumpedAt          string `json:"bumped_at"`
		} `json:"topics"`
	} `json:"topic_list"`
}

type discoursePost struct {
	ID         int    `json:"id"`
	PostNumber int    `json:"post_number"`
	Username   string `json:"username"`
	Cooked     string `json:"cooked"`
	TopicID    int    `json:"topic_id"`
	TopicSlug  string `json:"topic_slug"`
}

type discourseTopic struct {
	ID         int    `json:"id"`
	Title      string `json:"title"`
	Slug       string `json:"slug"`
	PostStream struct {
		Posts  []discoursePost `json:"posts"`
		Stream []int           `json:"stream"`
	} `json:"post_stream"`
}

type discourseTopicRef struct {
	id    int
	title string
	key   string
}

// discourseBase returns the forum's base URL and its /latest.json, from a
// source URL that is either the forum's root or its latest.json.
func discourseBase(raw string) (*url.URL, string, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, "", err
	}
	u.RawQuery, u.Fragment = "", ""
	u.Path = strings.TrimSuffix(strings.TrimSuffix(u.Path, "/latest.json"), "/")
	latest := *u
	latest.Path += "/latest.json"
	return u, latest.String(), nil
}

// visitDiscourse reads /latest.json (following more_topics_url up to
// max_pages), and for each topic with activity not seen yet reads
// /t/{id}.json and then /t/{id}/posts.json?post_ids[]=… for the posts of
// post_stream.stream beyond the embedded first 20. Each post is one
// document keyed "post/{id}"; only posts not seen are fetched.
func visitDiscourse(ctx context.Context, v *visit) error {
	cfg := &v.s.cfg
	base, next, err := discourseBase(cfg.URL)
	if err != nil {
		return fmt.Errorf("source %q: url: %w", cfg.Name, err)
	}
	var topics []discourseTopicRef
	found := map[int]bool{}
	for n := 0; n < cfg.MaxPages && next != ""; n++ {
		p, err := v.fetch(ctx, next, n == 0)
		if err != nil {
			return err
		}
		if p.NotModified {
			return nil
		}
		var l discourseLatest
		if err := json.Unmarshal(p.Body, &l); err != nil {
			return fmt.Errorf("source %q: %s: not a Discourse topic list: %w", cfg.Name, redact(p.URL), err)
		}
		for _, t := range l.TopicList.Topics {
			if t.ID <= 0 || found[t.ID] {
				continue
			}
			found[t.ID] = true
			// the key changes whenever the topic gets a post
			key := fmt.Sprintf("topic/%d/%d/%s", t.ID, max(t.HighestPostNumber, t.PostsCount), t.LastPostedAt)
			topics = append(topics, discourseTopicRef{id: t.ID, title: t.Title, key: key})
		}
		next = ""
		if more := l.TopicList.MoreTopicsURL; more != "" {
			mu, err := p.URL.Parse(more)
			if err != nil {
				return fmt.Errorf("source %q: %s: more_topics_url: %w", cfg.Name, redact(p.URL), err)
			}
			if !strings.HasSuffix(mu.Path, ".json") {
				mu.Path += ".json" // Discourse gives the HTML route, /latest?page=1
			}
			next = mu.String()
		}
	}
	// Latest activity is listed first.
	return v.eachItem(ctx, len(topics), func(i int) string { return topics[i].key }, func(ctx context.Context, i int) (bool, error) {
		return discourseTopicPosts(ctx, v, base, topics[i])
	})
}

// discourseTopicPosts delivers a topic's posts not seen yet; false means
// the topic failed and waits for the next visit.
func discourseTopicPosts(ctx context.Context, v *visit, base *url.URL, t discourseTopicRef) (bool, error) {
	cfg := &v.s.cfg
	tu := base.JoinPath("t", strconv.Itoa(t.id)+".json").String()
	p, err := v.fetch(ctx, tu, false)
	if err != nil {
		return false, v.itemFailed(ctx, t.key, err)
	}
	var topic discourseTopic
	if err := json.Unmarshal(p.Body, &topic); err != nil {
		return false, v.itemFailed(ctx, t.key, fmt.Errorf("source %q: %s: not a Discourse topic: %w", cfg.Name, redact(p.URL), err))
	}
	if topic.Title == "" {
		topic.Title = t.title
	}
	embedded := map[int]discoursePost{}
	for _, po := range topic.PostStream.Posts {
		embedded[po.ID] = po
	}
	var missing []int
	for _, id := range topic.PostStream.Stream {
		seen, err := v.seen(ctx, "post/"+strconv.Itoa(id))
		if err != nil {
			return false, err
		}
		if seen {
			continue
		}
		if po, ok := embedded[id]; ok {
			if err := deliverDiscoursePost(ctx, v, base, topic, po); err != nil {
				return false, err
			}
			continue
		}
		missing = append(missing, id)
	}
	for len(missing) > 0 {
		batch := missing[:min(len(missing), discourseChunk)]
		missing = missing[len(batch):]
		pu := base.JoinPath("t", strconv.Itoa(t.id), "posts.json")
		q := url.Values{}
		for _, id := range batch {
			q.Add("post_ids[]", strconv.Itoa(id))
		}
		pu.RawQuery = q.Encode()
		pp, err := v.fetch(ctx, pu.String(), false)
		if err != nil {
			return false, v.itemFailed(ctx, t.key, err)
		}
		var more discourseTopic
		if err := json.Unmarshal(pp.Body, &more); err != nil {
			return false, v.itemFailed(ctx, t.key, fmt.Errorf("source %q: %s: not a Discourse post list: %w", cfg.Name, redact(pp.URL), err))
		}
		for _, po := range more.PostStream.Posts {
			if err := deliverDiscoursePost(ctx, v, base, topic, po); err != nil {
				return false, err
			}
		}
	}
	return true, nil
}

func deliverDiscoursePost(ctx context.Context, v *visit, base *url.URL, t discourseTopic, po discoursePost) error {
	slug := t.Slug
	if slug == "" {
		slug = "-"
	}
	key := "post/" + strconv.Itoa(po.ID)
	d := Document{
		URL:       base.JoinPath("t", slug, strconv.Itoa(t.ID), strconv.Itoa(po.PostNumber)).String(),
		Key:       key,
		Title:     t.Title,
		MediaType: "text/html",
		Body:      []byte(po.Cooked),
	}
	return v.deliver(ctx, d, key)
}
