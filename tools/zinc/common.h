/* Helpers shared by the zinc command's subcommands: error reporting that says what to fix, command-line
 * flag parsing, socket types by name, socket options by name (a table), --bind/--connect, CURVE/PLAIN
 * flags, and multipart messages with their output formats (text, quoted, hex, json).
 *
 * Conventions: errors are printed here, once, to stderr, prefixed "zinc CMD: "; functions then return -1
 * and the caller returns exit status 2 (usage) or 1 (runtime). Strings from argv are borrowed, never
 * copied: argv outlives every config. */
#ifndef ZINC_CLI_COMMON_H
#define ZINC_CLI_COMMON_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#define ZINC_EXIT_OK 0
#define ZINC_EXIT_FAIL 1  /* runtime: timeout, unreachable peer, bad endpoint, I/O */
#define ZINC_EXIT_USAGE 2 /* the command line is wrong */

/* ---- errors (common.c) ------------------------------------------------------------------------------ */

/* "zinc CMD: message\n" on stderr. cmd may be NULL ("zinc: message"). */
void zinc_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* As zinc_error, then "Try 'zinc CMD --help'."; returns -1 so callers can `return zinc_usage(...)`. */
int zinc_usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* After a failed zmq_* call: "zinc CMD: WHAT: strerror(errno) (hint)" where the hint says what to
 * check for that errno (host name, port in use, ...). Keeps errno. */
void zinc_error_zmq(const char *cmd, const char *what);
/* The hint zinc_error_zmq prints for err after `what` failed, or "" (what: "--connect tcp://...", ...). */
const char *zinc_hint(int err, const char *what);

/* ---- flags (common.c) ------------------------------------------------------------------------------- */

/* 1 if arg is the flag name ("--linger", "-f"), or "name=value" for a long one ("--linger=0"). */
int zinc_flag_is(const char *arg, const char *name);
/* The value of the flag at argv[*i] ("--x V" or "--x=V"), advancing *i past it; NULL after printing
 * "zinc CMD: --x needs a value (e.g. --x EXAMPLE)". */
const char *zinc_flag_value(const char *cmd, int argc, char **argv, int *i, const char *example);
/* value as an integer in [min, max]; -1 after a usage error naming flag. */
int zinc_parse_ll(const char *cmd, const char *flag, const char *value, long long min, long long max,
                  long long *out);
/* 1 for --help/-h. */
int zinc_is_help(const char *arg);

/* ---- socket types (common.c) ------------------------------------------------------------------------ */

/* ZMQ_PAIR..ZMQ_STREAM by lower-case name ("pub", "xsub", "stream", also "xreq"/"xrep"); -1 if unknown. */
int zinc_socket_type(const char *name);
/* "pub", ... ; "?" if unknown. */
const char *zinc_socket_type_name(int type);
/* 1 for ROUTER and STREAM: received messages start with the peer's routing id. */
int zinc_socket_has_routing_id(int type);

/* ---- the common socket configuration (config.c) ------------------------------------------------------ */

typedef enum zinc_kind {
    ZINC_KIND_INT,   /* int, e.g. --sndhwm 1000 */
    ZINC_KIND_BOOL,  /* int 0/1: "1/0/on/off/true/false/yes/no" */
    ZINC_KIND_INT64, /* int64_t, e.g. --maxmsgsize */
    ZINC_KIND_U64,   /* uint64_t, e.g. --affinity */
    ZINC_KIND_STRING,/* NUL-terminated, e.g. --socks-proxy */
    ZINC_KIND_BYTES, /* binary: the text, or with --escapes its \xHH escapes decoded */
    ZINC_KIND_HEARTBEAT /* --heartbeat MS: IVL = MS, TIMEOUT = TTL = 3 * MS */
} zinc_kind;

typedef struct zinc_option {
    const char *flag;  /* "--sndhwm" */
    int id;            /* ZMQ_SNDHWM; -1 for composite ones (--heartbeat) */
    zinc_kind kind;    /* how the value is parsed and passed */
    const char *help;  /* one line for --help */
} zinc_option;

/* The option table, ending with a NULL flag; and one entry by flag name (NULL if none). */
extern const zinc_option zinc_options[];
const zinc_option *zinc_option_find(const char *flag);

typedef struct zinc_endpoint {
    int bind;            /* 1 --bind, 0 --connect */
    const char *address; /* borrowed from argv */
    const char *connect_routing_id; /* --connect-routing-id given before this --connect, or NULL */
} zinc_endpoint;

typedef struct zinc_setting {
    const zinc_option *option;
    const char *value; /* borrowed from argv */
} zinc_setting;

typedef struct zinc_security {
    const char *curve_server;    /* --curve-server SECRETKEY: this side is a CURVE server */
    const char *curve_serverkey; /* --curve-client SERVERKEY: this side is a CURVE client */
    const char *curve_public;    /* --curve-public KEY (client; with --curve-secret) */
    const char *curve_secret;    /* --curve-secret KEY (client; else an ephemeral keypair) */
    int plain_server;            /* --plain-server */
    const char *plain_user;      /* --plain-user U: client's user; a server's only accepted user */
    const char *plain_password;  /* --plain-password P */
} zinc_security;

typedef struct zinc_config {
    const char *cmd;           /* the subcommand, for messages */
    zinc_endpoint *endpoints;  /* in command-line order; owned */
    size_t endpoint_count;
    zinc_setting *settings;    /* in command-line order; owned */
    size_t setting_count;
    zinc_security security;
    int escapes;               /* --escapes: decode \n \t \\ \xHH in bytes values and message data */
    int verbose;               /* -v/--verbose: say what is bound/connected on stderr */
    const char *pending_rid;   /* --connect-routing-id waiting for its --connect */
} zinc_config;

