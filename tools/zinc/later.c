/* Placeholders for the subcommands written on another branch (proxy, monitor, probe, bench). */
#include <stdio.h>

#include "commands.h"

static int not_yet(const char *name)
{
    fprintf(stderr, "zinc %s: not yet\n", name);
    return 2;
}

int zinc_cmd_proxy(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return not_yet("proxy");
}

int zinc_cmd_monitor(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return not_yet("monitor");
}

int zinc_cmd_probe(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return not_yet("probe");
}

int zinc_cmd_bench(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    return not_yet("bench");
}
