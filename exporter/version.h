/* version.h — set by the Makefile from the VERSION file and git. */
#ifndef TCPH_VERSION_H
#define TCPH_VERSION_H

#ifndef TCPH_VERSION
#define TCPH_VERSION "unknown"
#endif
/* build/gen/revision.h, written by the Makefile from `git rev-parse`. */
#include "revision.h"


#endif
