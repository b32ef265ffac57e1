/* auth.c — the password thread, the held list and the failed-client table (auth.h).
 * `lock` guards everything in struct auth but the thread handle. */
#include "auth.h"

#include "../lib/clock.h"
#include "webconfig.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct failed_client {
	struct client_address address;
	long long until_ms; /* held, then refused, until then */
	bool pending;	    /* a check is queued or running */
};

struct auth {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct auth_request *head, *tail; /* waiting for the password thread */
	unsigned queued;		  /* in the queue, or reserved by auth_check */
	struct auth_request *held;
	bool stop;
	struct failed_client failed[AUTH_FAILED_CLIENTS];
	pthread_t thread;
	bool started;
};

static void zero_free(char *secret)
{
	if (secret) {
		explicit_bzero(secret, strlen(secret));
		free(secret);
	}
}

void auth_request_clear(struct auth_request *r)
{
	zero_free(r->user);
	zero_free(r->password);
	r->user = r->password = NULL;
	webconfig_unref(r->web);
	r->web = NULL;
}

/* (lock) The failed-client entry of `a`, or NULL. */
static struct failed_client *find_failed(struct auth *au, const struct client_address *a)
{
	for (unsigned i = 0; i < AUTH_FAILED_CLIENTS; i++)
		if (au->failed[i].address.family && address_equal(&au->failed[i].address, a))
			return &au->failed[i];
	return NULL;
}

/* (lock) An entry for `a`: its own, else the one that expired first (never one with a check
 * pending, unless all are). */
static struct failed_client *claim_failed(struct auth *au, const struct client_address *a)
{
	struct failed_client *slot = find_failed(au, a);

	if (slot)
		return slot;
	slot = &au->failed[0];
	for (unsigned i = 1; i < AUTH_FAILED_CLIENTS; i++) {
		struct failed_client *f = &au->failed[i];

		if ((slot->pending && !f->pending) ||
		    (slot->pending == f->pending && f->until_ms < slot->until_ms))
			slot = f;
	}
	memset(slot, 0, sizeof(*slot));
	slot->address = *a;
	return slot;
}

/* (lock) Takes the requests held behind the check of `a` off the held list, onto *due. */
static void take_held_behind(struct auth *au, const struct client_address *a, struct auth_request **due)
{
	for (struct auth_request **link = &au->held; *link;) {
		struct auth_request *r = *link;

		if (r->behind && address_equal(&r->address, a)) {
			*link = r->next;
			r->next = *due;
			*due = r;
		} else {
			link = &r->next;
		}
	}
}

static void *password_thread(void *arg)
{
	struct auth *au = arg;

	pthread_mutex_lock(&au->lock);
	for (;;) {
		struct auth_request *r;
		bool ok, stopping;

		while (!au->head && !au->stop)
			pthread_cond_wait(&au->wake, &au->lock);
		r = au->head;
		if (!r)
			break; /* stopping, and nothing left to answer */
		au->head = r->next;
		if (!au->head)
			au->tail = NULL;
		au->queued--;
		stopping = au->stop;
		pthread_mutex_unlock(&au->lock);

		/* Stopping: refuse what is left rather than spend bcrypt on it. */
		ok = !stopping && webconfig_check_password(r->web, r->user, r->password);
		zero_free(r->password);
		r->password = NULL;

		struct auth_request *due = NULL;

		pthread_mutex_lock(&au->lock);
		if (r->has_address) {
			struct failed_client *f = find_failed(au, &r->address);

			if (f) {
				f->pending = false;
				f->until_ms = ok ? 0 : clock_monotonic_ms() + AUTH_RETRY_MS;
			}
			/* A wrong password keeps the others held for their second. */
			if (ok)
				take_held_behind(au, &r->address, &due);
		}
		pthread_mutex_unlock(&au->lock);
		r->ok = ok;
		r->throttled = false;
		r->done(r);
		while (due) {
			struct auth_request *next = due->next;

			due->ok = false;
			due->throttled = false;
			due->recheck = true;
			due->done(due);
			due = next;
		}
		pthread_mutex_lock(&au->lock);
	}
	pthread_mutex_unlock(&au->lock);
	return NULL;
}

