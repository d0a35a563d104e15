package crawler

import (
	"context"
	"fmt"
	"slices"
)

// ReadHealth reads the stored health and schedule of sources from st
// without a Crawler: for tools that report on a store the daemons write
// (`leakwatch status`). With names empty it reports every source that has
// a stored schedule or health record, sorted by name. Kind is filled in
// only from what the crawler stored; a source never visited has a zero
// SourceHealth but for its name (and its NextDue, if scheduled).
func ReadHealth(ctx context.Context, st State, names ...string) ([]SourceHealth, error) {
	if len(names) == 0 {
		seen := map[string]bool{}
		for _, bucket := range []string{bucketSchedule, bucketHealth} {
			err := st.Scan(ctx, bucket, "", func(key string, _ []byte) error {
				if !seen[key] {
					seen[key] = true
					names = append(names, key)
				}
				return nil
			})
			if err != nil {
				return nil, fmt.Errorf("crawler: read health: scan %s: %w", bucket, err)
			}
		}
		slices.Sort(names)
	}
	s := &state{kv: st}
	out := make([]SourceHealth, 0, len(names))
	for _, name := range names {
		h, err := s.health(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("crawler: health of source %q: %w", name, err)
		}
		h.Source = name
		sc, _, err := s.schedule(ctx, name)
		if err != nil {
			return nil, fmt.Errorf("crawler: schedule of source %q: %w", name, err)
		}
		h.NextDue = sc.Next
		out = append(out, h)
	}
	return out, nil
}
