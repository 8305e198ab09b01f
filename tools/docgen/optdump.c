/* Prints zinc's socket option table (src/core/option_table.c) as tab-separated lines, one per option, for
 * the documentation generators (tools/gen-manual writes docs/manual/options.md from it, tools/gen-man the
 * option sections of zmq_setsockopt(3) and zmq_getsockopt(3)). The numbers come from the table the library
 * itself uses; readable defaults are also measured through zmq_getsockopt, so the docs cannot drift.
 *
 * Columns: name, number, kind, access (set/get/set,get), mechanism, socket types (or "all"), min, max,
 * table default, measured default ("-" when it cannot be read as an int), mechanism available (0/1), note. */
#include <stdio.h>
#include <string.h>

#include <zmq.h>

#include "core/option_table.h"

static const char *const type_names[] = {"PAIR", "PUB",  "SUB",  "REQ", "REP",  "DEALER",
                                         "ROUTER", "PULL", "PUSH", "XPUB", "XSUB", "STREAM"};
static const char *const kind_names[] = {"int", "flag", "int64", "uint64", "string", "bytes", "custom"};
static const char *const mech_names[] = {"NULL", "PLAIN", "CURVE", "GSSAPI"};

static void print_types(unsigned types)
{
    if ((types & OPT_TYPES_ALL) == OPT_TYPES_ALL) {
        fputs("all", stdout);
        return;
    }
    const char *sep = "";
    for (int t = 0; t < 12; t++)
        if (types & OPT_TYPE(t)) {
            printf("%s%s", sep, type_names[t]);
            sep = ",";
        }
}

/* The socket type to measure a default on: DEALER when the option applies to it, else the first listed. */
static int probe_type(unsigned types)
{
    if (types & OPT_TYPE(ZMQ_DEALER))
        return ZMQ_DEALER;
    for (int t = 0; t < 12; t++)
        if (types & OPT_TYPE(t))
            return t;
    return -1;
}

/* The default as zmq_getsockopt reads it on a fresh socket, when it is an int; else "-". */
static void print_measured(void *ctx, const struct opt_desc *o)
{
    int type = probe_type(o->types);
    if (!(o->flags & OPT_GET) || o->home == HOME_SOCKET || type < 0 || o->id == ZMQ_TYPE) {
        fputs("-", stdout);
        return;
    }
    void *s = zmq_socket(ctx, type);
    int v = 0;
    size_t len = sizeof v;
    if (s && zmq_getsockopt(s, o->id, &v, &len) == 0 && len == sizeof v)
        printf("%d", v);
    else
        fputs("-", stdout);
    if (s)
        zmq_close(s);
}

int main(void)
{
    size_t n;
    const struct opt_desc *t = option_table(&n);
    void *ctx = zmq_ctx_new();
    if (!ctx)
        return 1;
    for (size_t i = 0; i < n; i++) {
        const struct opt_desc *o = &t[i];
        const char *access = (o->flags & OPT_SET) && (o->flags & OPT_GET) ? "set,get"
                             : (o->flags & OPT_SET)                     ? "set"
                                                                        : "get";
        printf("%s\t%d\t%s\t%s\t%s\t", o->name, o->id, kind_names[o->kind], access, mech_names[o->mech]);
        print_types(o->types);
        printf("\t%lld\t%lld\t%lld\t", (long long)o->min, (long long)o->max, (long long)o->dflt);
        print_measured(ctx, o);
        printf("\t%d\t%s\n", option_mech_available(o->mech) ? 1 : 0, o->doc);
    }
    zmq_ctx_term(ctx);
    return 0;
}
