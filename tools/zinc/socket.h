/* Internals of the zinc socket subcommands (socket.c parses, run.c runs the loops, input.c reads the data
 * to send, watch.c explains failed connections). Not used by the other subcommands. */
#ifndef ZINC_CLI_SOCKET_H
#define ZINC_CLI_SOCKET_H

#include "common.h"

/* What a subcommand does with its socket. */
typedef enum sock_role {
    ROLE_SEND,  /* send the data, then exit (send, push, pub) */
    ROLE_RECV,  /* print what arrives (recv, pull, sub) */
    ROLE_REQ,   /* send each message, print its reply */
    ROLE_REP,   /* print each request, send a reply */
    ROLE_DUPLEX /* send the data and print what arrives, both at once (pair dealer router stream xpub xsub) */
} sock_role;

/* Where the messages to send come from: the command line, else stdin or --file (one message a line, or
 * all of it with --raw). */
typedef struct source {
    zinc_message *args;   /* messages from positional arguments and --part; owned */
    size_t arg_count;
    size_t arg_next;
    int fd;               /* -1: no stream input */
    int eof;              /* the stream has ended */
    int raw;              /* --raw: the whole stream is one message */
    int split;            /* --split: a line's tabs separate frames */
    int escapes;          /* --escapes: decode \xHH etc. */
    char *buf;            /* bytes read but not yet taken; owned */
    size_t len;
    size_t cap;
} source;

typedef struct sock_opts {
    const char *cmd;      /* the subcommand as typed */
    int type;             /* ZMQ_PUSH, ... */
    sock_role role;
    zinc_config cfg;
    zinc_format format;
    long long count;      /* stop after this many messages (received, or sent for ROLE_SEND); 0 = no limit */
    long long timeout;    /* ms each wait may take; -1 = forever */
    long long delay;      /* ms to wait after connecting, before the first send */
    const char *reply;    /* REP: fixed reply text, else echo */
    int echo;             /* DUPLEX: send back what arrives */
    int no_input;         /* -n: never read stdin */
    const char *file;     /* --file: read data from here instead of stdin */
    int raw;
    int split;
    const char **xsub_subs; /* XSUB --subscribe prefixes, sent as \x01 messages; owned array */
    size_t xsub_sub_count;
    zinc_message *args;   /* from the command line; owned (moved into the source at run time) */
    size_t arg_count;
} sock_opts;

/* input.c */
int source_open(source *s, const sock_opts *o);
void source_close(source *s);
/* 1: a message is in out; 0: none buffered (stream open: source_fill); -2: no more data; -1: error */
int source_take(source *s, zinc_message *out);
/* Reads once from the stream (may block): 1 read, 0 end of stream, -1 error (printed). */
int source_fill(source *s, const char *cmd);
/* Blocking source_take + source_fill: 1 message, 0 no more, -1 error. */
int source_next(source *s, const char *cmd, zinc_message *out);

/* watch.c: a monitor on the socket, to say why nothing arrived */
typedef struct watch watch;
watch *watch_start(void *ctx, void *socket);
void watch_stop(watch *w);
/* Drains pending events; with verbose, reports connects, disconnects and failures on stderr. */
void watch_poll(watch *w, const char *cmd, int verbose);
/* A sentence on the connection state ("tcp://...: connection refused, retrying (is a peer listening?)"),
 * or "" when there is nothing to add. */
const char *watch_explain(watch *w, const sock_opts *o);

/* run.c */
int sock_run(sock_opts *o);

#endif
