/* ossctl_dlq: `ossctl status` and `ossctl dlq list|show|replay`. */
#ifndef OSSCTL_DLQ_H
#define OSSCTL_DLQ_H

#include "config.h"

/* Both return the process exit code (0 ok, 1 not found, 2 usage/IO). cfg may
 * be NULL (then Kafka comes from $OSSD_BROKERS and topics are the defaults). */
int ossctl_status_main(int argc, char **argv, const char *pg, const struct config *cfg);
int ossctl_dlq_main(int argc, char **argv, const char *pg, const struct config *cfg);

#endif
