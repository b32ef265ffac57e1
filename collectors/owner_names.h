/* owner_names.h — the process named on every listening address and worst connection of a
 * scan's result. Private to collectors/ (collectors_scan).
 *
 * The scanner's own work, after the workers: one owner cache (owners.h) for every
 * namespace, since a socket's inode is unique across them. A request socket (SYN_RECV) has
 * no inode of its own and takes the process of the listener it arrived on. */
#ifndef TCPH_OWNER_NAMES_H
#define TCPH_OWNER_NAMES_H

#include "collectors.h"
#include "owners.h"

/* Fills in the process names of `out` and its owner figures (has_owners, owners). */
void owner_names_fill(struct owners *o, struct collectors_result *out);

#endif
