/* The reactor's timer heap (a pairing heap inside the timers themselves): after any sequence of starts,
 * restarts and cancels, the root is the earliest armed timer, and taking roots one by one yields every
 * armed timer once, in deadline order. Checked against a plain array on a seeded random sequence; no
 * thread is started (the heap is only ever touched by its reactor's thread). */
#include "core/reactor.h"
#include "unit.h"

#define TIMERS 2000
#define STEPS 200000

static void never(struct io_timer *t) { (void)t; }

static uint32_t rng = 12345;
static uint32_t next_random(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 17;
    rng ^= rng << 5;
    return rng;
}

/* The earliest deadline among armed timers, by scanning; UINT64_MAX when none is armed. */
static uint64_t earliest(struct io_timer *t, size_t n, size_t *armed)
{
    uint64_t min = UINT64_MAX;
    *armed = 0;
    for (size_t i = 0; i < n; i++)
        if (io_timer_armed(&t[i])) {
            (*armed)++;
            if (t[i].deadline_ms < min)
                min = t[i].deadline_ms;
        }
    return min;
}

static void check_root(struct reactor *r, struct io_timer *t, size_t n)
{
    size_t armed;
    uint64_t min = earliest(t, n, &armed);
    if (!armed) {
        CHECK(r->timers == NULL);
        return;
    }
    CHECK(r->timers != NULL && io_timer_armed(r->timers));
    if (r->timers)
        CHECK_EQU(r->timers->deadline_ms, min);
}

/* Takes the root until the heap is empty: deadlines never go down and every armed timer comes out once. */
static void drain_in_order(struct reactor *r, struct io_timer *t, size_t n)
{
    size_t armed;
    (void)earliest(t, n, &armed);
    uint64_t last = 0;
    size_t taken = 0;
    while (r->timers) {
        struct io_timer *root = r->timers;
        CHECK(root->deadline_ms >= last);
        last = root->deadline_ms;
        io_timer_cancel(r, root);
        CHECK(!io_timer_armed(root));
        taken++;
    }
    CHECK_EQU(taken, armed);
}

int main(void)
{
    static struct io_timer t[TIMERS];
    struct reactor r;
    memset(&r, 0, sizeof r);
    for (size_t i = 0; i < TIMERS; i++)
        io_timer_init(&t[i], never);

    /* Equal deadlines, a single timer, cancel of an unarmed timer. */
    io_timer_cancel(&r, &t[0]);
    CHECK(r.timers == NULL);
    for (size_t i = 0; i < 10; i++)
        io_timer_start(&r, &t[i], 1000000);
    io_timer_start(&r, &t[3], 1000000);   /* restart of an armed timer */
    check_root(&r, t, TIMERS);
    drain_in_order(&r, t, TIMERS);

    /* Random starts (new and restarts), cancels of any node (root, inner, leaf), root checked each step. */
    for (int step = 0; step < STEPS; step++) {
        struct io_timer *x = &t[next_random() % TIMERS];
        if (next_random() % 3)
            io_timer_start(&r, x, 1000 + next_random() % 100000000);
        else
            io_timer_cancel(&r, x);
        if (step % 97 == 0)
            check_root(&r, t, TIMERS);
    }
    check_root(&r, t, TIMERS);
    drain_in_order(&r, t, TIMERS);
    CHECK(r.timers == NULL);
    return unit_summary("test_timer_heap");
}
