/* The mailbox's level fd (mailbox.h invariant 5, behind ZINC_POLLIN_FD): which posts raise it (anything
 * that may bring input: not a room-only wake, CMD_NOOP or CMD_PIPE_HICCUP), that a lower which finds
 * commands queued says so (the owner must run them: a post that raced the lower is never lost), that the
 * owner's raise and lower follow the flag, and that mailbox_close closes it. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>

#include "core/mailbox.h"
#include "unit.h"

static int readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    return poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

static void take_all(struct mailbox *mb)
{
    struct cmd *cmds;
    size_t cap;
    size_t n = mailbox_take(mb, &cmds, &cap);
    for (size_t i = 0; i < n; i++)
        cmd_release(&cmds[i]);
    mailbox_done(mb, cmds, cap);
}

static void post(struct mailbox *mb, enum cmd_type type, bool room_only)
{
    struct cmd cmd = {.type = type, .room_only = room_only};
    CHECK_EQ(mailbox_post(mb, &cmd), 0);
}

int main(void)
{
    struct mailbox *mb = mailbox_new();
    CHECK(mb != NULL);
    post(mb, CMD_PIPE_WAKE, false);          /* before the fd exists: nothing to raise */
    int fd = mailbox_level_open(mb, false);
    CHECK(fd >= 0);
    CHECK(readable(fd));                     /* made while a command waits: up */
    CHECK_EQ(mailbox_level_open(mb, false), fd);   /* one fd per mailbox */
    CHECK(mailbox_level_lower(mb));          /* down, and the queued command must be run */
    CHECK(!readable(fd));
    take_all(mb);
    CHECK(!mailbox_level_lower(mb));

    post(mb, CMD_PIPE_WAKE, true);           /* room only */
    post(mb, CMD_NOOP, false);
    post(mb, CMD_PIPE_HICCUP, false);        /* a SUB's cue to resend its subscriptions: output */
    CHECK(!readable(fd));
    take_all(mb);

    post(mb, CMD_PIPE_WAKE, false);          /* data or close */
    CHECK(readable(fd));
    post(mb, CMD_PIPE_WAKE, false);          /* already up: still one write, one read takes it down */
    take_all(mb);
    CHECK(!mailbox_level_lower(mb));
    CHECK(!readable(fd));

    post(mb, CMD_PIPE_ATTACH, false);        /* a new pipe may hold messages already */
    CHECK(readable(fd));
    take_all(mb);
    CHECK(!mailbox_level_lower(mb));
    post(mb, CMD_STOP, false);               /* ETERM is something to receive */
    CHECK(readable(fd));
    take_all(mb);
    CHECK(!mailbox_level_lower(mb));

    mailbox_level_raise(mb);                 /* the owner's own raise and lower */
    CHECK(readable(fd));
    mailbox_level_raise(mb);
    CHECK(!mailbox_level_lower(mb));
    CHECK(!readable(fd));

    mailbox_close(mb);                       /* closes the level fd; later posts are dropped */
    CHECK_EQ(fcntl(fd, F_GETFD), -1);
    CHECK_EQ(errno, EBADF);
    post(mb, CMD_PIPE_WAKE, false);
    mailbox_unref(mb);
    return unit_summary("mailbox_level");
}
