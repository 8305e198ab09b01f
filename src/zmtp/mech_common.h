/* What the NULL, PLAIN and CURVE mechanisms share: our metadata (Socket-Type, Identity), checking and
 * keeping the peer's, the error state with its ERROR command, and the ZAP decision. Private to src/zmtp.
 *
 * Invariants:
 *   1. error is 0 or a ZMTP_E_* code; once set it never changes (mech_fail).
 *   2. peer.metadata is NULL or points at metadata_copy, a validated property list from a peer whose
 *      Socket-Type is compatible with ours, owned until mech_common_fini.
 *   3. The ERROR command for the peer is produced at most once (error_told).
 */
#ifndef ZINC_ZMTP_MECH_COMMON_H
#define ZINC_ZMTP_MECH_COMMON_H

#include "zmtp/zmtp.h"

struct mech_common {
    int socket_type;                        /* ours, libzmq number */
    uint8_t identity[ZMTP_IDENTITY_MAX];    /* ours, sent by REQ, DEALER, ROUTER */
    size_t identity_len;
    bool zap;                               /* a ZAP decision is due before we accept the peer */
    bool quiet;                             /* ERROR only for ZAP refusals (PLAIN, CURVE: as libzmq) */
    bool zap_pending;                       /* waiting for zap_result */
    int error;                              /* 0, or the ZMTP_E_* code that ended the handshake */
    bool error_told;                        /* the ERROR command was produced (or is not due) */
    int zap_status;                         /* the refusing ZAP status code (ERROR reason), or 0 */
    uint8_t *metadata_copy;                 /* heap copy of the peer's properties */
    struct zmtp_peer_info peer;
};

int mech_common_init(struct mech_common *m, const struct zmtp_mech_config *cfg);
void mech_common_fini(struct mech_common *m);
/* Records the first error; returns the error in force. */
int mech_fail(struct mech_common *m, int code);
/* ZAP refused (300: quietly; 400/500: with an ERROR whose reason is the code). */
void mech_zap_refused(struct mech_common *m, int status_code);
/* The handler's answer to a pending request: 200 lets the handshake go on, anything else refuses. */
void mech_zap_result(struct mech_common *m, int status_code);
/* If the handshake failed: the ERROR body for the peer (once; 0 when already told or not due) and
 * *failed = true. Otherwise *failed = false and 0. */
int mech_error_command(struct mech_common *m, uint8_t *out, size_t cap, bool *failed);
/* Our metadata (Socket-Type, and Identity for REQ, DEALER, ROUTER) into out. Bytes or 0 if too small. */
size_t mech_metadata_write(const struct mech_common *m, uint8_t *out, size_t cap);
/* Validates the peer's whole property list, its Socket-Type and Identity, then keeps a copy. 0 or
 * ZMTP_E_* (already recorded with mech_fail). */
int mech_accept_metadata(struct mech_common *m, const uint8_t *data, size_t len);
/* The peer's ERROR command data: records its reason and fails with ZMTP_E_ERROR_CMD. */
int mech_peer_error(struct mech_common *m, const uint8_t *data, size_t len);
/* Zeroes secrets so the compiler cannot drop the stores (sodium_memzero when built with libsodium). */
void mech_wipe(void *p, size_t n);
/* The status every mechanism reports: ERROR once failed, ZAP_PENDING while the handler decides, READY
 * once done (the mechanism's own test), HANDSHAKING before. */
enum zmtp_mech_status mech_status(const struct mech_common *m, bool done);
/* Starts a ZAP request for mechanism: ZMTP_E_COMMAND unless one is pending; else req is zeroed, its
 * mechanism set, and the caller adds the credentials. */
int mech_zap_request_begin(const struct mech_common *m, struct zmtp_zap_request *req, const char *mechanism);

#endif
