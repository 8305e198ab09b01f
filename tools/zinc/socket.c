/* The socket subcommands of the zinc command (send recv req rep pub sub push pull dealer router pair xpub
 * xsub stream): the role of each, their --help, and their command line; run.c runs them. */
#include "commands.h"
#include "socket.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

/* Each subcommand's socket type and role; send/recv take --type. */
static const struct {
    const char *name;
    int type;
    sock_role role;
    const char *what;
} subcommands[] = {
    {"send", ZMQ_PUSH, ROLE_SEND, "send messages (PUSH unless --type) and exit"},
    {"recv", ZMQ_PULL, ROLE_RECV, "print the messages that arrive (PULL unless --type)"},
    {"push", ZMQ_PUSH, ROLE_SEND, "a PUSH socket: send messages and exit"},
    {"pull", ZMQ_PULL, ROLE_RECV, "a PULL socket: print the messages that arrive"},
    {"pub", ZMQ_PUB, ROLE_SEND, "a PUB socket: publish messages and exit (use --delay for slow joiners)"},
    {"sub", ZMQ_SUB, ROLE_RECV, "a SUB socket: print what is published (all of it without --subscribe)"},
    {"req", ZMQ_REQ, ROLE_REQ, "a REQ socket: send each message, print its reply"},
    {"rep", ZMQ_REP, ROLE_REP, "a REP socket: print each request and reply (--reply TEXT, else echo)"},
    {"dealer", ZMQ_DEALER, ROLE_DUPLEX, "a DEALER socket: send the data, print what arrives"},
    {"router", ZMQ_ROUTER, ROLE_DUPLEX, "a ROUTER socket: print [routing id] and frames; --echo replies"},
    {"pair", ZMQ_PAIR, ROLE_DUPLEX, "a PAIR socket: send the data, print what arrives"},
    {"xpub", ZMQ_XPUB, ROLE_DUPLEX, "an XPUB socket: publish the data, print (un)subscriptions"},
    {"xsub", ZMQ_XSUB, ROLE_DUPLEX, "an XSUB socket: print what is published; --subscribe sends \\x01P"},
    {"stream", ZMQ_STREAM, ROLE_DUPLEX, "a STREAM socket (raw TCP): print [routing id] and bytes"},
};

static const char *socket_help_flags =
    "Data to send (send/push/pub, req, and the two-way types):\n"
    "  DATA...                   each argument is one message\n"
    "  --part FRAME              append a frame to the message before it (a new message if none)\n"
    "  (no DATA)                 read stdin, one message a line; --file F reads F instead\n"
    "  --raw                     all of stdin (or --file) is one message\n"
    "  --split                   a line's tabs separate its frames (as --format text prints them)\n"
    "  -n, --no-input            never read stdin\n"
    "  --delay MS                wait MS after connecting before the first send (PUB slow joiners)\n"
    "Receiving:\n"
    "  -f, --format FMT          text (frames tab-separated), quoted (C strings), hex, or json lines:\n"
    "                            {\"frames\":[\"...\"],\"routing_id\":\"hex\"} (one code point per byte)\n"
    "                            ROUTER/STREAM show the routing id: \"[hex] \" or \"routing_id\"\n"
    "  --subscribe P             SUB: receive messages starting with P (repeatable); SUB without any\n"
    "                            --subscribe subscribes to everything (\"\"). XSUB: sends \\x01P\n"
    "  --reply TEXT              REP: reply TEXT to every request (default: echo the request)\n"
    "  --echo                    two-way types: send back each message that arrives (ROUTER: to its sender)\n"
    "Ending:\n"
    "  --count N                 stop after N messages (received; sent for send/push/pub)\n"
    "  --timeout MS              fail (exit 1) when a send or a receive waits longer than MS\n"
    "  -h, --help                this help\n";

static int find_subcommand(const char *name)
{
    for (size_t k = 0; k < sizeof subcommands / sizeof subcommands[0]; k++)
        if (strcmp(subcommands[k].name, name) == 0)
            return (int)k;
    return -1;
}

