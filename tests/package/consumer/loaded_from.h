/* loaded_from.h: which libzmq this process runs on, for the installed-package consumers (C and C++).
 * loaded_check (prefix, want_shared) reads /proc/self/maps: a shared consumer must have mapped exactly one
 * libzmq.so.*, from under PREFIX (the zinc install being tested), not Debian's; a static one none at all.
 * Returns 0 when right, else prints why and returns 1. */
#ifndef ZINC_LOADED_FROM_H
#define ZINC_LOADED_FROM_H

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int loaded_check(const char *prefix, int want_shared)
{
    char real[PATH_MAX];
    if (!realpath(prefix, real)) {
        perror(prefix);
        return 1;
    }
    FILE *maps = fopen("/proc/self/maps", "r");
    if (!maps) {
        perror("/proc/self/maps");
        return 1;
    }
    char line[PATH_MAX + 128];
    char seen[PATH_MAX] = "";
    int bad = 0;
    while (fgets(line, sizeof line, maps)) {
        const char *path = strchr(line, '/');
        if (!path || !strstr(path, "/libzmq.so"))
            continue;
        line[strcspn(line, "\n")] = '\0';
        if (!want_shared || strncmp(path, real, strlen(real)) != 0 || path[strlen(real)] != '/') {
            fprintf(stderr, "mapped %s (expected %s)\n", path, want_shared ? real : "no libzmq.so");
            bad = 1;
        }
        snprintf(seen, sizeof seen, "%s", path);
    }
    fclose(maps);
    if (want_shared && !seen[0]) {
        fprintf(stderr, "no libzmq.so mapped\n");
        bad = 1;
    }
    return bad;
}

#endif
