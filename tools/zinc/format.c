/* Output formats of the zinc command: a received multipart message as one line of text, C-quoted strings,
 * hex, or JSON. JSON is binary-safe: each frame is a string whose code points are its bytes (0-255), so
 * printable ASCII reads as itself and any frame decodes back exactly (Python: s.encode("latin-1")). */
#include "common.h"

#include <string.h>

int zinc_format_parse(const char *cmd, const char *name, zinc_format *out)
{
    static const struct {
        const char *name;
        zinc_format format;
    } formats[] = {
        {"text", ZINC_FORMAT_TEXT}, {"quoted", ZINC_FORMAT_QUOTED}, {"hex", ZINC_FORMAT_HEX},
        {"json", ZINC_FORMAT_JSON},
    };
    for (size_t k = 0; k < sizeof formats / sizeof formats[0]; k++)
        if (strcmp(formats[k].name, name) == 0)
            return *out = formats[k].format, 0;
    return zinc_usage(cmd, "--format %s: unknown format (use text, quoted, hex or json)", name);
}

static void print_hex(FILE *out, const unsigned char *data, size_t size)
{
    for (size_t k = 0; k < size; k++)
        fprintf(out, "%02x", data[k]);
}

/* A string in double quotes with C-style escapes; other bytes outside printable ASCII as nonprint_fmt
 * ("\\x%02x" for quoted text, "\\u%04x" for JSON, where a byte maps to one code point). */
static void print_escaped(FILE *out, const unsigned char *data, size_t size, const char *nonprint_fmt)
{
    fputc('"', out);
    for (size_t k = 0; k < size; k++) {
        unsigned char c = data[k];
        switch (c) {
        case '\n': fputs("\\n", out); break;
        case '\r': fputs("\\r", out); break;
        case '\t': fputs("\\t", out); break;
        case '\\': fputs("\\\\", out); break;
        case '"': fputs("\\\"", out); break;
        default:
            if (c >= 0x20 && c < 0x7f)
                fputc(c, out);
            else
                fprintf(out, nonprint_fmt, c);
        }
    }
    fputc('"', out);
}

static void print_quoted(FILE *out, const unsigned char *data, size_t size)
{
    print_escaped(out, data, size, "\\x%02x");
}

static void print_json_string(FILE *out, const unsigned char *data, size_t size)
{
    print_escaped(out, data, size, "\\u%04x");
}

void zinc_frame_print(FILE *out, const unsigned char *data, size_t size, zinc_format format)
{
    switch (format) {
    case ZINC_FORMAT_TEXT:
        fwrite(data, 1, size, out);
        break;
    case ZINC_FORMAT_QUOTED:
        print_quoted(out, data, size);
        break;
    case ZINC_FORMAT_HEX:
        print_hex(out, data, size);
        break;
    case ZINC_FORMAT_JSON:
        print_json_string(out, data, size);
        break;
    }
}

static void print_json(FILE *out, const zinc_message *m, size_t first, int routing_id)
{
    fputs("{\"frames\":[", out);
    for (size_t k = first; k < m->count; k++) {
        if (k > first)
            fputc(',', out);
        print_json_string(out, m->frames[k].data, m->frames[k].size);
    }
    fputc(']', out);
    if (routing_id) {
        fputs(",\"routing_id\":\"", out);
        if (m->count)
            print_hex(out, m->frames[0].data, m->frames[0].size);
        fputc('"', out);
    }
    fputs("}\n", out);
}

void zinc_message_print(FILE *out, const zinc_message *m, zinc_format format, int routing_id)
{
    size_t first = routing_id && m->count ? 1 : 0;
    if (format == ZINC_FORMAT_JSON) {
        print_json(out, m, first, routing_id);
    } else {
        if (first) {
            fputc('[', out);
            print_hex(out, m->frames[0].data, m->frames[0].size);
            fputs("] ", out);
        }
        const char *sep = format == ZINC_FORMAT_TEXT ? "\t" : " ";
        for (size_t k = first; k < m->count; k++) {
            if (k > first)
                fputs(sep, out);
            zinc_frame_print(out, m->frames[k].data, m->frames[k].size, format);
        }
        fputc('\n', out);
    }
    fflush(out);
}