static void print_help(const char *cmd, int index)
{
    printf("Usage: zinc %s [OPTIONS] [DATA...]\n%c%s.\n\n", cmd, toupper((unsigned char)subcommands[index].what[0]),
           subcommands[index].what + 1);
    if (strcmp(cmd, "send") == 0)
        puts("  -t, --type TYPE           the sending socket: push (default), pub, dealer, pair, router,\n"
             "                            stream, xpub, xsub");
    if (strcmp(cmd, "recv") == 0)
        puts("  -t, --type TYPE           the receiving socket: pull (default), sub, dealer, pair, router,\n"
             "                            stream, xpub, xsub");
    fputs(socket_help_flags, stdout);
    zinc_config_help(stdout);
    puts("\nDefaults: connecting send/push/req/dealer/pair sockets set --immediate 1, so a message waits for\n"
         "a real peer (with --timeout, no peer is an error). --linger is the --timeout if given, else -1 for\n"
         "send/push/pub (deliver everything) and 1000 otherwise. ROUTER sets --router-mandatory 1 so a\n"
         "message to an unknown routing id is an error. Exit status: 0 done, 1 timeout or network failure,\n"
         "2 bad command line, 130 interrupted.\n\n"
         "Examples:\n"
         "  zinc pull --bind tcp://*:5555 --count 1 &  zinc push --connect tcp://localhost:5555 hello\n"
         "  zinc rep --bind tcp://*:5556 --reply world &  zinc req --connect tcp://localhost:5556 hello\n"
         "  zinc sub --connect tcp://localhost:5557 --subscribe weather. --format json");
}

/* --type T for send/recv: T must fit the role. */
static int parse_type(sock_opts *o, const char *value)
{
    int type = zinc_socket_type(value);
    if (type < 0)
        return zinc_usage(o->cmd, "--type %s: unknown socket type (push pull pub sub req rep dealer router "
                                  "pair xpub xsub stream)", value);
    if (o->role == ROLE_SEND && (type == ZMQ_PULL || type == ZMQ_SUB || type == ZMQ_REQ || type == ZMQ_REP))
        return zinc_usage(o->cmd, "--type %s cannot just send%s", value,
                          type == ZMQ_REQ || type == ZMQ_REP ? " (use zinc req / zinc rep)" : "");
    if (o->role == ROLE_RECV && (type == ZMQ_PUSH || type == ZMQ_PUB || type == ZMQ_REQ || type == ZMQ_REP))
        return zinc_usage(o->cmd, "--type %s cannot just receive%s", value,
                          type == ZMQ_REQ || type == ZMQ_REP ? " (use zinc req / zinc rep)" : "");
    o->type = type;
    return 0;
}

/* DATA and --part: each DATA starts a message, --part adds a frame to the last one. */
static int add_data(sock_opts *o, const char *data, int new_message)
{
    if (new_message || o->arg_count == 0) {
        zinc_message *grown = realloc(o->args, (o->arg_count + 1) * sizeof *grown);
        if (!grown)
            return -1;
        o->args = grown;
        zinc_message_init(&o->args[o->arg_count++]);
    }
    return zinc_message_add(&o->args[o->arg_count - 1], data, strlen(data));
}

static int parse_number(sock_opts *o, int argc, char **argv, int *i, long long min, long long *out)
{
    const char *flag = argv[*i];
    const char *value = zinc_flag_value(o->cmd, argc, argv, i, "1000");
    if (!value)
        return -1;
    char name[64];
    snprintf(name, sizeof name, "%.*s", (int)strcspn(flag, "="), flag);
    return zinc_parse_ll(o->cmd, name, value, min, 1LL << 40, out);
}

/* The subcommand's own flags; 1 consumed, 0 not one of them, -1 usage error. */
static int parse_own(sock_opts *o, int argc, char **argv, int *i)
{
    const char *a = argv[*i];
    const char *v;
    if (zinc_flag_is(a, "--count"))
        return parse_number(o, argc, argv, i, 1, &o->count) < 0 ? -1 : 1;
    if (zinc_flag_is(a, "--timeout"))
        return parse_number(o, argc, argv, i, 0, &o->timeout) < 0 ? -1 : 1;
    if (zinc_flag_is(a, "--delay"))
        return parse_number(o, argc, argv, i, 0, &o->delay) < 0 ? -1 : 1;
    if (zinc_flag_is(a, "--format") || zinc_flag_is(a, "-f"))
        return (v = zinc_flag_value(o->cmd, argc, argv, i, "json")) && zinc_format_parse(o->cmd, v, &o->format) == 0
                   ? 1 : -1;
    if (zinc_flag_is(a, "--part"))
        return (v = zinc_flag_value(o->cmd, argc, argv, i, "FRAME")) && add_data(o, v, 0) == 0 ? 1 : -1;
    if (zinc_flag_is(a, "--reply"))
        return (o->reply = zinc_flag_value(o->cmd, argc, argv, i, "TEXT")) ? 1 : -1;
    if (zinc_flag_is(a, "--file"))
        return (o->file = zinc_flag_value(o->cmd, argc, argv, i, "data.txt")) ? 1 : -1;
    if (strcmp(a, "--echo") == 0)
        return o->echo = 1, 1;
    if (strcmp(a, "--raw") == 0)
        return o->raw = 1, 1;
    if (strcmp(a, "--split") == 0)
        return o->split = 1, 1;
    if (strcmp(a, "--no-input") == 0 || strcmp(a, "-n") == 0)
        return o->no_input = 1, 1;
    return 0;
}

