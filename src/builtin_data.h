/* builtin_data.h: data sets compiled into the binary.
 *
 * CMake turns data/wdbc.csv into a byte array at build time, so `sweep` needs
 * no data path and works from any directory.
 */
#ifndef SWEEP_BUILTIN_DATA_H
#define SWEEP_BUILTIN_DATA_H

#include <stddef.h>

extern const unsigned char builtin_wdbc_csv[];  /* the text of data/wdbc.csv */
extern const size_t builtin_wdbc_csv_size;      /* its length in bytes (no NUL) */

#endif
