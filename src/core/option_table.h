/* The socket option table: one row per option libzmq 4.3.4's zmq_setsockopt/zmq_getsockopt know, saying
 * how big its value is, which values are valid, whether it can be set and read, on which socket types,
 * which security mechanism it belongs to, and where it is stored. options.c, socket.c and
 * docs/compat/opts.md are all written from it (tests/unit/test_option_table.c checks that the doc names
 * every row).
 *
 * Invariants:
 *  1. An option missing from the table, or asked for on a socket type its row does not list, is EINVAL
 *     both ways, as libzmq answers for an option it does not know.
 *  2. Numeric options want exactly their size (sizeof(int) or 8 bytes) on set, and on get too except the
 *     socket-state ones (RCVMORE, FD, EVENTS, THREAD_SAFE), which accept any buffer of at least 4 bytes.
 *  3. The options of a mechanism zinc cannot run yet are unknown to zmq_setsockopt (EINVAL), as in a
 *     libzmq built without that mechanism; option_mech_available() is the one switch.
 */
#ifndef ZINC_OPTION_TABLE_H
#define ZINC_OPTION_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum opt_kind {
    OPT_INT,      /* int, exactly sizeof(int), min..max, stored as given */
    OPT_FLAG,     /* int, exactly sizeof(int), min..max, stored (and read back) as 0 or 1 */
    OPT_INT64,    /* int64_t, exactly 8 bytes, any value */
    OPT_UINT64,   /* uint64_t, exactly 8 bytes, any value */
    OPT_STRING,   /* min..max bytes, stored NUL-terminated, read back with the NUL */
    OPT_RAW,      /* bytes handed as they are to the socket type (SUBSCRIBE, XPUB_WELCOME_MSG) */
    OPT_CUSTOM,   /* validated and stored by a case of its own in options.c */
};

/* Where the value lives. */
enum opt_home {
    HOME_OPTIONS, /* struct options, generic for every type */
    HOME_PROTO,   /* the socket type's setopt hook */
    HOME_SOCKET,  /* socket state read by socket.c (RCVMORE, FD, EVENTS, LAST_ENDPOINT, THREAD_SAFE) */
};

#define OPT_SET 1u              /* zmq_setsockopt takes it */
#define OPT_GET 2u              /* zmq_getsockopt reads it */
#define OPT_NULL_CLEARS 4u      /* strings: (NULL, 0) resets to empty */
#define OPT_EMPTY_OK 8u         /* strings: a non-NULL value of length 0 is accepted */

#define OPT_TYPES_ALL 0x1fffffu /* a bit per socket type: the 12 stable ZMQ_PAIR..ZMQ_STREAM, then the
                                 * draft ZMQ_SERVER (12) .. ZMQ_CHANNEL (20) */
#define OPT_TYPE(t) (1u << (t))

struct opt_desc {
    int id;                     /* ZMQ_... */
    const char *name;           /* "ZMQ_LINGER" */
    uint8_t kind;               /* enum opt_kind */
    uint8_t home;               /* enum opt_home */
    uint8_t flags;              /* OPT_SET | OPT_GET | ... */
    uint8_t mech;               /* ZMQ_NULL (always available), ZMQ_PLAIN, ZMQ_CURVE, ZMQ_GSSAPI */
    uint32_t types;             /* socket types that take it */
    int64_t min, max;           /* numbers: the valid range; strings: the valid lengths */
    int64_t dflt;               /* numbers: libzmq's default */
    size_t offset;              /* HOME_OPTIONS numbers and strings: the field in struct options */
    const char *doc;            /* one line for docs/compat/opts.md: what else libzmq does with it */
};

/* The row for an option, or NULL. */
const struct opt_desc *option_find(int id);
/* Every row, in option number order. */
const struct opt_desc *option_table(size_t *count);
/* Whether zinc can run a security mechanism (ZMQ_NULL, ZMQ_PLAIN, ZMQ_CURVE, ZMQ_GSSAPI). */
bool option_mech_available(int mechanism);

#endif