int auth_create(struct auth **out)
{
	struct auth *au = calloc(1, sizeof(*au));
	int ret;

	if (!au)
		return -ENOMEM;
	pthread_mutex_init(&au->lock, NULL);
	pthread_cond_init(&au->wake, NULL);
	ret = -pthread_create(&au->thread, NULL, password_thread, au);
	if (ret < 0) {
		auth_destroy(au);
		return ret;
	}
	au->started = true;
	*out = au;
	return 0;
}

void auth_stop(struct auth *au)
{
	pthread_mutex_lock(&au->lock);
	au->stop = true;
	pthread_cond_signal(&au->wake);
	pthread_mutex_unlock(&au->lock);
	auth_release_held(au, 0, true);
	if (au->started) {
		pthread_join(au->thread, NULL);
		au->started = false;
	}
}

void auth_destroy(struct auth *au)
{
	if (!au)
		return;
	if (au->started)
		auth_stop(au);
	pthread_cond_destroy(&au->wake);
	pthread_mutex_destroy(&au->lock);
	free(au);
}

enum auth_outcome auth_check(struct auth *au, struct webconfig *web, const char *user,
			     const char *password, struct auth_request *r)
{
	enum auth_outcome outcome = AUTH_DENIED;
	long long now = clock_monotonic_ms();
	struct failed_client *f;

	if (!web || !web->n_users)
		return AUTH_OK;
	if (!user || !password)
		return AUTH_DENIED;
	if (webconfig_password_cached(web, user, password))
		return AUTH_OK;
	pthread_mutex_lock(&au->lock);
	f = r->has_address ? find_failed(au, &r->address) : NULL;
	if (au->stop) {
		outcome = AUTH_QUEUE_FULL; /* shutting down: no more checks */
	} else if (f && (f->pending || f->until_ms > now)) {
		/* Held, not answered at once: a client that ignores Retry-After would otherwise
		 * spin on 429s and take CPU from the scrapes. */
		r->held_until_ms = f->pending ? now + AUTH_RETRY_MS : f->until_ms;
		r->behind = f->pending;
		outcome = AUTH_THROTTLED;
	} else if (au->queued >= AUTH_QUEUE_MAX) {
		outcome = AUTH_QUEUE_FULL;
	} else {
		r->user = strdup(user);
		r->password = strdup(password);
		if (r->user && r->password) {
			if (r->has_address) {
				f = claim_failed(au, &r->address);
				f->pending = true; /* later attempts are held until it is done */
			}
			r->web = webconfig_ref(web);
			au->queued++; /* a place reserved; listed by auth_hand_over */
			outcome = AUTH_QUEUED;
		}
	}
	pthread_mutex_unlock(&au->lock);
	return outcome;
}

void auth_hand_over(struct auth *au, struct auth_request *r, enum auth_outcome outcome)
{
	pthread_mutex_lock(&au->lock);
	if (au->stop) {
		/* Stopped meanwhile: refuse at once, so that the request is not left suspended. */
		if (outcome == AUTH_QUEUED)
			au->queued--;
		pthread_mutex_unlock(&au->lock);
		r->ok = false;
		r->throttled = outcome == AUTH_THROTTLED;
		r->done(r);
		return;
	}
	r->next = NULL;
	if (outcome == AUTH_THROTTLED && r->behind) {
		struct failed_client *f = find_failed(au, &r->address);

		/* The check it was held behind ended before it was listed: check it again now,
		 * unless that check failed. */
		if (!f || (!f->pending && f->until_ms <= clock_monotonic_ms())) {
			pthread_mutex_unlock(&au->lock);
			r->ok = false;
			r->throttled = false;
			r->recheck = true;
			r->done(r);
			return;
		}
	}
	if (outcome == AUTH_QUEUED) {
		if (au->tail)
			au->tail->next = r;
		else
			au->head = r;
		au->tail = r;
		pthread_cond_signal(&au->wake);
	} else {
		r->next = au->held;
		au->held = r;
	}
	pthread_mutex_unlock(&au->lock);
}

void auth_release_held(struct auth *au, long long now_ms, bool all)
{
	struct auth_request *due = NULL, **link;

	pthread_mutex_lock(&au->lock);
	for (link = &au->held; *link;) {
		struct auth_request *r = *link;

		if (all || r->held_until_ms <= now_ms) {
			*link = r->next;
			r->next = due;
			due = r;
		} else {
			link = &r->next;
		}
	}
	pthread_mutex_unlock(&au->lock);
	while (due) {
		struct auth_request *next = due->next;

		due->ok = false;
		due->throttled = true;
		due->done(due);
		due = next;
	}
}
