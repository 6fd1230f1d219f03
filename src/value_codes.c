/* value_codes.c: doubles as one-byte codes into a table of their distinct
 * values (value_codes.h). */
#include "value_codes.h"

#include <string.h>

void value_table_init(value_table *table)
{
    table->count = 1;
    for (int i = 0; i < VALUE_CODES_MAX; i++) /* unused codes' values defined, +0.0 */
        table->value[i] = 0.0;
    for (int i = 0; i < VALUE_CODES_SLOTS; i++)
        table->slot_code[i] = -1;
    table->slot_bits[0] = 0; /* +0.0 hashes to slot 0 (slot_of) */
    table->slot_code[0] = 0;
}

static unsigned slot_of(uint64_t bits)
{
    return (unsigned)((bits * UINT64_C(0x9E3779B97F4A7C15)) >> 54);
}

/* The code of a value by its bits, added to the table when new; -1 when
 * the table is full. Open addressing, a multiplicative hash. */
static int code_of(value_table *table, uint64_t bits)
{
    unsigned slot = slot_of(bits);
    for (;; slot = (slot + 1) % VALUE_CODES_SLOTS) {
        if (table->slot_code[slot] < 0)
            break;
        if (table->slot_bits[slot] == bits)
            return table->slot_code[slot];
    }
    if (table->count == VALUE_CODES_MAX)
        return -1;
    const int code = table->count++;
    memcpy(&table->value[code], &bits, sizeof bits);
    table->slot_bits[slot] = bits;
    table->slot_code[slot] = (int16_t)code;
    return code;
}

bool value_codes_encode(const double *x, size_t n, value_table *table, uint8_t *codes)
{
    for (size_t i = 0; i < n; i++) {
        uint64_t bits;
        memcpy(&bits, &x[i], sizeof bits);
        /* most values sit in their first slot: one load, one compare */
        const unsigned slot = slot_of(bits);
        int code = table->slot_code[slot];
        if (code < 0 || table->slot_bits[slot] != bits)
            if ((code = code_of(table, bits)) < 0)
                return false;
        codes[i] = (uint8_t)code;
    }
    return true;
}
