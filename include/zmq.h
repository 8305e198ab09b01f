/* zinc's public interface: libzmq 4.3's C API, constant for constant and signature for signature, so
 * that programs and bindings built for libzmq.so.5 run on zinc unchanged. Every number below is an ABI
 * fact checked against libzmq's own header by tests/abi/check_constants.sh; never renumber one. */

/* libzmq's guard name, so that a translation unit which somehow reaches both headers sees one API. */
#ifndef __ZMQ_H_INCLUDED__
#define __ZMQ_H_INCLUDED__

#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h> /* libzmq's header brings it in and much user code leans on that */

/* ---- versions --------------------------------------------------------------------------------------- */

/* The libzmq API level zinc implements; bindings decide which features to use from these. */
#define ZMQ_VERSION_MAJOR 4
#define ZMQ_VERSION_MINOR 3
#define ZMQ_VERSION_PATCH 4
#define ZMQ_MAKE_VERSION(major, minor, patch) ((major) * 10000 + (minor) * 100 + (patch))
#define ZMQ_VERSION ZMQ_MAKE_VERSION(ZMQ_VERSION_MAJOR, ZMQ_VERSION_MINOR, ZMQ_VERSION_PATCH)

/* zinc's own release, independent of the API level above. */
#define ZINC_VERSION_MAJOR 0
#define ZINC_VERSION_MINOR 1
#define ZINC_VERSION_PATCH 0

/* The library is built with hidden visibility; only what carries this mark is exported. */
#if defined(__GNUC__) || defined(__clang__)
#define ZMQ_EXPORT __attribute__((visibility("default")))
#else
#define ZMQ_EXPORT
#endif

/* Tells code written for libzmq that <stdint.h> types are available. */
#define ZMQ_DEFINED_STDINT 1

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ----------------------------------------------------------------------------------------- */

/* Base of libzmq's private errno range, chosen to stay clear of every OS's own codes. */
#define ZMQ_HAUSNUMERO 156384712

/* POSIX codes the API reports; a platform that lacks one gets a number from the private range. */
#ifndef ENOTSUP
#define ENOTSUP (ZMQ_HAUSNUMERO + 1)
#endif
#ifndef EPROTONOSUPPORT
#define EPROTONOSUPPORT (ZMQ_HAUSNUMERO + 2)
#endif
#ifndef ENOBUFS
#define ENOBUFS (ZMQ_HAUSNUMERO + 3)
#endif
#ifndef ENETDOWN
#define ENETDOWN (ZMQ_HAUSNUMERO + 4)
#endif
#ifndef EADDRINUSE
#define EADDRINUSE (ZMQ_HAUSNUMERO + 5)
#endif
#ifndef EADDRNOTAVAIL
#define EADDRNOTAVAIL (ZMQ_HAUSNUMERO + 6)
#endif
#ifndef ECONNREFUSED
#define ECONNREFUSED (ZMQ_HAUSNUMERO + 7)
#endif
#ifndef EINPROGRESS
#define EINPROGRESS (ZMQ_HAUSNUMERO + 8)
#endif
#ifndef ENOTSOCK
#define ENOTSOCK (ZMQ_HAUSNUMERO + 9)
#endif
#ifndef EMSGSIZE
#define EMSGSIZE (ZMQ_HAUSNUMERO + 10)
#endif
#ifndef EAFNOSUPPORT
#define EAFNOSUPPORT (ZMQ_HAUSNUMERO + 11)
#endif
#ifndef ENETUNREACH
#define ENETUNREACH (ZMQ_HAUSNUMERO + 12)
#endif
#ifndef ECONNABORTED
#define ECONNABORTED (ZMQ_HAUSNUMERO + 13)
#endif
#ifndef ECONNRESET
#define ECONNRESET (ZMQ_HAUSNUMERO + 14)
#endif
#ifndef ENOTCONN
#define ENOTCONN (ZMQ_HAUSNUMERO + 15)
#endif
#ifndef ETIMEDOUT
#define ETIMEDOUT (ZMQ_HAUSNUMERO + 16)
#endif
#ifndef EHOSTUNREACH
#define EHOSTUNREACH (ZMQ_HAUSNUMERO + 17)
#endif
#ifndef ENETRESET
#define ENETRESET (ZMQ_HAUSNUMERO + 18)
#endif

/* Errors of ZeroMQ's own. */
#define EFSM (ZMQ_HAUSNUMERO + 51)           /* operation not valid in the socket's current state */
#define ENOCOMPATPROTO (ZMQ_HAUSNUMERO + 52) /* transport does not suit the socket type */
#define ETERM (ZMQ_HAUSNUMERO + 53)          /* the context is being terminated */
#define EMTHREAD (ZMQ_HAUSNUMERO + 54)       /* no I/O thread available */

ZMQ_EXPORT int zmq_errno(void);
ZMQ_EXPORT const char *zmq_strerror(int errnum_);
ZMQ_EXPORT void zmq_version(int *major_, int *minor_, int *patch_);

