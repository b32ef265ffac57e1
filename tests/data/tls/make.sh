#!/usr/bin/env bash
# Re-creates the test PKI for the web config unit tests (tests/unit/test_webconfig.c): a CA,
# a server pair signed by it, and a second key that matches nothing. Not secret, test only.
set -euo pipefail
cd "$(dirname "$0")"
ec() { openssl req "$@" -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes 2>/dev/null; }
ec -x509 -keyout ca.key -out ca.crt -days 36500 -subj "/CN=tcp_health_exporter test CA"
ec -keyout server.key -out server.csr -subj "/CN=localhost"
openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -out server.crt \
	-days 36500 2>/dev/null
ec -keyout other.key -out other.csr -subj "/CN=other"
rm -f server.csr other.csr ca.srl
