/* main: arguments, signals and the choice between running, checking and migrating. */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "config.h"
#include "log.h"
#include "pipeline.h"
#include "store.h"

static void on_stop(int sig)
{
    (void)sig;
    app_stop_requested = 1;
}

static void on_hup(int sig)
{
    (void)sig;
    app_reload_requested = 1;
}

static void usage(FILE *fp)
{
    fprintf(fp,
            "usage: ossd --config FILE [--check-config | --migrate] [--log-target T] "
            "[--log-level L]\n"
            "       ossd --version | --help | --config-reference\n\n"
            "  -c, --config FILE       the INI configuration (see ossd.conf(5))\n"
            "      --check-config      validate the configuration and the handler chain, exit\n"
            "      --migrate           apply the SQL migrations of <datadir>/sql, exit\n"
            "      --log-target T      journal, stderr or auto (default: from the config)\n"
            "      --log-level L       error, warning, info or debug (default: from the config)\n"
            "      --config-reference  print every setting with its default\n"
            "  -V, --version           print the version\n");
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check-config", no_argument, NULL, 'k'},
        {"migrate", no_argument, NULL, 'm'},
        {"log-target", required_argument, NULL, 't'},
        {"log-level", required_argument, NULL, 'l'},
        {"config-reference", no_argument, NULL, 'r'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *path = NULL, *target = NULL, *level = NULL;
    int check = 0, migrate = 0, c, rc;
    char err[1024];
    struct config *cfg;

    while ((c = getopt_long(argc, argv, "c:Vh", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            path = optarg;
            break;
        case 'k':
            check = 1;
            break;
        case 'm':
            migrate = 1;
            break;
        case 't':
            target = optarg;
            break;
        case 'l':
            level = optarg;
            break;
        case 'r':
            config_print_reference();
            return 0;
        case 'V':
            printf("ossd %s\n", OSSD_VERSION);
            return 0;
        case 'h':
            usage(stdout);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (!path || optind != argc) {
        usage(stderr);
        return 2;
    }
    cfg = config_load(path, err, sizeof(err));
    if (!cfg) {
        fprintf(stderr, "ossd: %s\n", err);
        return 1;
    }
    if (log_setup(target ? target : cfg->log_target, level ? level : cfg->log_level, err,
                  sizeof(err)) != 0) {
        fprintf(stderr, "ossd: %s\n", err);
        config_free(cfg);
        return 2;
    }
    if (check) {
        struct pipeline *p = pipeline_new(cfg, err, sizeof(err));
        if (!p) {
            fprintf(stderr, "ossd: %s\n", err);
            config_free(cfg);
            return 1;
        }
        /* The password file is checked where it can be found: an absolute
         * path, or a credential name when $CREDENTIALS_DIRECTORY is set (a
         * relative name outside the service is only known to systemd). */
        const char *pwf = cfg->pg_password_file;
        int can_check = !pwf[0] || pwf[0] == '/' || getenv("CREDENTIALS_DIRECTORY");
        char *conninfo = can_check ? store_conninfo(cfg, err, sizeof(err)) : xstrdup("");
        if (!conninfo) {
            fprintf(stderr, "ossd: %s\n", err);
            pipeline_free(p);
            config_free(cfg);
            return 1;
        }
        free(conninfo);
        printf("%s: configuration OK (%zu handler(s))\n", path, pipeline_size(p));
        pipeline_free(p);
        config_free(cfg);
        return 0;
    }
    if (migrate) {
        char sqldir[1024];
        char *conninfo = store_conninfo(cfg, err, sizeof(err));
        snprintf(sqldir, sizeof(sqldir), "%s/sql", cfg->datadir);
        rc = conninfo && store_migrate(conninfo, sqldir, err, sizeof(err)) == 0 ? 0 : 1;
        if (rc)
            fprintf(stderr, "ossd: migrate: %s\n", err);
        free(conninfo);
        config_free(cfg);
        return rc;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sa.sa_handler = on_hup;
    sigaction(SIGHUP, &sa, NULL);
    sa.sa_handler = SIG_IGN;
    sigaction(SIGPIPE, &sa, NULL);

    rc = app_run(cfg, target, level);
    config_free(cfg);
    return rc;
}