/* ---- contexts --------------------------------------------------------------------------------------- */

/* Options for zmq_ctx_set / zmq_ctx_get. */
#define ZMQ_IO_THREADS 1
#define ZMQ_MAX_SOCKETS 2
#define ZMQ_SOCKET_LIMIT 3        /* read only: the largest MAX_SOCKETS may be */
#define ZMQ_THREAD_PRIORITY 3     /* shares its number with SOCKET_LIMIT; one is set, one is read */
#define ZMQ_THREAD_SCHED_POLICY 4
#define ZMQ_MAX_MSGSZ 5
#define ZMQ_MSG_T_SIZE 6          /* read only: sizeof(zmq_msg_t) */
#define ZMQ_THREAD_AFFINITY_CPU_ADD 7
#define ZMQ_THREAD_AFFINITY_CPU_REMOVE 8
#define ZMQ_THREAD_NAME_PREFIX 9

/* What a new context starts with. */
#define ZMQ_IO_THREADS_DFLT 1
#define ZMQ_MAX_SOCKETS_DFLT 1023
#define ZMQ_THREAD_PRIORITY_DFLT -1
#define ZMQ_THREAD_SCHED_POLICY_DFLT -1

ZMQ_EXPORT void *zmq_ctx_new(void);
ZMQ_EXPORT int zmq_ctx_term(void *context_);
ZMQ_EXPORT int zmq_ctx_shutdown(void *context_);
ZMQ_EXPORT int zmq_ctx_set(void *context_, int option_, int optval_);
ZMQ_EXPORT int zmq_ctx_get(void *context_, int option_);

/* Older spellings: zmq_init(n) is zmq_ctx_new plus IO_THREADS = n; the other two are zmq_ctx_term. */
ZMQ_EXPORT void *zmq_init(int io_threads_);
ZMQ_EXPORT int zmq_term(void *context_);
ZMQ_EXPORT int zmq_ctx_destroy(void *context_);

/* ---- messages --------------------------------------------------------------------------------------- */

/* Opaque to callers, who allocate it themselves (often on the stack), so its size and alignment are ABI:
 * 64 bytes on a pointer boundary, as in libzmq. Strict-alignment CPUs fault on anything less. */
typedef struct zmq_msg_t {
#if defined(__GNUC__) || defined(__clang__)
    unsigned char _[64] __attribute__((aligned(sizeof(void *))));
#elif defined(__cplusplus) && __cplusplus >= 201103L
    alignas(void *) unsigned char _[64];
#elif defined(__STDC_VERSION__) && __STDC_VERSION__ >= 201112L
    _Alignas(void *) unsigned char _[64];
#else
    unsigned char _[64];
#endif
} zmq_msg_t;

/* Called once the library no longer needs a buffer given to zmq_msg_init_data; may run on any thread. */
typedef void(zmq_free_fn)(void *data_, void *hint_);

ZMQ_EXPORT int zmq_msg_init(zmq_msg_t *msg_);
ZMQ_EXPORT int zmq_msg_init_size(zmq_msg_t *msg_, size_t size_);
ZMQ_EXPORT int zmq_msg_init_data(zmq_msg_t *msg_, void *data_, size_t size_, zmq_free_fn *ffn_,
                                 void *hint_);
/* Copies size_ bytes from buf_ into a new message (libzmq 4.3.5 API). */
ZMQ_EXPORT int zmq_msg_init_buffer(zmq_msg_t *msg_, const void *buf_, size_t size_);
ZMQ_EXPORT int zmq_msg_send(zmq_msg_t *msg_, void *socket_, int flags_);
ZMQ_EXPORT int zmq_msg_recv(zmq_msg_t *msg_, void *socket_, int flags_);
ZMQ_EXPORT int zmq_msg_close(zmq_msg_t *msg_);
ZMQ_EXPORT int zmq_msg_move(zmq_msg_t *dest_, zmq_msg_t *src_);
ZMQ_EXPORT int zmq_msg_copy(zmq_msg_t *dest_, zmq_msg_t *src_);
ZMQ_EXPORT void *zmq_msg_data(zmq_msg_t *msg_);
ZMQ_EXPORT size_t zmq_msg_size(const zmq_msg_t *msg_);
ZMQ_EXPORT int zmq_msg_more(const zmq_msg_t *msg_);
ZMQ_EXPORT int zmq_msg_get(const zmq_msg_t *msg_, int property_);
ZMQ_EXPORT int zmq_msg_set(zmq_msg_t *msg_, int property_, int optval_);
ZMQ_EXPORT const char *zmq_msg_gets(const zmq_msg_t *msg_, const char *property_);

/* Integer properties for zmq_msg_get. */
#define ZMQ_MORE 1   /* another frame of the same message follows */
#define ZMQ_SRCFD 2  /* deprecated: the file descriptor the message arrived on */
#define ZMQ_SHARED 3 /* the payload is shared by reference with other messages */

