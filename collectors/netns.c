/* netns.c — namespace discovery and the labels of what runs in each namespace. */
#include "netns.h"

#include "../lib/utf8.h"

#include "../lib/log.h"
#include "../lib/procfs.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const char *const netns_skip_names[NETNS_SKIP_REASONS] = {
	[NETNS_SKIP_OVER_LIMIT] = "over_limit", [NETNS_SKIP_VANISHED] = "vanished",
	[NETNS_SKIP_PERMISSION] = "permission", [NETNS_SKIP_NOT_FOUND] = "not_found",
	[NETNS_SKIP_ERROR] = "error",
};

/* iproute2's `ip netns` keeps its bind mounts in /run/netns (/var/run/netns on older
 * systems, usually the same directory); Docker keeps its sandboxes' in /run/docker/netns. */
const char *const netns_dirs[] = { "/run/netns", "/var/run/netns", "/run/docker/netns" };
const unsigned netns_n_dirs = sizeof(netns_dirs) / sizeof(netns_dirs[0]);

bool netns_name_valid(const char *name)
{
	size_t len = strlen(name);

	if (len == 0 || len > NETNS_NAME_MAX || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return false;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++)
		if (*p == '/' || *p < 0x20 || *p == 0x7f)
			return false;
	return utf8_valid(name);
}

int netns_discovery_init(struct netns_discovery *d, enum netns_mode mode, const char *proc_root,
			 const char *const *names, unsigned n_names)
{
	char path[300];
	struct stat st;

	memset(d, 0, sizeof(*d));
	d->mode = mode;
	snprintf(d->proc_root, sizeof(d->proc_root), "%s", proc_root);
	d->names = names;
	d->n_names = n_names;
	snprintf(path, sizeof(path), "%s/self/ns/net", proc_root);
	if (stat(path, &st) < 0)
		return -errno;
	d->nsfs_dev = (uint64_t)st.st_dev;
	return 0;
}

void netns_discovery_fini(struct netns_discovery *d)
{
	free(d->found);
	free(d->set);
	d->found = NULL;
	d->set = NULL;
}

/* ---- the inode set -------------------------------------------------------------------- */

static unsigned hash_ino(uint64_t ino, unsigned cap)
{
	return (unsigned)((ino * 0x9E3779B97F4A7C15ull) >> 32) & (cap - 1);
}

static int set_grow(struct netns_discovery *d)
{
	unsigned cap = d->set_cap ? d->set_cap * 2 : 256;
	uint64_t *set = calloc(cap, sizeof(*set));

	if (!set)
		return -ENOMEM;
	for (unsigned i = 0; i < d->n_found; i++) {
		unsigned h = hash_ino(d->found[i].ino, cap);

		while (set[h])
			h = (h + 1) & (cap - 1);
		set[h] = i + 1;
	}
	free(d->set);
	d->set = set;
	d->set_cap = cap;
	return 0;
}

/* The entry for `ino`, added when new. NULL on allocation failure. */
static struct netns_found *found_get(struct netns_discovery *d, uint64_t ino)
{
	unsigned h;

	if ((d->n_found + 1) * 2 > d->set_cap && set_grow(d) < 0)
		return NULL;
	for (h = hash_ino(ino, d->set_cap); d->set[h]; h = (h + 1) & (d->set_cap - 1))
		if (d->found[d->set[h] - 1].ino == ino)
			return &d->found[d->set[h] - 1];
	if (d->n_found == d->cap_found) {
		unsigned cap = d->cap_found ? d->cap_found * 2 : 64;
		struct netns_found *grown = realloc(d->found, cap * sizeof(*grown));

		if (!grown)
			return NULL;
		d->found = grown;
		d->cap_found = cap;
	}
	memset(&d->found[d->n_found], 0, sizeof(d->found[0]));
	d->found[d->n_found].ino = ino;
	d->set[h] = ++d->n_found;
	return &d->found[d->n_found - 1];
}

/* ---- discovery ------------------------------------------------------------------------- */

