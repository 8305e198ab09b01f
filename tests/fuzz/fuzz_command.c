/* Fuzz target: one command body as a peer sends it (name-size, name, data), no frame header. Every parser
 * whose data has a shape runs on an exact-size heap copy of the data: PING (TTL + context), PONG (context),
 * SUBSCRIBE/CANCEL (the topic is the data), ERROR (reason and the ZAP status code in it). What parses must
 * write back to the same bytes with the matching writer. */
#include <string.h>

#include "fuzz.h"
#include "zmtp/zmtp.h"

#define OUT_CAP 1024

static void fuzz_ping(const uint8_t *data, size_t len)
{
    uint8_t out[OUT_CAP];
    const uint8_t *context;
    size_t context_len;
    uint16_t ttl;
    struct zmtp_command again;

    if (zmtp_ping_parse(data, len, &ttl, &context, &context_len) != 1) {
        FUZZ_CHECK(len < 2 || len - 2 > ZMTP_PING_CONTEXT_MAX);
        return;
    }
    FUZZ_CHECK(context_len == len - 2 && context_len <= ZMTP_PING_CONTEXT_MAX);
    size_t n = zmtp_ping_write(out, sizeof out, ttl, context, context_len);
    FUZZ_CHECK(n == 5 + len && memcmp(out + 5, data, len) == 0);
    FUZZ_CHECK(zmtp_command_parse(out, n, &again) == 1 && again.id == ZMTP_CMD_PING);
    /* The answer a PING gets: a PONG echoing its context. */
    n = zmtp_pong_write(out, sizeof out, context, context_len);
    FUZZ_CHECK(n == 5 + context_len);
    FUZZ_CHECK(zmtp_command_parse(out, n, &again) == 1 && again.id == ZMTP_CMD_PONG);
    FUZZ_CHECK(again.data_len == context_len);
}

/* A PONG's data is the context it echoes: 16 bytes at most, else the writer refuses it. */
static void fuzz_pong(const uint8_t *data, size_t len)
{
    uint8_t out[OUT_CAP];
    struct zmtp_command again;
    size_t n = zmtp_pong_write(out, sizeof out, data, len);

    FUZZ_CHECK(n == (len <= ZMTP_PING_CONTEXT_MAX ? 5 + len : 0));
    if (n > 0)
        FUZZ_CHECK(zmtp_command_parse(out, n, &again) == 1 && memcmp(again.data, data, len) == 0);
}

static void fuzz_error(const uint8_t *data, size_t len)
{
    uint8_t out[OUT_CAP];
    char reason_text[ZMTP_ERROR_REASON_MAX + 1];
    const uint8_t *reason;
    size_t reason_len;

    if (zmtp_error_parse(data, len, &reason, &reason_len) != 1) {
        FUZZ_CHECK(len < 1 || data[0] > len - 1);
        return;
    }
    FUZZ_CHECK(reason_len == data[0] && reason_len <= ZMTP_ERROR_REASON_MAX && reason + reason_len <= data + len);
    int code = zmtp_error_status_code(reason, reason_len);
    FUZZ_CHECK(code == 0 || code == 300 || code == 400 || code == 500);
    /* Reasons with a NUL inside do not survive the C-string writer; the rest must. */
    if (memchr(reason, 0, reason_len) != NULL)
        return;
    memcpy(reason_text, reason, reason_len);
    reason_text[reason_len] = '\0';
    size_t n = zmtp_error_write(out, sizeof out, reason_text);
    FUZZ_CHECK(n == 6 + 1 + reason_len && memcmp(out + 6, data, 1 + reason_len) == 0);
}

static void fuzz_subscription(const struct zmtp_command *cmd, const uint8_t *data)
{
    uint8_t out[OUT_CAP];
    struct zmtp_command again;
    const char *name = cmd->id == ZMTP_CMD_SUBSCRIBE ? "SUBSCRIBE" : "CANCEL";

    size_t n = zmtp_command_write(out, sizeof out, name, data, cmd->data_len);
    if (n == 0) {
        FUZZ_CHECK(1 + strlen(name) + cmd->data_len > sizeof out);
        return;
    }
    FUZZ_CHECK(zmtp_command_parse(out, n, &again) == 1 && again.id == cmd->id);
    FUZZ_CHECK(again.data_len == cmd->data_len && memcmp(again.data, data, cmd->data_len) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *body, size_t size)
{
    struct zmtp_command cmd;

    if (zmtp_command_parse(body, size, &cmd) != 1) {
        FUZZ_CHECK(size == 0 || body[0] == 0 || body[0] > size - 1);
        return 0;
    }
    FUZZ_CHECK(cmd.name_len == body[0] && cmd.data == body + 1 + cmd.name_len);
    FUZZ_CHECK(cmd.data + cmd.data_len == body + size);
    uint8_t *data = fuzz_copy(cmd.data, cmd.data_len);
    switch (cmd.id) {
    case ZMTP_CMD_PING:
        fuzz_ping(data, cmd.data_len);
        break;
    case ZMTP_CMD_PONG:
        fuzz_pong(data, cmd.data_len);
        break;
    case ZMTP_CMD_ERROR:
        fuzz_error(data, cmd.data_len);
        break;
    case ZMTP_CMD_SUBSCRIBE:
    case ZMTP_CMD_CANCEL:
        fuzz_subscription(&cmd, data);
        break;
    default:
        break;
    }
    free(data);
    /* The name itself, looked up as a socket type (READY's Socket-Type value is any bytes). */
    int type = zmtp_socket_type_from_name(cmd.name, cmd.name_len);
    FUZZ_CHECK(type >= -1 && type <= 10);
    if (type >= 0)
        FUZZ_CHECK(strlen(zmtp_socket_type_name(type)) == cmd.name_len);
    return 0;
}