/* ---- socket types ----------------------------------------------------------------------------------- */

#define ZMQ_PAIR 0
#define ZMQ_PUB 1
#define ZMQ_SUB 2
#define ZMQ_REQ 3
#define ZMQ_REP 4
#define ZMQ_DEALER 5
#define ZMQ_ROUTER 6
#define ZMQ_PULL 7
#define ZMQ_PUSH 8
#define ZMQ_XPUB 9
#define ZMQ_XSUB 10
#define ZMQ_STREAM 11

/* Names from before DEALER and ROUTER were named. */
#define ZMQ_XREQ ZMQ_DEALER
#define ZMQ_XREP ZMQ_ROUTER

/* ---- socket options (zmq_setsockopt / zmq_getsockopt) -------------------------------------------------- */

/* Identity, routing and subscriptions. */
#define ZMQ_AFFINITY 4
#define ZMQ_ROUTING_ID 5
#define ZMQ_SUBSCRIBE 6
#define ZMQ_UNSUBSCRIBE 7
#define ZMQ_TYPE 16
#define ZMQ_ROUTER_MANDATORY 33
#define ZMQ_XPUB_VERBOSE 40
#define ZMQ_ROUTER_RAW 41
#define ZMQ_PROBE_ROUTER 51
#define ZMQ_REQ_CORRELATE 52
#define ZMQ_REQ_RELAXED 53
#define ZMQ_CONFLATE 54
#define ZMQ_ROUTER_HANDOVER 56
#define ZMQ_CONNECT_ROUTING_ID 61
#define ZMQ_XPUB_NODROP 69
#define ZMQ_XPUB_MANUAL 71
#define ZMQ_XPUB_WELCOME_MSG 72
#define ZMQ_STREAM_NOTIFY 73
#define ZMQ_INVERT_MATCHING 74
#define ZMQ_XPUB_VERBOSER 78
#define ZMQ_THREAD_SAFE 81

/* Queues, limits and timeouts. */
#define ZMQ_RATE 8
#define ZMQ_RECOVERY_IVL 9
#define ZMQ_SNDBUF 11
#define ZMQ_RCVBUF 12
#define ZMQ_LINGER 17
#define ZMQ_RECONNECT_IVL 18
#define ZMQ_BACKLOG 19
#define ZMQ_RECONNECT_IVL_MAX 21
#define ZMQ_MAXMSGSIZE 22
#define ZMQ_SNDHWM 23
#define ZMQ_RCVHWM 24
#define ZMQ_MULTICAST_HOPS 25
#define ZMQ_RCVTIMEO 27
#define ZMQ_SNDTIMEO 28
#define ZMQ_IMMEDIATE 39
#define ZMQ_HANDSHAKE_IVL 66
#define ZMQ_BLOCKY 70
#define ZMQ_HEARTBEAT_IVL 75
#define ZMQ_HEARTBEAT_TTL 76
#define ZMQ_HEARTBEAT_TIMEOUT 77
#define ZMQ_CONNECT_TIMEOUT 79
#define ZMQ_MULTICAST_MAXTPDU 84

/* State the application reads. */
#define ZMQ_RCVMORE 13
#define ZMQ_FD 14     /* signals edge-triggered: after it fires, read ZMQ_EVENTS until it says no more */
#define ZMQ_EVENTS 15 /* ZMQ_POLLIN / ZMQ_POLLOUT bits */
#define ZMQ_LAST_ENDPOINT 32

/* Transports: TCP, IPC, SOCKS, VMCI. */
#define ZMQ_TCP_KEEPALIVE 34
#define ZMQ_TCP_KEEPALIVE_CNT 35
#define ZMQ_TCP_KEEPALIVE_IDLE 36
#define ZMQ_TCP_KEEPALIVE_INTVL 37
#define ZMQ_IPV6 42
#define ZMQ_TOS 57
#define ZMQ_SOCKS_PROXY 68
#define ZMQ_TCP_MAXRT 80
#define ZMQ_VMCI_BUFFER_SIZE 85
#define ZMQ_VMCI_BUFFER_MIN_SIZE 86
#define ZMQ_VMCI_BUFFER_MAX_SIZE 87
#define ZMQ_VMCI_CONNECT_TIMEOUT 88
#define ZMQ_USE_FD 89
#define ZMQ_BINDTODEVICE 92

/* Security. */
#define ZMQ_MECHANISM 43
#define ZMQ_PLAIN_SERVER 44
#define ZMQ_PLAIN_USERNAME 45
#define ZMQ_PLAIN_PASSWORD 46
#define ZMQ_CURVE_SERVER 47
#define ZMQ_CURVE_PUBLICKEY 48
#define ZMQ_CURVE_SECRETKEY 49
#define ZMQ_CURVE_SERVERKEY 50
#define ZMQ_ZAP_DOMAIN 55
#define ZMQ_GSSAPI_SERVER 62
#define ZMQ_GSSAPI_PRINCIPAL 63
#define ZMQ_GSSAPI_SERVICE_PRINCIPAL 64
#define ZMQ_GSSAPI_PLAINTEXT 65
#define ZMQ_GSSAPI_PRINCIPAL_NAMETYPE 90
#define ZMQ_GSSAPI_SERVICE_PRINCIPAL_NAMETYPE 91

