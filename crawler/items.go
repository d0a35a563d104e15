package crawler

import "context"

// eachItem hands the items of a listing over oldest first: listings show
// the newest first, so it walks keys n-1 down to 0. Each item admitted
// (not seen yet, within the visit's budget) is fetched on the visit's item
// pool, and marked seen only once fetch reports it done; an item that
// failed waits for the next visit.
func (v *visit) eachItem(ctx context.Context, n int, key func(i int) string, fetch func(ctx context.Context, i int) (done bool, err error)) error {
	pool := v.items(ctx)
	for i := n - 1; i >= 0; i-- {
		k := key(i)
		ok, stop, err := v.admit(ctx, k)
		if err != nil || stop {
			return pool.Close(err)
		}
		if !ok {
			continue
		}
		run := func(ctx context.Context) error {
			done, err := fetch(ctx, i)
			if err != nil || !done {
				return err
			}
			return v.markSeen(ctx, k)
		}
		if !pool.Go(run) {
			break
		}
	}
	return pool.Close(nil)
}
