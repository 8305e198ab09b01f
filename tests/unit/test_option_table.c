/* Unit tests for src/core/option_table.c: the rows are in option number order with no duplicates, each is
 * consistent (stored fields lie inside struct options, ranges are ordered, numbers have defaults in range
 * or documented outside it), options_init gives every row's default, and docs/compat/opts.md has a row for
 * every option, so the table and the compatibility doc cannot drift apart. */
#include "unit.h"

#include <zmq.h>

#include "core/option_table.h"
#include "core/options.h"

/* docs/compat/opts.md, found from this file's path (tests/unit/ -> ../../docs/compat/). */
static char *read_doc(void)
{
    char path[1024];
    snprintf(path, sizeof path, "%s", __FILE__);
    char *cut = strstr(path, "tests/unit/");
    if (!cut)
        return NULL;
    snprintf(cut, sizeof path - (size_t)(cut - path), "docs/compat/opts.md");
    FILE *f = fopen(path, "r");
    if (!f)
        return NULL;
    static char text[256 * 1024];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    return text;
}

static void rows_shall_be_sorted_and_consistent(void)
{
    size_t n;
    const struct opt_desc *t = option_table(&n);
    CHECK(n > 80);
    for (size_t i = 0; i < n; i++) {
        if (i > 0)
            CHECK(t[i - 1].id < t[i].id);
        CHECK(option_find(t[i].id) == &t[i]);
        CHECK(strncmp(t[i].name, "ZMQ_", 4) == 0);
        CHECK(t[i].flags & (OPT_SET | OPT_GET));
        CHECK(t[i].types != 0 && (t[i].types & ~OPT_TYPES_ALL) == 0);
        CHECK(t[i].doc && t[i].doc[0]);
        if (t[i].home == HOME_OPTIONS && t[i].kind != OPT_CUSTOM) {
            size_t size = t[i].kind == OPT_STRING ? sizeof(struct opt_string)
                          : (t[i].kind == OPT_INT64 || t[i].kind == OPT_UINT64) ? 8 : sizeof(int);
            CHECK(t[i].offset + size <= sizeof(struct options));
        }
        if (t[i].kind == OPT_INT || t[i].kind == OPT_FLAG || t[i].kind == OPT_STRING)
            CHECK(t[i].min <= t[i].max);
        if (t[i].kind == OPT_STRING)
            CHECK(t[i].max <= OPT_STRING_MAX);
        if (t[i].home == HOME_PROTO)
            CHECK_EQ(t[i].flags, OPT_SET);   /* libzmq cannot read any type-specific option back */
    }
    CHECK(option_find(0) == NULL);
    CHECK(option_find(ZMQ_VMCI_BUFFER_SIZE) == NULL);
    CHECK(option_mech_available(ZMQ_NULL));
    CHECK(!option_mech_available(-1));
    CHECK(!option_mech_available(99));
}

static void defaults_shall_come_from_the_table(void)
{
    size_t n;
    const struct opt_desc *t = option_table(&n);
    struct options o;
    options_init(&o, ZMQ_DEALER);
    for (size_t i = 0; i < n; i++) {
        if (t[i].home != HOME_OPTIONS || !(t[i].flags & OPT_GET))
            continue;
        if (t[i].kind == OPT_INT || t[i].kind == OPT_FLAG) {
            int v = 0;
            size_t len = sizeof v;
            CHECK_EQ(options_get(&o, &t[i], &v, &len), 0);
            if (t[i].id != ZMQ_TYPE)
                CHECK_EQ(v, t[i].dflt);
        } else if (t[i].kind == OPT_INT64 || t[i].kind == OPT_UINT64) {
            int64_t v = 0;
            size_t len = sizeof v;
            CHECK_EQ(options_get(&o, &t[i], &v, &len), 0);
            CHECK_EQ(v, t[i].dflt);
        } else if (t[i].kind == OPT_STRING) {
            char buf[8];
            size_t len = sizeof buf;
            CHECK_EQ(options_get(&o, &t[i], buf, &len), 0);
            CHECK_EQ(len, 1);
        }
    }
    CHECK_EQ(o.type, ZMQ_DEALER);
}

static void doc_shall_list_every_option(void)
{
    const char *doc = read_doc();
    CHECK(doc != NULL);
    if (!doc)
        return;
    size_t n;
    const struct opt_desc *t = option_table(&n);
    for (size_t i = 0; i < n; i++) {
        char cell[80];
        snprintf(cell, sizeof cell, "| `%s` |", t[i].name);
        if (!strstr(doc, cell)) {
            unit_failures++;
            fprintf(stderr, "docs/compat/opts.md has no row for %s\n", t[i].name);
        }
    }
}

int main(void)
{
    rows_shall_be_sorted_and_consistent();
    defaults_shall_come_from_the_table();
    doc_shall_list_every_option();
    return unit_summary("option_table");
}