static int add_named(struct netns_discovery *d, unsigned dir, const char *name)
{
	char path[512];
	struct stat st;
	struct netns_found *f;

	snprintf(path, sizeof(path), "%s/%s", netns_dirs[dir], name);
	/* A file left behind by a namespace that was deleted without unmounting is a plain
	 * file of the directory's own file system, not an nsfs inode. */
	if (stat(path, &st) < 0 || (uint64_t)st.st_dev != d->nsfs_dev)
		return -ENOENT;
	f = found_get(d, (uint64_t)st.st_ino);
	if (!f)
		return -ENOMEM;
	if (!f->named) {
		f->named = true;
		f->dir = (uint8_t)dir;
		snprintf(f->name, sizeof(f->name), "%s", name);
	}
	return 0;
}

static int scan_named_dirs(struct netns_discovery *d)
{
	for (unsigned dir = 0; dir < netns_n_dirs; dir++) {
		DIR *dp = opendir(netns_dirs[dir]);
		struct dirent *de;

		if (!dp)
			continue; /* absent on hosts without ip netns / docker */
		while ((de = readdir(dp))) {
			/* Any name opens the namespace; only a valid one becomes its label. */
			if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
				continue;
			if (add_named(d, dir, de->d_name) == -ENOMEM) {
				closedir(dp);
				return -ENOMEM;
			}
		}
		closedir(dp);
	}
	return 0;
}

static int scan_processes(struct netns_discovery *d)
{
	DIR *dp = opendir(d->proc_root);
	struct dirent *de;

	if (!dp)
		return -errno;
	while ((de = readdir(dp))) {
		char path[64];
		struct stat st;
		struct netns_found *f;
		char *end;
		long pid = strtol(de->d_name, &end, 10);

		if (*end || pid <= 0 || end == de->d_name)
			continue;
		snprintf(path, sizeof(path), "%ld/ns/net", pid);
		/* A process that exits is no news. One we may not look at (without
		 * CAP_SYS_PTRACE, or PID 1 in some sandboxes) cannot show us a namespace; a
		 * namespace of its own would go unseen, which README says. */
		if (fstatat(dirfd(dp), path, &st, 0) < 0)
			continue;
		if ((uint64_t)st.st_dev != d->nsfs_dev)
			continue;
		f = found_get(d, (uint64_t)st.st_ino);
		if (!f) {
			closedir(dp);
			return -ENOMEM;
		}
		if (f->pid == 0 || pid < f->pid)
			f->pid = (pid_t)pid;
	}
	closedir(dp);
	return 0;
}

static int compare_found(const void *a, const void *b)
{
	const struct netns_found *fa = a, *fb = b;

	if (fa->host != fb->host)
		return fa->host ? -1 : 1;
	if (fa->named != fb->named)
		return fa->named ? -1 : 1;
	if (fa->named) {
		int by_name = strcmp(fa->name, fb->name);

		/* The same name in two directories: a stable order decides which one keeps it. */
		if (by_name || fa->dir != fb->dir)
			return by_name ? by_name : fa->dir - fb->dir;
	} else if (fa->pid != fb->pid) {
		return (fa->pid > fb->pid) - (fa->pid < fb->pid);
	}
	return (fa->ino > fb->ino) - (fa->ino < fb->ino);
}

int netns_discover(struct netns_discovery *d)
{
	char path[300];
	struct stat st;
	uint64_t host_ino = 0;
	int ret;

	d->n_found = 0;
	d->not_found = 0;
	if (d->set)
		memset(d->set, 0, d->set_cap * sizeof(*d->set));
	snprintf(path, sizeof(path), "%s/1/ns/net", d->proc_root);
	if (stat(path, &st) == 0 && (uint64_t)st.st_dev == d->nsfs_dev)
		host_ino = (uint64_t)st.st_ino;

	if (d->mode == NETNS_NAMES) {
		for (unsigned i = 0; i < d->n_names; i++) {
			ret = add_named(d, 0, d->names[i]);
			if (ret == -ENOMEM)
				return ret;
			if (ret < 0)
				d->not_found++;
		}
	} else {
		ret = scan_named_dirs(d);
		if (ret == 0)
			ret = scan_processes(d);
		if (ret < 0)
			return ret;
	}
	for (unsigned i = 0; i < d->n_found; i++)
		d->found[i].host = host_ino && d->found[i].ino == host_ino;
	if (d->n_found > 1)
		qsort(d->found, d->n_found, sizeof(d->found[0]), compare_found);
	return 0;
}

