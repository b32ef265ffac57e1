# tcp_health_exporter — plain Makefile.
#   make run    install missing build dependencies (apt-get, as root), build, start on :9978
#   make check  the same, then every test: unit (Check, ASan/UBSan, valgrind) and
#               integration (network namespaces, curl, promtool)

B        := build
VERSION  := $(shell cat VERSION)
REVISION := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

CC      ?= cc
CFLAGS  ?= -O2 -g
CFLAGS  += -std=gnu11 -Wall -Wextra -Werror -D_GNU_SOURCE -fstack-protector-strong \
           -DTCPH_VERSION='"$(VERSION)"' -I$(B)/gen
PKGS     = libmnl libmicrohttpd zlib yaml-0.1 gnutls libcrypt jansson libsystemd
LDLIBS  += $$(pkg-config --libs $(PKGS)) -lpthread
CHECK_LIBS = $$(pkg-config --libs check)

BUILD_DEPS := gcc libc6-dev make pkg-config libmnl-dev libmicrohttpd-dev zlib1g-dev libyaml-dev \
              libgnutls28-dev libcrypt-dev libjansson-dev libsystemd-dev
CHECK_DEPS := check iproute2 nftables curl valgrind procps strace openssl jq podman runc debootstrap python3-yaml systemd clang libclang-rt-14-dev chromium \
              wrk util-linux
# `make deb` and `make package`: Debian's packaging tools, and groff/man-db for the man page.
PACKAGE_DEPS := dpkg-dev debhelper fakeroot lintian groff-base man-db

LIB_SRC := lib/log.c lib/procfs.c lib/utf8.c lib/flagtab.c collectors/owners.c collectors/owner_names.c \
           collectors/collectors.c collectors/targets.c collectors/workers.c \
           collectors/sockdiag.c collectors/classify.c collectors/tcpagg.c collectors/sysctl.c \
           collectors/netstat.c collectors/netns.c collectors/events.c collectors/events_scan.c \
           collectors/event_classify.c \
           collectors/tcp_flags.c collectors/netns_flags.c collectors/collectors_flags.c \
           exporter/expfmt.c exporter/flags.c exporter/web_flags.c exporter/http.c exporter/listen.c exporter/conns.c \
           exporter/clients.c exporter/buckets.c exporter/requests.c exporter/routes.c exporter/bodies.c exporter/scrape.c exporter/snapshot.c \
           exporter/render_metrics.c exporter/render_metrics_events.c exporter/render_html.c exporter/render_html_fields.c exporter/render_html_events.c exporter/render_html_style.c exporter/status.c exporter/status_fields.c exporter/status_events.c exporter/fields.c \
           exporter/process.c exporter/stats.c exporter/webconfig.c exporter/gzip.c exporter/auth.c