/* Sized for argc flags; -1 on ENOMEM (message printed). zinc_config_free releases what init took. */
int zinc_config_init(zinc_config *cfg, const char *cmd, int argc);
void zinc_config_free(zinc_config *cfg);
/* Tries argv[*i] as one of the common flags (--bind, --connect, the option table, CURVE/PLAIN,
 * --escapes, --verbose). 1: consumed (and *i advanced past its value); 0: not a common flag; -1: a usage
 * error was printed (exit 2). */
int zinc_config_parse(zinc_config *cfg, int argc, char **argv, int *i);
/* Usage checks across flags (e.g. --curve-public without --curve-secret); -1 after a usage error. */
int zinc_config_check(const zinc_config *cfg);
/* 1 if the command line set option id (e.g. ZMQ_SUBSCRIBE, ZMQ_LINGER). */
int zinc_config_has(const zinc_config *cfg, int id);
int zinc_config_has_endpoints(const zinc_config *cfg);
/* Sets the options, then the security flags, on socket; -1 after printing the failing flag. */
int zinc_config_apply_options(const zinc_config *cfg, void *socket);
/* Binds and connects in command-line order; -1 after printing the failing endpoint and a hint. With
 * verbose, prints each resolved endpoint (ZMQ_LAST_ENDPOINT for binds, so "tcp://127.0.0.1:*" shows the
 * port). */
int zinc_config_apply_endpoints(const zinc_config *cfg, void *socket);
/* Both of the above. */
int zinc_config_apply(const zinc_config *cfg, void *socket);
/* The common flags' help, for each subcommand's --help. */
void zinc_config_help(FILE *out);

/* A ZAP handler thread in ctx for --plain-server (which needs one; with --plain-user/--plain-password
 * on the server only that user gets in). Start it before
 * binding; NULL when not needed or on failure (printed). zinc_zap_join after zmq_ctx_term: the thread
 * closes its socket when the context ends. */
typedef struct zinc_zap zinc_zap;
zinc_zap *zinc_zap_start(const zinc_config *cfg, void *ctx);
void zinc_zap_join(zinc_zap *z);

/* Decodes a CURVE key given as 40 Z85 characters, 64 hex digits, or "@FILE" (a file holding one of
 * those, as `zinc keygen --secret-file` writes) into 41 bytes of Z85 text; -1 after a usage error. */
int zinc_curve_key(const char *cmd, const char *flag, const char *value, char z85_out[41]);

/* ---- data and messages (message.c) ------------------------------------------------------------------- */

typedef struct zinc_frame {
    unsigned char *data; /* owned; may be NULL when size is 0 */
    size_t size;
} zinc_frame;

typedef struct zinc_message {
    zinc_frame *frames; /* owned */
    size_t count;
    size_t capacity;
} zinc_message;

void zinc_message_init(zinc_message *m);
/* Appends a copy of data as a new frame; -1 on ENOMEM. */
int zinc_message_add(zinc_message *m, const void *data, size_t size);
/* Frees the frames; the message stays usable (count 0). */
void zinc_message_clear(zinc_message *m);
/* Sends every frame (SNDMORE on all but the last); 0, or -1 with errno from zmq_send (EAGAIN on a
 * send timeout, EINTR on a signal). */
int zinc_message_send(void *socket, const zinc_message *m, int flags);
/* Receives one whole multipart message into m (cleared first); 0, or -1 with errno from zmq_msg_recv. */
int zinc_message_recv(void *socket, zinc_message *m, int flags);

/* Decodes C-style escapes (\n \r \t \0 \\ \xHH \" \') from in[0..len) into out (at least len bytes);
 * returns the decoded length, or -1 on a malformed escape. */
long zinc_unescape(const char *in, size_t len, unsigned char *out);

/* ---- output formats (format.c) ----------------------------------------------------------------------- */

typedef enum zinc_format {
    ZINC_FORMAT_TEXT,   /* frames as they are, tab-separated, one message a line */
    ZINC_FORMAT_QUOTED, /* each frame a C-style "quoted" string with escapes, space-separated */
    ZINC_FORMAT_HEX,    /* each frame in hex, space-separated */
    ZINC_FORMAT_JSON    /* {"frames":["..."],"routing_id":"hex"}: one JSON object a line */
} zinc_format;

/* "text" "quoted" "hex" "json" -> format; -1 after a usage error naming --format. */
int zinc_format_parse(const char *cmd, const char *name, zinc_format *out);
/* Prints m as one line. With routing_id, m's first frame is a ROUTER/STREAM routing id, shown apart:
 * "[hex] " before the frames (text, quoted, hex) or as "routing_id" (json). Flushes out. */
void zinc_message_print(FILE *out, const zinc_message *m, zinc_format format, int routing_id);
/* One frame in a format's own encoding (no separators, no newline). */
void zinc_frame_print(FILE *out, const unsigned char *data, size_t size, zinc_format format);

/* ---- signals (common.c) ----------------------------------------------------------------------------- */

/* Set by SIGINT/SIGTERM once zinc_signals_install ran; the handler is installed without SA_RESTART so
 * blocking zmq calls return EINTR. */
extern volatile sig_atomic_t zinc_interrupted;
void zinc_signals_install(void);

/* Milliseconds on a monotonic clock. */
long long zinc_now_ms(void);

#endif
