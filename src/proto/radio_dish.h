/* What RADIO (radio.c) and DISH (dish.c) share: how a group and a membership travel on a pipe.
 *
 * On a pipe, as on the ZMTP wire (libzmq 4.3's form), a RADIO message is two frames: the group (MORE), then
 * the body. A DISH's join or leave is one frame flagged MSGF_COMMAND, 0x01 (join) or 0x00 (leave) followed
 * by the group; the connection sends it as a ZMTP JOIN / LEAVE command and turns those back into this
 * form (core/conn_io.c), and over inproc it reaches the RADIO as it is.
 *
 * Groups are kept in tries (proto/route/trie.h) under a key of the group's bytes and one NUL: a trie
 * matches prefixes, and a key ending in the one NUL a group from the application can never hold
 * makes "is a prefix of" mean "equals".
 */
#ifndef ZINC_RADIO_DISH_H
#define ZINC_RADIO_DISH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/msg.h"

#define RADIO_DISH_KEY_MAX (MSG_GROUP_MAX + 1)

/* Writes the trie key of a group (len <= MSG_GROUP_MAX) into key; returns its length. */
static inline size_t radio_dish_key(uint8_t key[RADIO_DISH_KEY_MAX], const void *group, size_t len)
{
    if (len)
        memcpy(key, group, len);
    key[len] = 0;
    return len + 1;
}

#endif
