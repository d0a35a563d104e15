# leakwatch — build, test, benchmark.
#
#   make test    everything CI runs (installs redis-server and chromium if missing)
#   make bench   benchmarks, with ratios against in-run baselines
#                (make bench PKGS=./matcher/ for the matcher's alone)
#   make try     the main job on the embedded store, on generated data
#   make fuzz    each fuzz target for FUZZTIME (default 15s)

GO        ?= go
FUZZTIME  ?= 15s
BENCHTIME ?= 1s
PKGS      ?= ./...

.PHONY: build test test-deps lint bench fuzz try clean soak

build:
	$(GO) build -o bin/leakwatch ./cmd/leakwatch

test-deps:
	@command -v redis-server >/dev/null 2>&1 || { \
		echo "installing redis-server (tests start their own on a free loopback port)"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq redis-server >/dev/null; }
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || { \
		echo "installing chromium (the status page is checked in headless Chromium)"; \
		if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null; }

test: test-deps
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))" || { echo "gofmt needed:"; gofmt -l .; exit 1; }
	$(GO) test -count=1 -timeout 30m ./...

lint:
	$(GO) vet ./...
	@test -z "$$(gofmt -l .)" || { gofmt -l .; exit 1; }

# Every benchmark, then the ratios against the baselines measured in the
# same run (LEAKWATCH_BENCH_SET / LEAKWATCH_BENCH_MB shrink the matcher's).
bench: test-deps
	$(GO) test -run '^$$' -bench . -benchmem -benchtime $(BENCHTIME) -timeout 60m $(PKGS) | tee bench.out
	@awk '/^BenchmarkScanMixed([-[:space:]])/ { for (i = 1; i < NF; i++) if ($$(i+1) == "MB/s") lw = $$i } \
	     /^BenchmarkScanMixedSmallSet/ { for (i = 1; i < NF; i++) { if ($$(i+1) == "MB/s") sm = $$i; if ($$(i+1) == "records") smn = $$i } } \
	     /^BenchmarkGrepBaseline/ { for (i = 1; i < NF; i++) { if ($$(i+1) == "MB/s") gr = $$i; if ($$(i+1) == "compile-s") grc = $$i } } \
	     /^BenchmarkScanDumps/ { for (i = 1; i < NF; i++) if ($$(i+1) == "MB/s") sd = $$i } \
	     /^BenchmarkDumpsFloor/ { for (i = 1; i < NF; i++) if ($$(i+1) == "MB/s") fl = $$i } \
	     /^BenchmarkDumpsKnownColumns/ { for (i = 1; i < NF; i++) if ($$(i+1) == "MB/s") kc = $$i } \
	     /^BenchmarkScanProse/ { for (i = 1; i < NF; i++) if ($$(i+1) == "MB/s") pr = $$i } \
	     /^BenchmarkScanLogs/ { for (i = 1; i < NF; i++) if ($$(i+1) == "MB/s") lg = $$i } \
	     /^BenchmarkUTF8Valid\/std/ { for (i = 1; i < NF; i++) if ($$(i+1) == "MB/s") u8s = $$i } \
	     /^BenchmarkUTF8Valid\/vector/ { for (i = 1; i < NF; i++) if ($$(i+1) == "MB/s") u8v = $$i } \
	     /^BenchmarkLoad/ { for (i = 1; i < NF; i++) if ($$(i+1) == "rows/s") rows = $$i } \
	     /^BenchmarkDaemonPages/ { for (i = 1; i < NF; i++) if ($$(i+1) == "pages/s") pps = $$i } \
	     END { if (lw && gr) printf "matcher: %s MB/s, grep -F -f over the same raw values: %s MB/s once its patterns are compiled (in %.0f s), ratio %.1fx (the target, 200 MB/s beside grep at about 25, is 8x)\n", lw, gr, grc, lw / gr; \
	           if (lw && sm) printf "matcher with a %d-record set: %s MB/s, %.2fx with the full set\n", smn, sm, sm / lw; \
	           if (sd && fl) printf "csv dumps: matcher %s MB/s, floor %s MB/s (%.2fx); at the floor the mixed corpus (3/10 dumps) stays under %.0f MB/s\n", sd, fl, sd / fl, fl / 0.3; \
	           if (kc && sd && fl) printf "csv dumps with their columns known (no extraction): %s MB/s, %.2fx the matcher, %.2fx the floor\n", kc, kc / sd, kc / fl; \
	           if (pr && lg && sd) { left = 1 / 200 - 0.5 / pr - 0.2 / lg; \
	             printf "parts: prose %s MB/s, logs %s MB/s, dumps %s MB/s, weighted 5:2:3 %.0f MB/s\n", pr, lg, sd, 1 / (0.5 / pr + 0.2 / lg + 0.3 / sd); \
	             if (left > 0 && fl) printf "200 MB/s mixed needs the dumps at %.0f MB/s with prose and logs as measured, %.2fx the floor (were they free: %.0f MB/s, %.2fx)\n", 0.3 / left, 0.3 / left / fl, 0.3 * 200, 0.3 * 200 / fl; \
	             else printf "200 MB/s mixed is out of reach with prose and logs as measured, whatever the dumps cost\n" } \
	           if (u8s && u8v) printf "utf-8 check of prose: vector %s MB/s, unicode/utf8 %s MB/s (%.1fx)\n", u8v, u8s, u8v / u8s; \
	           if (rows) printf "loader: %s rows/s (target 100000: %.2fx)\n", rows, rows / 100000; \
	           if (pps) printf "daemon: %s pages/s fetched and matched (target 200: %.2fx)\n", pps, pps / 200 }' bench.out

fuzz:
	@for pkg in $$($(GO) list ./...); do \
		for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
			echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
		done; \
	done

# The crawler's memory soak: an hour of continuous crawling, failing if the
# heap grows.
soak:
	LEAKWATCH_SOAK=1h $(GO) test -run TestSoak -timeout 2h ./crawler/

# The example set's schema: every column of examples/customers.csv.
EXAMPLE_SCHEMA = ref=ref,name=name,kana=name,birthdate=birthdate,phone=phone,email=email:strong,postal=postal,address=address,mynumber=mynumber:strong,card=card:strong,custno=id

try: build
	@dir=$$(mktemp -d) && trap 'rm -rf "$$dir"' EXIT && \
	echo "== leakwatch keygen (a fresh key in $$dir)" && \
	./bin/leakwatch keygen --key "$$dir/key" && \
	echo "== leakwatch sets load: 200 lost customer records, fingerprinted" && \
	./bin/leakwatch sets load example examples/customers.csv --data "$$dir/data" --key "$$dir/key" \
		--id-pattern 'C[0-9]{8}' --schema '$(EXAMPLE_SCHEMA)' && \
	echo "== leakwatch scan: 22 pastes (18 leaks in as many shapes, 4 benign)" && \
	{ ./bin/leakwatch scan examples/pastes --data "$$dir/data" --key "$$dir/key"; test $$? -le 1; }

clean:
	rm -rf bin bench.out
