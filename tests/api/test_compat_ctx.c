/* Context options: zmq_ctx_set/zmq_ctx_get for every option libzmq 4.3.4 knows, with its defaults, ranges
 * and quirks (ZMQ_THREAD_PRIORITY and ZMQ_SOCKET_LIMIT share a number; ZMQ_IO_THREADS and
 * ZMQ_MAX_SOCKETS count only until the first socket), and the I/O thread settings as the OS shows them:
 * names in /proc/self/task/N/comm, CPU affinity, scheduling policy. Must pass on zinc and on Debian's
 * libzmq 4.3.4 (reference mode). */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "testutil.h"

#include <limits.h>
#include <sched.h>

#define CTX_ZERO_COPY_RECV 10   /* draft (ZMQ_ZERO_COPY_RECV) */

struct ctx_option {
    const char *name;
    int id;
    int dflt;
    int min;        /* smallest valid value (INT_MIN: any) */
    int is_flag;    /* reads back as 0 or 1 */
};

static const struct ctx_option ctx_options[] = {
    {"ZMQ_IO_THREADS", ZMQ_IO_THREADS, 1, 0, 0},
    {"ZMQ_MAX_SOCKETS", ZMQ_MAX_SOCKETS, 1023, 1, 0},
    {"ZMQ_THREAD_SCHED_POLICY", ZMQ_THREAD_SCHED_POLICY, -1, 0, 0},
    {"ZMQ_MAX_MSGSZ", ZMQ_MAX_MSGSZ, INT_MAX, 0, 0},
    {"ZMQ_THREAD_NAME_PREFIX", ZMQ_THREAD_NAME_PREFIX, 0, INT_MIN, 0},
    {"ZMQ_ZERO_COPY_RECV", CTX_ZERO_COPY_RECV, 1, 0, 1},
    {"ZMQ_IPV6", ZMQ_IPV6, 0, 0, 1},
    {"ZMQ_BLOCKY", ZMQ_BLOCKY, 1, 0, 1},
};

/* zmq_ctx_get returns the value itself, so errno tells a -1 value from a failure. */
static int ctx_value(void *ctx, int id)
{
    errno = 0;
    int v = zmq_ctx_get(ctx, id);
    if (v == -1 && errno != 0)
        tu_fail(__FILE__, __LINE__, "zmq_ctx_get(%d): %s", id, zmq_strerror(errno));
    return v;
}

static void ctx_options_shall_have_libzmq_defaults(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    for (size_t i = 0; i < sizeof ctx_options / sizeof ctx_options[0]; i++) {
        int v = ctx_value(ctx, ctx_options[i].id);
        if (v != ctx_options[i].dflt)
            tu_fail(__FILE__, __LINE__, "%s: default %d, expected %d", ctx_options[i].name, v,
                    ctx_options[i].dflt);
    }
    CHECK_EQ(ctx_value(ctx, ZMQ_SOCKET_LIMIT), 65535);
    CHECK_EQ(ctx_value(ctx, ZMQ_MSG_T_SIZE), (int)sizeof(zmq_msg_t));
    CHECK_EQ(ZMQ_THREAD_PRIORITY, ZMQ_SOCKET_LIMIT);   /* one number: get reads the limit */
    CHECK_OK(zmq_ctx_term(ctx));
}

