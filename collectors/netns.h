/* netns.h — finding the host's network namespaces and what runs in them.
 *
 * Discovery is cheap and done at every scan: one stat of /proc/PID/ns/net per process
 * (de-duplicated by inode: every nsfs inode lives on one device), one readdir of each
 * directory of named namespaces (/run/netns, /var/run/netns, /run/docker/netns). It opens
 * nothing and so pins nothing; the targets table (targets.c) opens what it keeps.
 *
 * Labels: `netns` is "host" for the namespace of PID 1, else the name under /run/netns (or
 * another directory of named namespaces), else "ino_<inode>". `pod_uid` and `container_id`
 * come from the cgroup path of the namespace's lowest-numbered process (see
 * netns_cgroup_labels). */
#ifndef TCPH_NETNS_H
#define TCPH_NETNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

enum netns_mode {
	NETNS_SELF = 0, /* our own namespace only; no namespace labels */
	NETNS_ALL,	/* every namespace on the host */
	NETNS_NAMES,	/* the namespaces named in --netns under /run/netns */
};

#define NETNS_NAME_MAX 64	/* longest accepted name of a named namespace */
#define NETNS_POD_UID_LEN 36	/* 8-4-4-4-12 hex */
#define NETNS_CONTAINER_ID_LEN 64
#define NETNS_NAMES_MAX 64	/* names in --netns=a,b,... */

/* Why a namespace was found but not scanned (tcp_health_exporter_netns_skipped_total). */
enum netns_skip {
	NETNS_SKIP_OVER_LIMIT = 0, /* beyond --netns.max */
	NETNS_SKIP_VANISHED,	   /* its process or bind mount went away before it was opened */
	NETNS_SKIP_PERMISSION,	   /* EACCES/EPERM opening or entering it */
	NETNS_SKIP_NOT_FOUND,	   /* a name given to --netns that is not under /run/netns */
	NETNS_SKIP_ERROR,	   /* any other failure (logged) */
	NETNS_SKIP_REASONS
};

extern const char *const netns_skip_names[NETNS_SKIP_REASONS];

struct netns_labels {
	char netns[NETNS_NAME_MAX + 24];
	char pod_uid[NETNS_POD_UID_LEN + 1];	       /* "" when unknown */
	char container_id[NETNS_CONTAINER_ID_LEN + 1]; /* "" when unknown */
};

/* One namespace found by discovery. */
struct netns_found {
	uint64_t ino;
	pid_t pid;	 /* lowest process in it; 0 when found only by name */
	bool host;	 /* the namespace of PID 1 */
	bool named;	 /* name and dir are set */
	uint8_t dir;	 /* index into the directories of named namespaces */
	char name[256];	 /* as in the directory (NAME_MAX); the label only if valid */
};

struct netns_discovery {
	enum netns_mode mode;
	char proc_root[256];
	const char *const *names; /* NETNS_NAMES */
	unsigned n_names;
	uint64_t nsfs_dev; /* st_dev shared by every namespace file */

	/* Reused scan after scan; grows with the host's namespaces (entries are small). */
	struct netns_found *found;
	unsigned n_found, cap_found;
	uint64_t *set; /* open-addressing set of inodes -> index + 1 into found */
	unsigned set_cap;
	unsigned not_found; /* NETNS_NAMES: names missing in the last discovery */
};

/* The directories of named namespaces, in order of preference for a name. */
extern const char *const netns_dirs[];
extern const unsigned netns_n_dirs;

/* Prepares discovery; stats <proc_root>/self/ns/net for the nsfs device. 0 or -errno. */
int netns_discovery_init(struct netns_discovery *d, enum netns_mode mode, const char *proc_root,
			 const char *const *names, unsigned n_names);
void netns_discovery_fini(struct netns_discovery *d);

/* Finds every namespace now. Order: the host's first, then named ones by name, then the
 * rest by lowest pid (which is stable while they live). 0 or -errno (-ENOMEM, or the
 * process directory cannot be read). */
int netns_discover(struct netns_discovery *d);

/* The path that opens found namespace `f` (its bind mount, or /proc/PID/ns/net). */
void netns_found_path(const struct netns_discovery *d, const struct netns_found *f, char *path,
		      size_t size);

/* The `netns` label of `f`: "host" for PID 1's namespace, else its name (when
 * netns_name_valid and not "host" or "ino_<digits>"), else "ino_<inode>". */
void netns_label(const struct netns_found *f, char *out, size_t size);

/* Pod UID and container ID from the text of /proc/PID/cgroup (pure; see README for every
 * layout recognised). Each is set to "" when the path does not show one. The cgroup v2
 * line ("0::") is preferred, then name=systemd, then the other v1 hierarchies. */
void netns_cgroup_labels(const char *cgroup_text, char pod_uid[NETNS_POD_UID_LEN + 1],
			 char container_id[NETNS_CONTAINER_ID_LEN + 1]);

/* Pod UID and container ID of process `pid` (reads <proc_root>/PID/cgroup). A process
 * that is gone leaves both empty. */
void netns_process_labels(const char *proc_root, pid_t pid, struct netns_labels *labels);

/* A name accepted in --netns=a,b and used as a label: 1..NETNS_NAME_MAX bytes of UTF-8,
 * no '/', not "." or "..", no control characters. */
bool netns_name_valid(const char *name);

#endif
