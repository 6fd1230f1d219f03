#include "number.h"

#include <stddef.h>

bool number_is_digit(char c)
{
    return c >= '0' && c <= '9';
}

const char *number_skip_decimal(const char *text)
{
    const char *p = text;
    size_t n_digits = 0;
    while (number_is_digit(*p)) {
        p++;
        n_digits++;
    }
    if (*p == '.') {
        p++;
        while (number_is_digit(*p)) {
            p++;
            n_digits++;
        }
    }
    if (n_digits == 0)
        return NULL;
    if (*p == 'e' || *p == 'E') {
        p++;
        if (*p == '+' || *p == '-')
            p++;
        if (!number_is_digit(*p))
            return NULL;
        while (number_is_digit(*p))
            p++;
    }
    return p;
}