HEADERS := $(wildcard lib/*.h exporter/*.h collectors/*.h) $(B)/gen/revision.h $(B)/gen/alert_thresholds.h
UNIT_SRC := $(wildcard tests/unit/*.c)
TOOLS    := build/tools/sockstate build/tools/record_dump build/tools/tcpclient build/tools/bcrypt \
            build/tools/hostile build/tools/tls_flood build/tools/destroy_events build/tools/evconn

BIN := $(B)/tcp_health_exporter
ASAN_BIN := $(B)/asan/tcp_health_exporter
TSAN_BIN := $(B)/tsan/tcp_health_exporter
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
# ThreadSanitizer: the exporter's threads (serving pool, scanner, password thread, reaper)
TSAN_FLAGS := -O1 -fsanitize=thread -fno-omit-frame-pointer

# promtool comes from Debian's prometheus package, unpacked into build/ rather than
# installed: installing it would also start a Prometheus service on the host.
PROMTOOL := $(B)/prometheus/usr/bin/promtool

.PHONY: all run check deps check-deps unit fuzz integration bench bench-quick dashboards rules container deploy clean FORCE \
        bootstrap clean-images docs
all: $(BIN)

define install_missing
	@missing=""; for p in $(1); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q "ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" != 0 ]; then echo "missing Debian packages:$$missing (run as root, or apt-get install them)" >&2; exit 1; fi; \
	  echo "installing:$$missing"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing >/dev/null || exit 1; \
	fi
endef

deps:
	$(call install_missing,$(BUILD_DEPS))

check-deps: deps
	$(call install_missing,$(CHECK_DEPS))

# The git revision, rewritten only when it changes, so objects that show it are rebuilt
# after a commit and only then.
$(B)/gen/revision.h: FORCE
	@mkdir -p $(dir $@)
	@echo '#define TCPH_REVISION "$(REVISION)"' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@
FORCE:

# The alert rules (name, severity, for:) and their thresholds, for the views' field table
# (exporter/fields.c): generated, so that the views judge by what the shipped rules alert
# on. fields.h makes enums of them; a row naming a threshold the rules lose does not compile.
$(B)/gen/alert_thresholds.h: dashboards/prometheus/alerts.rules.yml exporter/alert_thresholds.awk
	@mkdir -p $(dir $@)
	awk -f exporter/alert_thresholds.awk $< > $@.tmp && mv $@.tmp $@

$(PROMTOOL):
	@mkdir -p $(B)/prometheus && cd $(B)/prometheus && rm -f prometheus_*.deb && \
	  { apt-get download prometheus >/dev/null 2>&1 || { apt-get update -qq && apt-get download prometheus >/dev/null; }; } && \
	  dpkg-deb -x prometheus_*.deb . && rm -f prometheus_*.deb && test -x usr/bin/promtool

$(B)/%.o: %.c $(HEADERS) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $$(pkg-config --cflags $(PKGS)) -c -o $@ $<

$(B)/asan/%.o: %.c $(HEADERS) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(SAN_FLAGS) $$(pkg-config --cflags $(PKGS)) -c -o $@ $<

$(B)/tsan/%.o: %.c $(HEADERS) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $(TSAN_FLAGS) $$(pkg-config --cflags $(PKGS)) -c -o $@ $<

$(BIN): $(B)/exporter/main.o $(LIB_SRC:%.c=$(B)/%.o)
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(ASAN_BIN): $(B)/asan/exporter/main.o $(LIB_SRC:%.c=$(B)/asan/%.o)
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(LDLIBS)

$(TSAN_BIN): $(B)/tsan/exporter/main.o $(LIB_SRC:%.c=$(B)/tsan/%.o)
	$(CC) $(CFLAGS) $(TSAN_FLAGS) -o $@ $^ $(LDLIBS)

$(B)/unit_tests: $(UNIT_SRC:%.c=$(B)/%.o) $(LIB_SRC:%.c=$(B)/%.o) | check-deps
	$(CC) $(CFLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)

$(B)/asan/unit_tests: $(UNIT_SRC:%.c=$(B)/asan/%.o) $(LIB_SRC:%.c=$(B)/asan/%.o) | check-deps
	$(CC) $(CFLAGS) $(SAN_FLAGS) -o $@ $^ $(LDLIBS) $(CHECK_LIBS)

$(B)/tools/%: tests/tools/%.c $(LIB_SRC:%.c=$(B)/%.o) | deps
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $$(pkg-config --cflags $(PKGS)) -o $@ $< $(LIB_SRC:%.c=$(B)/%.o) $(LDLIBS)

run: $(BIN)
	./$(BIN) $(ARGS)

# The size limits of source files and functions (tests/lint/sizes.sh), first: a file or a
# function that outgrew them fails `make unit` before anything is built.
.PHONY: sizes
sizes:
	@echo "== sizes"
	@bash tests/lint/sizes.sh

# The two test binaries are built JOBS compiles at a time (after sizes), then the ASan/UBSan
# run and the valgrind run go at the same time (each runs its tests one at a time, so two
# CPUs do both), each into a log of its own (build/unit-asan.log, build/unit-valgrind.log)
# printed whole when both are done; both must pass. UNIT_SERIAL=1 runs them one after the
# other, for a machine busy with something else: Check's 4 s per-test timeout (fork mode,
# the ASan run) counts wall time, and the slowest ASan tests take 2-3 s of it alone.
JOBS ?= $(shell nproc 2>/dev/null || echo 1)
UNIT_SERIAL ?= 0
UNIT_ASAN = ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1 TCPH_TEST_DATA=tests/data ./$(B)/asan/unit_tests
UNIT_VALGRIND = CK_FORK=no TCPH_TEST_DATA=tests/data valgrind -q --error-exitcode=99 --leak-check=full \
  --errors-for-leak-kinds=definite,indirect ./$(B)/unit_tests
unit: sizes
	@$(MAKE) --no-print-directory -j$(JOBS) unit-bins
	@echo "== unit tests: ASan/UBSan and valgrind$(if $(filter 1,$(UNIT_SERIAL)), one after the other, at once)"
	@$(UNIT_ASAN) >$(B)/unit-asan.log 2>&1 & asan=$$!; as=; \
	if [ "$(UNIT_SERIAL)" = 1 ]; then wait $$asan; as=$$?; fi; \
	$(UNIT_VALGRIND) >$(B)/unit-valgrind.log 2>&1; vg=$$?; \
	if [ -z "$$as" ]; then wait $$asan; as=$$?; fi; \
	echo "== unit tests (ASan/UBSan): exit $$as"; echo '$(UNIT_ASAN)'; cat $(B)/unit-asan.log; \
	echo "== unit tests (valgrind): exit $$vg"; echo '$(UNIT_VALGRIND)'; cat $(B)/unit-valgrind.log; \
	[ $$as = 0 ] || echo "make unit: the ASan/UBSan run FAILED (exit $$as)" >&2; \
	[ $$vg = 0 ] || echo "make unit: the valgrind run FAILED (exit $$vg)" >&2; \
	[ $$as = 0 ] && [ $$vg = 0 ]

# What unit builds, JOBS at a time (`@:`: no "is up to date" lines when built already).
.PHONY: unit-bins
unit-bins: $(B)/unit_tests $(B)/asan/unit_tests
	@:

# Regenerates tests/data/golden/metrics.prom, the exposition the golden unit test
# (tests/unit/test_golden.c) compares byte for byte. Review `git diff tests/data/golden`.
.PHONY: golden
golden: $(B)/unit_tests
	CK_FORK=no CK_RUN_SUITE=golden TCPH_TEST_DATA=tests/data \
	  TCPH_GOLDEN_WRITE=tests/data/golden/metrics.prom ./$(B)/unit_tests
	@git --no-pager diff --stat -- tests/data/golden 2>/dev/null || true

# libFuzzer harnesses (tests/fuzz) for the parsers of untrusted-looking input (netlink dumps,
# /proc/net text, /proc/PID/cgroup paths) and of what operators type (the web config YAML,
# the command line), each for FUZZ_SECONDS on its corpus: 10 for `make fuzz`, and
# `make fuzz FUZZ_SECONDS=600` for longer; `make check` runs them for CHECK_FUZZ_SECONDS
# (5) each. The harnesses are built, and run, JOBS at a time (each fuzzer is one process
# on one CPU; its log in build/fuzz/NAME.log).
FUZZ_SECONDS ?= 10
CHECK_FUZZ_SECONDS ?= 5
FUZZ_TARGETS := sockdiag events netstat webconfig flags cgroup names
FUZZ_FLAGS := -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -std=gnu11 -D_GNU_SOURCE
# flags.c assembles the modules' flag tables; the collectors' (--[no-]collector.NAME) reads
# the collectors table, which pulls in the collectors; the route table (routes.c) names the
# paths --web.telemetry-path may not be.
FUZZ_FLAGS_SRC := exporter/flags.c exporter/web_flags.c exporter/routes.c collectors/tcp_flags.c collectors/netns_flags.c \
                  collectors/collectors_flags.c collectors/collectors.c collectors/targets.c collectors/workers.c \
                  collectors/tcpagg.c collectors/classify.c collectors/sysctl.c collectors/netstat.c collectors/sockdiag.c \
                  collectors/netns.c collectors/owners.c collectors/owner_names.c collectors/events.c \
                  collectors/events_scan.c collectors/event_classify.c \
                  lib/log.c lib/procfs.c lib/utf8.c lib/flagtab.c
$(B)/fuzz/fuzz_sockdiag: tests/fuzz/fuzz_sockdiag.c collectors/sockdiag.c $(HEADERS) | check-deps
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_sockdiag.c collectors/sockdiag.c $$(pkg-config --libs libmnl)
$(B)/fuzz/fuzz_events: tests/fuzz/fuzz_events.c collectors/sockdiag.c collectors/event_classify.c $(HEADERS) | check-deps
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_events.c collectors/sockdiag.c collectors/event_classify.c $$(pkg-config --libs libmnl)
$(B)/fuzz/fuzz_netstat: tests/fuzz/fuzz_netstat.c collectors/netstat.c lib/log.c lib/procfs.c lib/utf8.c $(HEADERS) | check-deps
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_netstat.c collectors/netstat.c lib/log.c lib/procfs.c lib/utf8.c
$(B)/fuzz/fuzz_webconfig: tests/fuzz/fuzz_webconfig.c exporter/webconfig.c lib/log.c lib/utf8.c $(HEADERS) | check-deps
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) $$(pkg-config --cflags yaml-0.1 gnutls libcrypt) -o $@ \
	  tests/fuzz/fuzz_webconfig.c exporter/webconfig.c lib/log.c lib/utf8.c $$(pkg-config --libs yaml-0.1 gnutls libcrypt) -lpthread
$(B)/fuzz/fuzz_cgroup: tests/fuzz/fuzz_cgroup.c collectors/netns.c lib/log.c lib/procfs.c lib/utf8.c $(HEADERS) | check-deps
	@mkdir -p $(@D)
	clang $(FUZZ_FLAGS) -o $@ tests/fuzz/fuzz_cgroup.c collectors/netns.c lib/log.c lib/procfs.c lib/utf8.c
$(B)/fuzz/fuzz_names: tests/fuzz/fuzz_names.c exporter/render_html.c exporter/render_html_fields.c exporter/render_html_events.c exporter/render_html_style.c exporter/status.c exporter/status_fields.c exporter/status_events.c exporter/fields.c exporter/expfmt.c $(FUZZ_FLAGS_SRC) $(HEADERS) | check-deps
	@mkdir -p $(@D)
	clang $(FUZZ_FLAGS) -DTCPH_VERSION='"$(VERSION)"' -I$(B)/gen $$(pkg-config --cflags libmnl jansson) -o $@ \
	  tests/fuzz/fuzz_names.c exporter/render_html.c exporter/render_html_fields.c exporter/render_html_events.c exporter/render_html_style.c exporter/status.c exporter/status_fields.c exporter/status_events.c exporter/fields.c exporter/expfmt.c $(FUZZ_FLAGS_SRC) \
	  $$(pkg-config --libs libmnl jansson)
$(B)/fuzz/fuzz_flags: tests/fuzz/fuzz_flags.c $(FUZZ_FLAGS_SRC) $(HEADERS) | check-deps
	@mkdir -p $(dir $@)
	clang $(FUZZ_FLAGS) -DTCPH_VERSION='"$(VERSION)"' -I$(B)/gen $$(pkg-config --cflags libmnl) -o $@ \
	  tests/fuzz/fuzz_flags.c $(FUZZ_FLAGS_SRC) $$(pkg-config --libs libmnl)

.PHONY: fuzz-bins
fuzz-bins: $(FUZZ_TARGETS:%=$(B)/fuzz/fuzz_%)
	@:
fuzz:
	@$(MAKE) --no-print-directory -j$(JOBS) fuzz-bins
	@echo "== fuzz ($(FUZZ_SECONDS) s each, $(JOBS) at a time)"
	@rc=0; set --; \
	for f in $(FUZZ_TARGETS); do \
	  mkdir -p $(B)/fuzz/corpus-$$f || exit 1; \
	  ./$(B)/fuzz/fuzz_$$f -max_total_time=$(FUZZ_SECONDS) -max_len=65536 -print_final_stats=0 \
	    $(B)/fuzz/corpus-$$f tests/fuzz/corpus/$$f 2>$(B)/fuzz/$$f.log & set -- "$$@" "$$f:$$!"; \
	  [ $$# -ge $(JOBS) ] || [ $$f = $(lastword $(FUZZ_TARGETS)) ] || continue; \
	  for job in "$$@"; do \
	    f=$${job%%:*}; \
	    if wait $${job#*:}; then \
	      echo "fuzz_$$f: no crash in $(FUZZ_SECONDS) s ($$(grep -o 'DONE.*' $(B)/fuzz/$$f.log || tail -n 1 $(B)/fuzz/$$f.log))"; \
	    else tail -n 40 $(B)/fuzz/$$f.log; echo "fuzz_$$f: FAILED (input saved in ./crash-*)"; rc=1; fi; \
	  done; \
	  set --; [ $$rc = 0 ] || exit 1; \
	done

integration: $(BIN) $(ASAN_BIN) $(TSAN_BIN) $(TOOLS) $(PROMTOOL)
	@echo "== integration tests"
	TCPH_BIN=$(BIN) TCPH_ASAN_BIN=$(ASAN_BIN) TCPH_TSAN_BIN=$(TSAN_BIN) PROMTOOL=$(PROMTOOL) \
	  TOOLS=$(B)/tools bash tests/integration/run.sh

# Speed and memory against BENCH_SOCKETS real sockets (tests/bench/bench.sh), then the cost
# of --netns=all against bare dumps of the same namespaces (tests/bench/bench_netns.sh), then
# the server's CPU per TLS handshake by key type (tests/bench/tls_handshake.sh), then what
# the events collector costs per closed connection and what it loses (tests/bench/events.sh).
# make bench runs the full sizes: the figures README and docs/benchmarks.md publish.
# make bench-quick (the step of make check) runs the same scripts with BENCH_QUICK=1:
# smaller sizes and fewer rounds, every check still asserted, each script saying so.
BENCH_QUICK ?= 0
bench: $(BIN) $(B)/tools/sockstate $(B)/tools/netns_floor $(B)/tools/tls_flood $(B)/tools/churn \
       $(B)/tools/destroy_reader
	@echo "== benchmark$(if $(filter 1,$(BENCH_QUICK)), (quick mode: make bench for the full sizes))"
	BENCH_QUICK=$(BENCH_QUICK) TCPH_BIN=$(BIN) TOOLS=$(B)/tools bash tests/bench/bench.sh || [ $$? = 77 ] # 77: SKIPPED, not root
	@echo "== benchmark: network namespaces"
	BENCH_QUICK=$(BENCH_QUICK) TCPH_BIN=$(BIN) TOOLS=$(B)/tools bash tests/bench/bench_netns.sh || [ $$? = 77 ]
	@echo "== benchmark: TLS handshakes by key type"
	BENCH_QUICK=$(BENCH_QUICK) TCPH_BIN=$(BIN) TOOLS=$(B)/tools bash tests/bench/tls_handshake.sh || [ $$? = 77 ]
	@echo "== benchmark: socket-destroy events (--collector.tcp.events)"
	BENCH_QUICK=$(BENCH_QUICK) TCPH_BIN=$(BIN) TOOLS=$(B)/tools bash tests/bench/events.sh || [ $$? = 77 ]
bench-quick:
	@$(MAKE) --no-print-directory bench BENCH_QUICK=1

# Alert rules (promtool check/test), shortened test rules, dashboard lint.
# The rules and dashboards with runbook links to your copy of docs/runbook.md:
#   make rules RUNBOOK_URL=https://wiki.example/tcp/runbook     (into build/rules/)
RUNBOOK_URL ?= file:///usr/share/doc/tcp-health-exporter/runbook.md
rules: $(PROMTOOL)
	sh dashboards/with_runbook_url.sh $(B)/rules '$(RUNBOOK_URL)'
	$(PROMTOOL) check rules $(B)/rules/alerts.rules.yml $(B)/rules/recording.rules.yml

dashboards: $(PROMTOOL) | check-deps
	@echo "== dashboards and rules"
	PROMTOOL=$(PROMTOOL) bash dashboards/check.sh

# Builds the image with podman (making the base image by debootstrap when missing) and
# runs it with host networking; then --netns=all (the build's binary on the host, and the
# image with two capabilities) against containers with network namespaces of their own.
container: $(BIN) $(B)/tools/sockstate | check-deps
	@echo "== container"
	TCPH_BIN=$(BIN) TOOLS=$(B)/tools bash tests/container/test_container.sh || [ $$? = 77 ] # 77: SKIPPED, not root

# systemd unit, Prometheus configs, Kubernetes and compose manifests (deploy/check.sh).
deploy: $(BIN) $(PROMTOOL) | check-deps
	@echo "== deployment files"
	PROMTOOL=$(PROMTOOL) TCPH_BIN=$(BIN) bash deploy/check.sh

# make install [PREFIX=/usr/local] [DESTDIR=staging root] [SYSTEMD_UNIT_DIR=...]: the binary,
# the man page, the service and socket units (ExecStart rewritten to $(BINDIR)) in
# SYSTEMD_UNIT_DIR (/etc/systemd/system; /lib/systemd/system for PREFIX=/usr, as the
# package), dashboards, rules (runbook links to the installed runbook), the docs, the
# --netns=all drop-in as an example under $(DATADIR)/systemd/ (copied into the unit's .d/
# directory it would grant two capabilities, so it is not active by default), and
# /etc/default/tcp_health_exporter unless one exists. `make uninstall` removes all of it but
# that defaults file (your flags).
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share/tcp-health-exporter
DOCDIR  ?= $(PREFIX)/share/doc/tcp-health-exporter
SYSTEMD_UNIT_DIR ?= $(if $(filter /usr,$(PREFIX)),/lib/systemd/system,/etc/systemd/system)
DEFAULTS_FILE := /etc/default/tcp_health_exporter
UNITS   := tcp_health_exporter.service tcp_health_exporter.socket
DOCS    := README.md CHANGELOG.md LICENSE docs/runbook.md docs/alerts.md docs/status-api.md docs/architecture.md \
           docs/serving.md docs/cardinality.md docs/netns.md docs/benchmarks.md docs/development.md
.PHONY: install uninstall deb package package-deps
install: $(BIN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(SYSTEMD_UNIT_DIR) \
	  $(DESTDIR)$(DATADIR)/grafana $(DESTDIR)$(DATADIR)/prometheus $(DESTDIR)$(DATADIR)/systemd \
	  $(DESTDIR)$(DOCDIR) $(DESTDIR)$(dir $(DEFAULTS_FILE))
	install -m 0755 $(BIN) $(DESTDIR)$(BINDIR)/tcp_health_exporter
	install -m 0644 docs/tcp_health_exporter.1 $(DESTDIR)$(MANDIR)/man1/tcp_health_exporter.1
	for f in $(UNITS:%=deploy/systemd/%) deploy/systemd/tcp_health_exporter.service.d/netns.conf; do \
	  case $$f in *.conf) to=$(DESTDIR)$(DATADIR)/systemd ;; *) to=$(DESTDIR)$(SYSTEMD_UNIT_DIR) ;; esac; \
	  sed 's#/usr/local/bin/tcp_health_exporter#$(BINDIR)/tcp_health_exporter#g' $$f >$$to/$${f##*/} && \
	  chmod 0644 $$to/$${f##*/} || exit 1; \
	done
	for f in dashboards/grafana/*.json dashboards/prometheus/*.rules.yml; do \
	  case $$f in *.json) to=$(DESTDIR)$(DATADIR)/grafana ;; *) to=$(DESTDIR)$(DATADIR)/prometheus ;; esac; \
	  sed 's#file:///usr/share/doc/tcp-health-exporter/runbook.md#file://$(DOCDIR)/runbook.md#g' $$f >$$to/$${f##*/} && chmod 0644 $$to/$${f##*/} || exit 1; \
	done
	install -m 0644 $(DOCS) $(DESTDIR)$(DOCDIR)/
	@if [ -e $(DESTDIR)$(DEFAULTS_FILE) ]; then echo "kept $(DESTDIR)$(DEFAULTS_FILE)"; \
	else echo "install -m 0644 deploy/systemd/tcp_health_exporter.default $(DESTDIR)$(DEFAULTS_FILE)"; \
	  install -m 0644 deploy/systemd/tcp_health_exporter.default $(DESTDIR)$(DEFAULTS_FILE); fi
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; \
	  echo "then: systemctl enable --now tcp_health_exporter (or tcp_health_exporter.socket, see its comments)"; fi

uninstall:
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then \
	  systemctl disable --now $(UNITS) 2>/dev/null || true; fi
	rm -f $(DESTDIR)$(BINDIR)/tcp_health_exporter $(DESTDIR)$(MANDIR)/man1/tcp_health_exporter.1 \
	  $(UNITS:%=$(DESTDIR)$(SYSTEMD_UNIT_DIR)/%)
	rm -rf $(DESTDIR)$(DATADIR) $(DESTDIR)$(DOCDIR)
	@if [ -z "$(DESTDIR)" ] && [ -d /run/systemd/system ]; then systemctl daemon-reload; fi
	@if [ -e $(DESTDIR)$(DEFAULTS_FILE) ]; then echo "kept $(DESTDIR)$(DEFAULTS_FILE) (your flags; remove it by hand)"; fi

package-deps:
	$(call install_missing,$(PACKAGE_DEPS))

# make deb: build/tcp-health-exporter_$(VERSION)_ARCH.deb with debhelper. The packaging is
# in deploy/debian/; the tree (without build/ and .git) is copied to build/deb/ with it as
# debian/ and a debian/changelog for $(VERSION), so the repository never gains a debian/.
# MAINTAINER='Name <user@host>' names whoever builds the package, in debian/control's
# Maintainer (deploy/debian/control holds the placeholder @MAINTAINER@) and in the
# changelog's trailer line; the default is neutral (.invalid: a host that never exists).
MAINTAINER ?= tcp_health_exporter developers <developers@tcp-health-exporter.invalid>
DEB_ARCH = $(shell dpkg --print-architecture)
DEB      = $(B)/tcp-health-exporter_$(VERSION)_$(DEB_ARCH).deb
DEB_SRC  = $(B)/deb/tcp-health-exporter-$(VERSION)
# Through the environment, so that quotes in a name reach the shell intact.
deb: export TCPH_DEB_MAINTAINER = $(MAINTAINER)
deb: | deps package-deps
	@echo "== deb"
	@printf '%s\n' "$$TCPH_DEB_MAINTAINER" | grep -qxE '[^<>[:cntrl:]]*[^<>[:space:][:cntrl:]] <[^<>@[:space:]]+@[^<>@[:space:]]+>' && \
	  [ "$$(printf '%s' "$$TCPH_DEB_MAINTAINER" | wc -l)" = 0 ] || \
	  { echo "make deb: MAINTAINER='$$TCPH_DEB_MAINTAINER' is not 'Name <user@host>'" >&2; exit 2; }
	rm -rf $(B)/deb && mkdir -p $(DEB_SRC)
	tar -c --exclude=./build --exclude=./.git -f - . | tar -x -C $(DEB_SRC)
	cp -R deploy/debian $(DEB_SRC)/debian
	awk '$$0 == "Maintainer: @MAINTAINER@" { $$0 = "Maintainer: " ENVIRON["TCPH_DEB_MAINTAINER"]; n++ } { print } \
	  END { exit n != 1 }' deploy/debian/control >$(DEB_SRC)/debian/control || \
	  { echo "make deb: no 'Maintainer: @MAINTAINER@' line in deploy/debian/control" >&2; exit 1; }
	@date=$$(LC_ALL=C date -R -d "@$$(git log -1 --format=%ct 2>/dev/null || date +%s)") && \
	{ printf 'tcp-health-exporter (%s) unstable; urgency=medium\n\n' '$(VERSION)'; \
	  printf '  * tcp_health_exporter %s (git revision %s). What changed is in\n' '$(VERSION)' '$(REVISION)'; \
	  printf '    CHANGELOG.md in /usr/share/doc/tcp-health-exporter.\n\n'; \
	  printf ' -- %s  %s\n' "$$TCPH_DEB_MAINTAINER" "$$date"; \
	} >$(DEB_SRC)/debian/changelog
	cd $(DEB_SRC) && TCPH_REVISION=$(REVISION) dpkg-buildpackage -b -us -uc >../build.log 2>&1 || \
	  { tail -n 40 ../build.log; echo "dpkg-buildpackage failed: $(B)/deb/build.log"; exit 1; }
	cp $(B)/deb/$(notdir $(DEB)) $(DEB)
	@echo "built $(DEB)"

# The package for real (tests/package/test_package.sh): make deb, lintian, systemd-analyze
# verify, then install, serve, remove and purge in a fresh container of the minimal
# Debian 12 base image; make install / uninstall into a staging directory; the man page
# against --help (tests/package/check_manpage.sh).
package: $(BIN) $(B)/tools/sockstate | check-deps package-deps
	@echo "== package"
	TCPH_BIN=$(BIN) TOOLS=$(B)/tools bash tests/package/test_package.sh || [ $$? = 77 ] # 77: SKIPPED, not root

# The documentation against its sources of truth (tests/docs/check_docs.sh): dependency
# lists, the Dockerfile's packages, flags in README and the man page (every row of the flag
# table, printed by the build-only tests/tools/flag_table), versions.
docs: $(BIN) $(B)/tools/flag_table
	@echo "== docs"
	TCPH_BIN=$(BIN) TCPH_FLAG_TABLE=$(B)/tools/flag_table bash tests/docs/check_docs.sh

# make print-VAR: the value of VAR, through the environment so that <, > and quotes in it
# (MAINTAINER) reach the output as they are.
print-%: export TCPH_PRINT = $($*)
print-%:
	@printf '%s\n' "$$TCPH_PRINT"

# README's run command on a bare Debian 12 (deploy/bootstrap.sh in a fresh container of the
# minimal base image): installs make and the build dependencies, builds, serves /metrics.
bootstrap: $(BIN) $(B)/tools/sockstate | check-deps
	@echo "== bare Debian 12: sh deploy/bootstrap.sh run"
	TCPH_BIN=$(BIN) TOOLS=$(B)/tools bash tests/container/test_bootstrap.sh || [ $$? = 77 ]

# What the tests create on the host outside build/: podman images under this project's
# names. The tests remove their own per-run images (localhost/tcp_health_exporter:test-PID);
# this removes any left by an interrupted run, the build stages (labelled), and the
# debootstrapped base image. Never -f: an image a container still uses (a second run at
# once, your own tcp_health_exporter:latest) is left alone. `make check` runs it at the end
# whether it passed or not.
clean-images:
	-@for i in $$(podman images --format '{{.Repository}}:{{.Tag}}' 2>/dev/null | \
	  grep -E '^localhost/tcp_health_exporter:test-[0-9]+$$|^localhost/tcp-health-exporter-base:bookworm$$'); do \
	  podman rmi "$$i" >/dev/null 2>&1 && echo "removed image $$i"; done; \
	  podman image prune -f --filter label=tcp_health_exporter.stage=build >/dev/null 2>&1; true

# The steps of `make check`, in order: it stops at the first that fails, removes the
# images either way, and prints how long each step took (README's timing table). Its
# fuzz step runs each harness for CHECK_FUZZ_SECONDS (`make check CHECK_FUZZ_SECONDS=60`).
CHECK_STEPS := unit dashboards deploy docs fuzz bench-quick container bootstrap package integration
check: check-deps
	@mkdir -p $(B); rc=0; : >$(B)/check-times.txt; all_start=$$(date +%s); \
	for step in $(CHECK_STEPS); do \
	  start=$$(date +%s); \
	  $(MAKE) --no-print-directory $$step FUZZ_SECONDS=$(CHECK_FUZZ_SECONDS) || rc=$$?; \
	  echo "$$step $$(($$(date +%s) - start))" >>$(B)/check-times.txt; \
	  [ $$rc = 0 ] || { echo "make check: step '$$step' FAILED" >&2; break; }; \
	done; \
	$(MAKE) --no-print-directory clean-images; \
	echo "== make check: seconds per step (all: $$(($$(date +%s) - all_start)))"; \
	sed 's/^/   /' $(B)/check-times.txt; \
	exit $$rc

clean:
	rm -rf $(B)
