/* The zinc command: ZeroMQ from the shell (like NNG's nngcat). main() dispatches on the subcommand; each
 * lives in its own file (commands.h) and uses the shared helpers of common.h. */
#include <stdio.h>
#include <string.h>

#include <zmq.h>

#include "commands.h"
#include "common.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
} command;

static int run_keygen(int argc, char **argv) { return zinc_cmd_keygen(argc, argv); }

static const command commands[] = {
    {"keygen", run_keygen, "make a CURVE keypair (Z85)"},
    {"proxy", zinc_cmd_proxy, "forward between a frontend and a backend socket"},
    {"monitor", zinc_cmd_monitor, "print a socket's connection events"},
    {"probe", zinc_cmd_probe, "check that an endpoint answers the ZMTP handshake"},
    {"bench", zinc_cmd_bench, "measure throughput and latency"},
    {"stats", zinc_cmd_stats, "print another process's socket counters, live"},
};

static const char *socket_commands[] = {
    "send", "recv", "req", "rep", "pub", "sub", "push", "pull", "dealer", "router", "pair", "xpub", "xsub",
    "stream",
};

static const char *version_string(void)
{
#ifdef ZINC_REFERENCE
    static char buf[32];
    int major, minor, patch;
    zmq_version(&major, &minor, &patch);
    snprintf(buf, sizeof buf, "zinc (built on libzmq %d.%d.%d)", major, minor, patch);
    return buf;
#else
    return zinc_version(); /* "zinc MAJOR.MINOR.PATCH" */
#endif
}

static void print_version(void)
{
    int major, minor, patch;
    zmq_version(&major, &minor, &patch);
    printf("%s (ZeroMQ API %d.%d.%d)\n", version_string(), major, minor, patch);
}

static void print_help(FILE *out)
{
    fputs("Usage: zinc COMMAND [OPTIONS]\n"
          "ZeroMQ from the command line.\n\n"
          "Socket commands (zinc COMMAND --help for each):\n"
          "  send                 send messages (PUSH unless --type) and exit\n"
          "  recv                 receive and print messages (PULL unless --type)\n"
          "  req rep pub sub push pull dealer router pair xpub xsub stream\n"
          "                       a socket of that type: sends its arguments/stdin, prints what arrives\n"
          "Other commands:\n",
          out);
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
        fprintf(out, "  %-20s %s\n", commands[k].name, commands[k].summary);
    fputs("  help COMMAND         that command's help\n\n"
          "  -h, --help           this help\n"
          "  -V, --version        zinc's version\n\n"
          "Exit status: 0 done, 1 failed at run time (timeout, network), 2 bad command line.\n"
          "Example: zinc pull --bind tcp://*:5555 &  zinc push --connect tcp://localhost:5555 hello\n",
          out);
}

static int is_socket_command(const char *name)
{
    for (size_t k = 0; k < sizeof socket_commands / sizeof socket_commands[0]; k++)
        if (strcmp(socket_commands[k], name) == 0)
            return 1;
    return 0;
}

/* Runs the subcommand argv[0]; -1 if there is none by that name. */
static int dispatch(int argc, char **argv)
{
    if (is_socket_command(argv[0]))
        return zinc_cmd_socket(argv[0], argc, argv);
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
        if (strcmp(commands[k].name, argv[0]) == 0)
            return commands[k].run(argc, argv);
    return -1;
}

static int run_help(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stdout);
        return ZINC_EXIT_OK;
    }
    char help[] = "--help";
    char *sub_argv[] = {argv[1], help, NULL};
    int rc = dispatch(2, sub_argv);
    if (rc < 0) {
        zinc_usage(NULL, "help %s: no such command", argv[1]);
        return ZINC_EXIT_USAGE;
    }
    return rc;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        print_help(stderr);
        return ZINC_EXIT_USAGE;
    }
    const char *first = argv[1];
    if (zinc_is_help(first)) {
        print_help(stdout);
        return ZINC_EXIT_OK;
    }
    if (strcmp(first, "--version") == 0 || strcmp(first, "-V") == 0 || strcmp(first, "version") == 0) {
        print_version();
        return ZINC_EXIT_OK;
    }
    if (strcmp(first, "help") == 0)
        return run_help(argc - 1, argv + 1);
    int rc = dispatch(argc - 1, argv + 1);
    if (rc >= 0)
        return rc;
    if (first[0] == '-')
        zinc_usage(NULL, "%s: options go after the command (zinc COMMAND %s ...)", first, first);
    else
        zinc_usage(NULL, "%s: no such command", first);
    return ZINC_EXIT_USAGE;
}
