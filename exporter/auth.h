/* auth.h — basic auth without a serving thread ever running bcrypt.
 *
 * A password that matched before is recognised from the web config's SHA-256 cache. Any
 * other is checked by one password thread, in a bounded queue. A client address whose
 * password was wrong, or whose check is still pending, is held (its request stays
 * suspended) until its penalty second ends and is then refused: a client that ignores
 * Retry-After cannot spin, and a flood costs at most one core. Requests held behind a
 * pending check that then succeeds are released at once to be checked again (`recheck`):
 * a scraper opening several connections at once with a password not yet remembered gets
 * them all answered, not one answered and the rest 429. */
#ifndef TCPH_AUTH_H
#define TCPH_AUTH_H

#include "address.h"

#include <stdbool.h>

#define AUTH_QUEUE_MAX 64	  /* password checks waiting for the password thread */
#define AUTH_RETRY_MS 1000	  /* a client whose password was wrong waits this long */
#define AUTH_FAILED_CLIENTS 256 /* clients remembered for that */

struct webconfig;
struct auth;

enum auth_outcome {
	AUTH_OK,	 /* no users configured, or a cached password: go on */
	AUTH_DENIED,	 /* no or malformed credentials: 401 */
	AUTH_QUEUE_FULL, /* too many checks waiting, or shutting down: 429 at once */
	AUTH_QUEUED,	 /* suspend the request, then auth_hand_over: checked by bcrypt */
	AUTH_THROTTLED,	 /* suspend the request, then auth_hand_over: held, then 429 */
};

/* The auth part of a request, embedded in the caller's request. */
struct auth_request {
	struct auth_request *next; /* in the queue or the held list */
	struct client_address address;
	bool has_address;
	/* the check: set by auth_check when it queues one */
	struct webconfig *web;
	char *user, *password;
	long long held_until_ms;
	bool behind;	/* held because a check of its address was pending */
	/* the outcome, set before done() */
	bool ok;	/* the password matched */
	bool throttled; /* it was held: answer 429 */
	bool recheck;	/* the check it was held behind succeeded: check it again (auth_check) */
	/* Called once, from the password thread or from auth_release_held/auth_stop's
	 * caller, when the request may be resumed. */
	void (*done)(struct auth_request *r);
};

/* Starts the password thread. 0 or -errno. */
int auth_create(struct auth **out);
/* Refuses new checks, releases every held request, lets the password thread refuse what
 * is queued (done() for each) and joins it. */
void auth_stop(struct auth *a);
void auth_destroy(struct auth *a);

/* Decides basic auth for user/password against `web` (NULL or no users: AUTH_OK). */
enum auth_outcome auth_check(struct auth *a, struct webconfig *web, const char *user,
			     const char *password, struct auth_request *r);
/* Lists a request that auth_check queued or throttled, once the caller has suspended it
 * (another thread resumes it through done(), and a request must never be resumed before it
 * is suspended). After auth_stop, done() is called at once. */
void auth_hand_over(struct auth *a, struct auth_request *r, enum auth_outcome outcome);
/* Releases held requests whose time is up (all when `all`); the reaper calls it. */
void auth_release_held(struct auth *a, long long now_ms, bool all);
/* Frees what auth_check left in `r` (the secrets zeroed first). */
void auth_request_clear(struct auth_request *r);


#endif
