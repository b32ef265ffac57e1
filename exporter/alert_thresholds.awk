# alert_thresholds.awk — the alert rules' thresholds as C, for the status page and its JSON.
#
# Reads dashboards/prometheus/alerts.rules.yml: each "# threshold: NAME" line holds one
# number with its comparison ("> 50", ">= 5"); the rule's name comes from the "- alert:"
# line before it and its delay from its "for:" line (0s without one). Prints one initialiser
# per threshold: { "NAME", "ALERT", "OP", VALUE, "FOR" }. The page thus highlights exactly what
# the shipped rules alert on. Anything it cannot read exactly fails the build, as does a
# threshold the page uses (-v required=a,b,...) that the file no longer has.
function fail(msg) { print "alert_thresholds.awk: line " NR ": " msg > "/dev/stderr"; failed = 1; exit 1 }
function flush(   i) {
	for (i = 0; i < n; i++)
		printf "{ \"%s\", \"%s\", \"%s\", %s, \"%s\" },\n", name[i], alert, op[i], value[i], dur
	n = 0
}
{ sub(/\r$/, "") }
/^[ \t]*- alert:/ {
	if (alert != "")
		flush()
	alert = $3
	dur = "0s"
	if (alert !~ /^[A-Za-z_][A-Za-z0-9_]*$/)
		fail("cannot read the alert name")
	next
}
/^[ \t]*- record:/ { if (alert != "") flush(); alert = ""; next }
/^[ \t]*for:/ && alert != "" {
	dur = $2
	if (dur !~ /^([0-9]+(ms|s|m|h|d|w|y))+$/)
		fail("cannot read the for: duration")
	next
}
!/^[ \t]*#/ && /# *threshold:/ {
	line = $0
	if (line !~ /# threshold: [a-z][a-z0-9_]* *$/)
		fail("cannot read the threshold marker")
	if (alert == "")
		fail("a threshold outside an alerting rule")
	marker = $NF
	sub(/#.*/, "", line)
	k = split(line, word, " ")
	if (k < 2 || word[k] !~ /^[0-9]+(\.[0-9]+)?$/ || word[k - 1] !~ /^(>|>=|<|<=|==)$/)
		fail("cannot read the comparison and number before the marker")
	if (marker in seen)
		fail("threshold " marker " is marked twice")
	seen[marker] = 1
	name[n] = marker; op[n] = word[k - 1]; value[n] = word[k]; n++
}
END {
	if (failed)
		exit 1
	if (alert != "")
		flush()
	k = split(required, want, ",")
	for (i = 1; i <= k; i++)
		if (!(want[i] in seen)) {
			print "alert_thresholds.awk: no threshold " want[i] > "/dev/stderr"
			exit 1
		}
}