static int parse_type_flag(sock_opts *o, int argc, char **argv, int *i)
{
    if (strcmp(o->cmd, "send") != 0 && strcmp(o->cmd, "recv") != 0)
        return zinc_usage(o->cmd, "--type: only for zinc send and zinc recv (zinc %s is always %s)", o->cmd,
                          zinc_socket_type_name(o->type));
    const char *v = zinc_flag_value(o->cmd, argc, argv, i, "pub");
    return v ? parse_type(o, v) : -1;
}

static int parse_args(sock_opts *o, int argc, char **argv)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int rc = 0;
        if (zinc_flag_is(a, "--type") || zinc_flag_is(a, "-t"))
            rc = parse_type_flag(o, argc, argv, &i) < 0 ? -1 : 1;
        if (rc == 0)
            rc = parse_own(o, argc, argv, &i);
        if (rc == 0)
            rc = zinc_config_parse(&o->cfg, argc, argv, &i);
        if (rc < 0)
            return -1;
        if (rc > 0)
            continue;
        if (a[0] == '-' && a[1] != '\0' && strcmp(a, "--") != 0)
            return zinc_usage(o->cmd, "%s: unknown option (to send data starting with '-', put it after --)", a);
        if (strcmp(a, "--") != 0) {
            if (add_data(o, a, 1) < 0)
                return -1;
            continue;
        }
        for (i++; i < argc; i++)
            if (add_data(o, argv[i], 1) < 0)
                return -1;
    }
    return 0;
}

static int check_args(sock_opts *o)
{
    if (zinc_config_check(&o->cfg) < 0)
        return -1;
    if (!zinc_config_has_endpoints(&o->cfg))
        return zinc_usage(o->cmd, "no endpoint: add --bind ENDPOINT or --connect ENDPOINT "
                                  "(e.g. --connect tcp://localhost:5555)");
    if (o->arg_count && (o->role == ROLE_RECV || o->role == ROLE_REP))
        return zinc_usage(o->cmd, "'%.*s': %s sends no data%s", (int)o->args[0].frames[0].size,
                          o->args[0].frames[0].size ? (const char *)o->args[0].frames[0].data : "", o->cmd,
                          o->role == ROLE_REP ? " of its own (use --reply TEXT)" : "");
    if (o->reply && o->role != ROLE_REP)
        return zinc_usage(o->cmd, "--reply is for zinc rep");
    if (o->echo && o->role != ROLE_DUPLEX)
        return zinc_usage(o->cmd, "--echo is for the two-way types (dealer, router, pair, stream, xpub, xsub)");
    if (o->raw && o->split)
        return zinc_usage(o->cmd, "--raw and --split: choose one");
    return 0;
}

/* XSUB takes subscriptions as messages: --subscribe P is moved out of the options to be sent as \x01P. */
static int take_xsub_subscriptions(sock_opts *o)
{
    zinc_config *cfg = &o->cfg;
    o->xsub_subs = calloc(cfg->setting_count + 1, sizeof *o->xsub_subs);
    if (!o->xsub_subs)
        return -1;
    size_t kept = 0;
    for (size_t k = 0; k < cfg->setting_count; k++) {
        if (cfg->settings[k].option->id == ZMQ_SUBSCRIBE)
            o->xsub_subs[o->xsub_sub_count++] = cfg->settings[k].value;
        else
            cfg->settings[kept++] = cfg->settings[k];
    }
    cfg->setting_count = kept;
    return 0;
}

static void free_opts(sock_opts *o)
{
    for (size_t k = 0; k < o->arg_count; k++)
        zinc_message_clear(&o->args[k]);
    free(o->args);
    free(o->xsub_subs);
    zinc_config_free(&o->cfg);
}

int zinc_cmd_socket(const char *type_name, int argc, char **argv)
{
    int index = find_subcommand(type_name);
    if (index < 0) {
        zinc_usage(NULL, "%s: no such command", type_name);
        return ZINC_EXIT_USAGE;
    }
    for (int i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
        if (zinc_is_help(argv[i])) {
            print_help(type_name, index);
            return ZINC_EXIT_OK;
        }
    sock_opts o;
    memset(&o, 0, sizeof o);
    o.cmd = type_name;
    o.type = subcommands[index].type;
    o.role = subcommands[index].role;
    o.timeout = -1;
    if (zinc_config_init(&o.cfg, type_name, argc) < 0)
        return ZINC_EXIT_FAIL;
    int rc = ZINC_EXIT_USAGE;
    if (parse_args(&o, argc, argv) == 0 && check_args(&o) == 0) {
        if (o.type == ZMQ_XSUB && take_xsub_subscriptions(&o) < 0)
            rc = ZINC_EXIT_FAIL;
        else
            rc = sock_run(&o);
    }
    free_opts(&o);
    return rc;
}