/* Old option names and options libzmq has retired; the numbers stay reserved. */
#define ZMQ_IDENTITY ZMQ_ROUTING_ID
#define ZMQ_CONNECT_RID ZMQ_CONNECT_ROUTING_ID
#define ZMQ_IPV4ONLY 31
#define ZMQ_TCP_ACCEPT_FILTER 38
#define ZMQ_IPC_FILTER_PID 58
#define ZMQ_IPC_FILTER_UID 59
#define ZMQ_IPC_FILTER_GID 60
#define ZMQ_DELAY_ATTACH_ON_CONNECT ZMQ_IMMEDIATE
#define ZMQ_FAIL_UNROUTABLE ZMQ_ROUTER_MANDATORY
#define ZMQ_ROUTER_BEHAVIOR ZMQ_ROUTER_MANDATORY

/* ---- send and receive flags ------------------------------------------------------------------------- */

#define ZMQ_DONTWAIT 1
#define ZMQ_SNDMORE 2
#define ZMQ_NOBLOCK ZMQ_DONTWAIT /* old name */

/* ---- security mechanisms (values of ZMQ_MECHANISM) --------------------------------------------------- */

#define ZMQ_NULL 0
#define ZMQ_PLAIN 1
#define ZMQ_CURVE 2
#define ZMQ_GSSAPI 3

/* GSSAPI name types for the *_PRINCIPAL_NAMETYPE options. */
#define ZMQ_GSSAPI_NT_HOSTBASED 0
#define ZMQ_GSSAPI_NT_USER_NAME 1
#define ZMQ_GSSAPI_NT_KRB5_PRINCIPAL 2

/* Longest RADIO/DISH group name, in bytes. */
#define ZMQ_GROUP_MAX_LENGTH 255

/* ---- monitor events --------------------------------------------------------------------------------- */

/* Bits for zmq_socket_monitor's mask. Each event is a two-frame message: 6 bytes (16-bit event number,
 * 32-bit value, native byte order), then the endpoint as text. */
#define ZMQ_EVENT_CONNECTED 0x0001
#define ZMQ_EVENT_CONNECT_DELAYED 0x0002
#define ZMQ_EVENT_CONNECT_RETRIED 0x0004     /* value: milliseconds until the next attempt */
#define ZMQ_EVENT_LISTENING 0x0008
#define ZMQ_EVENT_BIND_FAILED 0x0010         /* value: errno */
#define ZMQ_EVENT_ACCEPTED 0x0020
#define ZMQ_EVENT_ACCEPT_FAILED 0x0040       /* value: errno */
#define ZMQ_EVENT_CLOSED 0x0080
#define ZMQ_EVENT_CLOSE_FAILED 0x0100        /* value: errno */
#define ZMQ_EVENT_DISCONNECTED 0x0200
#define ZMQ_EVENT_MONITOR_STOPPED 0x0400
#define ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL 0x0800 /* value: errno */
#define ZMQ_EVENT_HANDSHAKE_SUCCEEDED 0x1000
#define ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL 0x2000 /* value: a ZMQ_PROTOCOL_ERROR_* */
#define ZMQ_EVENT_HANDSHAKE_FAILED_AUTH 0x4000     /* value: ZAP status code (300, 400, 500) */
#define ZMQ_EVENT_ALL 0xFFFF

/* Why a handshake failed: ZMTP errors, then errors talking to the ZAP handler. */
#define ZMQ_PROTOCOL_ERROR_ZMTP_UNSPECIFIED 0x10000000
#define ZMQ_PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND 0x10000001
#define ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_SEQUENCE 0x10000002
#define ZMQ_PROTOCOL_ERROR_ZMTP_KEY_EXCHANGE 0x10000003
#define ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_UNSPECIFIED 0x10000011
#define ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_MESSAGE 0x10000012
#define ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_HELLO 0x10000013
#define ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_INITIATE 0x10000014
#define ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_ERROR 0x10000015
#define ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY 0x10000016
#define ZMQ_PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_WELCOME 0x10000017
#define ZMQ_PROTOCOL_ERROR_ZMTP_INVALID_METADATA 0x10000018
#define ZMQ_PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC 0x11000001     /* often a misconfigured peer */
#define ZMQ_PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH 0x11000002 /* likewise */
#define ZMQ_PROTOCOL_ERROR_ZAP_UNSPECIFIED 0x20000000
#define ZMQ_PROTOCOL_ERROR_ZAP_MALFORMED_REPLY 0x20000001
#define ZMQ_PROTOCOL_ERROR_ZAP_BAD_REQUEST_ID 0x20000002
#define ZMQ_PROTOCOL_ERROR_ZAP_BAD_VERSION 0x20000003
#define ZMQ_PROTOCOL_ERROR_ZAP_INVALID_STATUS_CODE 0x20000004
#define ZMQ_PROTOCOL_ERROR_ZAP_INVALID_METADATA 0x20000005
#define ZMQ_PROTOCOL_ERROR_WS_UNSPECIFIED 0x30000000