static void ctx_options_shall_take_their_libzmq_ranges(void)
{
    const int values[] = {INT_MIN, -2, -1, 0, 1, 2, 1000, INT_MAX};
    for (size_t i = 0; i < sizeof ctx_options / sizeof ctx_options[0]; i++) {
        const struct ctx_option *o = &ctx_options[i];
        for (size_t k = 0; k < sizeof values / sizeof values[0]; k++) {
            void *ctx = CHECK_PTR(zmq_ctx_new());
            int v = values[k];
            errno = 0;
            int rc = zmq_ctx_set(ctx, o->id, v);
            if (v >= o->min) {
                if (rc != 0)
                    tu_fail(__FILE__, __LINE__, "%s = %d refused: %s", o->name, v, zmq_strerror(errno));
                int back = ctx_value(ctx, o->id);
                if (back != (o->is_flag ? v != 0 : v))
                    tu_fail(__FILE__, __LINE__, "%s = %d read back %d", o->name, v, back);
            } else {
                if (rc != -1 || errno != EINVAL)
                    tu_fail(__FILE__, __LINE__, "%s = %d: rc %d errno %d, expected EINVAL", o->name, v, rc, errno);
                CHECK_EQ(ctx_value(ctx, o->id), o->dflt);
            }
            CHECK_OK(zmq_ctx_term(ctx));
        }
    }
    /* THREAD_PRIORITY: 0 and up; reading its number gives the socket limit */
    void *ctx = CHECK_PTR(zmq_ctx_new());
    CHECK_ERR(zmq_ctx_set(ctx, ZMQ_THREAD_PRIORITY, -1), EINVAL);
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_THREAD_PRIORITY, 0));
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_THREAD_PRIORITY, INT_MAX));
    CHECK_EQ(ctx_value(ctx, ZMQ_THREAD_PRIORITY), 65535);
    /* read-only, write-only and unknown options */
    CHECK_ERR(zmq_ctx_set(ctx, ZMQ_MSG_T_SIZE, 64), EINVAL);
    CHECK_ERR(zmq_ctx_get(ctx, ZMQ_THREAD_AFFINITY_CPU_ADD), EINVAL);
    CHECK_ERR(zmq_ctx_get(ctx, ZMQ_THREAD_AFFINITY_CPU_REMOVE), EINVAL);
    const int unknown[] = {-1, 0, 11, 12, 20, 41, 43, 69, 71, 100, 9999};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        CHECK_ERR(zmq_ctx_set(ctx, unknown[i], 1), EINVAL);
        CHECK_ERR(zmq_ctx_get(ctx, unknown[i]), EINVAL);
    }
    CHECK_ERR(zmq_ctx_set(NULL, ZMQ_IO_THREADS, 1), EFAULT);
    CHECK_ERR(zmq_ctx_get(NULL, ZMQ_IO_THREADS), EFAULT);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* The CPU list: ADD any CPU number (0 and up), REMOVE only one that is in the list. */
static void affinity_list_shall_refuse_removing_an_absent_cpu(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    CHECK_ERR(zmq_ctx_set(ctx, ZMQ_THREAD_AFFINITY_CPU_REMOVE, 0), EINVAL);
    CHECK_ERR(zmq_ctx_set(ctx, ZMQ_THREAD_AFFINITY_CPU_ADD, -1), EINVAL);
    CHECK_ERR(zmq_ctx_set(ctx, ZMQ_THREAD_AFFINITY_CPU_REMOVE, -1), EINVAL);
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_THREAD_AFFINITY_CPU_ADD, 0));
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_THREAD_AFFINITY_CPU_ADD, 0));
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_THREAD_AFFINITY_CPU_REMOVE, 0));
    CHECK_ERR(zmq_ctx_set(ctx, ZMQ_THREAD_AFFINITY_CPU_REMOVE, 0), EINVAL);
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_THREAD_AFFINITY_CPU_ADD, 5000));
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_THREAD_AFFINITY_CPU_REMOVE, 5000));
    CHECK_OK(zmq_ctx_term(ctx));
}

/* IO_THREADS and MAX_SOCKETS can be set at any time, even after zmq_ctx_shutdown, and read back, but the
 * limits in force are those when the first socket was made. */
static void thread_and_socket_counts_shall_be_fixed_by_the_first_socket(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, 2));
    void *a = CHECK_PTR(zmq_socket(ctx, ZMQ_PAIR));
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_MAX_SOCKETS, 5));
    CHECK_EQ(ctx_value(ctx, ZMQ_MAX_SOCKETS), 5);
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_IO_THREADS, 3));
    CHECK_EQ(ctx_value(ctx, ZMQ_IO_THREADS), 3);
    void *b = CHECK_PTR(zmq_socket(ctx, ZMQ_PAIR));
    errno = 0;
    CHECK(zmq_socket(ctx, ZMQ_PAIR) == NULL);
    CHECK_EQ(errno, EMFILE);
    CHECK_OK(zmq_close(a));
    CHECK_OK(zmq_close(b));
    CHECK_OK(zmq_ctx_shutdown(ctx));
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_IO_THREADS, 2));
    CHECK_EQ(ctx_value(ctx, ZMQ_IO_THREADS), 2);
    CHECK_OK(zmq_ctx_term(ctx));
}

/* After zmq_ctx_shutdown, options still work until the socket has processed the stop (here, by reading
 * ZMQ_EVENTS); from then on they fail with ETERM. */
