/* The application-driven timer set behind zmq_timers_*: a plain array, since sets are small. */
#include "core/timers.h"

#include <errno.h>
#include <stdlib.h>

#include "core/util.h"

struct timer_entry {
    int id;
    size_t interval;
    uint64_t due_ms;
    timers_fn *handler;
    void *arg;
};

struct timers {
    struct timer_entry *items;
    size_t n, cap;
    int next_id;
};

struct timers *timers_new(void)
{
    return calloc(1, sizeof(struct timers));
}

void timers_destroy(struct timers *t)
{
    free(t->items);
    free(t);
}

static struct timer_entry *timers_find(struct timers *t, int id)
{
    for (size_t i = 0; i < t->n; i++)
        if (t->items[i].id == id)
            return &t->items[i];
    return NULL;
}

int timers_add(struct timers *t, size_t interval, timers_fn *handler, void *arg)
{
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 8;
        struct timer_entry *grown = realloc(t->items, cap * sizeof *grown);
        if (!grown)
            return -ENOMEM;
        t->items = grown;
        t->cap = cap;
    }
    int id = ++t->next_id;
    t->items[t->n++] = (struct timer_entry){id, interval, zn_now_ms() + interval, handler, arg};
    return id;
}

int timers_cancel(struct timers *t, int id)
{
    struct timer_entry *e = timers_find(t, id);
    if (!e)
        return -EINVAL;
    *e = t->items[--t->n];
    return 0;
}

int timers_set_interval(struct timers *t, int id, size_t interval)
{
    struct timer_entry *e = timers_find(t, id);
    if (!e)
        return -EINVAL;
    e->interval = interval;
    e->due_ms = zn_now_ms() + interval;
    return 0;
}

int timers_reset(struct timers *t, int id)
{
    struct timer_entry *e = timers_find(t, id);
    if (!e)
        return -EINVAL;
    e->due_ms = zn_now_ms() + e->interval;
    return 0;
}

long timers_timeout(struct timers *t)
{
    if (!t->n)
        return -1;
    uint64_t now = zn_now_ms(), best = UINT64_MAX;
    for (size_t i = 0; i < t->n; i++)
        if (t->items[i].due_ms < best)
            best = t->items[i].due_ms;
    return best <= now ? 0 : (long)(best - now);
}

int timers_execute(struct timers *t)
{
    uint64_t now = zn_now_ms();
    /* Handlers may cancel timers: walk by id snapshot rather than by pointer. */
    for (size_t i = 0; i < t->n; i++) {
        struct timer_entry e = t->items[i];
        if (e.due_ms > now)
            continue;
        t->items[i].due_ms = now + e.interval;
        e.handler(e.id, e.arg);
    }
    return 0;
}