/* ---- sockets ---------------------------------------------------------------------------------------- */

ZMQ_EXPORT void *zmq_socket(void *context_, int type_);
ZMQ_EXPORT int zmq_close(void *socket_);
ZMQ_EXPORT int zmq_setsockopt(void *socket_, int option_, const void *optval_, size_t optvallen_);
ZMQ_EXPORT int zmq_getsockopt(void *socket_, int option_, void *optval_, size_t *optvallen_);
ZMQ_EXPORT int zmq_bind(void *socket_, const char *endpoint_);
ZMQ_EXPORT int zmq_connect(void *socket_, const char *endpoint_);
ZMQ_EXPORT int zmq_unbind(void *socket_, const char *endpoint_);
ZMQ_EXPORT int zmq_disconnect(void *socket_, const char *endpoint_);
ZMQ_EXPORT int zmq_send(void *socket_, const void *buf_, size_t len_, int flags_);
/* As zmq_send, but buf_ is not copied and must outlive the message (a constant, typically). */
ZMQ_EXPORT int zmq_send_const(void *socket_, const void *buf_, size_t len_, int flags_);
/* Returns the frame's full size; at most len_ bytes of it are stored. */
ZMQ_EXPORT int zmq_recv(void *socket_, void *buf_, size_t len_, int flags_);
ZMQ_EXPORT int zmq_socket_monitor(void *socket_, const char *endpoint_, int events_);

/* ---- polling ---------------------------------------------------------------------------------------- */

/* A plain file descriptor, for polling non-ZeroMQ sockets alongside ZeroMQ ones. */
typedef int zmq_fd_t;

#define ZMQ_POLLIN 1
#define ZMQ_POLLOUT 2
#define ZMQ_POLLERR 4
#define ZMQ_POLLPRI 8

/* Polls socket when it is not NULL, else fd. */
typedef struct zmq_pollitem_t {
    void *socket;
    zmq_fd_t fd;
    short events;
    short revents;
} zmq_pollitem_t;

/* Number of items libzmq's zmq_poll handles without allocating. */
#define ZMQ_POLLITEMS_DFLT 16

/* timeout_ in milliseconds; -1 waits for ever. */
ZMQ_EXPORT int zmq_poll(zmq_pollitem_t *items_, int nitems_, long timeout_);

/* ---- proxies ---------------------------------------------------------------------------------------- */

/* capture_ and control_ may be NULL; control_ takes "PAUSE", "RESUME", "TERMINATE", "STATISTICS". */
ZMQ_EXPORT int zmq_proxy(void *frontend_, void *backend_, void *capture_);
ZMQ_EXPORT int zmq_proxy_steerable(void *frontend_, void *backend_, void *capture_, void *control_);

/* zmq_device's old device types; all three now mean zmq_proxy. */
#define ZMQ_STREAMER 1
#define ZMQ_FORWARDER 2
#define ZMQ_QUEUE 3
ZMQ_EXPORT int zmq_device(int type_, void *frontend_, void *backend_);

/* ---- capabilities ----------------------------------------------------------------------------------- */

/* zmq_has exists. It answers 1 or 0 for a name such as "ipc", "pgm", "tipc", "norm", "curve",
 * "gssapi", "draft". */
#define ZMQ_HAS_CAPABILITIES 1
ZMQ_EXPORT int zmq_has(const char *capability_);

/* ---- older send and receive calls ------------------------------------------------------------------- */

/* zmq_msg_send / zmq_msg_recv with the arguments in another order. */
ZMQ_EXPORT int zmq_sendmsg(void *socket_, zmq_msg_t *msg_, int flags_);
ZMQ_EXPORT int zmq_recvmsg(void *socket_, zmq_msg_t *msg_, int flags_);

/* One frame per iovec. */
struct iovec;
ZMQ_EXPORT int zmq_sendiov(void *socket_, struct iovec *iov_, size_t count_, int flags_);
ZMQ_EXPORT int zmq_recviov(void *socket_, struct iovec *iov_, size_t *count_, int flags_);

/* ---- Z85 and CURVE keys ----------------------------------------------------------------------------- */

/* Z85 turns 4 bytes into 5 printable characters; size_ must be a multiple of 4, dest_ must hold
 * size_ * 5 / 4 + 1. Both return dest_, or NULL on bad input. */
ZMQ_EXPORT char *zmq_z85_encode(char *dest_, const uint8_t *data_, size_t size_);
ZMQ_EXPORT uint8_t *zmq_z85_decode(uint8_t *dest_, const char *string_);

