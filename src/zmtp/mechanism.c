/* The table of security mechanisms, keyed by the name each announces in the greeting, and the text for
 * every ZMTP_E_* code (the reason a connection was closed, for logs and monitor events). */
#include <string.h>

#include "zmtp/zmtp.h"

static const struct zmtp_mechanism_ops *const mechanisms[] = {
    &zmtp_mech_null,
    &zmtp_mech_plain,
#ifdef ZINC_HAVE_SODIUM
    &zmtp_mech_curve,
#endif
};

const struct zmtp_mechanism_ops *zmtp_mechanism_find(const char *name)
{
    for (size_t i = 0; i < sizeof mechanisms / sizeof mechanisms[0]; i++) {
        if (strcmp(mechanisms[i]->name, name) == 0)
            return mechanisms[i];
    }
    return NULL;
}

const char *zmtp_strerror(int code)
{
    switch (code) {
    case ZMTP_E_SIGNATURE:
        return "not a ZMTP 2.0 or later signature";
    case ZMTP_E_VERSION:
        return "unsupported ZMTP version";
    case ZMTP_E_MECHANISM:
        return "bad or mismatched security mechanism";
    case ZMTP_E_FLAGS:
        return "reserved frame flags set, or COMMAND with MORE";
    case ZMTP_E_TOO_LARGE:
        return "frame larger than the size limit";
    case ZMTP_E_MALFORMED:
        return "malformed command";
    case ZMTP_E_COMMAND:
        return "unknown or unexpected command";
    case ZMTP_E_SOCKET_TYPE:
        return "peer socket type missing or incompatible";
    case ZMTP_E_METADATA:
        return "malformed metadata";
    case ZMTP_E_AUTH:
        return "authentication refused";
    case ZMTP_E_ERROR_CMD:
        return "peer sent ERROR";
    case ZMTP_E_NOMEM:
        return "out of memory";
    case ZMTP_E_MALFORMED_HELLO:
        return "malformed HELLO";
    case ZMTP_E_MALFORMED_WELCOME:
        return "malformed WELCOME";
    case ZMTP_E_MALFORMED_INITIATE:
        return "malformed INITIATE";
    case ZMTP_E_MALFORMED_READY:
        return "malformed READY";
    case ZMTP_E_MALFORMED_MESSAGE:
        return "malformed MESSAGE";
    case ZMTP_E_CRYPTO:
        return "cryptographic error";
    case ZMTP_E_SEQUENCE:
        return "nonce out of sequence";
    case ZMTP_E_KEY_EXCHANGE:
        return "key exchange failed";
    case ZMTP_E_MALFORMED_ERROR:
        return "malformed ERROR";
    default:
        return "unknown ZMTP error";
    }
}
