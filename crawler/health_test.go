package crawler

import (
	"context"
	"testing"

	"github.com/leakwatch/leakwatch/crawler/fixtures"
)

// TestReadHealthMatchesCrawlerHealth: what a tool reads from the store
// without a Crawler is what the crawler that visited reports.
func TestReadHealthMatchesCrawlerHealth(t *testing.T) {
	ctx := context.Background()
	site := fixtures.NewPasteSite()
	defer site.Close()
	site.Publish("p1", "read health paste")
	st := openState(t)
	c, err := New(Options{Sources: []SourceConfig{loopSource("pastes", KindPasteAPI, site.URL+"/api_scraping.php")},
		State: st, Handler: &collector{}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := c.VisitOnce(ctx, "pastes"); err != nil {
		t.Fatal(err)
	}
	want, err := c.Health(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, names := range [][]string{nil, {"pastes"}} {
		got, err := ReadHealth(ctx, st, names...)
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || got[0].Source != "pastes" || got[0].Kind != KindPasteAPI || got[0].ItemsSeen != 1 ||
			!got[0].NextDue.Equal(want[0].NextDue) || !got[0].LastSuccess.Equal(want[0].LastSuccess) || got[0].NextDue.IsZero() {
			t.Fatalf("ReadHealth(%v) = %+v, want %+v", names, got, want)
		}
	}
	got, err := ReadHealth(ctx, st, "never")
	if err != nil || len(got) != 1 || got[0].Source != "never" || !got[0].NextDue.IsZero() {
		t.Fatalf("a source never visited: %+v, %v", got, err)
	}
}