/* Keys as 40-character Z85 strings, each buffer 41 bytes. Return 0, or -1 with ENOTSUP without CURVE. */
ZMQ_EXPORT int zmq_curve_keypair(char *z85_public_key_, char *z85_secret_key_);
ZMQ_EXPORT int zmq_curve_public(char *z85_public_key_, const char *z85_secret_key_);

/* ---- atomic counters -------------------------------------------------------------------------------- */

/* inc returns the value before the increment; dec returns 1 if the counter is still non-zero, else 0. */
ZMQ_EXPORT void *zmq_atomic_counter_new(void);
ZMQ_EXPORT void zmq_atomic_counter_set(void *counter_, int value_);
ZMQ_EXPORT int zmq_atomic_counter_inc(void *counter_);
ZMQ_EXPORT int zmq_atomic_counter_dec(void *counter_);
ZMQ_EXPORT int zmq_atomic_counter_value(void *counter_);
ZMQ_EXPORT void zmq_atomic_counter_destroy(void **counter_p_);

/* ---- timers ----------------------------------------------------------------------------------------- */

/* A timer set driven by the caller: wait zmq_timers_timeout() ms, then call zmq_timers_execute(). */
#define ZMQ_HAVE_TIMERS

typedef void(zmq_timer_fn)(int timer_id_, void *arg_);

ZMQ_EXPORT void *zmq_timers_new(void);
ZMQ_EXPORT int zmq_timers_destroy(void **timers_p_);
ZMQ_EXPORT int zmq_timers_add(void *timers_, size_t interval_, zmq_timer_fn handler_, void *arg_);
ZMQ_EXPORT int zmq_timers_cancel(void *timers_, int timer_id_);
ZMQ_EXPORT int zmq_timers_set_interval(void *timers_, int timer_id_, size_t interval_);
ZMQ_EXPORT int zmq_timers_reset(void *timers_, int timer_id_);
ZMQ_EXPORT long zmq_timers_timeout(void *timers_);
ZMQ_EXPORT int zmq_timers_execute(void *timers_);

/* ---- utilities (libzmq's perf tools use these; undocumented there) ----------------------------------- */

/* Microseconds; stop also frees the watch. */
ZMQ_EXPORT void *zmq_stopwatch_start(void);
ZMQ_EXPORT unsigned long zmq_stopwatch_intermediate(void *watch_);
ZMQ_EXPORT unsigned long zmq_stopwatch_stop(void *watch_);

ZMQ_EXPORT void zmq_sleep(int seconds_);

typedef void(zmq_thread_fn)(void *);

/* zmq_threadclose joins the thread and frees the handle. */
ZMQ_EXPORT void *zmq_threadstart(zmq_thread_fn *func_, void *arg_);
ZMQ_EXPORT void zmq_threadclose(void *thread_);

/* ---- zinc ------------------------------------------------------------------------------------------- */

/* zinc's release as "MAJOR.MINOR.PATCH"; zmq_version reports the libzmq API level instead. */
ZMQ_EXPORT const char *zinc_version(void);

/* zmq_getsockopt only, int (zinc only: libzmq says EINVAL). A file descriptor that is readable exactly while
 * the socket has a message to deliver (ZMQ_EVENTS has ZMQ_POLLIN), and once its context is terminating:
 * for level-triggered loops (epoll without EPOLLET, poll, libuv, asyncio), with no ZMQ_EVENTS dance.
 * Made by the first call, the same fd afterwards, closed by zmq_close; ZMQ_FD works on beside it. After a
 * wake-up, receive with ZMQ_DONTWAIT until EAGAIN (or fewer: the fd stays readable while more wait). It may
 * be readable for nothing at most once per event that brought no message. docs/eventloop.md. */
#define ZINC_POLLIN_FD 0x7a690001

/* Per-socket counters (zinc only; docs/manual/seeing-into-a-socket.md). Every field is a uint64_t and new
 * ones are only ever appended, so a program built against an older zmq.h passes its smaller size and gets
 * the fields it knows. Messages are counted whole (bytes: every frame), when the application hands them to
 * zmq_send (out) or takes them from zmq_recv (in). Drops count whole messages, once per peer that did not
 * get one (a PUB message skipped by 3 subscribers at their high-water mark is 3). */
typedef struct zinc_socket_stats_t {
    uint64_t msgs_in;           /* messages received by the application */
    uint64_t bytes_in;
    uint64_t msgs_out;          /* messages accepted by zmq_send (including those then dropped) */
    uint64_t bytes_out;
    uint64_t dropped_hwm;       /* PUB, XPUB, XSUB, ROUTER: the peer's queue was at its high-water mark */
    uint64_t dropped_no_route;  /* ROUTER: no peer has that routing id, or it left (ROUTER_MANDATORY off) */
    uint64_t dropped_filtered;  /* SUB, XSUB: arrived, but no subscription matches */
    uint64_t dropped_oversize;  /* a frame over ZMQ_MAXMSGSIZE arrived: its connection was closed */
    uint64_t dropped_conflated; /* ZMQ_CONFLATE: replaced by a newer message before it was read or sent */
    uint64_t peers;             /* peers (pipes) attached now */
    uint64_t queued_in;         /* messages waiting to be received, over all peers */
    uint64_t queued_out;        /* messages waiting to be sent, over all peers */
} zinc_socket_stats_t;

