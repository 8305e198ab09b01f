/* The pipe publishes whole messages only: a flush in the middle of a multipart message holds its frames
 * back, and a rollback drops exactly the unfinished message (complete messages written before it
 * survive). Also: frames cross chunk boundaries intact, and the high-water mark counts messages. */
#include <stdio.h>
#include <string.h>

#include "core/msg.h"
#include "core/pipe.h"
#include "unit.h"

static void put(struct pipe_end *w, const char *text, bool more)
{
    struct msg m;
    msg_init_size(&m, strlen(text));
    memcpy(msg_data(&m), text, strlen(text));
    m.flags = more ? MSGF_MORE : 0;
    CHECK_EQ(pipe_write(w, &m), 0);
}

static void expect(struct pipe_end *r, const char *text)
{
    struct msg m;
    CHECK(pipe_read(r, &m));
    CHECK_MEM(msg_data(&m), msg_size(&m), text, strlen(text));
    msg_close(&m);
}

static void expect_empty(struct pipe_end *r)
{
    struct msg m;
    CHECK(!pipe_read(r, &m));
}

int main(void)
{
    struct pipe *p = pipe_new(0, 0);
    struct pipe_end *w = &p->end[0], *r = &p->end[1];

    put(w, "a1", true);
    put(w, "a2", false);
    put(w, "b1", true);
    pipe_flush(w);               /* mid-message: only message a is published */
    expect(r, "a1");
    expect(r, "a2");
    expect_empty(r);
    put(w, "c1", false);         /* completes the message b1 started */
    put(w, "d1", true);
    pipe_rollback(w);            /* drops d1 only: b1 + c1 form a whole message */
    pipe_flush(w);
    expect(r, "b1");
    expect(r, "c1");
    expect_empty(r);
    put(w, "e1", false);
    pipe_flush(w);
    expect(r, "e1");

    /* many messages across chunk boundaries, flushed in batches */
    char buf[16];
    for (int i = 0; i < 3 * PIPE_CHUNK_ITEMS + 7; i++) {
        snprintf(buf, sizeof buf, "m%d", i);
        put(w, buf, false);
        if (i % 100 == 99)
            pipe_flush(w);
    }
    pipe_flush(w);
    for (int i = 0; i < 3 * PIPE_CHUNK_ITEMS + 7; i++) {
        snprintf(buf, sizeof buf, "m%d", i);
        expect(r, buf);
    }
    expect_empty(r);
    pipe_close(w);
    pipe_close(r);

    /* HWM counts whole messages: 2 three-frame messages fill a pipe of hwm 2 */
    p = pipe_new(2, 2);
    w = &p->end[0];
    r = &p->end[1];
    for (int i = 0; i < 2; i++) {
        CHECK(pipe_check_write(w));
        put(w, "x", true);
        put(w, "y", true);
        put(w, "z", false);
        pipe_flush(w);
    }
    CHECK(!pipe_check_write(w));
    expect(r, "x");
    expect(r, "y");
    expect(r, "z");
    expect(r, "x");
    expect(r, "y");
    expect(r, "z");
    CHECK(pipe_check_write(w));
    put(w, "unread", false);     /* freed with the pipe */
    put(w, "partial", true);
    pipe_flush(w);
    pipe_close(w);
    pipe_close(r);
    return unit_summary("test_pipe");
}