static void options_shall_work_until_the_socket_sees_the_shutdown(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    void *s = CHECK_PTR(zmq_socket(ctx, ZMQ_DEALER));
    CHECK_OK(zmq_ctx_shutdown(ctx));
    int zero = 0, v = -1;
    size_t sz = sizeof v;
    CHECK_OK(zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero));
    CHECK_OK(zmq_getsockopt(s, ZMQ_LINGER, &v, &sz));
    CHECK_EQ(v, 0);
    sz = sizeof v;
    CHECK_ERR(zmq_getsockopt(s, ZMQ_EVENTS, &v, &sz), ETERM);
    CHECK_ERR(zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero), ETERM);
    sz = sizeof v;
    CHECK_ERR(zmq_getsockopt(s, ZMQ_LINGER, &v, &sz), ETERM);
    CHECK_OK(zmq_close(s));
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ZMQ_IO_THREADS 0: no I/O thread, so only inproc works; tcp and ipc fail with EMTHREAD. */
static void zero_io_threads_shall_leave_only_inproc(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_IO_THREADS, 0));
    void *a = CHECK_PTR(zmq_socket(ctx, ZMQ_PAIR));
    void *b = CHECK_PTR(zmq_socket(ctx, ZMQ_PAIR));
    CHECK_ERR(zmq_bind(a, "tcp://127.0.0.1:*"), EMTHREAD);
    CHECK_ERR(zmq_connect(a, "tcp://127.0.0.1:5555"), EMTHREAD);
    CHECK_OK(zmq_bind(a, "inproc://no-io-threads"));
    CHECK_OK(zmq_connect(b, "inproc://no-io-threads"));
    send_str(b, "inproc");
    recv_expect(a, "inproc");
    close_zero_linger(a);
    close_zero_linger(b);
    CHECK_OK(zmq_ctx_term(ctx));
    errno = 0;
    CHECK(zmq_init(-1) == NULL);
    CHECK_EQ(errno, EINVAL);
}

/* The context's IPV6 and BLOCKY become the defaults of its new sockets (BLOCKY 0: linger 0). */
static void ipv6_and_blocky_shall_seed_new_sockets(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_IPV6, 7));
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_BLOCKY, 0));
    void *s = CHECK_PTR(zmq_socket(ctx, ZMQ_DEALER));
    CHECK_EQ(get_int(s, ZMQ_IPV6), 1);
    CHECK_EQ(get_int(s, ZMQ_LINGER), 0);
    CHECK_OK(zmq_close(s));
    CHECK_OK(zmq_ctx_term(ctx));
}

/* ---- the I/O threads as the OS sees them --------------------------------------------------------------- */
/* The id of a thread of this process named name, waiting up to 2 s (libzmq names its threads from the
 * threads themselves, so the name may come a moment after zmq_socket returns); 0 if none. */
static pid_t find_thread(const char *name)
{
    for (int tries = 0; tries < 200; tries++) {
        DIR *dir = opendir("/proc/self/task");
        if (!dir)
            return 0;
        struct dirent *e;
        pid_t found = 0;
        while (!found && (e = readdir(dir))) {
            if (e->d_name[0] == '.')
                continue;
            char path[300], comm[64] = "";
            snprintf(path, sizeof path, "/proc/self/task/%s/comm", e->d_name);
            FILE *f = fopen(path, "r");
            if (!f)
                continue;
            if (fgets(comm, sizeof comm, f))
                comm[strcspn(comm, "\n")] = 0;
            fclose(f);
            if (strcmp(comm, name) == 0)
                found = (pid_t)atoi(e->d_name);
        }
        closedir(dir);
        if (found)
            return found;
        msleep(10);
    }
    return 0;
}

/* A context with the given settings and one socket, so its I/O threads run. */
static void *started_ctx(int prefix, int io_threads, void **sock)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    if (prefix != INT_MIN)
        CHECK_OK(zmq_ctx_set(ctx, ZMQ_THREAD_NAME_PREFIX, prefix));
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_IO_THREADS, io_threads));
    *sock = CHECK_PTR(zmq_socket(ctx, ZMQ_PAIR));
    return ctx;
}

static void stop_ctx(void *ctx, void *sock)
{
    CHECK_OK(zmq_close(sock));
    CHECK_OK(zmq_ctx_term(ctx));
}

/* I/O threads are "ZMQbg/IO/<n>", or "<prefix>/ZMQbg/IO/<n>" once ZMQ_THREAD_NAME_PREFIX is set. */
static void io_threads_shall_carry_libzmq_names(void)
{
    void *s;
    void *ctx = started_ctx(INT_MIN, 1, &s);
    CHECK(find_thread("ZMQbg/IO/0") != 0);
    stop_ctx(ctx, s);
    ctx = started_ctx(42, 2, &s);
    CHECK_EQ(ctx_value(ctx, ZMQ_THREAD_NAME_PREFIX), 42);
    CHECK(find_thread("42/ZMQbg/IO/0") != 0);
    CHECK(find_thread("42/ZMQbg/IO/1") != 0);
    stop_ctx(ctx, s);
    ctx = started_ctx(-5, 1, &s);
    CHECK(find_thread("-5/ZMQbg/IO/0") != 0);
    stop_ctx(ctx, s);
}