/* Fills the first size bytes of *stats (at most sizeof(zinc_socket_stats_t); size at least 8) and returns
 * how many it filled, or -1: ENOTSOCK (not a socket), EFAULT (stats NULL), EINVAL (size under 8). It
 * still answers while the context terminates (the counters are worth reading then). */
ZMQ_EXPORT int zinc_socket_stats(void *socket, zinc_socket_stats_t *stats, size_t size);

/* zmq_getsockopt only: the same struct (the option_len given is the size, and is set to what was filled). */
#define ZINC_STATS 0x7a690002

/* One peer of a socket: its queues and who it is. */
typedef struct zinc_peer_stats_t {
    uint64_t queued_in;           /* messages from this peer waiting to be received */
    uint64_t queued_out;          /* messages waiting to go to this peer */
    char endpoint[256];           /* the peer's address as a uri ("tcp://127.0.0.1:5555"); "" if unknown */
    uint8_t routing_id[255];      /* the routing id it announced or was given (ROUTER, SERVER, ...) */
    uint8_t routing_id_size;      /* 0: none */
} zinc_peer_stats_t;

/* Fills peers[0 .. min(count, n)) and returns n, the socket's number of peers now (call again with a bigger
 * array if n > count; peers may be NULL when count is 0), or -1: ENOTSOCK, EFAULT, EINVAL (count < 0). */
ZMQ_EXPORT int zinc_socket_peers(void *socket, zinc_peer_stats_t *peers, int count);

/* A monitor event (zmq_socket_monitor_versioned, version 2 only: it is outside version 1's 16 bits and
 * outside ZMQ_EVENT_ALL_V2, so it comes only to a monitor that names it). Sent at the first drop of a
 * reason, then at most once a second per reason. Values: [0] messages dropped since the last such event,
 * [1] the reason (ZINC_DROP_*); local endpoint: the reason's name ("hwm", ...); remote endpoint: empty. */
#define ZINC_EVENT_DROPPED 0x1000000000000ULL
#define ZINC_DROP_HWM 0
#define ZINC_DROP_NO_ROUTE 1
#define ZINC_DROP_FILTERED 2
#define ZINC_DROP_OVERSIZE 3
#define ZINC_DROP_CONFLATED 4

/* Serves the counters of every socket of the context on endpoint (any transport; ipc:// or tcp://127.0.0.1
 * for `zinc stats ENDPOINT` in another process) until zmq_ctx_term, from a thread of the context. A request
 * of any content gets one frame of JSON (docs/zinc.md, "stats"). Setting the environment variable
 * ZINC_STATS_ENDPOINT does the same for every context, when its first socket is made. 0, or -1: EFAULT (not
 * a context), EINVAL (endpoint NULL), EBUSY (the context serves already), or the bind's errno. */
ZMQ_EXPORT int zinc_ctx_stats_serve(void *context, const char *endpoint);

/* ---- draft API -------------------------------------------------------------------------------------- */

/* libzmq's unstable additions, visible only to code that asks for them. The numbers match libzmq 4.3's;
 * the functions are declared so such code compiles, as with libzmq, but a build of zinc need not
 * provide them (Debian's libzmq does not either). */
#ifdef ZMQ_BUILD_DRAFT_API

#define ZMQ_SERVER 12
#define ZMQ_CLIENT 13
#define ZMQ_RADIO 14
#define ZMQ_DISH 15
#define ZMQ_GATHER 16
#define ZMQ_SCATTER 17
#define ZMQ_DGRAM 18
#define ZMQ_PEER 19
#define ZMQ_CHANNEL 20

#define ZMQ_ZAP_ENFORCE_DOMAIN 93
#define ZMQ_LOOPBACK_FASTPATH 94
#define ZMQ_METADATA 95
#define ZMQ_MULTICAST_LOOP 96
#define ZMQ_ROUTER_NOTIFY 97
#define ZMQ_XPUB_MANUAL_LAST_VALUE 98
#define ZMQ_SOCKS_USERNAME 99
#define ZMQ_SOCKS_PASSWORD 100
#define ZMQ_IN_BATCH_SIZE 101
#define ZMQ_OUT_BATCH_SIZE 102
#define ZMQ_WSS_KEY_PEM 103
#define ZMQ_WSS_CERT_PEM 104
#define ZMQ_WSS_TRUST_PEM 105
#define ZMQ_WSS_HOSTNAME 106
#define ZMQ_WSS_TRUST_SYSTEM 107
#define ZMQ_ONLY_FIRST_SUBSCRIBE 108
#define ZMQ_RECONNECT_STOP 109
#define ZMQ_HELLO_MSG 110
#define ZMQ_DISCONNECT_MSG 111
#define ZMQ_PRIORITY 112