void netns_found_path(const struct netns_discovery *d, const struct netns_found *f, char *path,
		      size_t size)
{
	if (f->named)
		snprintf(path, size, "%s/%s", netns_dirs[f->dir], f->name);
	else
		snprintf(path, size, "%s/%d/ns/net", d->proc_root, (int)f->pid);
}

/* A name that could pass for one of the labels we make up would make two targets alike. */
static bool name_is_label(const char *name)
{
	if (!netns_name_valid(name) || strcmp(name, "host") == 0)
		return false;
	if (strncmp(name, "ino_", 4) == 0 && name[4] && strspn(name + 4, "0123456789") == strlen(name + 4))
		return false;
	return true;
}

void netns_label(const struct netns_found *f, char *out, size_t size)
{
	/* "host" first: Docker binds the host's namespace as /run/docker/netns/default while
	 * a host-network container exists, and the label must not change with that. */
	if (f->host)
		snprintf(out, size, "host");
	else if (f->named && name_is_label(f->name))
		snprintf(out, size, "%s", f->name);
	else
		snprintf(out, size, "ino_%llu", (unsigned long long)f->ino);
}

/* ---- labels from cgroup paths --------------------------------------------------------- */

static bool is_lower_hex(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* A pod UID at s (36 bytes, 8-4-4-4-12 lower-case hex; systemd's slice names spell the
 * dashes as underscores), written with dashes to out. */
static bool take_pod_uid(const char *s, size_t len, char out[NETNS_POD_UID_LEN + 1])
{
	if (len < NETNS_POD_UID_LEN)
		return false;
	for (int i = 0; i < NETNS_POD_UID_LEN; i++) {
		bool dash = i == 8 || i == 13 || i == 18 || i == 23;

		if (dash ? (s[i] != '-' && s[i] != '_') : !is_lower_hex(s[i]))
			return false;
		out[i] = dash ? '-' : s[i];
	}
	out[NETNS_POD_UID_LEN] = '\0';
	return true;
}

static bool ends_with(const char *s, size_t len, const char *suffix, size_t *stripped)
{
	size_t n = strlen(suffix);

	if (len < n || memcmp(s + len - n, suffix, n) != 0)
		return false;
	*stripped = len - n;
	return true;
}

/* "pod<uid>" (cgroupfs) or "kubepods[-<qos>]-pod<uid>.slice" (systemd). */
static bool component_pod_uid(const char *c, size_t len, char out[NETNS_POD_UID_LEN + 1])
{
	size_t body = len;

	ends_with(c, len, ".slice", &body);
	if (body != NETNS_POD_UID_LEN + 3 && !(body > NETNS_POD_UID_LEN + 3 &&
					       memcmp(c, "kubepods", 8) == 0 &&
					       c[body - NETNS_POD_UID_LEN - 4] == '-'))
		return false;
	if (memcmp(c + body - NETNS_POD_UID_LEN - 3, "pod", 3) != 0)
		return false;
	return take_pod_uid(c + body - NETNS_POD_UID_LEN, NETNS_POD_UID_LEN, out);
}

/* "<id>" (docker and containerd with cgroupfs, CRI-O and kubelet cgroupfs layouts),
 * "docker-<id>.scope", "cri-containerd-<id>.scope", "crio-<id>.scope", "libpod-<id>"[.scope]
 * (podman). conmon's scopes ("crio-conmon-", "libpod-conmon-") are not containers. */
static bool component_container_id(const char *c, size_t len,
				   char out[NETNS_CONTAINER_ID_LEN + 1])
{
	static const char *const prefixes[] = { "", "docker-", "cri-containerd-", "crio-", "libpod-" };
	size_t body = len;

	ends_with(c, len, ".scope", &body);
	for (unsigned p = 0; p < sizeof(prefixes) / sizeof(prefixes[0]); p++) {
		size_t plen = strlen(prefixes[p]);
		const char *id = c + plen;
		bool ok = true;

		if (body != plen + NETNS_CONTAINER_ID_LEN || memcmp(c, prefixes[p], plen) != 0)
			continue;
		for (int i = 0; i < NETNS_CONTAINER_ID_LEN && ok; i++)
			ok = is_lower_hex(id[i]);
		if (!ok)
			continue;
		memcpy(out, id, NETNS_CONTAINER_ID_LEN);
		out[NETNS_CONTAINER_ID_LEN] = '\0';
		return true;
	}
	return false;
}

/* Searches one cgroup path (not NUL-terminated) for both labels; the innermost component
 * that matches wins. Fills only what is still empty. */
static void path_labels(const char *path, size_t len, char *pod_uid, char *container_id)
{
	bool kube = false;
	char uid[NETNS_POD_UID_LEN + 1] = "", id[NETNS_CONTAINER_ID_LEN + 1] = "";

	for (size_t i = 0; i + 8 <= len; i++)
		if (memcmp(path + i, "kubepods", 8) == 0) {
			kube = true;
			break;
		}
	for (size_t start = 0; start < len;) {
		size_t end = start;

		while (end < len && path[end] != '/')
			end++;
		if (end > start) {
			char tmp_uid[NETNS_POD_UID_LEN + 1], tmp_id[NETNS_CONTAINER_ID_LEN + 1];

			if (kube && component_pod_uid(path + start, end - start, tmp_uid))
				memcpy(uid, tmp_uid, sizeof(uid));
			if (component_container_id(path + start, end - start, tmp_id))
				memcpy(id, tmp_id, sizeof(id));
		}
		start = end + 1;
	}
	if (!pod_uid[0] && uid[0])
		memcpy(pod_uid, uid, sizeof(uid));
	if (!container_id[0] && id[0])
		memcpy(container_id, id, sizeof(id));
}

void netns_cgroup_labels(const char *text, char pod_uid[NETNS_POD_UID_LEN + 1],
			 char container_id[NETNS_CONTAINER_ID_LEN + 1])
{
	pod_uid[0] = '\0';
	container_id[0] = '\0';
	/* Pass 0: the v2 line "0::/path"; 1: "N:name=systemd:/path"; 2: the other v1 lines. */
	for (int pass = 0; pass < 3 && !(pod_uid[0] && container_id[0]); pass++) {
		for (const char *line = text; line && *line;) {
			const char *nl = strchr(line, '\n');
			size_t len = nl ? (size_t)(nl - line) : strlen(line);
			const char *c1 = memchr(line, ':', len), *c2;
			int kind;

			if (c1 && (c2 = memchr(c1 + 1, ':', len - (size_t)(c1 + 1 - line)))) {
				size_t ctl = (size_t)(c2 - c1 - 1);

				if (ctl == 0 && c1 - line == 1 && line[0] == '0')
					kind = 0;
				else if (ctl == 12 && memcmp(c1 + 1, "name=systemd", 12) == 0)
					kind = 1;
				else
					kind = 2;
				if (kind == pass)
					path_labels(c2 + 1, len - (size_t)(c2 + 1 - line), pod_uid,
						    container_id);
			}
			line = nl ? nl + 1 : NULL;
		}
	}
}

void netns_process_labels(const char *proc_root, pid_t pid, struct netns_labels *labels)
{
	char path[300], text[8192];

	labels->pod_uid[0] = '\0';
	labels->container_id[0] = '\0';
	if (pid <= 0)
		return;
	snprintf(path, sizeof(path), "%s/%d/cgroup", proc_root, (int)pid);
	if (procfs_read_file(path, text, sizeof(text)) < 0)
		return;
	netns_cgroup_labels(text, labels->pod_uid, labels->container_id);
}
