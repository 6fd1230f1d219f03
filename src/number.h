/* number.h: the syntax of a plain decimal number, shared by the config
 * reader (YAML numbers) and the CSV reader (cells), so that both accept the
 * same texts and leave strtod's extras (hex floats, "nan", "infinity") out. */
#ifndef SWEEP_NUMBER_H
#define SWEEP_NUMBER_H

#include <stdbool.h>

/* true when `c` is one of 0-9 (unlike isdigit, free of the locale). */
bool number_is_digit(char c);

/* Skip an unsigned decimal number at `text`:
 * (\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?
 * and return the first character after it, or NULL when `text` does not
 * start with one. The caller handles a sign and what may follow. */
const char *number_skip_decimal(const char *text);

#endif
