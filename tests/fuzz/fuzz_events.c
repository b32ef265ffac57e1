/* fuzz_events.c — libFuzzer harness for the socket-destroy event path: one received
 * datagram parsed (sockdiag_parse, sequence 0 as multicast messages carry), each message
 * classified against a view with listeners, expected ports and owners, as the events
 * thread does. Checks what the counters rely on: an outcome, a role and a label in range. */
#include "../../collectors/events.h"

#include <stdlib.h>
#include <string.h>

static struct events_view view;
static uint8_t expected[CLASSIFY_PORT_LIMIT / 8], client_ports[CLASSIFY_PORT_LIMIT / 8];

static int classify(const struct sockdiag_record *r, void *ctx)
{
	struct events_class c;
	const char *owner;

	events_classify(&view, r, &c);
	if (c.outcome >= EVENTS_OUTCOMES || c.role >= CLASSIFY_ROLES || c.kind >= EVENTS_KINDS ||
	    (c.other && c.port != 0))
		abort();
	owner = events_owner_of(&view, r, &c);
	*(unsigned long *)ctx += c.port + (owner ? strlen(owner) : 0);
	return 0;
}

static void setup(void)
{
	static const uint16_t listening[] = { 22, 80, 443, 3720, 40000 };

	if (view.listeners)
		return;
	if (events_view_init(&view, 8, 2) < 0)
		abort();
	expected[1202 >> 3] |= 1u << (1202 & 7);
	client_ports[5432 >> 3] |= 1u << (5432 & 7);
	events_view_fill(&view, NULL, expected, client_ports);
	for (unsigned i = 0; i < sizeof(listening) / sizeof(listening[0]); i++) {
		view.listening[listening[i] >> 3] |= (uint8_t)(1u << (listening[i] & 7));
		view.listeners[view.n_listeners].port = listening[i];
		strcpy(view.listeners[view.n_listeners].process, i & 1 ? "nginx" : "");
		view.n_listeners++;
	}
	view.owners[0] = (struct events_owner){ .family = 2, .sport = 40000, .dport = 5432,
						.process = "psql" };
	view.n_owners = 1;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	unsigned long sum = 0;
	void *copy;

	setup();
	copy = malloc(size ? size : 1); /* aligned, as the kernel's datagrams are */
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	sockdiag_parse(copy, size, 0, classify, &sum);
	free(copy);
	return 0;
}