/* ZMQ_THREAD_AFFINITY_CPU_ADD pins the I/O threads to the CPUs listed. */
static void io_threads_shall_run_on_the_cpus_added(void)
{
    cpu_set_t mine;
    CHECK_OK(sched_getaffinity(0, sizeof mine, &mine));
    int cpu = 0;
    while (cpu < CPU_SETSIZE && !CPU_ISSET(cpu, &mine))
        cpu++;
    CHECK_INT(cpu, <, CPU_SETSIZE);
    void *ctx = CHECK_PTR(zmq_ctx_new());
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_THREAD_NAME_PREFIX, 61));
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_THREAD_AFFINITY_CPU_ADD, cpu));
    void *s = CHECK_PTR(zmq_socket(ctx, ZMQ_PAIR));
    pid_t tid = find_thread("61/ZMQbg/IO/0");
    CHECK(tid != 0);
    cpu_set_t set;
    /* the thread may name itself before it pins itself (libzmq): wait for the mask too */
    for (int tries = 0; tries < 200; tries++) {
        CHECK_OK(sched_getaffinity(tid, sizeof set, &set));
        if (CPU_COUNT(&set) == 1)
            break;
        msleep(10);
    }
    CHECK_EQ(CPU_COUNT(&set), 1);
    CHECK(CPU_ISSET(cpu, &set));
    stop_ctx(ctx, s);
}

/* ZMQ_THREAD_SCHED_POLICY applies to the I/O threads (SCHED_BATCH needs no privilege). */
static void io_threads_shall_take_the_scheduling_policy(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_THREAD_NAME_PREFIX, 62));
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_THREAD_SCHED_POLICY, SCHED_BATCH));
    void *s = CHECK_PTR(zmq_socket(ctx, ZMQ_PAIR));
    pid_t tid = find_thread("62/ZMQbg/IO/0");
    CHECK(tid != 0);
    int policy = -1;
    for (int tries = 0; tries < 200 && policy != SCHED_BATCH; tries++) {
        policy = sched_getscheduler(tid);
        if (policy != SCHED_BATCH)
            msleep(10);
    }
    CHECK_EQ(policy, SCHED_BATCH);
    stop_ctx(ctx, s);
}

/* Settings the OS refuses do not stop the context working. libzmq aborts the process on an unknown
 * policy or a CPU list with no usable CPU, so those are zinc-only checks. */
static void refused_thread_settings_shall_not_stop_the_context(void)
{
    void *ctx = CHECK_PTR(zmq_ctx_new());
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_THREAD_SCHED_POLICY, SCHED_FIFO));   /* EPERM unless privileged */
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_THREAD_PRIORITY, 1));
#ifndef ZINC_REFERENCE
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_THREAD_AFFINITY_CPU_ADD, 5000));   /* no such CPU */
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_THREAD_SCHED_POLICY, 99));
    CHECK_OK(zmq_ctx_set(ctx, ZMQ_THREAD_PRIORITY, 1000));
#endif
    void *a = CHECK_PTR(zmq_socket(ctx, ZMQ_PAIR));
    void *b = CHECK_PTR(zmq_socket(ctx, ZMQ_PAIR));
    CHECK_OK(zmq_bind(a, "tcp://127.0.0.1:*"));
    char endpoint[64];
    size_t sz = sizeof endpoint;
    CHECK_OK(zmq_getsockopt(a, ZMQ_LAST_ENDPOINT, endpoint, &sz));
    CHECK_OK(zmq_connect(b, endpoint));
    send_str(b, "still works");
    recv_expect(a, "still works");
    close_zero_linger(a);
    close_zero_linger(b);
    CHECK_OK(zmq_ctx_term(ctx));
}

int main(void)
{
    test_begin(60);
    RUN(ctx_options_shall_have_libzmq_defaults);
    RUN(ctx_options_shall_take_their_libzmq_ranges);
    RUN(affinity_list_shall_refuse_removing_an_absent_cpu);
    RUN(thread_and_socket_counts_shall_be_fixed_by_the_first_socket);
    RUN(options_shall_work_until_the_socket_sees_the_shutdown);
    RUN(zero_io_threads_shall_leave_only_inproc);
    RUN(ipv6_and_blocky_shall_seed_new_sockets);
    RUN(io_threads_shall_carry_libzmq_names);
    RUN(io_threads_shall_run_on_the_cpus_added);
    RUN(io_threads_shall_take_the_scheduling_policy);
    RUN(refused_thread_settings_shall_not_stop_the_context);
    return test_end();
}