/* Bits for ZMQ_RECONNECT_STOP. */
#define ZMQ_RECONNECT_STOP_CONN_REFUSED 0x1
#define ZMQ_RECONNECT_STOP_HANDSHAKE_FAILED 0x2
#define ZMQ_RECONNECT_STOP_AFTER_DISCONNECT 0x3

/* Bits for ZMQ_ROUTER_NOTIFY. */
#define ZMQ_NOTIFY_CONNECT 1
#define ZMQ_NOTIFY_DISCONNECT 2

/* Context option. */
#define ZMQ_ZERO_COPY_RECV 10

/* Names for zmq_msg_gets. */
#define ZMQ_MSG_PROPERTY_ROUTING_ID "Routing-Id"
#define ZMQ_MSG_PROPERTY_SOCKET_TYPE "Socket-Type"
#define ZMQ_MSG_PROPERTY_USER_ID "User-Id"
#define ZMQ_MSG_PROPERTY_PEER_ADDRESS "Peer-Address"

ZMQ_EXPORT int zmq_ctx_set_ext(void *context_, int option_, const void *optval_, size_t optvallen_);
ZMQ_EXPORT int zmq_ctx_get_ext(void *context_, int option_, void *optval_, size_t *optvallen_);

ZMQ_EXPORT int zmq_join(void *socket_, const char *group_);
ZMQ_EXPORT int zmq_leave(void *socket_, const char *group_);
ZMQ_EXPORT uint32_t zmq_connect_peer(void *socket_, const char *endpoint_);

ZMQ_EXPORT int zmq_msg_set_routing_id(zmq_msg_t *msg_, uint32_t routing_id_);
ZMQ_EXPORT uint32_t zmq_msg_routing_id(zmq_msg_t *msg_);
ZMQ_EXPORT int zmq_msg_set_group(zmq_msg_t *msg_, const char *group_);
ZMQ_EXPORT const char *zmq_msg_group(zmq_msg_t *msg_);

/* The poller: zmq_poll's successor, with registration separate from waiting. */
#define ZMQ_HAVE_POLLER

typedef struct zmq_poller_event_t {
    void *socket;
    zmq_fd_t fd;
    void *user_data;
    short events;
} zmq_poller_event_t;

ZMQ_EXPORT void *zmq_poller_new(void);
ZMQ_EXPORT int zmq_poller_destroy(void **poller_p_);
ZMQ_EXPORT int zmq_poller_size(void *poller_);
ZMQ_EXPORT int zmq_poller_add(void *poller_, void *socket_, void *user_data_, short events_);
ZMQ_EXPORT int zmq_poller_modify(void *poller_, void *socket_, short events_);
ZMQ_EXPORT int zmq_poller_remove(void *poller_, void *socket_);
ZMQ_EXPORT int zmq_poller_wait(void *poller_, zmq_poller_event_t *event_, long timeout_);
ZMQ_EXPORT int zmq_poller_wait_all(void *poller_, zmq_poller_event_t *events_, int n_events_,
                                   long timeout_);
ZMQ_EXPORT int zmq_poller_fd(void *poller_, zmq_fd_t *fd_);
ZMQ_EXPORT int zmq_poller_add_fd(void *poller_, zmq_fd_t fd_, void *user_data_, short events_);
ZMQ_EXPORT int zmq_poller_modify_fd(void *poller_, zmq_fd_t fd_, short events_);
ZMQ_EXPORT int zmq_poller_remove_fd(void *poller_, zmq_fd_t fd_);

ZMQ_EXPORT int zmq_socket_get_peer_state(void *socket_, const void *routing_id_,
                                         size_t routing_id_size_);

/* Monitor events, version 2: 64-bit event numbers and values. */
#define ZMQ_EVENT_PIPES_STATS 0x10000
#define ZMQ_CURRENT_EVENT_VERSION 1
#define ZMQ_CURRENT_EVENT_VERSION_DRAFT 2
#define ZMQ_EVENT_ALL_V1 ZMQ_EVENT_ALL
#define ZMQ_EVENT_ALL_V2 (ZMQ_EVENT_ALL_V1 | ZMQ_EVENT_PIPES_STATS)

ZMQ_EXPORT int zmq_socket_monitor_versioned(void *socket_, const char *endpoint_, uint64_t events_,
                                            int event_version_, int type_);
ZMQ_EXPORT int zmq_socket_monitor_pipes_stats(void *socket_);

#endif /* ZMQ_BUILD_DRAFT_API */

#ifdef __cplusplus
}
#endif

/* Users' own code may define ZMQ_EXPORT; libzmq's header does not leave it behind either. */
#undef ZMQ_EXPORT

#endif /* __ZMQ_H_INCLUDED__ */
