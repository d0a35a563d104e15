package store

import (
	"context"
	"errors"
	"path/filepath"
)

// DataFileName is the name of the bbolt file inside the data directory.
const DataFileName = "leakwatch.db"

// Open returns the Redis store if redisURL is not empty, else the bbolt
// store at filepath.Join(dataDir, DataFileName).
func Open(ctx context.Context, dataDir, redisURL string) (Store, error) {
	if redisURL != "" {
		r, err := OpenRedis(ctx, redisURL)
		if err != nil {
			return nil, err
		}
		return r, nil
	}
	if dataDir == "" {
		return nil, errors.New("open store: neither a data directory nor a redis url was given")
	}
	b, err := OpenBolt(filepath.Join(dataDir, DataFileName))
	if err != nil {
		return nil, err
	}
	return b, nil
}
