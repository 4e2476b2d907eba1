/* kafkaconf: librdkafka configuration objects built from the [kafka*] sections. */
#ifndef OSSD_KAFKACONF_H
#define OSSD_KAFKACONF_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>

#include "config.h"

/* A new conf: ossd's defaults for the role ("consumer" or "producer"), then
 * [kafka], then [kafka.<role>] (later wins). NULL with err ("file:line: ...")
 * on a property librdkafka refuses. cfg NULL: ossd's defaults alone (no group.id), for the
 * tools that must consume as ossd does without its config file. The caller owns the result. */
rd_kafka_conf_t *kafkaconf_new(const struct config *cfg, const char *role, char *err,
                               size_t errlen);

#endif
