#include "error.h"

#include <stdarg.h>
#include <stdio.h>

int error_set(sweep_error *err, error_kind kind, const char *fmt, ...)
{
    if (err == NULL)
        return -1;
    err->kind = kind;
    va_list args;
    va_start(args, fmt);
    vsnprintf(err->message, sizeof err->message, fmt, args);
    va_end(args);
    return -1;
}

void error_clear(sweep_error *err)
{
    if (err == NULL)
        return;
    err->kind = ERROR_NONE;
    err->message[0] = '\0';
}
