# alert_thresholds.awk — the alert rules' thresholds as C, for the status page and its JSON.
#
# Reads dashboards/prometheus/alerts.rules.yml: each "# threshold: NAME" line holds one
# number with its comparison ("> 50", ">= 5"); the rule's name comes from the "- alert:"
# line before it and its delay from the "for:" line after it. Prints one initialiser per
# threshold: { "NAME", "ALERT", "OP", VALUE, "FOR" }. The page thus highlights exactly what
# the shipped rules would alert on, and a rule edited without this file stays in step.
/- alert:/ { alert = $3; n = 0 }
!/^ *#/ && /# threshold: [a-z_]+ *$/ {
	line = $0
	sub(/#.*/, "", line)
	k = split(line, word, " ")
	if (k < 2 || word[k] !~ /^[0-9.]+$/ || word[k - 1] !~ /^(>|>=|<|<=|==)$/) {
		print "alert_thresholds.awk: cannot read the threshold on line " NR > "/dev/stderr"
		exit 1
	}
	name[n] = $NF; op[n] = word[k - 1]; value[n] = word[k]; n++
}
/^ *for:/ {
	for (i = 0; i < n; i++)
		printf "{ \"%s\", \"%s\", \"%s\", %s, \"%s\" },\n", name[i], alert, op[i], value[i], $2
	n = 0
}
