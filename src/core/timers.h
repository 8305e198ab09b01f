/* zmq_timers_*: a small timer set the application drives itself. Not thread-safe, as in libzmq. */
#ifndef ZINC_TIMERS_H
#define ZINC_TIMERS_H

#include <stddef.h>

typedef void(timers_fn)(int timer_id, void *arg);

struct timers;
struct timers *timers_new(void);
void timers_destroy(struct timers *t);
int timers_add(struct timers *t, size_t interval, timers_fn *handler, void *arg);   /* id or -errno */
int timers_cancel(struct timers *t, int id);
int timers_set_interval(struct timers *t, int id, size_t interval);
int timers_reset(struct timers *t, int id);
long timers_timeout(struct timers *t);   /* ms until the next timer, -1 if none */
int timers_execute(struct timers *t);

#endif
